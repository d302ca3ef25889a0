"""OCPP-J times: what a charger's reads as, what ours writes as."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from edge.ocpp.times import charger_time, is_date_time, wire_time

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-02T12:00:00Z",
        "2026-03-02t12:00:00z",
        "2026-03-02T12:00:00+00:00",
        "2026-03-02T12:00:00-00:00",
        "2026-03-02T13:00:00+01:00",
        "2026-03-02T06:30:00-05:30",
    ],
)
def test_each_spelling_of_an_offset_reads_as_the_same_utc_moment(text):
    moment = charger_time(text)
    assert moment == NOON
    assert moment.tzinfo is UTC


def test_fractions_are_kept_to_the_microsecond_and_cut_beyond():
    assert charger_time("2026-03-02T12:00:00.5Z") == NOON + timedelta(milliseconds=500)
    assert charger_time("2026-03-02T12:00:00.123456789Z") == NOON + timedelta(
        microseconds=123456
    )


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-02T12:00:00",  # naive: no offset
        "2026-03-02T12:00:00.123",  # naive with fractions
        "2026-03-02 12:00:00Z",  # a space for the T
        "2026-03-02",
        "2026-03-02T12:00Z",  # no seconds
        "2026-03-02T12:00:00+0100",  # offset without its colon
        "2026-03-02T24:00:00Z",
        "2026-02-30T12:00:00Z",
        "2026-12-31T23:59:60Z",  # a leap second: datetime has none
        "yesterday",
        "",
    ],
)
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match="not an RFC 3339 date-time"):
        charger_time(text)
    assert not is_date_time(text)


def test_ours_are_utc_with_a_z_to_the_millisecond_unless_said():
    moment = NOON + timedelta(microseconds=123456)
    assert wire_time(moment) == "2026-03-02T12:00:00.123Z"
    assert wire_time(moment, timespec="seconds") == "2026-03-02T12:00:00Z"
    plus_one = moment.astimezone(timezone(timedelta(hours=1)))
    assert wire_time(plus_one) == "2026-03-02T12:00:00.123Z"


def test_ours_read_back_as_the_same_moment():
    moment = NOON + timedelta(milliseconds=7)
    assert charger_time(wire_time(moment)) == moment


def test_microseconds_keep_a_moment_exact_through_its_wire_form():
    # a 2.0.1 event's start is said again to the 1.6 path, which dedups on it
    moment = (NOON + timedelta(microseconds=123456)).astimezone(
        timezone(timedelta(hours=2))
    )
    text = wire_time(moment, timespec="microseconds")
    assert text == "2026-03-02T12:00:00.123456Z"
    assert charger_time(text) == moment
    assert wire_time(NOON, timespec="microseconds") == "2026-03-02T12:00:00.000000Z"


def test_a_naive_moment_of_ours_is_a_bug_not_a_guess():
    with pytest.raises(ValueError, match="naive"):
        wire_time(datetime(2026, 3, 2, 12, 0))  # noqa: DTZ001
