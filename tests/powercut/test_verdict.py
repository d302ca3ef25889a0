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
            ("s1", "E1", "2026-03-02T08:01:00Z", "2026-03-02T08:30:00Z", 0, 1000, "EV"),
            (
                "s2",
                "E1",
                "2026-03-02T09:01:00Z",
                "2026-03-02T09:30:00Z",
                1000,
                1501,
                "EV",
            ),
        ],
    )
    assert (v.duplicated, v.unbilled, v.wrong_energy, v.merged) == ({}, [], [], [])
    assert v.charged == ["a", "b"]


def test_a_lost_session_a_duplicate_and_invented_energy_are_caught() -> None:
    v = judge(
        TRUTH,
        [
            ("s1", "E1", "2026-03-02T08:01:00Z", "2026-03-02T08:10:00Z", 0, 400, "EV"),
            (
                "s1b",
                "E1",
                "2026-03-02T08:11:00Z",
                "2026-03-02T08:30:00Z",
                400,
                1100,
                "EV",
            ),
        ],
    )
    assert v.unbilled == ["b"]
    assert v.duplicated == {"a": ["s1", "s1b"]}
    assert v.wrong_energy == [("s1,s1b", 1100, 1000.0)]


def test_a_session_spanning_two_visits_is_merged_and_holds_both() -> None:
    v = judge(
        TRUTH,
        [("s1", "E1", "2026-03-02T08:29:00Z", "2026-03-02T09:30:00Z", 0, 1500, "EV")],
    )
    assert (v.merged, v.unbilled, v.wrong_energy) == (["b"], [], [])
    short = judge(
        TRUTH,
        [("s1", "E1", "2026-03-02T08:29:00Z", "2026-03-02T09:30:00Z", 0, 1000, "EV")],
    )
    assert short.wrong_energy == [("s1", 1000, 1500.0)]


def swipe(ev: str, at: str) -> dict:
    return {"event": "card", "time": f"2026-03-02T{at}Z", "ev": ev,
            "evse_uid": "E1", "energy_wh": 0.0}  # fmt: skip


def test_a_driver_who_swiped_again_is_not_a_duplicate_but_a_glitch_is() -> None:
    sessions = [
        ("s1", "E1", "2026-03-02T08:01:00Z", "2026-03-02T08:05:00Z", 0, 0, "LOCAL"),
        ("s2", "E1", "2026-03-02T08:10:00Z", "2026-03-02T08:30:00Z", 0, 1000, "EV"),
    ]
    swipes = [swipe("a", "08:00:30"), swipe("a", "08:04:50"), swipe("a", "08:09:50")]
    v = judge(TRUTH + swipes, sessions)
    assert (v.restarted, v.duplicated) == (["a"], {})
    v = judge(TRUTH + swipes[:2], sessions)  # no swipe started s2
    assert v.duplicated == {"a": ["s1", "s2"]}
