"""``edge doctor``'s checks of what the controller relies on: database, uplink.

- the database: ``PRAGMA integrity_check`` (read-only, :mod:`edge.store.health`);
- the commissioning page: is its password set, or where the one-time setup
  code is (never the code itself);
- the uplink: the site file's OCPI versions URL, TCP connect and TLS handshake
  (the site's ``tls_ca_file`` or the system trust store), certificate expiry.
"""

from __future__ import annotations

import socket
import sqlite3
import ssl
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from edge.cli.doctor_findings import Finding, State, mb
from edge.store.health import integrity_check
from edge.web.login import PASSWORD_FILE, SETUP_CODE_FILE

CERT_WARN_DAYS = 21


def commissioning_page(db: Path, served: bool) -> list[Finding]:
    """The page's password (files beside the database): set, or how to set it."""
    if not served:
        return [Finding("page", "web", State.SKIP, "no [web] section: no page served")]
    data = db.parent
    if (data / PASSWORD_FILE).is_file():
        return [Finding("page", str(data / PASSWORD_FILE), State.OK, "password set")]
    code = data / SETUP_CODE_FILE
    if code.is_file():
        return [
            Finding(
                "page",
                str(code),
                State.WARN,
                "no password yet: the page asks for the one-time setup code",
                f"read the code with `sudo cat {code}`, open the page, set a password",
            )
        ]
    return [
        Finding(
            "page",
            str(code),
            State.WARN,
            "no password yet and no setup code: the controller writes one at start",
            f"start the controller (systemctl start edge), then `sudo cat {code}`",
        )
    ]


def database(db: Path) -> list[Finding]:
    """PRAGMA integrity_check through the store."""
    try:
        health = integrity_check(db)
    except (OSError, sqlite3.Error) as exc:
        return [
            Finding(
                "database",
                str(db),
                State.FIX,
                f"cannot read: {exc}",
                "check --db and the file's owner (the edge user)",
            )
        ]
    size = f"{mb(health.db_bytes)} + WAL {mb(health.wal_bytes)}"
    if health.problems:
        return [
            Finding(
                "database",
                str(db),
                State.FIX,
                f"integrity_check: {'; '.join(health.problems[:3])}",
                "stop edge, keep a copy, then `sqlite3 DB .recover` into a new file",
            )
        ]
    return [Finding("database", str(db), State.OK, f"integrity ok ({size})")]


def uplink(url: str | None, cafile: str | None, timeout_s: float) -> list[Finding]:
    """The OCPI versions URL: TCP connect, TLS handshake, certificate expiry."""
    if url is None:
        return [
            Finding(
                "uplink", "-", State.SKIP, "no [ocpi] versions_url in the site file"
            )
        ]
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except OSError as exc:
        return [
            Finding(
                "uplink",
                url,
                State.FIX,
                f"TCP connect to {host}:{port}: {exc}",
                "check the network, DNS and firewall towards the backoffice",
            )
        ]
    with sock:
        if parts.scheme != "https":
            return [
                Finding(
                    "uplink",
                    url,
                    State.WARN,
                    "reachable, but not TLS",
                    "use an https:// versions URL",
                )
            ]
        ctx = ssl.create_default_context(cafile=cafile)
        try:
            with ctx.wrap_socket(sock, server_hostname=host) as tls:
                cert = tls.getpeercert()
        except (ssl.SSLError, OSError) as exc:
            return [
                Finding(
                    "uplink",
                    url,
                    State.FIX,
                    f"TLS handshake: {exc}",
                    "check the clock, tls_ca_file and the backoffice's certificate",
                )
            ]
    not_after = str((cert or {}).get("notAfter", ""))
    if not not_after:
        return [Finding("uplink", url, State.WARN, "TLS ok, no expiry date seen")]
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
    days = (expires - datetime.now(UTC)).days
    detail = f"TLS ok, certificate valid until {expires:%Y-%m-%d} ({days} days)"
    if days < CERT_WARN_DAYS:
        return [
            Finding(
                "uplink",
                url,
                State.WARN,
                detail,
                "ask the backoffice operator to renew its certificate",
            )
        ]
    return [Finding("uplink", url, State.OK, detail)]
