"""The end-of-day verdict catches what it is there to catch."""

from __future__ import annotations

from .verdict import judge


def visit(ev: str, plug: str, unplug: str, wh: float, evse: str = "E1") -> list[dict]:
    return [
        {"event": "plug_in", "time": f"2026-03-02T{plug}Z", "ev": ev,
         "evse_uid": evse, "energy_wh": 0.0},
        {"event": "unplug", "time": f"2026-03-02T{unplug}Z", "ev": ev,
         "evse_uid": evse, "energy_wh": wh},
    ]  # fmt: skip


TRUTH = visit("a", "08:00:00", "08:30:00", 1000.0) + visit(
    "b", "09:00:00", "09:30:00", 500.0
)


def test_one_session_per_visit_with_its_energy_is_clean() -> None:
    v = judge(
        TRUTH,
        [
            ("s1", "E1", "2026-03-02T08:01:00Z", "2026-03-02T08:30:00Z", 0, 1000),
            ("s2", "E1", "2026-03-02T09:01:00Z", "2026-03-02T09:30:00Z", 1000, 1501),
        ],
    )
    assert (v.duplicated, v.unbilled, v.wrong_energy, v.merged) == ({}, [], [], [])
    assert v.charged == ["a", "b"]


def test_a_lost_session_a_duplicate_and_invented_energy_are_caught() -> None:
    v = judge(
        TRUTH,
        [
            ("s1", "E1", "2026-03-02T08:01:00Z", "2026-03-02T08:10:00Z", 0, 400),
            ("s1b", "E1", "2026-03-02T08:11:00Z", "2026-03-02T08:30:00Z", 400, 1100),
        ],
    )
    assert v.unbilled == ["b"]
    assert v.duplicated == {"a": ["s1", "s1b"]}
    assert v.wrong_energy == [("s1,s1b", 1100, 1000.0)]


def test_a_session_spanning_two_visits_is_merged_and_holds_both() -> None:
    v = judge(
        TRUTH,
        [("s1", "E1", "2026-03-02T08:29:00Z", "2026-03-02T09:30:00Z", 0, 1500)],
    )
    assert (v.merged, v.unbilled, v.wrong_energy) == (["b"], [], [])
    short = judge(
        TRUTH,
        [("s1", "E1", "2026-03-02T08:29:00Z", "2026-03-02T09:30:00Z", 0, 1000)],
    )
    assert short.wrong_energy == [("s1", 1000, 1500.0)]
