"""Rules on values that the schema's types cannot say: each ``edge run`` trips on.

* ``site.time_zone`` is a time zone the system knows (zoneinfo);
* an RFID reader's ``baud`` is a rate a UART runs at;
* ids that OCPI (or an installer reading a log) treats without case are unique
  without case: two EVSEs ``e1`` and ``E1`` are one EVSE to a backoffice;
* a TCP bus names a port 1-65535 (0 is "any", not a Modbus server);
* the poll interval is shorter than the silence that opens the contactor;
* the OCPI retry base is not longer than its cap;
* ``sim.start`` has an offset (a local time is a different instant per machine);
* a simulated card fits the reader it is shown to (an RDM6300 sends 10 hex digits);
* a token's uid, contract id and group id are printable ASCII (OCPI CiStrings).

Each problem is ``(key path, message)``, as in :mod:`edge.config.checks`.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable

from edge.config.schema import SiteConfig

UART_BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
"""The rates the serial driver opens (as for a bus: see BusSection.baud)."""
_RDM6300_CARD = re.compile(r"^[0-9A-Fa-f]{10}$")
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")


def zone_problem(name: str) -> str | None:
    """Why ``name`` is not a usable IANA time zone here (None: it is)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return (
            f"unknown time zone {name!r}; give an IANA name such as "
            "'Europe/Amsterdam' (see `timedatectl list-timezones`)"
        )
    return None


def _case_twins(ids: Iterable[tuple[str, str]], what: str) -> list[tuple[str, str]]:
    """(key path, id) pairs: report ids equal but for case (not exact repeats)."""
    first: dict[str, tuple[str, str]] = {}
    problems = []
    for path, value in ids:
        key = value.casefold()
        if key in first and first[key][1] != value:
            problems.append((
                path,
                f"{what} {value!r} differs from {first[key][1]!r} ({first[key][0]}) "
                "only in case; ids are compared without case, so give another one",
            ))  # fmt: skip
        first.setdefault(key, (path, value))
    return problems


def value_problems(config: SiteConfig) -> list[tuple[str, str]]:
    """(key path, message) for each value ``edge run`` cannot run with."""
    problems: list[tuple[str, str]] = []
    why = zone_problem(config.site.time_zone)
    if why is not None:
        problems.append(("site.time_zone", why))
    problems += _case_twins(
        ((f"bus[{i}].id", b.id) for i, b in enumerate(config.bus)), "bus"
    )
    problems += _case_twins(
        ((f"evse[{i}].uid", e.uid) for i, e in enumerate(config.evse)), "EVSE"
    )
    problems += _case_twins(
        (
            (f"evse[{i}].evse_id", e.evse_id)
            for i, e in enumerate(config.evse)
            if e.evse_id is not None
        ),
        "EVSE id",
    )
    for i, bus in enumerate(config.bus):
        if bus.transport != "rtu" and bus.port == 0:
            problems.append(
                (f"bus[{i}].port", "port 0 is not a Modbus server; give 1-65535")
            )
    readers = {}
    for i, evse in enumerate(config.evse):
        rfid = evse.rfid
        if rfid is None:
            continue
        readers[evse.uid] = rfid.kind
        if rfid.baud is not None and rfid.baud not in UART_BAUDS:
            rates = ", ".join(str(b) for b in UART_BAUDS)
            problems.append((
                f"evse[{i}].rfid.baud",
                f"{rfid.baud} is not a serial baud rate (one of {rates}; leave it "
                f"out for the {rfid.kind} default)",
            ))  # fmt: skip
        if not rfid.port.strip():
            problems.append((f"evse[{i}].rfid.port", "give the reader's serial port"))
    for i, token in enumerate(config.token):
        for key in ("uid", "contract_id", "group_id"):
            value = getattr(token, key)
            if value is not None and not _TOKEN_CHARS.match(value):
                problems.append((
                    f"token[{i}].{key}",
                    f"{value!r}: printable ASCII without spaces (an OCPI "
                    "CiString); a backoffice would refuse every session with it",
                ))  # fmt: skip
    s = config.sessions
    if s.poll_interval_s >= s.device_timeout_s:
        problems.append((
            "sessions.poll_interval_s",
            f"{s.poll_interval_s:g} s is not shorter than device_timeout_s "
            f"({s.device_timeout_s:g} s): every device would look silent",
        ))  # fmt: skip
    ocpi = config.ocpi
    if ocpi is not None and ocpi.retry_base_s > ocpi.retry_max_s:
        problems.append((
            "ocpi.retry_base_s",
            f"{ocpi.retry_base_s:g} s is longer than retry_max_s "
            f"({ocpi.retry_max_s:g} s)",
        ))  # fmt: skip
    sim = config.sim
    if sim is not None:
        if sim.start is not None and sim.start.utcoffset() is None:
            problems.append((
                "sim.start",
                "give an offset or Z, e.g. 2026-03-02T07:00:00+01:00 (a local "
                "time is a different instant on every machine)",
            ))  # fmt: skip
        for i, visit in enumerate(sim.arrival):
            kind = readers.get(visit.evse)
            card = visit.card
            if kind == "rdm6300" and card and not _RDM6300_CARD.match(card):
                problems.append((
                    f"sim.arrival[{i}].card",
                    f"{card!r}: the RDM6300 reader at {visit.evse} sends 10 hex "
                    "digits",
                ))  # fmt: skip
        cards = sim.generate.cards if sim.generate is not None else []
        rdm = sorted(uid for uid, kind in readers.items() if kind == "rdm6300")
        for i, card in enumerate(cards):
            if rdm and not _RDM6300_CARD.match(card):
                problems.append((
                    f"sim.generate.cards[{i}]",
                    f"{card!r}: the RDM6300 reader at {rdm[0]} sends 10 hex digits",
                ))  # fmt: skip
    return problems
