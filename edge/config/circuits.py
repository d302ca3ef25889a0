"""The site's electrical tree in the site file: ``[load]``, its circuits and EVSEs.

A circuit is the grid connection or a sub-distribution behind it; each has a
per-phase current limit (its fuse or breaker) and names its ``parent`` (none for
a grid connection). A circuit with a ``meter`` is measured: the meter's per-phase
currents minus our EVSEs' are the house load that shares its limit. A circuit
without one is static: its limit is for our EVSEs alone. Each EVSE is a leaf: it
names its circuit and the phase rotation of its wiring (which grid phase its L1,
L2 and L3 are on).

The tree's rules across keys (one id per circuit, parents that exist, no cycle,
every EVSE on exactly one circuit, a failsafe current the tree can carry) are in
:func:`load_problems`, reported as ``(key path, message)`` like
:mod:`edge.config.checks`. This module imports nothing of the rest of the schema
so that :mod:`edge.config.schema` can import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge.model.origins import OriginError, origin_of

PHASES = ("L1", "L2", "L3")


class _Model(BaseModel):
    # As the schema's: unknown keys rejected, no inf or nan (a limit of inf would
    # switch load management off without a word).
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False
    )


_Id = Annotated[str, Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_.*\-]+$")]
Amps = Annotated[float, Field(gt=0, le=10_000)]
"""A fuse or breaker rating in A: positive and finite (a 10 kA fuse is not a site's)."""
Rotation = Literal["L1L2L3", "L2L3L1", "L3L1L2", "L1L3L2", "L3L2L1", "L2L1L3"]
"""The grid phases an EVSE's L1, L2 and L3 are wired to, in that order."""
Mode = Literal["fast", "surplus", "surplus_plus_min"]
"""How an EVSE charges: as fast as the fuses allow; from the solar surplus only
(paused while it is below the minimum current); or at least the minimum, more
from the surplus. The fuse limits hold in every mode."""
SURPLUS_MODES = ("surplus", "surplus_plus_min")
PriceFormat = Literal["awattar", "csv", "json"]
"""What a price ``url`` answers (edge/load/prices.py)."""


class MeterRef(_Model):
    """The meter measuring a circuit (the same keys as an EVSE's ``meter``)."""

    bus: _Id
    unit: Annotated[int, Field(ge=1, le=247)]
    model: str


class CircuitSection(_Model):
    """One circuit: the grid connection or a sub-distribution."""

    id: _Id
    parent: _Id | None = None
    """The circuit this one is fed from; none for a grid connection."""
    limit_a: Annotated[list[Amps], Field(min_length=3, max_length=3)]
    """Per phase: one rating for all three, or [L1, L2, L3]."""
    meter: MeterRef | None = None
    """Measures the circuit (any meter profile); house load = it minus our EVSEs."""

    @field_validator("limit_a", mode="before")
    @classmethod
    def _one_for_all(cls, value: object) -> object:
        # One number is the rating of all three phases.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [value, value, value]
        return value

    def limits(self) -> tuple[float, float, float]:
        """The limit on grid phases L1, L2 and L3 (A)."""
        l1, l2, l3 = self.limit_a
        return (l1, l2, l3)


class LoadEvseSection(_Model):
    """An EVSE as a leaf of the tree."""

    uid: _Id
    """The ``uid`` of an ``[[evse]]``."""
    circuit: _Id
    rotation: Rotation = "L1L2L3"
    priority: Annotated[int, Field(ge=1, le=10)] = 1
    """Its weight in the fair share of what is left above every car's minimum."""
    min_current_a: Annotated[float, Field(ge=6, le=80)] = 6.0
    """Below this the EVSE pauses the car rather than charge it (IEC 61851: 6 A)."""
    mode: Mode | None = None
    """How it charges; none: the site's ``load.mode``."""
    departure: (
        Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] | None
    ) = None
    """Every session's departure, local time of day (``HH:MM``, the site's time
    zone): the first after the session starts. With ``energy_wh`` and
    ``[load.prices]`` the session charges in the cheapest hours before it."""
    energy_wh: Annotated[int, Field(gt=0, le=500_000)] | None = None
    """The energy every session wants by its departure."""


class PricesSection(_Model):
    """Hourly prices that shift sessions with a departure to the cheapest hours.

    From a ``file`` or a ``url`` (one of them). A read that fails keeps the last
    good prices (until they run out); the fuse limits hold whatever they say.
    """

    file: Annotated[str, Field(min_length=1)] | None = None
    """A .csv, .json or .toml file of hourly prices (edge/load/prices.py)."""
    url: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    """An HTTP(S) source of prices, fetched with GET (no credentials, no
    redirects); https unless the host is this machine (or ``insecure``)."""
    format: PriceFormat = "awattar"
    """The ``url``'s answer: ``awattar`` (the aWATTar /v1/marketdata JSON:
    ``{"data": [{"start_timestamp": ms, "end_timestamp": ms, "marketprice": x,
    "unit": "Eur/MWh"}]}``), or ``csv`` / ``json`` as a file's."""
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    """The ``url`` must answer within this (wall seconds)."""
    insecure: bool = False
    """Allow plain http to a host off this machine: anyone on the way may change
    the prices (never the fuse limits). A closed lab only."""
    refresh_s: Annotated[float, Field(ge=10, le=86_400)] = 900.0
    """The prices are read again this often (a new day's prices)."""

    @model_validator(mode="after")
    def _one_source(self) -> PricesSection:
        if (self.file is None) == (self.url is None):
            raise ValueError("give the prices a file or a url (one of them)")
        if self.url is not None:
            try:
                origin = origin_of(self.url)
            except OriginError as exc:
                raise ValueError(f"url: {exc}") from None
            if origin.scheme == "http" and not (origin.loopback or self.insecure):
                raise ValueError(
                    f"url: plain http to {origin.host}, which is not this machine: "
                    "anyone on the way could change the prices; use https, or set "
                    "insecure = true in [load.prices] (a closed lab only)"
                )
        elif "format" in self.model_fields_set:
            raise ValueError("format is for a url; a file's suffix says its format")
        return self


class LoadSection(_Model):
    """Load management: the circuits, their EVSEs and the rules shared by all."""

    margin_a: Annotated[float, Field(ge=0, le=100)] = 1.0
    """Kept free on every phase of every circuit."""
    failsafe_current_a: Annotated[float, Field(ge=0, le=80)] = 0.0
    """Every EVSE's current while a circuit's meter is silent or implausible
    (0 pauses every car; otherwise at least each EVSE's minimum)."""
    meter_timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    """A circuit meter without a plausible reading this long: the failsafe."""
    resume_delay_s: Annotated[float, Field(ge=60, le=3600)] = 600.0
    """A paused car waits at least this long before it is resumed."""
    resume_margin_a: Annotated[float, Field(ge=0, le=32)] = 1.0
    """A paused car resumes only with this much more than its minimum free."""
    mode: Mode = "fast"
    """How every EVSE charges unless its ``[[load.evse]]`` says otherwise."""
    surplus_margin_w: Annotated[float, Field(ge=0, le=100_000)] = 100.0
    """Left exported at the grid connection by the cars charging from surplus."""
    prices: PricesSection | None = None
    circuit: Annotated[list[CircuitSection], Field(min_length=1)]
    evse: list[LoadEvseSection] = []


@dataclass(frozen=True)
class EvseWiring:
    """What the tree's checks need of an ``[[evse]]``."""

    uid: str
    phases: int
    max_current_a: float


def load_problems(
    load: LoadSection, evses: Sequence[EvseWiring]
) -> list[tuple[str, str]]:
    """(key path, message) for every rule the ``[load]`` tree breaks."""
    problems: list[tuple[str, str]] = []
    circuits: dict[str, int] = {}
    for i, circuit in enumerate(load.circuit):
        if circuit.id in circuits:
            problems.append((
                f"load.circuit[{i}].id",
                f"circuit {circuit.id!r} is defined twice "
                f"(also load.circuit[{circuits[circuit.id]}])",
            ))  # fmt: skip
        circuits.setdefault(circuit.id, i)
    by_id = {c.id: c for c in load.circuit}
    known = ", ".join(sorted(by_id))
    for i, circuit in enumerate(load.circuit):
        if circuit.parent is not None and circuit.parent not in by_id:
            problems.append((
                f"load.circuit[{i}].parent",
                f"unknown circuit {circuit.parent!r} (circuits: {known})",
            ))  # fmt: skip
    problems += _cycles(load.circuit)

    wiring = {e.uid: e for e in evses}
    placed: dict[str, int] = {}
    for i, leaf in enumerate(load.evse):
        path = f"load.evse[{i}]"
        if leaf.uid not in wiring:
            problems.append((
                f"{path}.uid",
                f"unknown EVSE {leaf.uid!r} (EVSEs: "
                f"{', '.join(sorted(wiring)) or 'none defined'})",
            ))  # fmt: skip
        elif leaf.uid in placed:
            problems.append((
                f"{path}.uid",
                f"EVSE {leaf.uid!r} is on two circuits "
                f"(also load.evse[{placed[leaf.uid]}])",
            ))  # fmt: skip
        placed.setdefault(leaf.uid, i)
        if leaf.circuit not in by_id:
            problems.append((
                f"{path}.circuit",
                f"unknown circuit {leaf.circuit!r} (circuits: {known})",
            ))  # fmt: skip
        evse = wiring.get(leaf.uid)
        if evse is not None and leaf.min_current_a > evse.max_current_a:
            problems.append((
                f"{path}.min_current_a",
                f"{leaf.min_current_a:g} A is above the EVSE's max_current_a "
                f"({evse.max_current_a:g} A)",
            ))  # fmt: skip
        fs = load.failsafe_current_a
        if evse is not None and 0 < fs < leaf.min_current_a:
            problems.append((
                "load.failsafe_current_a",
                f"{fs:g} A is below {leaf.uid}'s minimum ({leaf.min_current_a:g} A); "
                "give 0 (pause every car) or at least the minimum",
            ))  # fmt: skip
    for evse in evses:
        if evse.uid not in placed:
            problems.append((
                "load.evse",
                f"EVSE {evse.uid!r} is on no circuit: its current would be counted "
                f'nowhere; add [[load.evse]] uid = "{evse.uid}" with its circuit',
            ))  # fmt: skip
    if not problems:
        problems += _failsafe_problems(load, wiring)
        problems += _surplus_problems(load)
    problems += _departure_problems(load)
    return problems


def _departure_problems(load: LoadSection) -> list[tuple[str, str]]:
    """A departure plans by price: it needs the energy, the prices and ``fast``."""
    problems = []
    for i, leaf in enumerate(load.evse):
        path = f"load.evse[{i}]"
        if (leaf.departure is None) != (leaf.energy_wh is None):
            key = "energy_wh" if leaf.energy_wh is None else "departure"
            problems.append((
                f"{path}.{key}",
                "departure and energy_wh go together: the plan needs both",
            ))  # fmt: skip
        elif leaf.departure is not None and load.prices is None:
            problems.append((
                f"{path}.departure",
                "a departure is planned by price: add [load.prices] (a file or url)",
            ))  # fmt: skip
        elif leaf.departure is not None and (leaf.mode or load.mode) != "fast":
            problems.append((
                f"{path}.departure",
                f"a {leaf.mode or load.mode!r} car follows the sun, not prices: "
                'give it mode = "fast" or no departure',
            ))  # fmt: skip
    return problems


def surplus_roots(load: LoadSection) -> dict[str, list[int]]:
    """The grid connections with EVSEs in a surplus mode (their ``load.evse`` index).

    Any tree: an EVSE on an unknown circuit, or below a loop, is left out (those
    are :func:`load_problems`' to report).
    """
    parent = {c.id: c.parent for c in load.circuit}
    roots: dict[str, list[int]] = {}
    for i, leaf in enumerate(load.evse):
        if (leaf.mode or load.mode) not in SURPLUS_MODES:
            continue
        chain = [leaf.circuit]
        while chain[-1] in parent and (up := parent[chain[-1]]) is not None:
            if up in chain:
                break
            chain.append(up)
        root = chain[-1]
        if root in parent and parent[root] is None:
            roots.setdefault(root, []).append(i)
    return roots


def _surplus_problems(load: LoadSection) -> list[tuple[str, str]]:
    """A car charging from surplus needs its grid connection metered."""
    by_id = {c.id: c for c in load.circuit}
    problems = []
    for root, evses in surplus_roots(load).items():
        i = evses[0]
        leaf = load.evse[i]
        mode = leaf.mode or load.mode
        if by_id[root].meter is None:
            key = f"load.evse[{i}].mode" if leaf.mode else "load.mode"
            index = next(k for k, c in enumerate(load.circuit) if c.id == root)
            problems.append((
                key,
                f"{mode!r} for EVSE {leaf.uid!r} needs a meter on its grid "
                f"connection {root!r} (load.circuit[{index}]): the surplus is "
                "what it exports",
            ))  # fmt: skip
    return problems


def _cycles(circuits: Sequence[CircuitSection]) -> list[tuple[str, str]]:
    """A circuit fed, through its parents, from itself."""
    by_id = {c.id: c for c in circuits}
    problems = []
    reported: set[str] = set()
    for i, circuit in enumerate(circuits):
        chain = [circuit.id]
        parent = circuit.parent
        while parent is not None and parent in by_id and parent not in chain:
            chain.append(parent)
            parent = by_id[parent].parent
        if parent == circuit.id and circuit.id not in reported:
            reported.update(chain)
            loop = " -> ".join([*chain, circuit.id])
            problems.append((
                f"load.circuit[{i}].parent",
                f"circuits feed each other in a loop ({loop}); a tree needs "
                "one circuit without parent at its root",
            ))  # fmt: skip
    return problems


def _failsafe_problems(
    load: LoadSection, wiring: dict[str, EvseWiring]
) -> list[tuple[str, str]]:
    """The failsafe current on every EVSE must fit every circuit's phases."""
    fs = load.failsafe_current_a
    if fs == 0:
        return []
    parent = {c.id: c.parent for c in load.circuit}
    loads: dict[str, list[float]] = {c.id: [0.0, 0.0, 0.0] for c in load.circuit}
    for leaf in load.evse:
        evse = wiring[leaf.uid]
        amps = min(fs, evse.max_current_a)
        grid = [PHASES.index(leaf.rotation[k : k + 2]) for k in (0, 2, 4)]
        drawn = grid[: evse.phases]
        node: str | None = leaf.circuit
        while node is not None:
            for p in drawn:
                loads[node][p] += amps
            node = parent[node]
    problems = []
    for i, circuit in enumerate(load.circuit):
        limits = circuit.limits()
        for p, amps in enumerate(loads[circuit.id]):
            limit = limits[p]
            if amps > limit - load.margin_a + 1e-9:
                problems.append((
                    "load.failsafe_current_a",
                    f"{fs:g} A on every EVSE puts {amps:g} A on {PHASES[p]} of circuit "
                    f"{circuit.id!r} (load.circuit[{i}]), over its {limit:g} A limit "
                    f"less the {load.margin_a:g} A margin; lower it "
                    "(0 pauses every car)",
                ))  # fmt: skip
                break
    return problems
