"""OCPI 2.2.1 Commands module objects (we are the Receiver)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from edge.ocpi.common import (
    CiString36,
    DateTime,
    DisplayText,
    Int,
    OcpiModel,
    Url,
)
from edge.ocpi.enums import CommandResponseType, CommandResultType
from edge.ocpi.tokens import Token


class StartSession(OcpiModel):
    """START_SESSION: start charging for ``token`` (``evse_uid`` if connector given)."""

    response_url: Url
    token: Token
    location_id: CiString36
    evse_uid: CiString36 | None = None
    connector_id: CiString36 | None = None
    authorization_reference: CiString36 | None = None

    @model_validator(mode="after")
    def _connector_needs_evse(self) -> Self:
        if self.connector_id is not None and self.evse_uid is None:
            msg = "evse_uid is required when connector_id is set"
            raise ValueError(msg)
        return self


class StopSession(OcpiModel):
    """STOP_SESSION: stop the given session."""

    response_url: Url
    session_id: CiString36


class UnlockConnector(OcpiModel):
    """UNLOCK_CONNECTOR: release the cable lock of one connector."""

    response_url: Url
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36


class ReserveNow(OcpiModel):
    """RESERVE_NOW: reserve an EVSE (or any at the location) until ``expiry_date``."""

    response_url: Url
    token: Token
    expiry_date: DateTime
    reservation_id: CiString36
    location_id: CiString36
    evse_uid: CiString36 | None = None
    authorization_reference: CiString36 | None = None


class CancelReservation(OcpiModel):
    """CANCEL_RESERVATION: cancel an existing reservation."""

    response_url: Url
    reservation_id: CiString36


class CommandResponse(OcpiModel):
    """Our synchronous answer: whether we forward it; ``timeout`` in seconds."""

    result: CommandResponseType
    timeout: Int
    message: list[DisplayText] = Field(default_factory=list)


class CommandResult(OcpiModel):
    """The charger's outcome, POSTed to the command's ``response_url``."""

    result: CommandResultType
    message: list[DisplayText] = Field(default_factory=list)
