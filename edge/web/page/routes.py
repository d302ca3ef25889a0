"""The page's routes: assets, login, the API behind the cookie, contactor tests."""

from __future__ import annotations

import logging
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict

from edge.web.api import evses, sessions, site, sync, tokens
from edge.web.context import WebContext, context_of
from edge.web.errors import ApiProblem
from edge.web.login import COOKIE, CSRF_HEADER, Login, LoginError, PageSession
from edge.web.page.scan import ScanBody, Scanner
from edge.web.page.site_info import SITE_CHECK, load_doc, site_check

log = logging.getLogger(__name__)

PAGE = "/page"
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    # Everything from this server, no inline script: a stored string that
    # reaches the page cannot run.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SetupBody(_Body):
    """First boot: the setup code and the new password."""

    code: str
    password: str


class LoginBody(_Body):
    """The page's password."""

    password: str


class TestBody(_Body):
    """A contactor test must be confirmed."""

    confirm: bool


def _asset(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


def login_of(request: Request) -> Login:
    """The app's :class:`Login` (503 for an app without a site)."""
    login = getattr(request.app.state, "page_login", None)
    if not isinstance(login, Login):
        raise ApiProblem(503, "this server runs without a site behind it")
    return login


LoginDep = Annotated[Login, Depends(login_of)]


def require_session(request: Request, login: LoginDep) -> PageSession:
    """A logged-in browser; a POST also needs its CSRF header."""
    found = login.session(request.cookies.get(COOKIE))
    if found is None:
        raise ApiProblem(401, "log in to the commissioning page", f"cookie.{COOKIE}")
    if request.method not in ("GET", "HEAD"):
        sent = request.headers.get(CSRF_HEADER, "")
        if sent != found.csrf:
            raise ApiProblem(
                403, "missing or wrong CSRF token", f"header.{CSRF_HEADER}"
            )
    return found


SessionDep = Annotated[PageSession, Depends(require_session)]
Context = Annotated[WebContext, Depends(context_of)]


def _json_only(request: Request) -> None:
    if request.headers.get("content-type", "").split(";")[0] != "application/json":
        raise ApiProblem(415, "send JSON (Content-Type: application/json)", "body")


def _logged_in(login: Login, sid: str) -> Response:
    found = login.session(sid)
    response = JSONResponse(
        {"state": "in", "csrf": None if found is None else found.csrf}
    )
    response.headers.append("set-cookie", login.cookie_header(sid))
    return response


auth = APIRouter(prefix=f"{PAGE}/api", include_in_schema=False)


@auth.get("/auth")
def auth_state(request: Request, login: LoginDep) -> dict[str, str | None]:
    """``setup`` (no password yet), ``login``, or ``in`` with the CSRF token."""
    found = login.session(request.cookies.get(COOKIE))
    if found is not None:
        return {"state": "in", "csrf": found.csrf}
    return {"state": "login" if login.has_password else "setup", "csrf": None}


@auth.post("/setup", dependencies=[Depends(_json_only)])
def setup(body: SetupBody, login: LoginDep) -> Response:
    """Set the first password with the setup code; logged in."""
    try:
        sid = login.set_first_password(body.code, body.password)
    except LoginError as exc:
        raise ApiProblem(403, str(exc), "body") from None
    return _logged_in(login, sid)


@auth.post("/login", dependencies=[Depends(_json_only)])
def login_route(body: LoginBody, login: LoginDep) -> Response:
    """Log in with the password."""
    try:
        sid = login.login(body.password)
    except LoginError as exc:
        raise ApiProblem(403, str(exc), "body.password") from None
    return _logged_in(login, sid)


@auth.post("/logout")
def logout(request: Request, login: LoginDep, _s: SessionDep) -> Response:
    """End this browser's session."""
    login.logout(request.cookies.get(COOKIE))
    response = JSONResponse({"state": "login"})
    response.headers.append("set-cookie", login.clearing_cookie_header())
    return response


page_api = APIRouter(
    prefix=f"{PAGE}/api",
    include_in_schema=False,
    dependencies=[Depends(require_session)],
)


@page_api.get("/contactors")
def contactors(context: Context) -> list[dict[str, object]]:
    """Each EVSE's contactor test: possible at all, and why not now."""
    out: list[dict[str, object]] = []
    for uid in context.evses:
        tester = context.contactor_tests.get(uid)
        out.append(
            {
                "evse_uid": uid,
                "available": tester is not None and tester.available,
                "refusal": None if tester is None else tester.refusal(),
            }
        )
    return out


@page_api.post("/contactors/{uid}/test")
async def contactor_test(
    uid: str, body: TestBody, request: Request, context: Context
) -> dict[str, object]:
    """Pulse one EVSE's contactor, confirmed, logged with the client's address."""
    tester = context.contactor_tests.get(uid)
    if tester is None:
        raise ApiProblem(404, f"EVSE {uid!r} has no contactor to test", "path.uid")
    if not body.confirm:
        raise ApiProblem(422, "confirm the test (confirm: true)", "body.confirm")
    who = f"page login from {request.client.host if request.client else '?'}"
    result = await tester.run(who)
    if not result.done:
        raise ApiProblem(409, result.message, "path.uid")
    return {"evse_uid": uid, "done": True, "message": result.message}


def _scanner(request: Request) -> Scanner:
    scanner = getattr(request.app.state, "page_scanner", None)
    if not isinstance(scanner, Scanner):
        raise ApiProblem(503, "this server runs without a site behind it")
    return scanner


ScannerDep = Annotated[Scanner, Depends(_scanner)]


@page_api.get("/scan")
def scan_progress(scanner: ScannerDep) -> dict[str, object]:
    """The running or last scan: progress, devices found, snippet."""
    return scanner.state.doc()


@page_api.post("/scan")
async def scan(body: ScanBody, request: Request, scanner: ScannerDep) -> object:
    """Scan a bus (not one the site polls); answers when done."""
    who = f"page login from {request.client.host if request.client else '?'}"
    return (await scanner.run(body, who)).doc()


@page_api.get("/config")
def config_check(request: Request, context: Context) -> dict[str, object]:
    """The site file the controller runs, and the boot-time check's report."""
    path = getattr(request.app.state, "page_site_check", SITE_CHECK)
    return {
        "running": {
            "evses": len(context.config.evse),
            "buses": [b.id for b in context.config.bus],
            "note": "the controller checked its site file at start "
            "(it does not start with errors)",
        },
        "boot_check": site_check(path),
    }


@page_api.get("/load")
def load(context: Context) -> dict[str, object]:
    """Load per circuit, where the site has load management."""
    return load_doc(context.load, context.clock.monotonic())


def _page_asset_routes(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse(f"{PAGE}/", status_code=303)

    @app.get(f"{PAGE}/", include_in_schema=False)
    def index() -> Response:
        return Response(
            _asset("index.html"),
            media_type="text/html; charset=utf-8",
            headers=SECURITY_HEADERS,
        )

    @app.get(f"{PAGE}/static/{{name}}", include_in_schema=False)
    def asset(name: str) -> Response:
        media = ASSETS.get(name)
        if media is None:
            raise ApiProblem(404, f"no asset {name!r}", "path.name")
        return Response(_asset(name), media_type=media, headers=SECURITY_HEADERS)


def include(app: FastAPI) -> None:
    """Mount the page on ``app`` (a site's app: its login, setup code written)."""
    context = getattr(app.state, "web", None)
    if isinstance(context, WebContext) and context.db.path is not None:
        web = context.config.web
        login = Login(
            context.db.path.parent, context.clock, web is not None and web.tls
        )
        login.ensure_setup_code()
        app.state.page_login = login
        app.state.page_scanner = Scanner(context.config)
    _page_asset_routes(app)
    app.include_router(auth, include_in_schema=False)
    app.include_router(page_api, include_in_schema=False)
    mirrored = APIRouter(
        prefix=f"{PAGE}/api/v1",
        include_in_schema=False,
        dependencies=[Depends(require_session)],
    )
    for module in (site, evses, sessions, tokens, sync):
        mirrored.include_router(module.router)
    app.include_router(mirrored, include_in_schema=False)
