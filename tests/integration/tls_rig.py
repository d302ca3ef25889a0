"""Throwaway CAs and certificates for the TLS tests, and SIGHUP to a real ``edge run``.

Used by the OCPI and the web server's TLS tests: each server presents a
certificate from a test CA; a renewed pair is served to new connections after
SIGHUP, while the process keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509

from tests.integration import processes

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Pki:
    """A test CA and files for one server certificate issued by it."""

    ca: trustme.CA
    ca_file: Path
    cert_file: Path
    key_file: Path

    def issue(self) -> int:
        """Write a fresh certificate for 127.0.0.1 and its key; return its serial."""
        cert = self.ca.issue_cert(HOST, "localhost")
        cert.cert_chain_pems[0].write_to_path(str(self.cert_file))
        for extra in cert.cert_chain_pems[1:]:
            extra.write_to_path(str(self.cert_file), append=True)
        cert.private_key_pem.write_to_path(str(self.key_file))
        return serial_of_pem(cert.cert_chain_pems[0].bytes())

    def client(self) -> ssl.SSLContext:
        """A client context trusting only this CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def serial_of_pem(pem: bytes) -> int:
    return x509.load_pem_x509_certificate(pem).serial_number


def pki(tmp_path: Path, name: str) -> Pki:
    ca = trustme.CA(organization_name=f"edge test CA {name}")
    p = Pki(ca, tmp_path / f"{name}-ca.pem", tmp_path / f"{name}-cert.pem",
            tmp_path / f"{name}-key.pem")  # fmt: skip
    ca.cert_pem.write_to_path(str(p.ca_file))
    return p


async def served_serial(port: int, trust: ssl.SSLContext) -> int:
    """Open a new TLS connection and read the serial of the certificate presented."""
    _, writer = await asyncio.open_connection(
        HOST, port, ssl=trust, server_hostname=HOST
    )
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        return x509.load_der_x509_certificate(der).serial_number
    finally:
        await closed(writer)


async def closed(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def sighup_renews_the_certificate(
    tmp_path: Path,
    site_text: str,
    port: int,
    ours: Pki,
    while_serving: Callable[[], None] = lambda: None,
) -> str:
    """Run ``edge run`` on ``site_text``: it serves ``ours``'s certificate; after
    SIGHUP a new connection sees a renewed one, and the process kept running.
    ``while_serving`` runs once the first certificate is served. Returns the log."""
    first = ours.issue()
    site = tmp_path / "site.toml"
    site.write_text(site_text)
    log = tmp_path / "edge.log"
    proc = processes.start(["edge", "run", "--config", str(site)], log)
    try:

        def serial() -> int | None:
            if proc.poll() is not None:
                raise AssertionError(f"edge run ended: {log.read_text()}")
            try:
                return asyncio.run(served_serial(port, ours.client()))
            except OSError:
                return None

        assert processes.wait_for("the TLS server", serial) == first
        while_serving()
        second = ours.issue()
        os.kill(proc.pid, signal.SIGHUP)
        processes.wait_for("the new certificate", lambda: serial() == second)
        assert proc.poll() is None
    finally:
        processes.stop(proc)
    text = log.read_text()
    assert proc.returncode in (0, -signal.SIGTERM), text
    return text
