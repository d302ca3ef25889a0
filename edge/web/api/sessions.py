"""``GET /api/v1/sessions``: stored sessions, filtered, a page at a time, or CSV.

Filters: ``evse``, ``token`` (the full uid, any letter case), ``status``, and a
window on the start, ``from`` (inclusive) and ``to`` (exclusive), ISO 8601 (UTC
unless an offset is given; ``to`` at or before ``from`` is an empty window).
Pages: ``limit`` from ``offset``, oldest start first, with the total that
matches. CSV (the columns of ``edge sessions --csv``) with
``?format=csv`` or ``Accept: text/csv``; its total is in ``X-Total-Count``.
Token uids are shown redacted (``****00C3``), as in the logs.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator

from edge.model.redact import redact_uid
from edge.model.session import SessionStatus
from edge.store import sessions as repo
from edge.store.export import session_rows, write_csv
from edge.web.api.models import SessionDoc, SessionPage
from edge.web.context import WebContext, context_of
from edge.web.errors import ApiProblem

router = APIRouter(tags=["sessions"])
CSV = "text/csv"
MAX_LIMIT = 10_000
MAX_OFFSET = 1_000_000_000

_CSV_ANSWER: dict[int | str, dict[str, object]] = {
    200: {
        "description": "A page of sessions (JSON), or all of the page as CSV",
        "content": {CSV: {"schema": {"type": "string"}}},
        "headers": {
            "X-Total-Count": {
                "description": "How many sessions match the filters in all",
                "schema": {"type": "integer"},
            }
        },
    }
}


def _iso(value: object) -> object:
    """An ISO 8601 text as a datetime (pydantic alone also takes Unix numbers)."""
    if not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 date-time (e.g. 2026-03-02T08:00:00Z)"
        ) from None


IsoMoment = Annotated[datetime, BeforeValidator(_iso)]


def _utc(moment: datetime | None, field: str) -> datetime | None:
    if moment is None:
        return None
    try:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except OverflowError:
        raise ApiProblem(422, f"{field}: out of range", field) from None


def _wants_csv(request: Request, format_: str | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    accept = request.headers.get("accept", "")
    return CSV in accept and "application/json" not in accept


@router.get(
    "/sessions",
    response_model=SessionPage,
    operation_id="listSessions",
    responses=_CSV_ANSWER,
)
async def list_sessions(
    request: Request,
    response: Response,
    context: Annotated[WebContext, Depends(context_of)],
    evse: Annotated[
        str | None, Query(max_length=36, description="Only this EVSE uid")
    ] = None,
    token: Annotated[
        str | None,
        Query(max_length=36, description="Only sessions this token uid started"),
    ] = None,
    status: Annotated[SessionStatus | None, Query()] = None,
    from_: Annotated[
        IsoMoment | None,
        Query(alias="from", description="Started at or after (ISO 8601)"),
    ] = None,
    to: Annotated[
        IsoMoment | None,
        Query(description="Started before (ISO 8601); at or before from: none"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    format_: Annotated[
        Literal["json", "csv"] | None,
        Query(alias="format", description="csv: the page as CSV (or Accept: text/csv)"),
    ] = None,
) -> SessionPage | Response:
    """Stored sessions, oldest start first, filtered and paged (JSON or CSV)."""
    since = _utc(from_, "query.from")
    until = _utc(to, "query.to")
    flt = repo.SessionFilter(
        evse_uid=evse,
        token_uid=token,
        status=status,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    found, total = await context.db.run(
        lambda d: (repo.list_sessions(d, flt), repo.count_sessions(d, flt))
    )
    rows = session_rows(found)
    for row in rows:
        uid = row["token_uid"]
        row["token_uid"] = None if uid is None else redact_uid(str(uid))
    if _wants_csv(request, format_):
        out = io.StringIO()
        write_csv(rows, out)
        return Response(
            out.getvalue(),
            media_type=f"{CSV}; charset=utf-8",
            headers={
                "X-Total-Count": str(total),
                "Content-Disposition": 'attachment; filename="sessions.csv"',
            },
        )
    response.headers["X-Total-Count"] = str(total)
    return SessionPage(
        total=total,
        offset=offset,
        limit=limit,
        sessions=[SessionDoc.model_validate(row) for row in rows],
    )
