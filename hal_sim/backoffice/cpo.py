"""The simulated eMSP calling a registered CPO: pull, push tokens, send commands.

What a backoffice does with the CPO's own interfaces after a reconnect:

* :meth:`CpoPeer.fetch_all` pulls a Sender list (locations, sessions, cdrs,
  tariffs), following ``Link: rel="next"``; it insists on ``X-Total-Count`` and
  ``X-Limit``, pages no longer than asked or capped, and validates every object
  with the strict OCPI 2.2.1 models (:class:`PullError` names what is wrong).
* :meth:`CpoPeer.put_token` / :meth:`CpoPeer.patch_token` push tokens to the
  CPO's Tokens receiver; :meth:`CpoPeer.get_token` reads one back.
* :meth:`CpoPeer.command` POSTs a command with a ``response_url`` on this
  backoffice; the CommandResult arrives there, is validated strictly (the
  pipeline's checks apply: token C, request ids, routing headers) and is kept in
  ``state.command_results`` under the command's id.

The CPO's endpoints come from its version details, read with its token B.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel, TypeAdapter, ValidationError

from edge.ocpi import (
    CDR,
    CommandResponse,
    CommandType,
    Location,
    Session,
    Tariff,
    Token,
    TokenType,
    describe_validation_error,
)
from edge.ocpi.common import JsonObject
from hal_sim.backoffice.client import Party, Reply, Route
from hal_sim.backoffice.state import Registration
from hal_sim.backoffice.versions import discover

if TYPE_CHECKING:
    from hal_sim.backoffice.app import Backoffice

SENDER_MODELS: dict[str, type[BaseModel]] = {
    "locations": Location,
    "sessions": Session,
    "cdrs": CDR,
    "tariffs": Tariff,
}
_RESPONSE = TypeAdapter(CommandResponse)


class PullError(Exception):
    """The CPO's Sender interface answered something a strict eMSP refuses."""


@dataclass
class Pull:
    """Everything one crawl of a Sender list returned."""

    objects: list[JsonObject] = field(default_factory=list)
    pages: int = 0
    totals: list[int] = field(default_factory=list)
    """``X-Total-Count`` of each page."""
    limit: int | None = None
    """The CPO's ``X-Limit``."""
    urls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SentCommand:
    """A command sent: our id for it (its result's key) and the CPO's answer."""

    command_id: str
    response: CommandResponse


class CpoPeer:
    """The backoffice's calls to one registered CPO."""

    def __init__(self, backoffice: Backoffice, reg: Registration | None = None) -> None:
        self.bo = backoffice
        regs = list(backoffice.state.registrations.values())
        if reg is None and len(regs) != 1:
            raise PullError(f"{len(regs)} CPOs registered: say which one")
        self.reg = reg or regs[0]
        self._urls: dict[tuple[str, str], str] | None = None

    @property
    def route(self) -> Route:
        """From us to the CPO's first role."""
        cpo = self.reg.roles[0]
        return Route(
            Party(self.bo.country_code, self.bo.party_id),
            Party(cpo.country_code, cpo.party_id),
        )

    async def published(self) -> set[tuple[str, str]]:
        """(module, role) of every endpoint in the CPO's version details."""
        await self.url("credentials", "SENDER")
        return set(self._urls or {})

    async def url(self, module: str, role: str) -> str:
        """The CPO's endpoint for ``module`` in ``role`` (from its version details)."""
        if self._urls is None:
            endpoints = await discover(
                self.bo.client, self.reg.versions_url, self.reg.token_b
            )
            self._urls = {(e.module, e.role): e.url for e in endpoints}
        found = self._urls.get((module, role))
        if found is None:
            raise PullError(f"the CPO publishes no {module} {role} endpoint")
        return found

    async def _call(
        self,
        method: str,
        url: str,
        body: object = None,
        params: dict[str, str] | None = None,
    ) -> Reply:
        return await self.bo.client.call(
            method, url, token=self.reg.token_b, body=body, params=params,
            route=self.route,
        )  # fmt: skip

    # ---- Sender interfaces -------------------------------------------------------
    async def fetch_all(
        self, module: str, limit: int | None = None, **filters: str
    ) -> Pull:
        """Every object of a Sender list, page by page; each validated."""
        model = SENDER_MODELS[module]
        params = dict(filters)
        if limit is not None:
            params["limit"] = str(limit)
        url: str | None = await self.url(module, "SENDER")
        pull = Pull()
        first = True
        while url is not None:
            reply = await self._call("GET", url, params=params if first else None)
            first = False
            pull.urls.append(url)
            self._check_page(reply, module, limit, pull)
            assert isinstance(reply.data, list)  # noqa: S101 - checked above
            for n, item in enumerate(reply.data):
                try:
                    model.model_validate(item)
                except ValidationError as exc:
                    where = f"{module}[{len(pull.objects) + n}]"
                    detail = describe_validation_error(exc, root=where)
                    raise PullError(f"invalid object: {detail}") from exc
            pull.objects.extend(reply.data)
            pull.pages += 1
            url = reply.next_url
        return pull

    @staticmethod
    def _check_page(reply: Reply, module: str, limit: int | None, pull: Pull) -> None:
        if not isinstance(reply.data, list):
            raise PullError(f"GET {module}: data is not a list")
        if reply.total_count is None or reply.limit is None:
            raise PullError(f"GET {module}: X-Total-Count or X-Limit missing")
        cap = min(reply.limit, limit) if limit is not None else reply.limit
        if len(reply.data) > cap:
            raise PullError(
                f"GET {module}: {len(reply.data)} objects in a page capped at {cap}"
            )
        if reply.next_url is None and len(pull.objects) + len(reply.data) < (
            reply.total_count
        ):
            raise PullError(
                f"GET {module}: no Link to the next page, but only "
                f"{len(pull.objects) + len(reply.data)} of {reply.total_count} seen"
            )
        pull.totals.append(reply.total_count)
        pull.limit = reply.limit

    async def get(self, module: str, *path: str) -> Reply:
        """GET one object below a Sender module's URL (e.g. a location's EVSE)."""
        base = await self.url(module, "SENDER")
        return await self._call("GET", "/".join([base.rstrip("/"), *path]))

    # ---- Tokens receiver ---------------------------------------------------------
    async def _token_url(self, cc: str, pid: str, uid: str) -> str:
        base = await self.url("tokens", "RECEIVER")
        return f"{base.rstrip('/')}/{cc}/{pid}/{uid}"

    async def put_token(self, token: Token) -> Reply:
        """PUT a whole token to the CPO."""
        url = await self._token_url(token.country_code, token.party_id, token.uid)
        return await self._call(
            "PUT", url, token.model_dump_ocpi(), {"type": token.type.value}
        )

    async def patch_token(
        self,
        cc: str,
        pid: str,
        uid: str,
        changes: JsonObject,
        token_type: TokenType = TokenType.RFID,
    ) -> Reply:
        """PATCH some fields of a token at the CPO."""
        url = await self._token_url(cc, pid, uid)
        return await self._call("PATCH", url, changes, {"type": token_type.value})

    async def get_token(
        self, cc: str, pid: str, uid: str, token_type: TokenType = TokenType.RFID
    ) -> Token:
        """The token as the CPO holds it (validated)."""
        url = await self._token_url(cc, pid, uid)
        reply = await self._call("GET", url, params={"type": token_type.value})
        return Token.model_validate(reply.data)

    # ---- Commands receiver -------------------------------------------------------
    async def command(
        self, kind: CommandType, body: JsonObject, base: str | None = None
    ) -> SentCommand:
        """POST a command; its ``response_url`` is on this backoffice.

        ``base``: the commands URL when the CPO does not publish one.
        """
        command_id = uuid.uuid4().hex
        base = base or await self.url("commands", "RECEIVER")
        url = f"{base.rstrip('/')}/{kind.value}"
        body = {**body, "response_url": self.bo.result_url(kind, command_id)}
        reply = await self._call("POST", url, body)
        response = reply.data_as(_RESPONSE, "command_response")
        return SentCommand(command_id, response)
