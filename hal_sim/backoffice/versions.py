"""OCPI *Versions* both ways: what the simulated eMSP offers, and a CPO's discovery.

We offer 2.2.1 only, with a credentials Sender, the locations, sessions, cdrs and
tariffs Receivers and a tokens Sender. :func:`discover` reads a CPO's versions
with its token, picks 2.2.1 and returns the endpoints of its version details.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import TypeAdapter

from edge.ocpi import (
    Endpoint,
    InterfaceRole,
    ModuleID,
    Version,
    VersionDetails,
    VersionNumber,
)
from hal_sim.backoffice.client import PeerClient, PeerError
from hal_sim.backoffice.receivers import Answer

VERSION = "2.2.1"
RECEIVERS = (ModuleID.LOCATIONS, ModuleID.SESSIONS, ModuleID.CDRS, ModuleID.TARIFFS)
_VERSIONS = TypeAdapter(list[Version])
_DETAILS = TypeAdapter(VersionDetails)


class NoCommonVersion(PeerError):
    """The CPO does not offer OCPI 2.2.1."""


@dataclass(frozen=True)
class CpoEndpoint:
    """One endpoint of a CPO's version details."""

    module: str
    role: str
    url: str


def versions(version_url: str) -> Answer:
    """Our versions list: 2.2.1 at ``version_url``."""
    offered = Version(version=VersionNumber(VERSION), url=version_url)
    return Answer(data=[offered.model_dump_ocpi()])


def details(module_url: str) -> Answer:
    """Our 2.2.1 version details; ``module_url`` is the base of every module."""
    endpoints = [
        Endpoint(
            identifier=ModuleID.CREDENTIALS,
            role=InterfaceRole.SENDER,
            url=f"{module_url}/credentials",
        )
    ]
    endpoints += [
        Endpoint(
            identifier=m, role=InterfaceRole.RECEIVER, url=f"{module_url}/{m.value}"
        )
        for m in RECEIVERS
    ]
    endpoints.append(
        Endpoint(
            identifier=ModuleID.TOKENS,
            role=InterfaceRole.SENDER,
            url=f"{module_url}/tokens",
        )
    )
    data = VersionDetails(version=VersionNumber(VERSION), endpoints=endpoints)
    return Answer(data=data.model_dump_ocpi())


async def discover(
    client: PeerClient, versions_url: str, token: str
) -> list[CpoEndpoint]:
    """A CPO's 2.2.1 endpoints (PeerError if they cannot be read)."""
    listed = (await client.call("GET", versions_url, token=token)).data_as(
        _VERSIONS, "versions"
    )
    chosen = next((v for v in listed if v.version.value == VERSION), None)
    if chosen is None:
        offered = ", ".join(v.version.value for v in listed) or "none"
        raise NoCommonVersion(
            f"{versions_url} offers OCPI versions {offered}, not {VERSION}"
        )
    found = (await client.call("GET", chosen.url, token=token)).data_as(
        _DETAILS, "version_details"
    )
    return [
        CpoEndpoint(str(e.identifier), e.role.value, e.url) for e in found.endpoints
    ]
