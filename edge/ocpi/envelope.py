"""The OCPI response envelope around every response body."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import Field

from edge.ocpi.common import DateTime, Int, OcpiModel

DataT = TypeVar("DataT")

StatusCode = Annotated[Int, Field(ge=1000, le=4999)]
"""Four-digit OCPI status code: 1xxx success, 2xxx client, 3xxx server, 4xxx hub."""

SUCCESS = 1000
"""Generic success."""


class OcpiResponse(OcpiModel, Generic[DataT]):
    """``{data, status_code, status_message, timestamp}``.

    ``data`` is whatever the module defines (an object, a list, nothing); on a
    non-1xxx code its content is unspecified. Parametrise, e.g.
    ``OcpiResponse[list[Tariff]]``, to check it; use ``OcpiResponse[object]`` to
    accept anything.
    """

    data: DataT | None = None
    status_code: StatusCode
    status_message: str | None = None
    timestamp: DateTime

    @property
    def is_success(self) -> bool:
        """Whether the OCPI status code is in the 1xxx range."""
        return 1000 <= self.status_code < 2000
