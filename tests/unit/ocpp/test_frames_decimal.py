"""Decimal limits: a schema's ``multipleOf 0.1`` is taken in decimal, not float."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edge.ocpp import frames


def _profile(limit):
    return {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            },
        },
    }


@pytest.mark.parametrize("limit", [21.4, 10.1, 6.0, 16, Decimal("13.3")])
def test_one_decimal_is_a_multiple_of_a_tenth(limit):
    assert (
        frames.check("ocpp1.6", "SetChargingProfile", _profile(limit), result=False)
        is None
    )


@pytest.mark.parametrize("limit", [7.75, 0.05])
def test_two_decimals_are_not(limit):
    bad = frames.check("ocpp1.6", "SetChargingProfile", _profile(limit), result=False)
    assert bad is not None
    assert bad.code is frames.ErrorCode.PROPERTY_CONSTRAINT_VIOLATION
    assert "multipleOf" in bad.reason
