"""Rules that look outside the site file: the files it names, as ``edge run`` uses them.

The store's database and the OCPI credentials file must be creatable and
writable (their directory may not exist yet: the store creates it); a tariff
file, a TLS certificate or key must be a readable regular file of sane size,
and the tariff must parse as the uplink will parse it. That last check is given
by the caller (:data:`TariffCheck`), so that this package does not import the
uplink. Each problem is ``(key path, message)``, as in :mod:`edge.config.checks`.
"""

from __future__ import annotations

import os
import socket
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from edge.config.schema import SiteConfig
from edge.config.secret_file import SecretFileError, read_secret_file
from edge.config.web import ApiTokenFileError, read_api_token

MAX_NAMED_FILE_BYTES = 4 * 1024 * 1024
"""A tariff, a certificate or a key is kilobytes; past this it is not one."""
TariffCheck = Callable[[SiteConfig, str], str | None]
"""(config, the tariff file's path) -> why the uplink would refuse it, or None.
Called only once the file is known to be a small regular UTF-8 file."""


def writable_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be created or written (None: it can)."""
    if path.is_dir():
        return f"{path} is a directory; give the path of a file in it"
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            return f"{path} is not writable by this user"
        return None
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"cannot create {path}: {parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create {path}: {parent} is not writable by this user"
    # os.access says yes to root everywhere (/proc, /sys): try it for real.
    try:
        fd, probe = tempfile.mkstemp(prefix=".edge-check-", dir=parent)
    except OSError as exc:
        return f"cannot create {path}: {parent}: {exc.strerror}"
    os.close(fd)
    os.unlink(probe)
    return None


class NamedFileError(Exception):
    """A file the site names cannot be read as one; the message says why."""


def read_named_file(path: Path) -> str:
    """The UTF-8 text of a regular file of at most 4 MiB."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise NamedFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NamedFileError(f"{path} is not a regular file")
        data = os.read(fd, MAX_NAMED_FILE_BYTES + 1)
    except OSError as exc:
        raise NamedFileError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_NAMED_FILE_BYTES or info.st_size > MAX_NAMED_FILE_BYTES:
        raise NamedFileError(f"{path} is too large (over 4 MiB)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise NamedFileError(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02X} at offset "
            f"{exc.start}, line {line})"
        ) from None


def listen_problem(host: str, port: int) -> str | None:
    """Why our server could not listen on ``host:port`` now (None: it could)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def runtime_problems(
    config: SiteConfig,
    *,
    store_path: str | None,
    tariff_check: TariffCheck | None = None,
    listen: bool = False,
) -> list[tuple[str, str]]:
    """(key path, message) for each file the site names that ``edge run`` cannot use.

    ``store_path``: the database ``edge run`` will open (``--db`` or
    ``store.path``); None skips it (``edge sim`` keeps its own). ``listen``:
    also try the OCPI and OCPP servers' addresses (``edge run`` only: while the
    controller runs, ``edge config check`` would find its own port taken).
    """
    problems: list[tuple[str, str]] = []
    if store_path is not None:
        why = writable_file_problem(Path(store_path))
        if why is not None:
            problems.append(("store.path", why))
    problems += _ocpi_problems(config, tariff_check, listen)
    if config.mqtt is not None:
        problems += _unreadable("mqtt", config.mqtt, ("password_file", "tls_ca_file"))
    ocpp = config.ocpp
    if ocpp is not None and ocpp.enabled:
        if listen and ocpp.listen_port != 0:
            why = listen_problem(ocpp.listen_host, ocpp.listen_port)
            if why is not None:
                problems.append(("ocpp.listen_port", why))
        problems += _unreadable("ocpp", ocpp, ("tls_cert_file", "tls_key_file"))
        for n, charger in enumerate(ocpp.charger):
            key = f"ocpp.charger[{n}]"
            unreadable = _unreadable(key, charger, ("password_file",))
            problems += unreadable
            if charger.password_file is None or unreadable:
                continue
            try:  # a secret: not readable by every user either
                what = f"the OCPP password of charger {charger.identity}"
                read_secret_file(charger.password_file, what)
            except SecretFileError as exc:
                problems.append((f"{key}.password_file", str(exc)))
    problems += _web_problems(config, listen)
    return problems


def _web_problems(config: SiteConfig, listen: bool) -> list[tuple[str, str]]:
    web = config.web
    if web is None or not web.enabled:
        return []
    problems: list[tuple[str, str]] = []
    if listen and web.listen_port != 0:
        why = listen_problem(web.listen_host, web.listen_port)
        if why is not None:
            problems.append(("web.listen_port", why))
    if web.token_file is not None:
        try:
            read_api_token(web.token_file)
        except ApiTokenFileError as exc:
            problems.append(
                ("web.token_file", str(exc).removeprefix("web.token_file: "))
            )
    return problems + _unreadable("web", web, ("tls_cert_file", "tls_key_file"))


def _unreadable(
    section: str, values: object, keys: tuple[str, ...]
) -> list[tuple[str, str]]:
    """(key path, why) for each of ``keys`` naming a file that cannot be read."""
    problems: list[tuple[str, str]] = []
    for key in keys:
        named = getattr(values, key, None)
        if isinstance(named, str):
            try:
                read_named_file(Path(named))
            except NamedFileError as exc:
                problems.append((f"{section}.{key}", str(exc)))
    return problems


def _ocpi_problems(
    config: SiteConfig, tariff_check: TariffCheck | None, listen: bool
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    ocpi = config.ocpi
    if ocpi is None or not ocpi.enabled:
        return problems
    if listen and ocpi.listen_port != 0:
        why = listen_problem(ocpi.listen_host, ocpi.listen_port)
        if why is not None:
            problems.append(("ocpi.listen_port", why))
    why = writable_file_problem(Path(ocpi.credentials_path))
    if why is not None:
        problems.append(("ocpi.credentials_path", why))
    if ocpi.tariff_file is not None:
        try:
            read_named_file(Path(ocpi.tariff_file))
        except NamedFileError as exc:
            problems.append(("ocpi.tariff_file", str(exc)))
        else:
            why = (
                None if tariff_check is None else tariff_check(config, ocpi.tariff_file)
            )
            if why is not None:
                problems.append(("ocpi.tariff_file", why))
    tls = ("tls_cert_file", "tls_key_file", "tls_ca_file")
    return problems + _unreadable("ocpi", ocpi, tls)
