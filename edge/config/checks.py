"""Rules across keys: devices exist once, ids do not clash, models are known."""

from __future__ import annotations

from edge.config.schema import DeviceRef, SiteConfig


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

    def device(ref: DeviceRef, path: str, kind: str) -> None:
        if ref.bus not in buses:
            known = ", ".join(sorted(buses)) or "none defined"
            problems.append(
                (f"{path}.bus", f"unknown bus {ref.bus!r} (buses: {known})")
            )
        key = (ref.bus, ref.unit)
        if key in units:
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
        for i, arrival in enumerate(config.sim.arrival):
            if arrival.evse not in seen_uids:
                problems.append(
                    (f"sim.arrival[{i}].evse", f"unknown EVSE {arrival.evse!r}")
                )
            if arrival.depart_min <= arrival.arrive_min:
                problems.append(
                    (f"sim.arrival[{i}].depart_min", "departure must follow arrival")
                )
    return problems
