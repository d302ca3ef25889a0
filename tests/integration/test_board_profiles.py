"""Every EVSE board profile runs whole visits against its simulated board.

Parametrized over the profile files in ``drivers/profiles/evse/``: a new board
profile is tested by adding its file. A real Site (the controller) against a
hal_sim world over Modbus TCP, a card on a pty, a visit at 32 A that wants 3 kWh
(22 kW, ~8 min, hundreds of polls); the session's energy must be the EV's
energy (the simulator's truth) to the Wh. The Alfen's watchdog test keeps a
fixed visit of 20 minutes (twenty times its 60 s watchdog; a fed board fills
the EV in under half of it): what a starved board delivers in it is the
measure. The other visits end
when the EV is full and has stood, still plugged in, for five watchdog periods:
the world waits for the charge, not a fixed departure time, so a slow machine
only makes the visit longer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from drivers.modbus.profile import PROFILE_ROOT, ProfileLibrary
from edge.evse.states import Phase
from edge.store.sessions import list_sessions
from hal_sim.devices.evse_board import SAFE_CURRENT_A
from hal_sim.schedule import Visit

from .board_rig import board_site, running, until
from .sites import arrival

BOARD_FILES = sorted((PROFILE_ROOT / "evse").glob("*.toml"))
CARD = "04A23B1C00"
WANTED_WH = 3000


def unplugged(rig) -> list[float]:
    return [
        float(str(t["energy_wh"]))
        for t in rig.world.site.truth
        if t["event"] == "unplug"
    ]


STAND_S = 5 * 60.0
"""Site seconds a full EV stays plugged in before it leaves (five watchdog
periods of the Alfen, hundreds of polls)."""


FIXED_DEPART_MIN = 22
"""A fixed visit plugs in at minute 2 and leaves at 22 whatever it got."""


async def charge_a_visit(
    tmp_path: Path, model: str, speed: float, profiles=None, *, fixed: bool = False
):
    """A visit wanting 3 kWh at 32 A on 3 phases (22 kW, ~8 min).

    ``fixed``: the EV leaves at ``FIXED_DEPART_MIN``; else once it is full and
    has stood for ``STAND_S``.
    """
    depart = FIXED_DEPART_MIN if fixed else 1e6
    visits = arrival("ev1", "E1", CARD, 2, depart, WANTED_WH, current_a=32)
    config = board_site(tmp_path, model, visits, max_current_a=32)
    async with running(config, tmp_path / "edge.db", speed, profiles) as rig:
        if not fixed:
            channel = rig.world.site.channels["E1"]

            def full() -> bool:
                ev = channel.board.ev
                return ev is not None and ev.energy_taken_wh >= WANTED_WH

            await until(full, timeout_s=600)
            full_at = rig.clock.monotonic()
            await until(lambda: rig.clock.monotonic() - full_at >= STAND_S)
            assert channel.visit is not None
            rig.world.site.unplug(channel.visit)
        await until(lambda: bool(unplugged(rig)), timeout_s=600)
        ctl = rig.site.controllers["E1"]
        await until(lambda: ctl.state.session is None, timeout_s=60)
        sessions = await rig.db.run(list_sessions)
        return unplugged(rig)[0], sessions, rig.board


def test_every_board_profile_is_exercised() -> None:
    assert {p.stem for p in BOARD_FILES} >= {
        "evse_wb",
        "phoenix_ev_cc",
        "bender_cc612",
        "alfen_eve",
    }


@pytest.mark.parametrize("profile", BOARD_FILES, ids=lambda p: p.stem)
async def test_every_board_charges_a_whole_visit(tmp_path: Path, profile: Path) -> None:
    taken, sessions, board = await charge_a_visit(tmp_path, profile.stem, speed=300)
    assert taken == WANTED_WH  # the EV got all it wanted
    [session] = sessions
    assert (session.status, session.stop_reason) == ("COMPLETED", "EV_DISCONNECTED")
    assert session.token_uid == CARD
    assert session.energy_wh == round(taken)  # billed what the EV took, to the Wh
    assert board.writes > 0


def without_watchdog(tmp_path: Path, model: str) -> ProfileLibrary:
    """The shipped profiles, but ``model`` as if it declared no watchdog."""
    root = tmp_path / "profiles"
    shutil.copytree(PROFILE_ROOT, root)
    path = root / "evse" / f"{model}.toml"
    text = path.read_text()
    assert "\n[watchdog]\n" in text
    path.write_text(text.split("\n[watchdog]\n")[0] + "\n")
    return ProfileLibrary(root)


async def test_the_alfen_charges_its_energy_because_its_watchdog_is_fed(
    tmp_path: Path,
) -> None:
    fed, [session], board = await charge_a_visit(
        tmp_path / "fed", "alfen_eve", 300, fixed=True
    )
    assert fed == WANTED_WH == session.energy_wh
    # The same visit with a controller that does not know of the watchdog: the
    # station falls back to its safe current a minute after each write.
    starved, [session], board = await charge_a_visit(
        tmp_path / "starved",
        "alfen_eve",
        300,
        without_watchdog(tmp_path, "alfen_eve"),
        fixed=True,
    )
    assert board.watchdog_trips >= 1
    assert starved < 0.8 * WANTED_WH, starved  # ~6 A, not 32 A, most of the visit
    # Left to lapse while disabled, too, the station offered its safe current to
    # the EV before the card was shown: energy that no session bills. This is why
    # the feed rewrites a disabled board's 0 A as well.
    assert 0 < round(starved) - session.energy_wh < 100


async def test_a_fed_board_never_lapses_and_falls_back_once_the_controller_is_gone(
    tmp_path: Path,
) -> None:
    config = board_site(tmp_path, "alfen_eve")
    # The feed comes every 20 s of site time, 1/3 s of wall time at x60; the rig's
    # stall-free clock does not count a stall of the busy machine, so only 40 s
    # of site time without a feed (2/3 s of running) could let it lapse.
    async with running(config, tmp_path / "edge.db", speed=60) as rig:
        ctl = rig.site.controllers["E1"]
        await until(lambda: ctl.state.phase is Phase.AVAILABLE)
        visit = Visit("ev1", "E1", None, 0, 1e9, 60_000, 80_000, 0.2, 16, 3)
        rig.world.site.plug_in(visit)
        await rig.world.readers["E1"].present(CARD, 0.3)
        await until(lambda: rig.board.offered_a() == 16)
        start = rig.clock.monotonic()
        await until(lambda: rig.clock.monotonic() - start > 5 * 60)  # 5 periods
        assert rig.board.offered_a() == 16
        assert rig.board.watchdog_trips == 0
        feed = rig.site.schedulers["gw"].feeds["E1/board"]
        assert feed.fed >= 10  # every 20 s: 15 in 5 minutes
        # The controller is gone (its shutdown disables the board first); nothing
        # feeds the station any more, and it falls back to its safe current.
        await rig.stop_controller()
        assert rig.board.current_limit_a == 0
        gone = rig.clock.monotonic()
        await until(lambda: rig.board.offered_a() == SAFE_CURRENT_A)
        assert rig.clock.monotonic() - gone > 60 * 0.9
        assert rig.board.watchdog_trips == 1
