"""Each module's push to the strict simulated eMSP over real HTTP."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from edge.ocpi import CDR, Location, Session
from hal_sim.backoffice.faults import Fault
from tests.integration.ocpi_rig import Rig, rig, until

KEY = ("NL", "EXA")


def loc(r: Rig) -> Location:
    return Location.model_validate(r.bo.state.locations[(*KEY, "LOC1")])


def evse_status(r: Rig, uid: str) -> str:
    return next(e.status.value for e in loc(r).evses if e.uid == uid)


def writes(r: Rig, module: str) -> list[tuple[str, str, str | None]]:
    return [
        (w.method, w.key, w.status) for w in r.bo.state.writes if w.module == module
    ]


async def test_location_put_then_evse_status_patches(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.drained()
        location = loc(r)
        assert [e.uid for e in location.evses] == ["E1", "E2"]
        e1 = location.evses[0]
        assert (e1.evse_id, e1.status.value) == ("NL*EXA*E1", "UNKNOWN")
        c = e1.connectors[0]
        assert (c.standard.value, c.power_type.value, c.max_amperage) == (
            "IEC_62196_T2",
            "AC_3_PHASE",
            16,
        )
        assert c.max_electric_power == 230 * 16 * 3
        assert location.coordinates.latitude == "52.089400"
        await r.start_session("S1", "E1")
        r.uplink.sender.kick.set()  # what the Site does after each EVSE change
        await until(lambda: evse_status(r, "E1") == "CHARGING")
        await r.stop_session("S1", "E1")
        r.uplink.sender.kick.set()
        await until(lambda: evse_status(r, "E1") == "AVAILABLE")
        assert ("PATCH", "LOC1/E1", "CHARGING") in writes(r, "locations")
        assert r.bo.state.rejected() == []
        # an unchanged site file is not pushed again after a restart
        await r.drained()
        await r.stop()
        await r.start()
        await r.drained()
        assert [x.method for x in r.bo.state.received("locations", "LOC1")] == ["PUT"]


async def test_session_put_progress_patch_final_update_then_cdr(tmp_path: Path) -> None:
    async with rig(tmp_path, section={"session_patch_interval_s": 300.0}) as r:
        await r.drained()
        await r.start_session("S1", "E1")
        await r.drained()
        assert writes(r, "sessions") == [("PUT", "S1", "ACTIVE")]
        for _ in range(5):  # checkpoints closer together than the interval
            await r.progress("S1", "E1", 2000)
            r.uplink.sender.kick.set()
        await until(lambda: len(writes(r, "sessions")) == 2)
        await r.clock.sleep(400)
        await r.drained()
        session = Session.model_validate(r.bo.state.sessions[(*KEY, "S1")])
        assert session.kwh == Decimal(10)  # the newest state, not a replay
        patches = [w for w in writes(r, "sessions") if w[0] == "PATCH"]
        assert 1 <= len(patches) <= 2  # at most one per interval, never one per change
        await r.progress("S1", "E1", 500)
        await r.stop_session("S1", "E1")
        r.uplink.sender.kick.set()  # the final update goes at once, then the CDR
        await r.drained()
        order = [
            (w.method, w.module, w.status) for w in r.bo.state.writes if w.key == "S1"
        ]
        assert order[0] == ("PUT", "sessions", "ACTIVE")
        assert order[-2:] == [
            ("PATCH", "sessions", "COMPLETED"),
            ("POST", "cdrs", None),
        ]
        # what arrived, taken or refused: each state once, the CDR once, last
        got = [
            (x.method, x.module)
            for x in r.bo.state.log
            if x.object_id == "S1" and x.module in ("sessions", "cdrs")
        ]
        assert got == [(w[0], w[1]) for w in order]
        assert got[-1] == ("POST", "cdrs")
        assert r.bo.state.reception_counts("cdrs") == {"S1": 1}
        cdr = CDR.model_validate(r.bo.state.cdrs[(*KEY, "S1")])
        assert cdr.total_energy == Decimal("10.5")
        assert cdr.total_cost.excl_vat == 0  # no tariff configured: free
        assert [d.type.value for d in cdr.charging_periods[0].dimensions] == [
            "ENERGY",
            "TIME",
        ]
        assert (cdr.cdr_token.country_code, cdr.cdr_token.party_id) == ("DE", "MSP")
        assert cdr.cdr_location.evse_id == "NL*EXA*E1"
        assert r.bo.state.rejected() == []


TARIFF = {
    "country_code": "NL",
    "party_id": "EXA",
    "id": "T1",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [
                {"type": "ENERGY", "price": 0.25, "vat": 21.0, "step_size": 1}
            ]
        }
    ],
    "last_updated": "2026-01-01T00:00:00Z",
}


async def test_tariff_put_first_and_cdr_priced_by_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "tariff.json"
    path.write_text(json.dumps(TARIFF))
    async with rig(tmp_path, section={"tariff_file": str(path)}) as r:
        await r.drained()
        assert (*KEY, "T1") in r.bo.state.tariffs
        first = r.bo.state.writes[0]
        assert (first.method, first.module) == ("PUT", "tariffs")  # before the location
        assert loc(r).evses[0].connectors[0].tariff_ids == ["T1"]
        await r.start_session("S1", "E2")
        await r.progress("S1", "E2", 10_000)
        await r.stop_session("S1", "E2")
        r.uplink.sender.kick.set()
        await r.drained()
        cdr = CDR.model_validate(r.bo.state.cdrs[(*KEY, "S1")])
        assert (cdr.total_cost.excl_vat, cdr.total_cost.incl_vat) == (
            Decimal("2.5"),
            Decimal("3.025"),
        )
        assert cdr.charging_periods[0].tariff_id == "T1"
        assert [t.id for t in cdr.tariffs] == ["T1"]


async def test_a_cdr_the_receiver_already_has_counts_as_delivered(tmp_path: Path):
    async with rig(tmp_path, section={"session_patch_interval_s": 0.0}) as r:
        await r.start_session("S1", "E1")
        await r.progress("S1", "E1", 1000)
        await r.drained()
        # the CDR is stored but its answer is lost: the retry meets "already exists"
        r.bo.faults.inject(Fault.HTTP_503, module="cdrs", after=True)
        await r.stop_session("S1", "E1")
        r.uplink.sender.kick.set()
        await until(lambda: r.uplink.sender.stats.duplicates == 1)
        await r.drained()
        st = await r.backlog()
        assert st.live == 0
        assert st.dead_letters == []
        assert list(r.bo.state.cdrs) == [(*KEY, "S1")]
        assert r.bo.state.duplicates == ["S1"]
        # exactly one re-send for the one lost answer, refused as a duplicate
        first, again = r.bo.state.received("cdrs", "S1")
        assert (first.accepted, again.accepted) == (True, False)
        assert "already exists" in (again.message or "")


async def test_a_patch_the_receiver_cannot_apply_falls_back_to_put(tmp_path: Path):
    async with rig(tmp_path, section={"session_patch_interval_s": 0.0}) as r:
        await r.start_session("S1", "E1")
        await r.drained()
        await r.stop()
        del r.bo.state.sessions[(*KEY, "S1")]  # the receiver lost it
        await r.progress("S1", "E1", 3000)
        await r.stop_session("S1", "E1")
        await r.start()
        await r.drained()
        methods = [w for w in writes(r, "sessions")]
        assert methods == [("PUT", "S1", "ACTIVE"), ("PUT", "S1", "COMPLETED")]
        got = r.bo.state.received("sessions", "S1")
        assert [(x.method, x.http_status) for x in got] == [
            ("PUT", 201),
            ("PATCH", 404),
            ("PUT", 201),  # created again: the receiver had lost it
        ]
        assert r.bo.state.reception_counts("cdrs") == {"S1": 1}
