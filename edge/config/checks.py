"""Rules across keys: devices exist once, ids do not clash, models are known."""

from __future__ import annotations

from edge.config.circuits import EvseWiring, load_problems
from edge.config.schema import ContactorRef, DeviceRef, SiteConfig
from edge.config.values import value_problems


def cross_check(
    config: SiteConfig, known_models: set[str] | None
) -> list[tuple[str, str]]:
    """Return (key path, message) for every rule the site file breaks."""
    problems: list[tuple[str, str]] = []
    buses = {}
    for i, bus in enumerate(config.bus):
        if bus.id in buses:
            problems.append((f"bus[{i}].id", f"bus {bus.id!r} is defined twice"))
        buses[bus.id] = bus
        if bus.transport == "rtu" and not bus.device:
            problems.append((f"bus[{i}]", 'an rtu bus needs device = "/dev/tty..."'))
        if bus.transport != "rtu" and (not bus.host or bus.port is None):
            problems.append((f"bus[{i}]", f"a {bus.transport} bus needs host and port"))

    seen_uids: dict[str, int] = {}
    # (bus id, unit id) -> first key path that uses it
    units: dict[tuple[str, int], str] = {}
    rfid_ports: dict[str, str] = {}

    relays: dict[tuple[str, int], tuple[str, set[int]]] = {}
    relay_users: list[tuple[str, int]] = []

    def device(ref: DeviceRef, path: str, kind: str) -> None:
        if ref.bus not in buses:
            known = ", ".join(sorted(buses)) or "none defined"
            problems.append(
                (f"{path}.bus", f"unknown bus {ref.bus!r} (buses: {known})")
            )
        key = (ref.bus, ref.unit)
        if isinstance(ref, ContactorRef):
            # One relay module serves several EVSEs, one channel each.
            model, channels = relays.setdefault(key, (ref.model, set()))
            if key in units and units[key] not in {p for p, _ in relay_users}:
                problems.append(
                    (
                        f"{path}.unit",
                        f"Modbus id {ref.unit} on bus "
                        f"{ref.bus!r} is already used by {units[key]}",
                    )
                )
            elif ref.channel in channels or model != ref.model:
                problems.append(
                    (
                        f"{path}.channel",
                        f"channel {ref.channel} of relay "
                        f"{ref.unit} on bus {ref.bus!r} is already used",
                    )
                )
            channels.add(ref.channel)
            units.setdefault(key, path)
            relay_users.append((path, ref.channel))
        elif key in units:
            problems.append(
                (
                    f"{path}.unit",
                    f"Modbus id {ref.unit} on bus {ref.bus!r} is already "
                    f"used by {units[key]}",
                )
            )
        else:
            units[key] = path
        if known_models is not None and ref.model not in known_models:
            problems.append(
                (
                    f"{path}.model",
                    f"unknown {kind} model {ref.model!r}; "
                    "`edge profiles` lists the known ones",
                )
            )

    for i, evse in enumerate(config.evse):
        path = f"evse[{i}]"
        if evse.uid in seen_uids:
            problems.append(
                (
                    f"{path}.uid",
                    f"EVSE {evse.uid!r} is defined twice "
                    f"(also evse[{seen_uids[evse.uid]}])",
                )
            )
        seen_uids.setdefault(evse.uid, i)
        device(evse.meter, f"{path}.meter", "meter")
        device(evse.board, f"{path}.board", "EVSE board")
        if evse.contactor is not None:
            device(evse.contactor, f"{path}.contactor", "relay module")
        if evse.rfid is not None:
            if evse.rfid.port in rfid_ports:
                problems.append(
                    (
                        f"{path}.rfid.port",
                        f"reader port {evse.rfid.port!r} is already "
                        f"used by {rfid_ports[evse.rfid.port]}",
                    )
                )
            rfid_ports.setdefault(evse.rfid.port, f"{path}.rfid")

    token_uids: set[str] = set()
    for i, token in enumerate(config.token):
        if token.uid.upper() in token_uids:
            problems.append((f"token[{i}].uid", f"token {token.uid!r} is listed twice"))
        token_uids.add(token.uid.upper())

    if config.sim is not None:
        chargers = set() if config.ocpp is None else set(config.ocpp.evse_uids())
        for i, arrival in enumerate(config.sim.arrival):
            if arrival.evse not in seen_uids and arrival.evse not in chargers:
                problems.append(
                    (f"sim.arrival[{i}].evse", f"unknown EVSE {arrival.evse!r}")
                )
            if arrival.depart_min <= arrival.arrive_min:
                problems.append(
                    (f"sim.arrival[{i}].depart_min", "departure must follow arrival")
                )
    if config.load is not None:
        for i, circuit in enumerate(config.load.circuit):
            if circuit.meter is not None:
                ref = DeviceRef(**circuit.meter.model_dump())
                device(ref, f"load.circuit[{i}].meter", "meter")
        problems += load_problems(
            config.load,
            [EvseWiring(e.uid, e.phases, e.max_current_a) for e in config.evse],
        )
    if config.ocpi is not None and config.ocpi.enabled:
        problems += config.ocpi.transport_problems()
    if config.ocpp is not None:
        problems += config.ocpp.site_problems(seen_uids)
    problems += value_problems(config)
    return problems
