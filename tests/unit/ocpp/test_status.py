"""StatusNotification reports mapped to the EVSE vocabulary (edge.ocpp.status)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edge.evse.states import EvseStatus, Phase
from edge.ocpp.status import UNKNOWN, ChargerStatus, ConnectorStatus, StatusReport

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def _report(connector: int, status: ConnectorStatus) -> StatusReport:
    return StatusReport(connector, status, "NoError", None, NOW)


@pytest.mark.parametrize(
    ("status", "phase", "evse"),
    [
        (ConnectorStatus.AVAILABLE, Phase.AVAILABLE, EvseStatus.AVAILABLE),
        (ConnectorStatus.PREPARING, Phase.PREPARING, EvseStatus.CHARGING),
        (ConnectorStatus.CHARGING, Phase.CHARGING, EvseStatus.CHARGING),
        (ConnectorStatus.SUSPENDED_EV, Phase.SUSPENDED_EV, EvseStatus.CHARGING),
        (ConnectorStatus.SUSPENDED_EVSE, Phase.SUSPENDED_EVSE, EvseStatus.CHARGING),
        (ConnectorStatus.FINISHING, Phase.FINISHED, EvseStatus.CHARGING),
        (ConnectorStatus.RESERVED, Phase.AVAILABLE, EvseStatus.RESERVED),
        (ConnectorStatus.UNAVAILABLE, Phase.AVAILABLE, EvseStatus.INOPERATIVE),
        (ConnectorStatus.FAULTED, Phase.FAULTED, EvseStatus.OUTOFORDER),
    ],
)
def test_each_status(status, phase, evse):
    charger = ChargerStatus("CP", {1: "E1"}, online=True)
    assert charger.take(_report(1, status))
    assert (charger.evse(1).phase, charger.evse(1).status) == (phase, evse)


def test_connector_zero_unavailable_or_faulted_holds_for_all():
    charger = ChargerStatus("CP", {1: "E1", 2: "E2"}, online=True)
    charger.take(_report(1, ConnectorStatus.CHARGING))
    charger.take(_report(0, ConnectorStatus.AVAILABLE))
    assert charger.evses()["E1"].phase is Phase.CHARGING
    assert charger.evses()["E2"] == UNKNOWN
    charger.take(_report(0, ConnectorStatus.FAULTED))
    assert {s.status for s in charger.evses().values()} == {EvseStatus.OUTOFORDER}


def test_offline_is_unknown_and_undeclared_connectors_are_flagged():
    charger = ChargerStatus("CP", {1: "E1"}, online=False)
    assert not charger.take(_report(3, ConnectorStatus.AVAILABLE))
    assert charger.take(_report(1, ConnectorStatus.AVAILABLE))
    assert charger.evse(1) == UNKNOWN


def test_an_accepted_inoperative_shows_at_once_and_yields_to_sessions_and_faults():
    told: list[str] = []
    charger = ChargerStatus("CP", {1: "E1", 2: "E2"}, online=True, changed=told.append)
    charger.take(_report(1, ConnectorStatus.AVAILABLE))
    charger.take(_report(2, ConnectorStatus.CHARGING))
    told.clear()
    charger.set_availability(1, operative=False)
    assert told == ["E1"]
    assert charger.evse(1).status is EvseStatus.INOPERATIVE  # before it reports
    charger.set_availability(0, operative=False)  # the whole charger (Scheduled)
    assert charger.evse(2).status is EvseStatus.CHARGING  # its session runs on
    charger.take(_report(2, ConnectorStatus.AVAILABLE))  # and ended
    assert charger.evse(2).status is EvseStatus.INOPERATIVE
    charger.take(_report(1, ConnectorStatus.FAULTED))
    assert charger.evse(1).status is EvseStatus.OUTOFORDER  # a fault says more
    charger.set_online(False)
    assert charger.evse(2) == UNKNOWN
    charger.set_online(True)
    charger.set_availability(2, operative=True)  # connector 0 still holds it
    assert charger.evse(2).status is EvseStatus.INOPERATIVE
    told.clear()
    charger.set_availability(0, operative=True)
    assert told == ["E1", "E2"]
    assert charger.evse(2).status is EvseStatus.AVAILABLE  # as last reported
    assert charger.evse(1).status is EvseStatus.OUTOFORDER
