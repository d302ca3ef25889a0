"""The ``[web]`` section: the controller's own HTTP server (local API and page).

One server, one port: the local API under ``/api/v1`` (:mod:`edge.web.api`) and
the commissioning page beside it. The API answers only requests that carry
``Authorization: Bearer <token>`` with the token held in ``token_file`` (never
the token itself, neither here nor on a command line; mode 0600).

Off this machine the server needs TLS (``tls_cert_file``/``tls_key_file``, the
same PEM pair the OCPI and OCPP servers can use), unless ``insecure = true`` (a
closed lab only): the token would travel in clear text.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.config.secret_file import SecretFileError, read_secret_file
from edge.model.origins import is_loopback

MIN_TOKEN_CHARS = 16


class ApiTokenFileError(Exception):
    """``token_file`` cannot be used; the message names the key and what to do."""


def read_api_token(path: str) -> str:
    """The token in ``path``: one line, no spaces, at least 16 characters."""
    try:
        data = read_secret_file(path, "the API token")
    except SecretFileError as exc:
        raise ApiTokenFileError(f"web.token_file: {exc}") from None
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ApiTokenFileError(f"web.token_file: {path} is not UTF-8 text") from None
    if any(c.isspace() for c in text):
        raise ApiTokenFileError(
            f"web.token_file: {path} must hold the token alone, on one line, "
            "without spaces"
        )
    if len(text) < MIN_TOKEN_CHARS:
        raise ApiTokenFileError(
            f"web.token_file: the token in {path} is shorter than {MIN_TOKEN_CHARS} "
            f"characters; e.g. `openssl rand -hex 24 > {path}`"
        )
    return text


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False
    )


class WebSection(_Model):
    """Our HTTP server: the local API and the commissioning page."""

    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: Annotated[int, Field(ge=0, le=65535)] = 8080
    token_file: str | None = None
    """A file (mode 0600) holding the API's bearer token, at least 16 characters
    on one line; without it the API answers every request 401."""
    tls_cert_file: str | None = None
    """PEM certificate chain the server presents (https://); with tls_key_file.
    Read again on SIGHUP, without dropping the server."""
    tls_key_file: str | None = None
    insecure: bool = False
    """Allow plain http:// off this machine (the token then travels unencrypted)."""
    max_connections: Annotated[int, Field(ge=1, le=1024)] = 32
    """Connections the server holds at once (the idlest is closed for a new one)."""

    @property
    def tls(self) -> bool:
        """The server speaks HTTPS."""
        return self.tls_cert_file is not None and self.tls_key_file is not None

    @model_validator(mode="after")
    def _transport(self) -> WebSection:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("give both tls_cert_file and tls_key_file, or neither")
        if not (self.tls or self.insecure or is_loopback(self.listen_host)):
            raise ValueError(
                f"plain http on {self.listen_host} would send the API token in clear "
                "text; give tls_cert_file and tls_key_file, or set insecure = true "
                "in [web] (a closed lab only)"
            )
        return self
