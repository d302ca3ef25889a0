"""The API's gate: ``Authorization: Bearer <token>`` or 401.

Every route under ``/api/v1`` depends on :func:`require_token`. The token is
the one in ``[web] token_file`` (:class:`edge.web.token.ApiToken`); a missing,
malformed or wrong header, or a site without a token file, is answered 401
with an :class:`~edge.web.errors.ApiError` naming ``header.Authorization`` and
a ``WWW-Authenticate: Bearer`` header. The token is never logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from edge.web.errors import ApiProblem
from edge.web.token import ApiToken

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="The token in the site's [web] token_file.",
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="edge"'}
FIELD = "header.Authorization"


def _refuse(message: str) -> ApiProblem:
    return ApiProblem(401, message, FIELD, _CHALLENGE)


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request in only with the API's token."""
    token = getattr(request.app.state, "api_token", None)
    if not isinstance(token, ApiToken) or not token.configured:
        raise _refuse(
            "this site has no API token: give [web] token_file (a file holding "
            "the token, mode 0600) and restart"
        )
    if credentials is None:
        raise _refuse("give the API token as `Authorization: Bearer <token>`")
    if not token.matches(credentials.credentials):
        raise _refuse("the API token is wrong")
