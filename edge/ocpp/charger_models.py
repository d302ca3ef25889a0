"""Charger model profiles: the known deviations of real chargers, as data.

One TOML file per charger model in ``edge/ocpp/charger_models/`` (like the
Modbus profiles in ``drivers/profiles/``), named by its id
(``legrand-greenup.toml`` is model ``legrand-greenup``); a charger of the site
file names its model (``[[ocpp.charger]] model = "legrand-greenup"``). A file
lists what the model is known to get wrong, each deviation named and narrowly
scoped: one :class:`Deviation` kind, one action, one field, and (for an
alias) the one wrong value. Everything a profile does not list is validated
strictly; there is no switch that turns validation off.

A file::

    manufacturer = "Legrand"
    model = "GreenUp"
    products = ["GreenUp Premium"]

    [[deviation]]
    name = "errorCode-Error"
    kind = "enum-alias"
    action = "StatusNotification"
    field = "errorCode"
    spelled = "Error"
    taken_as = "OtherError"
    source = "https://github.com/lbbrhzn/ocpp/issues/1248"

``field`` is the path of the field in the payload, ``[]`` for each array
(``meterValue[].sampledValue[].unit``). Every error of a file is a
:class:`ModelProfileError` that starts with the file and names the key.
"""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

FOLDER = Path(__file__).with_name("charger_models")
"""Where the model profiles are."""


class ModelProfileError(Exception):
    """A charger model profile is unknown or not valid; the message says where."""


class Deviation(StrEnum):
    """The closed set of deviations a profile may name."""

    ENUM_ALIAS = "enum-alias"
    """A value outside the field's enum, always the same wrong spelling of one
    member (``spelled``): taken as that member (``taken_as``)."""
    TOO_LONG = "too-long"
    """A string longer than the field's maxLength: cut to it. Never for an
    idTag or idToken (a card cut short is another card)."""
    NAIVE_TIME_UTC = "naive-time-utc"
    """A date-time without a time offset (``2023-10-19T15:28:07``): taken as
    UTC (the time our BootNotification and Heartbeat answers set, in UTC)."""


_FIELD = r"[A-Za-z][A-Za-z0-9]*(\[\])?(\.[A-Za-z][A-Za-z0-9]*(\[\])?)*"
_NEVER_CUT = re.compile(r"(^|\.)(idTag|idToken|parentIdTag)(\[\])?(\.|$)")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Tolerance(_Model):
    """One named deviation of a charger model, in the scope it is allowed."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,47}$")]
    """How it is counted and logged (unique in its file)."""
    kind: Annotated[Deviation, Field(strict=False)]
    action: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,64}$")]
    """The request of the charger it is allowed in (``StatusNotification``)."""
    field: Annotated[str, Field(pattern=f"^{_FIELD}$")]
    """The field it is allowed in, ``[]`` for each array."""
    spelled: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """enum-alias: the wrong value the model sends."""
    taken_as: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """enum-alias: the member it means."""
    source: Annotated[str, Field(min_length=1, max_length=300)]
    """Where the deviation is documented (an issue, a manual, a capture)."""

    @model_validator(mode="after")
    def _scoped(self) -> Tolerance:
        alias = self.kind is Deviation.ENUM_ALIAS
        if alias and (self.spelled is None or self.taken_as is None):
            raise ValueError("an enum-alias names the value spelled and taken_as")
        if not alias and (self.spelled is not None or self.taken_as is not None):
            raise ValueError(
                f"spelled and taken_as are an enum-alias's, not {self.kind}"
            )
        if self.kind is Deviation.TOO_LONG and _NEVER_CUT.search(self.field):
            raise ValueError(f"{self.field} is a card: it is never cut (too-long)")
        return self


class ModelProfile(_Model):
    """A charger model and its known deviations."""

    id: str
    manufacturer: Annotated[str, Field(min_length=1, max_length=64)]
    model: Annotated[str, Field(min_length=1, max_length=64)]
    products: Annotated[
        tuple[Annotated[str, Field(min_length=1, max_length=64)], ...],
        Field(strict=False),
    ] = ()
    deviation: Annotated[tuple[Tolerance, ...], Field(min_length=1, strict=False)]

    @model_validator(mode="after")
    def _names_once(self) -> ModelProfile:
        names = [t.name for t in self.deviation]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"deviation name {twice[0]!r} is used twice")
        return self


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else part
    return out or "profile"


def parse(text: str, origin: str) -> ModelProfile:
    """A profile from its TOML text; ``origin`` (its file) begins every error."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelProfileError(f"{origin}: not TOML: {exc}") from None
    if "id" in raw:
        raise ModelProfileError(f"{origin}: id: the file's name is its id")
    try:
        return ModelProfile.model_validate({"id": Path(origin).stem, **raw})
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ModelProfileError(f"{origin}: {_where(first['loc'])}: {msg}") from None


def ids(folder: Path = FOLDER) -> list[str]:
    """The model ids of the profiles in ``folder``."""
    return sorted(p.stem for p in folder.glob("*.toml"))


def load(model_id: str, folder: Path = FOLDER) -> ModelProfile:
    """The profile of ``model_id``; :class:`ModelProfileError` if unknown or bad."""
    path = folder / f"{model_id}.toml"
    if (
        re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,63}", model_id) is None
        or not path.is_file()
    ):
        known = ", ".join(ids(folder)) or "none"
        raise ModelProfileError(f"unknown charger model {model_id!r} (known: {known})")
    return parse(path.read_text(encoding="utf-8"), str(path))
