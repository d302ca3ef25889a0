"""Find the Modbus devices on a bus and say what they are (``edge scan``, the page).

Each unit id is probed once with a one-register read and a short timeout: an
answer, even a Modbus exception, means a device is there; silence costs only
the probe's timeout, counted in time the controller was awake (see
:mod:`drivers.modbus.awake`). A silence whose wait ended while the controller
was still starved proves nothing: that unit is probed once more, and if that
wait is starved too it is reported as not probed (:class:`Unprobed`), never as
absent. Each device found is then identified from its identity
registers (:func:`drivers.modbus.identify.identify`) with the bus's usual
timeout. :func:`snippet` writes what was found as a site-file fragment: the bus,
then one ``[[evse]]`` per meter and board found, paired in unit-id order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drivers.errors import DeviceTimeout, DriverError
from drivers.modbus.client import Endpoint, FrameError, ModbusClient
from drivers.modbus.identify import Match, identify
from drivers.modbus.profile import DeviceKind, Profile
from drivers.modbus.sunspec import ReadFn

PROBE = (3, 0, 1)
"""FC03, address 0, one register: every device answers it, if only to refuse."""


@dataclass
class Found:
    """A unit id that answered, and the profiles that fit it (best first)."""

    unit: int
    garbled: bool = False
    matches: list[Match] = field(default_factory=list)

    @property
    def best(self) -> Profile | None:
        """The most certain profile, if any fits."""
        return self.matches[0].profile if self.matches else None


@dataclass(frozen=True)
class Unprobed:
    """A unit whose silence proved nothing: every wait for it was starved."""

    unit: int
    why: str


@dataclass
class ScanResult:
    """The devices that answered, and the units that could not be probed."""

    found: list[Found] = field(default_factory=list)
    unprobed: list[Unprobed] = field(default_factory=list)


PROBE_TRIES = 2
"""Probes of a unit whose wait was starved (a fair silence ends it at once)."""


async def probe(
    client: ModbusClient, unit: int, timeout_s: float
) -> Found | Unprobed | None:
    """Whether a device answers on ``unit`` (None: a fair wait heard nothing)."""
    client.answer_timeout_s = timeout_s
    stalled_s = 0.0
    for _ in range(PROBE_TRIES):
        try:
            await client.read(unit, *PROBE)
        except FrameError:
            return Found(unit, garbled=True)
        except DeviceTimeout:
            if not client.last_starved:
                return None
            stalled_s += client.last_stalled_s
            continue
        except DriverError:
            return Found(unit)  # a Modbus exception: somebody is there
        return Found(unit)
    return Unprobed(
        unit,
        f"the controller was too busy to listen ({stalled_s * 1000:.0f} ms of "
        f"stalls in {PROBE_TRIES} waits of {timeout_s * 1000:.0f} ms); scan it again",
    )


def reader(client: ModbusClient, unit: int) -> ReadFn:
    """A read function for :func:`identify`: words, or None on any failure."""

    async def read(function: int, address: int, count: int) -> list[int] | None:
        try:
            return await client.read(unit, int(function), address, count)
        except DriverError:
            return None

    return read


async def scan_bus(
    client: ModbusClient,
    ids: Sequence[int],
    probe_timeout_s: float,
    profiles: Sequence[Profile],
    on_probe: Callable[[int], None] | None = None,
) -> ScanResult:
    """Probe ``ids``, then identify every device that answered."""
    result = ScanResult()
    found = result.found
    for unit in ids:
        hit = await probe(client, unit, probe_timeout_s)
        if isinstance(hit, Found):
            found.append(hit)
        elif hit is not None:
            result.unprobed.append(hit)
        if on_probe is not None:
            on_probe(unit)
    client.answer_timeout_s = client.endpoint.timeout_s
    for hit in found:
        hit.matches = await identify(
            reader(client, hit.unit),
            profiles,
            read_unit=lambda other: reader(client, other),
        )
    return result


def snippet(endpoint: Endpoint, bus_id: str, found: Sequence[Found]) -> str:
    """A site-file fragment for what was found."""
    lines = ["[[bus]]", f'id = "{bus_id}"', f'transport = "{endpoint.transport}"']
    if endpoint.transport == "rtu":
        lines += [
            f'device = "{endpoint.device}"',
            f"baud = {endpoint.baud}",
            f'parity = "{endpoint.parity}"',
            f"stopbits = {endpoint.stopbits}",
        ]
    else:
        lines += [f'host = "{endpoint.host}"', f"port = {endpoint.port}"]

    def ref(hit: Found) -> str:
        model = hit.best.id if hit.best else "?"
        return f'{{ bus = "{bus_id}", unit = {hit.unit}, model = "{model}" }}'

    kinds: dict[DeviceKind, list[Found]] = {
        DeviceKind.METER: [],
        DeviceKind.EVSE_BOARD: [],
    }
    others: list[Found] = []
    for hit in found:
        (kinds.get(hit.best.kind, others) if hit.best else others).append(hit)
    meters, boards = kinds[DeviceKind.METER], kinds[DeviceKind.EVSE_BOARD]
    for n, (meter, board) in enumerate(zip(meters, boards, strict=False), 1):
        lines += ["", "[[evse]]", f'uid = "EVSE-{n}"']
        lines += [f"meter = {ref(meter)}", f"board = {ref(board)}"]
    paired = min(len(meters), len(boards))
    for hit in meters[paired:] + boards[paired:] + others:
        what = f"{hit.best.kind} {hit.best.id}" if hit.best else "unidentified device"
        lines.append(f"# unit {hit.unit}: {what}, not paired")
    return "\n".join(lines)
