"""``edge config check FILE``, and the same check that ``edge run`` makes first.

The check refuses every file ``edge run`` would trip on or run unsafely with:
the schema (ranges, finite numbers), the rules across keys, and the files the
site names (the store and the credentials file writable, the tariff and TLS
files readable, the tariff as the uplink parses it). ``--no-paths`` skips the
files, to check a site file on another machine than the one it is for.
"""

from __future__ import annotations

import argparse
import sys

from drivers.modbus.profile import ProfileLibrary
from edge.cli.common import EXIT_CONFIG
from edge.config.circuits import surplus_roots
from edge.config.loader import ConfigError, MoreChecks, load_config
from edge.config.runtime import runtime_problems
from edge.config.schema import SiteConfig
from edge.model.measurement import Measurement

PHASE_CURRENTS = (
    Measurement.CURRENT_L1,
    Measurement.CURRENT_L2,
    Measurement.CURRENT_L3,
)
PHASE_POWERS = (Measurement.POWER_L1, Measurement.POWER_L2, Measurement.POWER_L3)


def tariff_problem(config: SiteConfig, path: str) -> str | None:
    """Why the uplink would refuse the tariff file (None: it would load it)."""
    from edge.ocpi.party import Party
    from edge.uplink.ocpi.site_context import UplinkConfigError, load_tariff

    try:
        load_tariff(path, Party(config.site.country_code, config.site.party_id))
    except UplinkConfigError as exc:
        # "ocpi.tariff_file PATH:\nfield: why\n...": the key is ours to print.
        head, *details = str(exc).removeprefix("ocpi.tariff_file").splitlines()
        return " ".join([head.strip(" :") + ":", "; ".join(details)]).strip(" :")
    return None


def site_checks(db: str | None, store: bool = True, listen: bool = False) -> MoreChecks:
    """The rules on the files a site names; ``db`` overrides ``store.path``."""

    def check(config: SiteConfig) -> list[tuple[str, str]]:
        path = (db or config.store.path) if store else None
        problems = runtime_problems(
            config, store_path=path, tariff_check=tariff_problem, listen=listen
        )
        if db is not None:
            # Not in the file: say so instead of pointing at store.path.
            problems = [
                ("", f"--db {db}: {msg}") if key == "store.path" else (key, msg)
                for key, msg in problems
            ]
        return problems

    return check


def grid_meter_problems(
    config: SiteConfig, library: ProfileLibrary
) -> list[tuple[str, str]]:
    """A circuit meter of ``[load]`` must read the current of every phase.

    The meter of a grid connection with cars charging from surplus must also
    read the signed active power (the total, or every phase's).
    """
    problems: list[tuple[str, str]] = []
    if config.load is None:
        return problems
    solar = surplus_roots(config.load)
    for i, circuit in enumerate(config.load.circuit):
        ref = circuit.meter
        if ref is None or ref.model not in library.ids():
            continue  # no meter, or an unknown model (reported by the cross check)
        profile = library.get(ref.model)
        missing = [m.value for m in PHASE_CURRENTS if profile.register(m) is None]
        if missing:
            problems.append((
                f"load.circuit[{i}].meter.model",
                f"meter model {ref.model!r} does not read {', '.join(missing)}: "
                "a circuit meter needs the current of every phase (a 3-phase meter)",
            ))  # fmt: skip
        no_power = profile.register(Measurement.POWER) is None and any(
            profile.register(m) is None for m in PHASE_POWERS
        )
        if circuit.id in solar and no_power:
            problems.append((
                f"load.circuit[{i}].meter.model",
                f"meter model {ref.model!r} does not read the active power: "
                "charging from surplus needs what the grid connection exports",
            ))  # fmt: skip
    return problems


def charger_model_problems(config: SiteConfig) -> list[tuple[str, str]]:
    """An OCPP charger's ``model`` must name a valid charger model profile."""
    from edge.ocpp import charger_models

    problems: list[tuple[str, str]] = []
    for i, charger in enumerate([] if config.ocpp is None else config.ocpp.charger):
        if charger.model is None:
            continue
        try:
            charger_models.load(charger.model)
        except charger_models.ModelProfileError as exc:
            problems.append((f"ocpp.charger[{i}].model", str(exc)))
    return problems


def _with_grid_meters(library: ProfileLibrary, more: MoreChecks | None) -> MoreChecks:
    def check(config: SiteConfig) -> list[tuple[str, str]]:
        problems = grid_meter_problems(config, library) + charger_model_problems(config)
        return problems + (more(config) if more is not None else [])

    return check


def check_site(
    path: str,
    *,
    db: str | None = None,
    store: bool = True,
    paths: bool = True,
    listen: bool = False,
) -> SiteConfig | None:
    """Load and check a site file; print every problem and return None if any."""
    try:
        library = ProfileLibrary()
        return load_config(
            path,
            library.ids(),
            more_checks=_with_grid_meters(
                library, site_checks(db, store, listen) if paths else None
            ),
        )
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"{len(exc.issues)} problem(s) in {path}", file=sys.stderr)
        return None


def cmd_config_check(args: argparse.Namespace) -> int:
    """Validate a site file and print every problem."""
    config = check_site(args.file, paths=not args.no_paths)
    if config is None:
        return EXIT_CONFIG
    print(
        f"{args.file}: OK ({len(config.evse)} EVSE, {len(config.bus)} bus, "
        f"{len(config.token)} token)"
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``config check``."""
    cfg = sub.add_parser("config", help="site file tools")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    check = cfg_sub.add_parser("check", help="validate a site file")
    check.add_argument("file")
    check.add_argument(
        "--no-paths",
        action="store_true",
        help="skip the files it names (checking it on another machine)",
    )
    check.set_defaults(func=cmd_config_check)
