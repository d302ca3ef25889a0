"""The local list planner: what a charger should hold, and the messages to get there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from edge.model.tokens import CachedToken, TokenSource, TokenType, WhitelistType
from edge.ocpp.list_plan import IdStatus, ListUpdate, apply, plan, select

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def token(uid, *, valid=True, whitelist="ALLOWED", source="ocpi", age_s=0, kind="RFID"):
    return CachedToken(
        "NL", "EXA", uid, TokenType(kind), uid, "eMSP", valid,
        WhitelistType(whitelist), T0 - timedelta(seconds=age_s),
        source=TokenSource(source),
    )  # fmt: skip


def test_what_goes_on_the_list():
    chosen = select(
        [
            token("aa01"),
            token("BB02", whitelist="ALWAYS"),
            token("CC03", whitelist="ALLOWED_OFFLINE"),
            token("DD04", whitelist="NEVER"),
            token("EE05", valid=False),
            token("FF06"),
            token("GG07", kind="APP_USER"),
            token("X" * 21),
        ],
        ["ff06", "ZZ99"],
        100,
    )
    assert chosen.entries == {
        "FF06": IdStatus.BLOCKED,
        "ZZ99": IdStatus.BLOCKED,
        "AA01": IdStatus.ACCEPTED,
        "BB02": IdStatus.ACCEPTED,
        "EE05": IdStatus.INVALID,
    }
    assert (chosen.left_out, chosen.too_long) == (0, 1)


def test_the_most_useful_subset_when_it_does_not_fit():
    tokens = [
        token("OLD", age_s=100),
        token("NEW", age_s=1),
        token("SITE", source="site", age_s=1000),
        token("GONE", valid=False),
    ]
    chosen = select(tokens, ["BLK"], 3)
    assert list(chosen.entries) == ["BLK", "SITE", "NEW"]
    assert chosen.left_out == 2
    assert chosen.kept[IdStatus.ACCEPTED] == 2


def test_full_then_differential_chunks():
    wanted = {f"T{i}": IdStatus.ACCEPTED for i in range(5)}
    updates = plan(None, wanted, 2, 7)
    assert [(u.version, u.full, len(u.entries)) for u in updates] == [
        (8, True, 2),
        (9, False, 2),
        (10, False, 1),
    ]
    assert updates[0].payload()["updateType"] == "Full"
    assert plan(wanted, wanted, 2, 10) == []


def test_a_removal_is_an_entry_without_its_status():
    update = plan({"A": IdStatus.ACCEPTED}, {}, 10, 1)
    assert update == [ListUpdate(2, False, (("A", None),))]
    assert update[0].payload()["localAuthorizationList"] == [{"idTag": "A"}]


tags = st.text("ABCDEF0123", min_size=1, max_size=4)
lists = st.dictionaries(tags, st.sampled_from(list(IdStatus)), max_size=30)


@given(
    held=st.none() | lists,
    wanted=lists,
    send_max=st.integers(1, 8),
    version=st.integers(0, 10**6),
)
def test_a_plan_reaches_the_wanted_list_within_every_limit(
    held, wanted, send_max, version
):
    updates = plan(held, wanted, send_max, version)
    capacity = max(len(held or {}), len(wanted))
    now = held
    for n, update in enumerate(updates, 1):
        assert update.version == version + n
        assert len(update.entries) <= send_max
        assert update.full == (held is None and n == 1)
        tags = [t for t, _ in update.entries]
        assert len(tags) == len(set(tags))  # idTags unique in a message
        now = apply(now, update)
        assert len(now) <= capacity  # never outgrows the charger's list
    assert (now or {}) == wanted
    if held is None:
        assert updates  # after a boot or a mismatch there is always a Full list


@given(
    uids=st.lists(st.text("ABC123", min_size=1, max_size=3), max_size=25),
    blocked=st.lists(st.text("ABC123", min_size=1, max_size=3), max_size=5),
    capacity=st.integers(0, 30),
)
def test_a_selection_fits_and_never_accepts_a_blocked_card(uids, blocked, capacity):
    tokens = [
        token(u, valid=i % 3 != 0, age_s=i) for i, u in enumerate(dict.fromkeys(uids))
    ]
    chosen = select(tokens, blocked, capacity)
    assert len(chosen.entries) <= capacity
    blocks = {b.upper() for b in blocked}
    for uid in blocks & set(chosen.entries):
        assert chosen.entries[uid] is IdStatus.BLOCKED
    statuses = list(chosen.entries.values())
    # Blocks first, then accepted, then invalid.
    order = [IdStatus.BLOCKED, IdStatus.ACCEPTED, IdStatus.INVALID]
    assert statuses == sorted(statuses, key=order.index)
    everyone = {t.uid.upper() for t in tokens} | blocks
    assert len(chosen.entries) + chosen.left_out == len(everyone)
