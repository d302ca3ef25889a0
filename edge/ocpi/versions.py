"""OCPI 2.2.1 Versions and Credentials module objects."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from edge.ocpi.common import (
    CiString2,
    CiString3,
    CredentialsToken,
    OcpiModel,
    Url,
)
from edge.ocpi.enums import InterfaceRole, ModuleID, Role, VersionNumber
from edge.ocpi.locations import BusinessDetails

CustomModuleID = Annotated[
    str, StringConstraints(max_length=255, pattern=r"^[A-Za-z0-9]+-[A-Za-z0-9_-]+$")
]
"""A bilaterally agreed custom module id; the spec asks for a prefix (``nltnm-x``)."""


class Version(OcpiModel):
    """One supported version and the URL of its details."""

    version: VersionNumber
    url: Url


class Endpoint(OcpiModel):
    """One module endpoint of a version."""

    identifier: ModuleID | CustomModuleID
    role: InterfaceRole
    url: Url


class VersionDetails(OcpiModel):
    """The endpoints of one version."""

    version: VersionNumber
    endpoints: list[Endpoint] = Field(min_length=1)


class CredentialsRole(OcpiModel):
    """One (role, party) a platform acts as."""

    role: Role
    business_details: BusinessDetails
    party_id: CiString3
    country_code: CiString2


class Credentials(OcpiModel):
    """Token the other party uses to call us, our versions URL, our roles."""

    token: CredentialsToken
    url: Url
    roles: list[CredentialsRole] = Field(min_length=1)
