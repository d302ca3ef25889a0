"""OCPP 2.0.1 TransactionEvent records and their seqNo rules (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from edge.ocpp.transaction_event import (
    EventType,
    Repeat,
    Take,
    TxEvent,
    as_16_samples,
    verdict,
)


def test_an_event_from_its_payload():
    ev = TxEvent.of(
        {
            "eventType": "Started",
            "timestamp": "2026-03-02T06:00:00Z",
            "triggerReason": "Authorized",
            "seqNo": 0,
            "offline": True,
            "transactionInfo": {
                "transactionId": "T-1",
                "chargingState": "Charging",
                "remoteStartId": 7,
            },
            "evse": {"id": 2, "connectorId": 1},
            "idToken": {"idToken": "04A1", "type": "ISO14443"},
        }
    )
    assert ev.event_type is EventType.STARTED
    assert ev.timestamp == datetime(2026, 3, 2, 6, tzinfo=UTC)
    assert (ev.transaction_id, ev.seq_no, ev.offline) == ("T-1", 0, True)
    assert (ev.evse_id, ev.connector_id, ev.remote_start_id) == (2, 1, 7)
    assert (ev.id_token, ev.id_token_type) == ("04A1", "ISO14443")
    assert ev.meter_values == ()


def test_201_meter_values_in_the_16_shape():
    mv = {
        "timestamp": "2026-03-02T06:00:00Z",
        "sampledValue": [
            {"value": 12.5, "unitOfMeasure": {"unit": "kWh"}},
            {"value": 7.4, "measurand": "Power.Active.Import",
             "unitOfMeasure": {"unit": "W", "multiplier": 3}},
            {"value": 1, "signedMeterValue": {"signedMeterData": "x",
             "signingMethod": "m", "encodingMethod": "e", "publicKey": "k"}},
        ],
    }  # fmt: skip
    assert as_16_samples(mv) == {
        "timestamp": "2026-03-02T06:00:00Z",
        "sampledValue": [
            {"value": "12.5", "unit": "kWh"},
            {"value": "7400", "measurand": "Power.Active.Import", "unit": "W"},
            {"value": "1", "format": "SignedData"},
        ],
    }


def test_seq_numbers():
    assert verdict([], 0) == Take()
    assert verdict([0, 1], 2) == Take()
    assert verdict([0, 1], 1) == Repeat()
    assert verdict([0], 3) == Take(2, (1, 2))
    assert verdict([0, 3], 1) == Take()  # a late one fills the gap
    assert verdict([0, 1, 3], 4) == Take(1, (2,))
    big = verdict([0], 10**9)
    assert isinstance(big, Take)
    assert big.missing == 10**9 - 1
    assert big.first_missing == (1, 2, 3, 4, 5)
