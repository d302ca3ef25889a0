"""Site files for integration tests: small, explicit, on free loopback ports."""

from __future__ import annotations

import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def site_file(
    tmp_path: Path,
    arrivals: str,
    *,
    port: int | None = None,
    evses: int = 2,
    extra: str = "",
    sim: str = "",
    device_timeout_s: float = 30.0,
) -> Path:
    """A site of ``evses`` EVSEs on one Modbus TCP gateway with the given visits.

    ``extra`` is TOML added before ``[sim]``, ``sim`` keys of ``[sim]`` itself.
    A fast clock does not speed up the wire: a test at ``xN`` gives
    ``device_timeout_s`` at least N x 1.5 s, so that a poll that takes a busy
    machine's wall time is not a silent device (``edge sim`` raises it itself).
    """
    port = port or free_port()
    lines = [
        '[site]\nname = "test"\n',
        f'[[bus]]\nid = "gw"\ntransport = "tcp"\nhost = "127.0.0.1"\nport = {port}\n'
        "timeout_ms = 500\n",
    ]
    for n in range(1, evses + 1):
        lines.append(
            f'[[evse]]\nuid = "E{n}"\nmax_current_a = 16\n'
            f'meter = {{ bus = "gw", unit = {2 * n - 1}, model = "eastron_sdm630" }}\n'
            f'board = {{ bus = "gw", unit = {2 * n}, model = "evse_wb" }}\n'
            f'rfid = {{ port = "{tmp_path}/rfid-E{n}", kind = "rdm6300" }}\n'
        )
    lines.append('[[token]]\nuid = "04A23B1C00"\ngroup_id = "fleet"\n')
    lines.append('[[token]]\nuid = "62E3086CED"\n')
    lines.append(
        f"[sessions]\ndevice_timeout_s = {device_timeout_s}\n"
        "checkpoint_interval_s = 600\n"
    )
    lines.append(extra)
    lines.append("[sim]\nstart = 2026-03-02T07:00:00+01:00\n" + sim + arrivals)
    path = tmp_path / "site.toml"
    path.write_text("\n".join(lines))
    return path


def arrival(
    ev: str,
    evse: str,
    card: str | None,
    arrive: float,
    depart: float,
    wanted_wh: int,
    current_a: float = 16.0,
) -> str:
    """One [[sim.arrival]] block."""
    card_toml = f'"{card}"' if card else '""'
    return (
        f'[[sim.arrival]]\nev = "{ev}"\nevse = "{evse}"\ncard = {card_toml}\n'
        f"arrive_min = {arrive}\ndepart_min = {depart}\n"
        f"energy_wanted_wh = {wanted_wh}\n"
        f"max_current_a = {current_a}\n"
    )
