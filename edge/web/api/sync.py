"""``GET /api/v1/sync``: the OCPI uplink's backlog, dead letters, last success.

What ``edge sync status`` shows (the outbox by module, the oldest object, the
last error, every dead letter with the receiver's reason), plus whether the
uplink is registered and when the backoffice last accepted an object. Error
texts are redacted as log lines are.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from edge.model.redact import redact_text
from edge.store.ocpi_state import last_sent
from edge.store.outbox import stats
from edge.uplink.ocpi.push import PREREQUISITES
from edge.web.api.models import (
    DeadLetterDoc,
    LastErrorDoc,
    ModuleBacklogDoc,
    SyncDoc,
)
from edge.web.context import WebContext, context_of

router = APIRouter(tags=["sync"])


@router.get("/sync", response_model=SyncDoc, operation_id="getSyncStatus")
async def get_sync(context: Annotated[WebContext, Depends(context_of)]) -> SyncDoc:
    """The uplink's backlog, dead letters and last success."""
    st, last = await context.db.run(
        lambda d: (stats(d.conn, PREREQUISITES), last_sent(d.conn))
    )
    info = None if context.uplink is None else context.uplink()
    error = st.last_error
    return SyncDoc(
        enabled=info is not None,
        registered=info is not None and info.registered,
        peer=None if info is None else info.peer,
        queued=st.live,
        backlog=[
            ModuleBacklogDoc(
                module=m.module,
                queued=m.queued,
                blocked=m.blocked,
                dead=m.dead,
                oldest=m.oldest,
            )
            for m in st.modules
        ],
        oldest_key=st.oldest_key,
        oldest_created=st.oldest_created,
        last_error=None
        if error is None
        else LastErrorDoc(key=error[0], error=redact_text(error[1]), at=error[2]),
        dead_letters=[
            DeadLetterDoc(
                key=d.key,
                attempts=d.attempts,
                reason=None if d.last_error is None else redact_text(d.last_error),
            )
            for d in st.dead_letters
        ],
        last_success=last,
    )
