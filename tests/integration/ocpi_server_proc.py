"""The controller's uplink and the simulated eMSP in a process of their own.

``python -m tests.integration.ocpi_server_proc DIR``: starts the rig of
:mod:`tests.integration.ocpi_rig` in DIR, prints one JSON line (our server's
port, the registered token B, the routes it serves) and serves until its stdin
closes. It logs to stderr at INFO, as ``edge run -v`` would. Tests that must
watch the server from outside (is it alive, its RSS, its log) use it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import urllib.parse
from pathlib import Path

from starlette.routing import Route  # noqa: TID251

from tests.integration.ocpi_rig import rig


async def main(where: Path) -> None:
    section = {"header_timeout_s": 2.0, "body_timeout_s": 2.0}
    async with rig(where, section=section) as r:
        assert r.uplink is not None
        server = r.uplink.server
        routes = [
            (x.path, sorted(x.methods or ()))
            for x in server.app.router.routes
            if isinstance(x, Route)
        ]
        ready = {
            "port": urllib.parse.urlsplit(server.public_url).port,
            "token_b": r.uplink.tokens.current,
            "routes": routes,
        }
        sys.stdout.write(json.dumps(ready) + "\n")
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until stdin closes
        assert r.task is not None
        if r.task.done():
            sys.exit("the uplink stopped")


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(main(Path(sys.argv[1])))
