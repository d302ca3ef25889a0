"""``edge ocpi``: the uplink's credentials, and the flags ``run``/``sim`` share.

* ``edge ocpi credentials show|set|delete``: inspect the stored credentials (tokens
  redacted), install a token C issued out of band (for a site the backoffice
  cannot reach), or forget them.
* ``edge ocpi register``: the credentials handshake now, with token A (our
  versions endpoint is served meanwhile, for the backoffice to call back).
* ``edge ocpi unregister``: DELETE our registration at the backoffice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from edge.cli.common import EXIT_CONFIG, EXIT_RUNTIME
from edge.cli.config import check_site
from edge.cli.secrets import OCPI_TOKEN_A, TOKEN_B, TOKEN_C, SecretError
from edge.config.schema import OcpiSection, SiteConfig

if TYPE_CHECKING:
    from edge.uplink.ocpi.service import OcpiUplink


def add_uplink_flags(parser: argparse.ArgumentParser, sim: bool = False) -> None:
    """``--ocpi-versions-url URL --ocpi-token-a-file PATH`` (``--no-ocpi`` for sim).

    Token A may also come from ``EDGE_OCPI_TOKEN_A``; never from argv.
    """
    parser.add_argument(
        "--ocpi-versions-url", help="register with this OCPI backoffice (versions URL)"
    )
    OCPI_TOKEN_A.add(parser)
    if sim:
        parser.add_argument(
            "--no-ocpi", action="store_true", help="run without the OCPI uplink"
        )


def apply_uplink_flags(
    config: SiteConfig, args: argparse.Namespace, default_on: bool
) -> SiteConfig | None:
    """The site config with the uplink flags applied (None: bad flags, reported)."""
    if getattr(args, "no_ocpi", False):
        return config.model_copy(update={"ocpi": None})
    try:
        token = OCPI_TOKEN_A.read(args)
    except SecretError as exc:
        print(exc, file=sys.stderr)
        return None
    url = args.ocpi_versions_url
    section = config.ocpi
    if url or token:
        base = section or OcpiSection()
        update: dict[str, object] = {"enabled": True}
        if url:
            update["versions_url"] = url
        if token:
            update["token_a"] = token
        section = base.model_copy(update=update)
        if not (section.versions_url and section.token_a):
            print(
                "give both the backoffice's versions URL (--ocpi-versions-url or "
                f"[ocpi] versions_url) and its token A ({OCPI_TOKEN_A.hint()})",
                file=sys.stderr,
            )
            return None
    elif section is None and default_on:
        section = OcpiSection()
    if section is not None and section.enabled:
        problems = section.transport_problems()
        for key, message in problems:
            print(f"{key}: {message}", file=sys.stderr)
        if problems:
            return None
    return config.model_copy(update={"ocpi": section})


def _section(
    args: argparse.Namespace, paths: bool = True
) -> tuple[SiteConfig, OcpiSection] | None:
    """The site and its [ocpi] section, with the flags; checked as `edge run` does.

    ``paths``: also the files it names (not for ``show``, which only reads).
    """
    db = getattr(args, "db", None)
    config = check_site(args.config, db=db, store=hasattr(args, "db"), paths=paths)
    if config is None:
        return None
    flagged = apply_uplink_flags(config, args, default_on=True)
    if flagged is None or flagged.ocpi is None:
        return None
    return flagged, flagged.ocpi


def cmd_show(args: argparse.Namespace) -> int:
    """Print the stored credentials, tokens redacted."""
    from edge.uplink.ocpi.registration import (
        CredentialsFileError,
        CredentialsStore,
        redact,
    )

    found = _section(args, paths=False)
    if found is None:
        return EXIT_CONFIG
    store = CredentialsStore(found[1].credentials_path)
    try:
        creds = store.load()
    except CredentialsFileError as exc:
        print(exc, file=sys.stderr)
        return EXIT_RUNTIME
    if creds is None:
        print(f"no credentials at {store.path}")
        return EXIT_RUNTIME
    print(json.dumps({
        "file": str(store.path),
        "versions_url": creds.versions_url,
        "token_c": redact(creds.token_c),
        "token_b": redact(creds.token_b),
        "installed": creds.installed,
        "registered_at": creds.registered_at,
        "peer": str(creds.peer_party) if creds.peer_party else None,
        "endpoints": {f"{e.identifier} ({e.role})": e.url for e in creds.endpoints},
    }, indent=2, ensure_ascii=False))  # fmt: skip
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    """Install a token C issued out of band."""
    from edge.uplink.ocpi.registration import CredentialsStore, OcpiCredentials

    found = _section(args)
    if found is None:
        return EXIT_CONFIG
    try:
        token_c = TOKEN_C.read(args)
        token_b = TOKEN_B.read(args)
    except SecretError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    if token_c is None:
        print(f"give token C with {TOKEN_C.hint()}", file=sys.stderr)
        return EXIT_CONFIG
    if len(token_c) > 64:
        print("token C: 1 to 64 printable characters, no spaces", file=sys.stderr)
        return EXIT_CONFIG
    store = CredentialsStore(found[1].credentials_path)
    store.save(
        OcpiCredentials(
            versions_url=args.versions_url,
            token_c=token_c,
            token_b=token_b,
            installed="out-of-band",
            registered_with=args.versions_url,
        )
    )
    print(f"token C installed in {store.path} (mode 600); endpoints are discovered "
          "with it when the uplink starts")  # fmt: skip
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    """Forget the stored credentials (the backoffice is not told)."""
    from edge.uplink.ocpi.registration import CredentialsStore

    found = _section(args)
    if found is None:
        return EXIT_CONFIG
    store = CredentialsStore(found[1].credentials_path)
    print("deleted" if store.delete() else f"no credentials at {store.path}")
    return 0


async def _handshake(
    config: SiteConfig, args: argparse.Namespace, register: bool
) -> int:
    from edge.model.clock import SystemClock
    from edge.store.db import Database
    from edge.uplink.ocpi.client import HandshakeError
    from edge.uplink.ocpi.service import OcpiUplink

    section = config.ocpi or OcpiSection()
    db = await Database.open(args.db or config.store.path)
    uplink = OcpiUplink(config, SystemClock(), db)
    try:
        if not register:
            if uplink.creds is None or not uplink.creds.token_c:
                print("not registered", file=sys.stderr)
                return EXIT_RUNTIME
            await uplink.handshake.unregister(uplink.creds)
            print("unregistered")
            return 0
        if not (section.versions_url and section.token_a):
            print("give [ocpi] versions_url and token_a, or --ocpi-versions-url "
                  f"and {OCPI_TOKEN_A.hint()}", file=sys.stderr)  # fmt: skip
            return EXIT_CONFIG
        async with _serving_ours(uplink, section):
            creds = await uplink.handshake.register(
                section.versions_url, section.token_a, uplink.server.versions_url
            )
        print(f"registered with {creds.versions_url} (peer {creds.peer_party}); "
              f"credentials in {uplink.store.path}")  # fmt: skip
        return 0
    except HandshakeError as exc:
        print(exc.reason, file=sys.stderr)
        return EXIT_RUNTIME
    finally:
        await uplink.aclose()
        await db.close()


@contextlib.asynccontextmanager
async def _serving_ours(
    uplink: OcpiUplink, section: OcpiSection
) -> AsyncIterator[None]:
    """Serve our versions endpoints (the backoffice calls them back) for a block."""
    from edge.uplink.ocpi.serve import serving

    app, tls = uplink.server.app, uplink.tls.context if uplink.tls else None
    host, port = section.listen_host, section.listen_port
    async with serving(app, host, port, ssl_context=tls) as bound:
        uplink.server.public_url = (section.public_url or bound.base_url).rstrip("/")
        yield


async def _rotate(config: SiteConfig, args: argparse.Namespace) -> int:
    """PUT fresh credentials (new token B) to the backoffice; keep its new token C.

    Our versions endpoints are served meanwhile: the backoffice calls them back
    with the new token B (OCPI 2.2.1 *Credentials*, update). Run it while
    ``edge run`` is stopped: a running controller keeps the old tokens in memory.
    """
    from edge.model.clock import SystemClock
    from edge.store.db import Database
    from edge.uplink.ocpi.client import HandshakeError
    from edge.uplink.ocpi.service import OcpiUplink

    section = config.ocpi or OcpiSection()
    db = await Database.open(args.db or config.store.path)
    uplink = OcpiUplink(config, SystemClock(), db)
    try:
        creds = uplink.creds
        if creds is None or not creds.token_c:
            print("not registered: nothing to rotate", file=sys.stderr)
            return EXIT_RUNTIME
        async with _serving_ours(uplink, section):
            if creds.endpoint("credentials") is None:
                creds = await uplink.handshake.refresh(creds)
            fresh = await uplink.handshake.update(creds, uplink.server.versions_url)
        print(f"rotated: new tokens B and C with {fresh.versions_url} "
              f"(peer {fresh.peer_party}); saved in {uplink.store.path}")  # fmt: skip
        return 0
    except HandshakeError as exc:
        print(exc.reason, file=sys.stderr)
        return EXIT_RUNTIME
    finally:
        await uplink.aclose()
        await db.close()


def cmd_rotate(args: argparse.Namespace) -> int:
    """Rotate the credentials tokens (OCPI credentials PUT)."""
    found = _section(args)
    return EXIT_CONFIG if found is None else asyncio.run(_rotate(found[0], args))


def cmd_register(args: argparse.Namespace) -> int:
    """Run the credentials handshake now."""
    found = _section(args)
    return (
        EXIT_CONFIG if found is None else asyncio.run(_handshake(found[0], args, True))
    )


def cmd_unregister(args: argparse.Namespace) -> int:
    """DELETE our registration at the backoffice."""
    found = _section(args)
    return (
        EXIT_CONFIG if found is None else asyncio.run(_handshake(found[0], args, False))
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ocpi credentials show|set|delete|rotate``, ``ocpi register|unregister``."""
    ocpi = sub.add_parser("ocpi", help="OCPI uplink credentials and registration")
    ocpi_sub = ocpi.add_subparsers(dest="ocpi_command", required=True)
    creds = ocpi_sub.add_parser("credentials", help="the stored credentials")
    creds_sub = creds.add_subparsers(dest="credentials_command", required=True)
    parsers = {
        "show": (creds_sub.add_parser("show", help="print them, tokens redacted"),
                 cmd_show),
        "set": (creds_sub.add_parser("set", help="install an out-of-band token C"),
                cmd_set),
        "delete": (creds_sub.add_parser("delete", help="forget them"), cmd_delete),
        "rotate": (creds_sub.add_parser(
            "rotate", help="new tokens B and C (credentials PUT)"), cmd_rotate),
        "register": (ocpi_sub.add_parser("register", help="handshake with token A"),
                     cmd_register),
        "unregister": (ocpi_sub.add_parser("unregister", help="DELETE registration"),
                       cmd_unregister),
    }  # fmt: skip
    for name, (p, func) in parsers.items():
        p.add_argument("--config", required=True)
        add_uplink_flags(p)
        if name in ("register", "unregister", "rotate"):
            p.add_argument("--db", help="database path (default: store.path)")
        p.set_defaults(func=func)
    setter = parsers["set"][0]
    setter.add_argument("--versions-url", required=True, help="the backoffice's")
    TOKEN_C.add(setter)
    TOKEN_B.add(setter)
