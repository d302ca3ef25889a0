"""Drain the outbox to the receiver: ordered per object, concurrent across objects.

* **Claim** due rows in batches, leased to this sender (:func:`outbox.claim`);
  the planner rebuilds each payload from the store in the same call, so a row
  that folded a week of changes costs one request.
* **Send** with at most ``concurrency`` requests in flight, never two for one
  object: its row stays leased until the outcome is committed, and a sender
  never claims a row it holds again, even when the lease ran out first (a
  loaded machine, a slow answer). Order inside an
  object is the row's own (PUT before PATCH); across objects the outbox's
  ``after_key`` and module prerequisites order what must be (a session's final
  update before its CDR, the location before its EVSE statuses).
* **Commit** outcomes in batches: ack (the row goes, unless a newer change folded
  in), retry with exponential backoff and jitter honouring ``Retry-After``, or
  dead letter with the receiver's reason. A killed sender commits nothing more;
  its leases expire and another sender sends those rows again, so delivery is
  at least once, and the receiver's idempotence (PUT, PATCH to the same state,
  "already have this CDR") makes it once.
* **Link**: a connection-level failure (timeout, refused, 5xx, malformed answer,
  refused credentials) takes the link down: one probe at a time until one
  succeeds, then every waiting row is due at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from edge.model.clock import Clock
from edge.store import outbox
from edge.store.db import Database, StoreHandle, transaction
from edge.store.timefmt import parse_iso
from edge.uplink.ocpi.client import (
    Link,
    OcpiClient,
    OcpiError,
    Route,
    backoff_s,
    with_retry_after,
)
from edge.uplink.ocpi.push.outcomes import (
    Ack,
    Dead,
    Outcome,
    Release,
    Retry,
    commit,
    release_all,
)
from edge.uplink.ocpi.push.planner import (
    PREREQUISITES,
    Defer,
    Done,
    Fail,
    Planner,
    PushRequest,
    Send,
    Target,
)
from edge.uplink.ocpi.push.verdicts import Action, is_duplicate, verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Peer:
    """Where and how to push: the receiver's URLs, token C, routing headers."""

    target: Target
    token: str
    route: Route
    tokens_url: str | None = None
    """The eMSP's tokens SENDER endpoint (pull, real-time authorize)."""


@dataclass(frozen=True)
class SenderSettings:
    """Tuning; times in site seconds."""

    concurrency: int = 8
    retry_base_s: float = 5.0
    retry_max_s: float = 3600.0
    lease_s: float = 300.0
    idle_poll_s: float = 60.0


@dataclass
class SenderStats:
    """Counters since start."""

    requests: int = 0
    delivered: int = 0
    duplicates: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0


@dataclass
class _Batch:
    outcomes: list[Outcome] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class Sender:
    """The outbox drain; run :meth:`run` as a task, or :meth:`drain` once."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        client: OcpiClient,
        planner: Planner,
        peer: Callable[[], Peer | None],
        settings: SenderSettings | None = None,
        *,
        wake: asyncio.Event | None = None,
        rng: random.Random | None = None,
        owner: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.client = client
        self.planner = planner
        self.peer = peer
        self.settings = settings or SenderSettings()
        self.kick = wake or asyncio.Event()
        self.rng = rng or random.Random()
        self.owner = owner or f"sender-{uuid.uuid4().hex[:12]}"
        self.link = Link(
            self.settings.retry_base_s, self.settings.retry_max_s, self.rng
        )
        self.stats = SenderStats()
        self._buffer: deque[Send] = deque()
        self._active = 0
        self._batch = _Batch()
        self._expedite = False
        self._flush = False

    # ---- the loop --------------------------------------------------------------
    async def run(self) -> None:
        """Deliver until cancelled."""
        await self._loop(drain=False, deadline=None)

    async def drain(self, timeout_s: float | None = None) -> bool:
        """Deliver until nothing deliverable is left (True) or ``timeout_s``."""
        deadline = None if timeout_s is None else self.clock.monotonic() + timeout_s
        return await self._loop(drain=True, deadline=deadline)

    async def _loop(self, *, drain: bool, deadline: float | None) -> bool:
        try:
            async with asyncio.TaskGroup() as tg:
                committer = tg.create_task(self._commit_loop(), name="outbox commits")
                try:
                    return await self._dispatch_loop(tg, drain, deadline)
                finally:
                    committer.cancel()
        finally:
            await asyncio.shield(self._stop())

    async def _dispatch_loop(
        self, tg: asyncio.TaskGroup, drain: bool, deadline: float | None
    ) -> bool:
        # Claims run as a task beside the dispatching, so that requests keep
        # going out while the database thread plans the next batch.
        fill: asyncio.Task[int] | None = None
        starved = False  # the last claim found nothing due
        while True:
            self.kick.clear()
            peer = self.peer()
            if fill is not None and fill.done():
                starved, fill = fill.result() == 0, None
            if self._flush:  # the link went down: give back what was planned
                self._flush = False
                self._release_buffer()
            if peer is not None:
                self._dispatch(tg, peer)
                if fill is None and not starved and self._wants_fill():
                    fill = tg.create_task(self._fill(peer), name="outbox claim")
            idle = fill is None and starved and self._idle()
            if drain and idle and await self._finished():
                return True
            if deadline is not None and self.clock.monotonic() >= deadline:
                if fill is not None:
                    await fill
                return False
            if drain and peer is None:
                return False
            await self._wait(deadline, idle)
            starved = False  # woken (a change, a delivery) or timed out: look again

    def _limit(self) -> int:
        if self.link.up:
            return self.settings.concurrency
        return 1 if self.link.may_probe(self.clock.monotonic()) else 0

    def _idle(self) -> bool:
        return not self._buffer and self._active == 0 and not self._batch.outcomes

    def _room(self) -> int:
        limit = self._limit()
        return (2 * limit if self.link.up else limit) - len(self._buffer)

    def _wants_fill(self) -> bool:
        room = self._room()
        return room > 0 and (not self._buffer or room >= max(1, self._limit() // 2))

    async def _fill(self, peer: Peer) -> int:
        """Claim and plan up to the free room; wake the loop; return rows claimed."""
        room = self._room()
        if room <= 0:
            return 0
        # the lease starts when the database thread claims, not when we asked it
        claimed, plans = await self.db.run(
            lambda db: self._claim(db, room, self.clock.utcnow(), peer)
        )
        self._buffer.extend(plans)
        self.kick.set()
        return claimed

    def _claim(
        self, db: StoreHandle, n: int, now: datetime, peer: Peer
    ) -> tuple[int, list[Send]]:
        plans: list[Send] = []
        with transaction(db) as conn:
            items = outbox.claim(
                conn, self.owner, now, self.settings.lease_s, n, PREREQUISITES
            )
            for item in items:
                match self.planner.plan(db, item, peer.target, now):
                    case Defer(until=until):
                        outbox.defer(conn, item, self.owner, until)
                        self.stats.deferred += 1
                    case Done(why=why):
                        log.info("%s: nothing to send (%s)", item.key, why)
                        outbox.ack(conn, item, self.owner, now)
                    case Fail(why=why):
                        log.error("%s: dead letter: %s", item.key, why)
                        outbox.dead_letter(conn, item, self.owner, why, now)
                        self.stats.dead += 1
                    case Send() as send:
                        plans.append(send)
        return len(items), plans

    def _release_buffer(self) -> None:
        """The link went down: give back claimed plans, rebuilt when it is up."""
        now = self.clock.utcnow()
        while self._buffer:
            plan = self._buffer.popleft()
            self._batch.outcomes.append(Release(plan, now))
        self._batch.ready.set()

    def _dispatch(self, tg: asyncio.TaskGroup, peer: Peer) -> None:
        while self._buffer and self._active < self._limit():
            plan = self._buffer.popleft()
            self._active += 1
            tg.create_task(self._deliver(plan, peer), name=f"push {plan.item.key}")

    async def _wait(self, deadline: float | None, idle: bool) -> None:
        now = self.clock.monotonic()
        timeout = self.settings.idle_poll_s
        if self.link.retry_at is not None:
            timeout = min(timeout, self.link.retry_at - now)
        elif idle:
            due = await self.db.run(lambda db: outbox.next_due(db.conn))
            if due is not None:
                ahead = (parse_iso(due) - self.clock.utcnow()).total_seconds()
                timeout = min(timeout, ahead)
        if deadline is not None:
            timeout = min(timeout, deadline - now)
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a
        # cancellation that races with the event, and the sender never stops.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.clock.to_wall(max(0.0, timeout))):
                await self.kick.wait()

    async def _finished(self) -> bool:
        st = await self.db.run(lambda db: outbox.stats(db.conn, PREREQUISITES))
        return all(m.queued == m.blocked for m in st.modules)

    # ---- one object ----------------------------------------------------------------
    async def _deliver(self, plan: Send, peer: Peer) -> None:
        try:
            outcome = await self._send(plan, peer)
        except Exception as exc:  # a bug must not stop the drain
            log.exception("%s: unexpected error while sending", plan.item.key)
            outcome = self._retry(plan, f"internal error: {exc!r}", link=False)
        finally:
            self._active -= 1
        self._batch.outcomes.append(outcome)
        self._batch.ready.set()
        self.kick.set()

    async def _send(self, plan: Send, peer: Peer) -> Outcome:
        request = plan.request
        while True:
            self.stats.requests += 1
            try:
                await self.client.call(
                    request.method,
                    request.url,
                    token=peer.token,
                    body=request.body,
                    route=peer.route,
                )
            except OcpiError as exc:
                if request.duplicate_ok and is_duplicate(exc):
                    log.info("%s: the receiver already had it", request.what)
                    self.stats.duplicates += 1
                    return self._ack(plan, request)
                v = verdict(exc)
                if v.action is Action.REJECTED and request.fallback is not None:
                    log.info(
                        "%s refused (%s); sending %s instead",
                        request.what,
                        v.reason,
                        request.fallback.method,
                    )
                    request = request.fallback
                    continue
                if v.action is Action.REJECTED:
                    log.error("%s rejected: %s", request.what, v.reason)
                    self.stats.dead += 1
                    return Dead(plan, f"{request.method}: {v.reason}")
                return self._retry(plan, v.reason, link=v.link, after=v.retry_after_s)
            return self._ack(plan, request)

    def _ack(self, plan: Send, request: PushRequest) -> Outcome:
        self.stats.delivered += 1
        if self.link.succeeded():
            log.warning("uplink is back; retrying every waiting object now")
            self._expedite = True
        return Ack(plan, request)

    def _retry(
        self, plan: Send, reason: str, *, link: bool, after: float | None = None
    ) -> Outcome:
        s = self.settings
        delay = with_retry_after(
            backoff_s(plan.item.attempts + 1, s.retry_base_s, s.retry_max_s, self.rng),
            after,
        )
        if link:
            was_up = self.link.up
            delay = max(delay, self.link.failed(self.clock.monotonic(), reason, after))
            if was_up:
                self._flush = True
                log.warning("uplink down: %s; probing again in %.0f s", reason, delay)
        self.stats.retried += 1
        log.info("%s: %s; retry in %.0f s", plan.item.key, reason, delay)
        due = self.clock.utcnow() + timedelta(seconds=delay)
        return Retry(plan, reason, due)

    # ---- commits -------------------------------------------------------------------
    async def _commit_loop(self) -> None:
        while True:
            await self._batch.ready.wait()
            await self._commit_pending()

    async def _commit_pending(self) -> None:
        batch, self._batch = self._batch, _Batch()
        if not batch.outcomes:
            return
        expedite, self._expedite = self._expedite, False
        now = self.clock.utcnow()
        outcomes = batch.outcomes
        await self.db.run(lambda db: commit(db, self.owner, outcomes, now, expedite))
        self.kick.set()

    async def _stop(self) -> None:
        """Commit what was delivered and give back every lease we hold."""
        try:
            await self._commit_pending()
        finally:
            self._buffer.clear()
            await self.db.run(lambda db: release_all(db, self.owner))
