"""The page's bus scan: ``edge scan`` from the browser, with its progress.

``POST /page/api/scan`` runs one scan (:func:`drivers.modbus.scan.scan_bus`)
inside the request, so the request owns it (a browser that goes away cancels
it); ``GET /page/api/scan`` answers its progress meanwhile and its result
after: the units probed, the devices found with their profiles, and the
site-file snippet. One scan at a time. A bus the site itself polls is refused:
a second master on an RS-485 line garbles both (stop the controller and run
``edge scan`` there instead).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from drivers.errors import DriverError
from drivers.modbus.client import Endpoint, ModbusClient
from drivers.modbus.profile import ProfileLibrary
from drivers.modbus.scan import Found, Unprobed, scan_bus, snippet
from edge.config.schema import SiteConfig
from edge.web.errors import ApiProblem

log = logging.getLogger(__name__)

Unit = Annotated[int, Field(ge=1, le=247)]


class ScanBody(BaseModel):
    """Where to scan: a serial device (RTU) or a Modbus TCP host."""

    model_config = ConfigDict(extra="forbid", strict=True)

    transport: Literal["rtu", "tcp", "rtu-over-tcp"]
    device: str | None = None
    host: str | None = None
    port: Annotated[int, Field(ge=1, le=65535)] = 502
    baud: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    first_unit: Unit = 1
    last_unit: Unit = 247
    probe_timeout_ms: Annotated[int, Field(ge=20, le=2000)] = 100

    @model_validator(mode="after")
    def _where(self) -> ScanBody:
        if self.transport == "rtu" and not self.device:
            raise ValueError("an RTU scan needs device (e.g. /dev/ttyUSB0)")
        if self.transport != "rtu" and not self.host:
            raise ValueError("a TCP scan needs host")
        if self.last_unit < self.first_unit:
            raise ValueError("last_unit is below first_unit")
        return self

    def endpoint(self) -> Endpoint:
        """The endpoint to scan."""
        if self.transport == "rtu":
            return Endpoint(
                "rtu",
                device=self.device,
                baud=self.baud,
                parity=self.parity,
                stopbits=self.stopbits,
            )
        return Endpoint(self.transport, host=self.host, port=self.port)


def site_bus_of(config: SiteConfig, body: ScanBody) -> str | None:
    """The id of the site's own bus at the scan's address, if any."""
    for bus in config.bus:
        if (body.transport == "rtu") != (bus.transport == "rtu"):
            continue
        if body.transport == "rtu":
            same = bus.device == body.device
        else:
            same = bus.host == body.host and (bus.port or 502) == body.port
        if same:
            return bus.id
    return None


@dataclass
class ScanState:
    """The last scan, as the page shows it."""

    running: bool = False
    where: str = ""
    total: int = 0
    probed: int = 0
    unit: int | None = None
    phase: str = "idle"
    """idle, probing, identifying, done, failed."""
    found: list[Found] = field(default_factory=list)
    unprobed: list[Unprobed] = field(default_factory=list)
    """Units whose silence proved nothing (the controller was starved)."""
    snippet: str = ""
    error: str | None = None

    def doc(self) -> dict[str, object]:
        """As JSON."""

        def model(f: Found) -> str | None:
            return f"{f.best.manufacturer} {f.best.model}" if f.best else None

        return {
            "running": self.running,
            "where": self.where,
            "total": self.total,
            "probed": self.probed,
            "unit": self.unit,
            "phase": self.phase,
            "found": [
                {
                    "unit": f.unit,
                    "garbled": f.garbled,
                    "profile": f.best.id if f.best else None,
                    "kind": str(f.best.kind) if f.best else None,
                    "model": model(f),
                    "others": [m.profile.id for m in f.matches[1:]],
                }
                for f in self.found
            ],
            "unprobed": [{"unit": u.unit, "why": u.why} for u in self.unprobed],
            "snippet": self.snippet,
            "error": self.error,
        }


class Scanner:
    """One scan at a time, with its progress."""

    def __init__(self, config: SiteConfig) -> None:
        """Refuse the buses of ``config``."""
        self.config = config
        self.state = ScanState()

    async def run(self, body: ScanBody, who: str) -> ScanState:
        """Scan as ``body`` says (409 while another runs or on a site bus)."""
        if self.state.running:
            raise ApiProblem(409, "a scan is already running", "body")
        own = site_bus_of(self.config, body)
        if own is not None:
            raise ApiProblem(
                409,
                f"bus {own!r} is the site's own: the controller polls it, and a "
                "second master would garble both (stop edge and run `edge scan`)",
                "body",
            )
        endpoint = body.endpoint()
        ids = list(range(body.first_unit, body.last_unit + 1))
        state = self.state = ScanState(
            running=True, where=endpoint.describe(), total=len(ids), phase="probing"
        )
        log.info("scan of %s (units %d-%d) by %s", state.where, ids[0], ids[-1], who)

        def probed(unit: int) -> None:
            state.probed += 1
            state.unit = unit
            if state.probed == state.total:
                state.phase = "identifying"

        lib = ProfileLibrary()
        client = ModbusClient(endpoint)
        try:
            await client.connect()
            result = await scan_bus(
                client,
                ids,
                body.probe_timeout_ms / 1000,
                [lib.get(i) for i in lib.ids()],
                probed,
            )
            state.found, state.unprobed = result.found, result.unprobed
            state.snippet = snippet(endpoint, "bus1", state.found)
            state.phase = "done"
            log.info("scan of %s: %d device(s)", state.where, len(state.found))
            for miss in state.unprobed:
                log.warning(
                    "scan of %s: unit %d not probed: %s",
                    state.where,
                    miss.unit,
                    miss.why,
                )
        except DriverError as exc:
            state.phase, state.error = "failed", str(exc)
            log.warning("scan of %s failed: %s", state.where, exc)
        except asyncio.CancelledError:
            state.phase, state.error = "failed", "cancelled (the page went away)"
            raise
        finally:
            state.running = False
            client.close()
        return state
