"""A site with a 1.6 charger and two 2.0.1 stations, and hal_sim's station."""

from __future__ import annotations

import asyncio

from edge.config.ocpp import OcppSection
from edge.model.clock import SystemClock
from edge.ocpp.central import CentralSystem
from edge.ocpp.server import OcppServer
from hal_sim.ocpp.charge_point_201 import SimChargingStation
from hal_sim.ocpp.link import LinkLost, open_link


def mixed() -> OcppSection:
    """CP002 speaks 1.6 (one connector); CS201 2.0.1 (EVSEs 1 and 2), CS202 (1)."""
    return OcppSection.model_validate(
        {
            "listen_port": 0,
            "heartbeat_interval_s": 120,
            "charger": [
                {"identity": "CP002", "connector": [{"id": 1, "evse_uid": "CP002-1"}]},
                {
                    "identity": "CS201",
                    "protocol": "ocpp2.0.1",
                    "connector": [
                        {"id": 1, "evse_uid": "CS201-1"},
                        {"id": 2, "evse_uid": "CS201-2"},
                    ],
                },
                {
                    "identity": "CS202",
                    "protocol": "ocpp2.0.1",
                    "connector": [{"id": 1, "evse_uid": "CS202-1"}],
                },
            ],
        }
    )


async def station(srv: OcppServer, identity: str = "CS201") -> SimChargingStation:
    """hal_sim's 2.0.1 station connected as ``identity`` (not yet running)."""
    link = await open_link(
        srv.url("127.0.0.1", identity), identity, subprotocols=("ocpp2.0.1",)
    )
    assert link.subprotocol == "ocpp2.0.1"
    return SimChargingStation(identity, link, SystemClock())


async def booted(
    srv: OcppServer, central: CentralSystem, identity: str = "CS201"
) -> tuple[SimChargingStation, asyncio.Task[LinkLost]]:
    """A running, booted station: (station, its run task)."""
    cs = await station(srv, identity)
    run = asyncio.create_task(cs.run())
    await cs.boot()
    assert identity in central.connections
    return cs, run
