"""OCPP 1.6 MeterValue objects read as billing registers and draw (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from edge.config.ocpp import OcppConnector
from edge.model.authorization import AuthDecision, Refusal
from edge.ocpp.id_tag import IdTagInfo, IdTagStatus, id_tag_info
from edge.ocpp.ledger import Believed, Disbelieved, Followed, Stale, limits
from edge.ocpp.meter_values import MeterValue, Reading, Register, reading

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _mv(*sampled, at=T0):
    return MeterValue.of({"timestamp": at.isoformat(), "sampledValue": list(sampled)})


def test_the_register_in_wh_or_kwh_with_its_resolution():
    r = reading(_mv({"value": "12345"}))
    assert r.register == Register(12345.0, 1.0, "Sample.Periodic")
    r = reading(_mv({"value": "12.35", "unit": "kWh", "context": "Transaction.End"}))
    assert r.register == Register(12350.0, 10.0, "Transaction.End")
    assert r.refused == ()


def test_what_cannot_bill_says_why():
    cases = {
        "abc": {"value": "abc"},
        "not a number of Wh": {"value": "-1"},
        "as SignedData": {"value": "00ff", "format": "SignedData"},
        "Wh or kWh expected": {"value": "5", "unit": "W"},
        "only Energy.Active.Import.Register is billed": {
            "value": "5",
            "measurand": "Energy.Active.Import.Interval",
        },
        "at the Inlet": {"value": "5", "location": "Inlet"},
        "of phase L1": {"value": "5", "phase": "L1"},
    }
    for why, sampled in cases.items():
        r = reading(_mv(sampled))
        assert r.register is None, why
        assert any(why in line for line in r.refused), (why, r.refused)


def test_a_phase_share_beside_the_total_is_not_reported():
    r = reading(_mv({"value": "100", "phase": "L1"}, {"value": "300"}))
    assert r.register is not None
    assert r.register.energy_wh == 300.0
    assert r.refused == ()


def test_draw_power_total_or_summed_and_phase_currents():
    r = reading(_mv(
        {"value": "1", "measurand": "Power.Active.Import", "unit": "kW", "phase": "L1"},
        {"value": "2", "measurand": "Power.Active.Import", "unit": "kW", "phase": "L2"},
        {"value": "8", "measurand": "Current.Import", "unit": "A", "phase": "L2-N"},
        {"value": "7", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
        {"value": "230", "measurand": "Voltage", "unit": "V"},
    ))  # fmt: skip
    assert r.power_w == 3000.0
    assert r.currents_a == (7.0, 8.0, None)
    assert r.current_a == 8.0
    assert r.register is None
    assert r.refused == ()


CONNECTOR = OcppConnector(id=1, evse_uid="E1", max_current_a=16, phases=3)


def _followed(start_wh=1_000):
    return Followed.new(
        1, "s1", 1, "E1", "CARD", None, T0, start_wh, start_wh, T0, None
    )


def _at(seconds, wh, power=None):
    return Reading(T0 + timedelta(seconds=seconds), Register(wh, 1.0, "x"), power,
                   (None, None, None), ())  # fmt: skip


def test_the_ledger_believes_only_plausible_readings():
    f = _followed()
    lim = limits(CONNECTOR)  # 3 x 16 A x 230 V = 11 kW
    assert isinstance(f.take(_at(60, 1_150, 9_000), lim), Believed)
    assert isinstance(f.take(_at(60, 1_200), lim), Stale)  # not newer
    too_fast = f.take(_at(70, 50_000), lim)
    assert isinstance(too_fast, Disbelieved)
    assert "TOO_FAST" in too_fast.why
    backwards = f.take(_at(80, 1_100), lim)
    assert isinstance(backwards, Disbelieved)
    assert "BACKWARDS" in backwards.why
    assert f.meter_wh == 1_150
    assert isinstance(f.take(_at(120, 1_300, 9_000), lim), Believed)
    assert f.meter_wh == 1_300
    assert f.period.max_power_w == 9_000


STEP = st.tuples(st.integers(1, 600), st.integers(-5_000, 5_000))
STEPS = st.lists(STEP, max_size=40)


@given(STEPS)
def test_the_session_energy_never_decreases_nor_outruns_the_connector(steps):
    f = _followed()
    lim = limits(CONNECTOR)
    t, wh, last = 0, 1_000.0, f.meter_wh
    for dt, dwh in steps:
        t += dt
        wh = max(0.0, wh + dwh)
        f.take(_at(t, wh), lim)
        assert f.meter_wh >= last
        last = f.meter_wh
    ceiling = lim.ceiling_w * (t + len(steps) * lim.time_slack_s) / 3600
    assert f.meter_wh - 1_000 <= ceiling + 2 * len(steps) + 1


def test_id_tag_info_says_the_decision_in_ocpp_words():
    def refused(kind):
        return AuthDecision("X", False, "why", group_id="G", refusal=kind)

    assert id_tag_info(AuthDecision("X", True, "ok", group_id="G")) == IdTagInfo(
        IdTagStatus.ACCEPTED, "G"
    )
    assert id_tag_info(refused(Refusal.BLOCKED)).status is IdTagStatus.BLOCKED
    assert id_tag_info(refused(Refusal.NOT_VALID)).status is IdTagStatus.BLOCKED
    assert id_tag_info(refused(Refusal.EXPIRED)).status is IdTagStatus.EXPIRED
    assert id_tag_info(refused(Refusal.UNKNOWN)).status is IdTagStatus.INVALID
    assert id_tag_info(refused(Refusal.NOT_ALLOWED)).status is IdTagStatus.INVALID
    long_group = AuthDecision("X", True, "ok", group_id="G" * 21)
    assert id_tag_info(long_group).payload() == {"status": "Accepted"}
