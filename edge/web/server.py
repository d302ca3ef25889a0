"""The controller's HTTP server: one ASGI app on the ``[web]`` address.

:class:`WebServer` serves :func:`build_app` on the bounded uvicorn server the
OCPI endpoints use (:func:`edge.uplink.ocpi.serve.serving`: read deadlines, a
connection cap), over HTTPS when ``[web]`` names a certificate (required off
loopback, :mod:`edge.config.web`); :meth:`WebServer.reload_tls` reads a renewed
certificate on SIGHUP without dropping the server. The site runs
:meth:`WebServer.run` as one of its tasks (:class:`edge.app.Site`); the site is
READY only once the server listens.

**Mounting point.** :data:`INCLUDES` lists, explicitly, the modules whose
routes the app serves: each is a function ``include(app: FastAPI) -> None``
that adds its routes (``app.include_router(...)``, ``app.mount(...)``). The
local API is :func:`edge.web.api.include` (``/api/v1``); the commissioning page
adds ``edge.web.page.include`` here. A route reaches the site through the
request (:func:`edge.web.context.context_of`); errors are answered as
:class:`~edge.web.errors.ApiError` everywhere.

The OpenAPI document of the app (:func:`openapi_document`) is served at
``/api/v1/openapi.json`` (without a token: it is documentation) and committed as
``edge/web/openapi.json``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from edge.config.server_tls import ServerTls, TlsFileError
from edge.config.web import WebSection
from edge.uplink.ocpi.serve import Bound, Limits, serving
from edge.web import api, errors, page
from edge.web.context import WebContext
from edge.web.token import ApiToken, WebConfigError

log = logging.getLogger(__name__)

Include = Callable[[FastAPI], None]
"""Adds one module's routes to the app."""
INCLUDES: tuple[Include, ...] = (api.include, page.include)
"""The modules the app serves, in order: the API, the commissioning page."""
API_VERSION = "1"
"""The OpenAPI ``info.version``: the API's, not the package's."""


def build_app(context: WebContext | None, token: ApiToken) -> FastAPI:
    """The ASGI app: every included module, errors as ApiError.

    ``context`` None: an app without a site (to print its OpenAPI document).
    """
    app = FastAPI(
        title="Edge site controller: local API",
        version=API_VERSION,
        description=(
            "The site controller's local HTTP API. Every /api/v1 path needs "
            "`Authorization: Bearer <token>`, the token in the site's [web] "
            "token_file. Errors are ApiError documents; `field` names what was "
            "wrong where."
        ),
        openapi_url=f"{api.PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: the site has none
        redoc_url=None,
    )
    errors.install(app)
    app.state.web = context
    app.state.api_token = token
    for include in INCLUDES:
        include(app)
    return app


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document, as generated from its routes."""
    return build_app(None, ApiToken(None)).openapi()


def openapi_text() -> str:
    """:func:`openapi_document` as the committed file holds it."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


class WebServer:
    """The app on its address; run :meth:`run` as a task."""

    def __init__(self, section: WebSection, context: WebContext) -> None:
        """Read the token and certificate files (:class:`WebConfigError` if not)."""
        self.section = section
        self.token = ApiToken.from_file(section.token_file)
        if not self.token.configured:
            log.warning("[web] has no token_file: the API answers every request 401")
        self.tls: ServerTls | None = None
        cert, key = section.tls_cert_file, section.tls_key_file
        if cert is not None and key is not None:
            try:
                self.tls = ServerTls("web", cert, key)
            except TlsFileError as exc:
                raise WebConfigError(str(exc)) from None
        self.app = build_app(context, self.token)
        self.bound: Bound | None = None
        """Where it listens, once :attr:`listening` is set."""
        self.listening = asyncio.Event()

    async def run(self) -> None:
        """Serve until cancelled."""
        s = self.section
        limits = Limits(max_connections=s.max_connections)
        async with serving(
            self.app,
            s.listen_host,
            s.listen_port,
            ssl_context=None if self.tls is None else self.tls.context,
            limits=limits,
            refusal=errors.error_bytes,
        ) as bound:
            self.bound = bound
            self.listening.set()
            log.info("web server on %s (API at %s)", bound.base_url, api.PREFIX)
            await asyncio.get_running_loop().create_future()

    def reload_tls(self) -> None:
        """SIGHUP: a renewed certificate for new connections; on error keep the old."""
        if self.tls is None:
            log.info("SIGHUP: no [web] tls_cert_file configured, nothing to reload")
            return
        try:
            self.tls.reload()
        except TlsFileError as exc:
            log.error("SIGHUP: %s; the web server keeps its certificate", exc)
