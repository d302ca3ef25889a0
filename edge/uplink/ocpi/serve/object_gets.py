"""Our CPO Sender interfaces: GET locations, sessions, cdrs and tariffs.

Lists are paginated (:mod:`.pagination`); Sessions require ``date_from``, as
OCPI 2.2.1 says. Locations also answer ``{location_id}``,
``{location_id}/{evse_uid}`` and ``{location_id}/{evse_uid}/{connector_id}``;
anything this site does not have is OCPI 2003 (unknown location) with HTTP 404.
The objects come from :mod:`.sender_queries`, built as the push side builds them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request

from edge.model.clock import Clock
from edge.ocpi import ModuleID
from edge.ocpi.party import Party
from edge.store.db import Database
from edge.uplink.ocpi.push import mapping as m
from edge.uplink.ocpi.serve import object_pages as sq
from edge.uplink.ocpi.serve.answer import Answer, unknown_location
from edge.uplink.ocpi.serve.pagination import PageQuery, page_headers, parse_page_query

Handler = Callable[[Request], Awaitable[Answer]]


@dataclass(frozen=True)
class SenderEndpoint:
    """One of our Sender modules: its paths below the module URL and handlers."""

    module: ModuleID
    routes: tuple[tuple[str, Handler], ...]


class SenderApi:
    """The GET handlers of our Sender interfaces."""

    def __init__(
        self,
        db: Database,
        ctx: m.SiteContext,
        clock: Clock,
        peer: Callable[[], Party | None],
        module_url: Callable[[ModuleID], str],
    ) -> None:
        self.db = db
        self.ctx = ctx
        self.clock = clock
        self.peer = peer
        """The registered eMSP (the issuer of tokens the cache does not know)."""
        self.module_url = module_url

    def endpoints(self) -> list[SenderEndpoint]:
        """Every Sender module we serve, with its routes."""
        return [
            SenderEndpoint(
                ModuleID.LOCATIONS,
                (
                    ("", self.locations),
                    ("/{location_id}", self.location),
                    ("/{location_id}/{evse_uid}", self.location),
                    ("/{location_id}/{evse_uid}/{connector_id}", self.location),
                ),
            ),
            SenderEndpoint(ModuleID.SESSIONS, (("", self.sessions),)),
            SenderEndpoint(ModuleID.CDRS, (("", self.cdrs),)),
            SenderEndpoint(ModuleID.TARIFFS, (("", self.tariffs),)),
        ]

    def _answer(
        self, module: ModuleID, request: Request, q: PageQuery, page: sq.Page
    ) -> Answer:
        asked = dict(request.query_params)
        headers = page_headers(self.module_url(module), q, page.total, asked)
        return Answer(data=page.objects, headers=headers)

    async def locations(self, request: Request) -> Answer:
        """GET the location list (this site is one Location)."""
        q = parse_page_query(request.query_params)
        ctx, now = self.ctx, self.clock.utcnow()
        page = await self.db.run(lambda db: sq.locations(db, ctx, q, now))
        return self._answer(ModuleID.LOCATIONS, request, q, page)

    async def location(self, request: Request) -> Answer:
        """GET one Location, EVSE or Connector."""
        p = request.path_params
        location_id = str(p["location_id"])
        if location_id.upper() != self.ctx.location_id.upper():
            raise unknown_location(f"location {location_id}")
        ctx, now = self.ctx, self.clock.utcnow()
        loc = await self.db.run(lambda db: sq.location(db, ctx, now))
        if "evse_uid" not in p:
            return Answer(data=loc.model_dump_ocpi())
        uid = str(p["evse_uid"])
        evse = next((e for e in loc.evses if e.uid.upper() == uid.upper()), None)
        if evse is None:
            raise unknown_location(f"EVSE {uid} at location {location_id}")
        if "connector_id" not in p:
            return Answer(data=evse.model_dump_ocpi())
        cid = str(p["connector_id"])
        conn = next((c for c in evse.connectors if c.id.upper() == cid.upper()), None)
        if conn is None:
            raise unknown_location(f"connector {cid} of EVSE {uid}")
        return Answer(data=conn.model_dump_ocpi())

    async def sessions(self, request: Request) -> Answer:
        """GET the session list (``date_from`` required)."""
        q = parse_page_query(request.query_params, date_from_required=True)
        ctx, peer = self.ctx, self.peer()
        page = await self.db.run(lambda db: sq.sessions(db, ctx, peer, q))
        return self._answer(ModuleID.SESSIONS, request, q, page)

    async def cdrs(self, request: Request) -> Answer:
        """GET the CDR list."""
        q = parse_page_query(request.query_params)
        ctx, peer = self.ctx, self.peer()
        page = await self.db.run(lambda db: sq.cdrs(db, ctx, peer, q))
        return self._answer(ModuleID.CDRS, request, q, page)

    async def tariffs(self, request: Request) -> Answer:
        """GET the tariff list."""
        q = parse_page_query(request.query_params)
        page = sq.tariffs(self.ctx, q)
        return self._answer(ModuleID.TARIFFS, request, q, page)
