"""Run the simulated backoffice: the app on uvicorn, the fault proxy in front.

``async with SimBackoffice(clock) as bo:`` gives ``bo.versions_url`` and
``bo.token_a`` to hand to the controller, and the controls: ``bo.faults``
(latency, spoiled answers), :meth:`SimBackoffice.outage`, ``bo.link.drop_next``,
``bo.link.blackhole``. The same controls are served as JSON on the app's own
port, which the proxy's outages do not cut: ``GET /admin/summary`` and
``POST /admin/faults``.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from typing import Any

from edge.model.clock import Clock
from hal_sim.backoffice.app import Backoffice
from hal_sim.backoffice.asgi import serving
from hal_sim.backoffice.exchange import Call, HttpRoute, Raw, json_answer
from hal_sim.backoffice.faults import Fault, Faults
from hal_sim.backoffice.netem import FaultyLink
from hal_sim.backoffice.state import BackofficeState

log = logging.getLogger(__name__)


class SimBackoffice:
    """A running simulated eMSP."""

    def __init__(
        self,
        clock: Clock,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        proxy: bool = True,
        tls: ssl.SSLContext | None = None,
        **options: Any,
    ) -> None:
        self.backoffice = Backoffice(clock, **options)
        self.tls = tls
        """Serve HTTPS with this context (the fault proxy passes TLS through)."""
        self.host = host
        self.port = port
        self.link: FaultyLink | None = None
        self.admin_url = ""
        self._proxy = proxy
        self._stack = contextlib.AsyncExitStack()
        self.routes = [
            *self.backoffice.routes,
            HttpRoute("/admin/summary", self._summary),
            HttpRoute("/admin/faults", self._set, ("POST",)),
        ]

    @property
    def state(self) -> BackofficeState:
        """Everything received."""
        return self.backoffice.state

    @property
    def faults(self) -> Faults:
        """Answer-level fault settings (:class:`~hal_sim.backoffice.faults.Faults`)."""
        return self.backoffice.faults

    @property
    def versions_url(self) -> str:
        """Give this to the controller, with :attr:`token_a`."""
        return self.backoffice.versions_url

    @property
    def token_a(self) -> str:
        """CREDENTIALS_TOKEN_A for the handshake."""
        return self.backoffice.state.token_a

    async def __aenter__(self) -> SimBackoffice:
        try:
            bound = await self._stack.enter_async_context(
                serving(
                    self.routes, self.host, 0 if self._proxy else self.port, self.tls
                )
            )
            self.admin_url = f"{bound.base_url}/admin"
            base = bound.base_url
            if self._proxy:
                self.link = FaultyLink((self.host, bound.port), self.host)
                port = await self.link.start(self.port)
                self._stack.push_async_callback(self.link.close)
                base = f"{bound.scheme}://{self.host}:{port}"
            self.backoffice.base_url = base
            self._stack.push_async_callback(self.backoffice.client.aclose)
        except BaseException:
            await self._stack.aclose()
            raise
        log.info("simulated backoffice at %s", self.versions_url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def outage(self, on: bool) -> None:
        """Start (True) or end (False) a connection-refused outage."""
        if self.link is None:
            raise RuntimeError("outages need the proxy (proxy=True)")
        if on:
            await self.link.down()
        else:
            await self.link.up()

    def summary(self) -> dict[str, object]:
        """Counts of what was received, for people and scripts."""
        st = self.state
        statuses: dict[str, int] = {}
        for s in st.sessions.values():
            statuses[str(s["status"])] = statuses.get(str(s["status"]), 0) + 1
        per_session: dict[str, int] = {}
        for w in st.writes:
            if w.module == "sessions":
                per_session[w.key] = per_session.get(w.key, 0) + 1
        return {
            "registered": len(st.registrations),
            "session_writes": _histogram(per_session),
            "session_requests": _histogram(st.reception_counts("sessions")),
            "cdr_posts": _histogram(st.reception_counts("cdrs", "POST")),
            "locations": len(st.locations),
            "sessions": statuses,
            "cdrs": len(st.cdrs),
            "tariffs": len(st.tariffs),
            "requests": len(st.log),
            "rejected": len(st.rejected()),
            "duplicate_cdrs": len(st.duplicates),
            "link_up": self.link.is_up if self.link else True,
        }

    async def _summary(self, call: Call) -> Raw:
        return json_answer(self.summary())

    async def _set(self, call: Call) -> Raw:
        try:
            body = call.json()
            if not isinstance(body, dict):
                raise TypeError("the body is not a JSON object")
            faults = self.backoffice.faults
            if body.get("clear"):
                faults.clear()
            for name in ("latency_s", "error_rate", "retry_after_s", "hang_s"):
                if name in body:
                    setattr(faults, name, body[name])
            if "inject" in body:
                spec = body["inject"]
                faults.inject(
                    Fault(spec["fault"]),
                    int(spec.get("count", 1)),
                    spec.get("module"),
                    after=bool(spec.get("after", False)),
                )
            if "outage" in body:
                await self.outage(bool(body["outage"]))
            if self.link is not None:
                self.link.drop_next(int(body.get("drop_next", 0)))
                self.link.blackhole = bool(body.get("blackhole", self.link.blackhole))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return json_answer({"error": str(exc)}, 400)
        return json_answer(self.summary())


def _histogram(per_object: dict[str, int]) -> dict[int, int]:
    """How many objects got 1, 2, ... requests (``{1: 40}``: forty, once each)."""
    histogram: dict[int, int] = {}
    for count in per_object.values():
        histogram[count] = histogram.get(count, 0) + 1
    return dict(sorted(histogram.items()))
