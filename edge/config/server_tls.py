"""The certificate our servers present: a PEM pair named in the site file.

The OCPI, OCPP and web servers each take ``tls_cert_file``/``tls_key_file``
from their own section and serve TLS 1.2 or newer with them. :meth:`ServerTls.
reload` (SIGHUP) reads the files again into the live context, so new
connections get a renewed certificate and open ones keep theirs. The pair is
tried on a scratch context first: a certificate whose key does not match,
loaded straight into the live context, would leave it half-changed; a pair
that does not load leaves the old one in use.
"""

from __future__ import annotations

import logging
import ssl

log = logging.getLogger(__name__)


class TlsFileError(Exception):
    """A TLS file named in the site file cannot be used; the message names the key."""


def _context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class ServerTls:
    """A server's context with the pair of ``[section]``, renewable in place."""

    def __init__(self, section: str, cert_file: str, key_file: str) -> None:
        self.section = section
        self.cert_file = cert_file
        self.key_file = key_file
        self.context = _context()
        self._load(self.context)

    def _load(self, ctx: ssl.SSLContext) -> None:
        try:
            ctx.load_cert_chain(self.cert_file, self.key_file)
        except (OSError, ssl.SSLError) as exc:
            raise TlsFileError(
                f"{self.section}.tls_cert_file/tls_key_file: cannot load "
                f"{self.cert_file} with {self.key_file}: {exc}; give a PEM "
                "certificate chain and its private key"
            ) from exc

    def reload(self) -> None:
        """Read the files again; TlsFileError (and the old pair kept) if they fail."""
        self._load(_context())
        self._load(self.context)
        log.info(
            "[%s] server certificate reloaded from %s", self.section, self.cert_file
        )
