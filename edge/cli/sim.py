"""``edge sim``: a simulated site and the controller on one scaled clock."""

from __future__ import annotations

import argparse
import re
import sys

from pydantic import ValidationError

from edge.cli.common import EXIT_CONFIG, load_site
from edge.cli.ocpi import add_uplink_flags, apply_uplink_flags
from edge.config.schema import MqttSection, SiteConfig


def parse_duration(text: str) -> float:
    """`4h`, `90m`, `30s`, `2d` or plain seconds → seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(
            f"not a duration: {text!r} (use e.g. 4h, 90m, 30s)"
        )
    factor = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return float(m.group(1)) * factor


def cmd_sim(args: argparse.Namespace) -> int:
    """Run the simulated site with the controller."""
    from edge.cli.sim_live import run_sim

    config = load_site(args.config)
    config = None if config is None else apply_uplink_flags(config, args, True)
    config = None if config is None else apply_mqtt_flags(config, args)
    if config is None:
        return EXIT_CONFIG
    return run_sim(config, args)


def apply_mqtt_flags(config: SiteConfig, args: argparse.Namespace) -> SiteConfig | None:
    """The site with ``--mqtt-*`` applied to its [mqtt] table (None: reported)."""
    given = {
        "host": args.mqtt_host,
        "port": args.mqtt_port,
        "username": args.mqtt_username,
        "password_file": args.mqtt_password_file,
    }
    update = {key: value for key, value in given.items() if value is not None}
    if not update:
        return config
    data = (config.mqtt or MqttSection()).model_dump()
    data.update(update, enabled=True)
    try:
        section = MqttSection.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            print(f"--mqtt-*: mqtt{'.' + where if where else ''}: {error['msg']}",
                  file=sys.stderr)  # fmt: skip
        return None
    return config.model_copy(update={"mqtt": section})


def mqtt_port(text: str) -> int:
    """``--mqtt-port``: 1-65535."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r} (1-65535)")
    return int(text)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sim``."""
    sim = sub.add_parser("sim", help="run a simulated site and the controller together")
    sim.add_argument("--config", default="config/demo.toml")
    sim.add_argument("--speed", type=float, default=60.0)
    sim.add_argument("--duration", type=parse_duration, default=parse_duration("4h"))
    sim.add_argument("--db", help="database path (default: a new file per run)")
    sim.add_argument("--truth", help="append the simulator's plug-in/unplug log here")
    sim.add_argument("--quiet", action="store_true", help="no live table")
    sim.add_argument(
        "--json",
        action="store_true",
        help="print the closing figures (with the uplink's outcome) as one JSON object",
    )
    add_uplink_flags(sim, sim=True)
    mqtt = sim.add_argument_group(
        "MQTT", "publish the simulated site to a broker (overrides [mqtt] keys)"
    )
    mqtt.add_argument("--mqtt-host", metavar="HOST")
    mqtt.add_argument("--mqtt-port", metavar="PORT", type=mqtt_port)
    mqtt.add_argument("--mqtt-username", metavar="NAME")
    mqtt.add_argument(
        "--mqtt-password-file",
        metavar="PATH",
        help="the broker password (one line, mode 0600), or set EDGE_MQTT_PASSWORD",
    )
    sim.set_defaults(func=cmd_sim)
