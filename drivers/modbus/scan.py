"""Find the Modbus devices on a bus and say what they are (``edge scan``, the page).

Each unit id is probed once with a one-register read and a short timeout: an
answer, even a Modbus exception, means a device is there; silence costs only
the probe's timeout. Each device found is then identified from its identity
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


async def probe(client: ModbusClient, unit: int, timeout_s: float) -> Found | None:
    """Whether a device answers on ``unit``."""
    client.answer_timeout_s = timeout_s
    try:
        await client.read(unit, *PROBE)
    except FrameError:
        return Found(unit, garbled=True)
    except DeviceTimeout:
        return None
    except DriverError:
        return Found(unit)  # a Modbus exception: somebody is there
    return Found(unit)


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
) -> list[Found]:
    """Probe ``ids``, then identify every device that answered."""
    found: list[Found] = []
    for unit in ids:
        hit = await probe(client, unit, probe_timeout_s)
        if hit is not None:
            found.append(hit)
        if on_probe is not None:
            on_probe(unit)
    client.answer_timeout_s = client.endpoint.timeout_s
    for hit in found:
        hit.matches = await identify(
            reader(client, hit.unit),
            profiles,
            read_unit=lambda other: reader(client, other),
        )
    return found


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
