"""``edge doctor``'s checks of the box: serial ports, latency timers, clock, disk.

- serial ports (the site file's, and every USB/ACM adapter in sysfs): present,
  a character device, the group the service user is in, openable by it;
- the FTDI latency timer of every USB serial adapter (``latency_timer`` in
  sysfs): 1 ms, or up to 16 ms more per Modbus transaction;
- the clock: NTP synchronised (``timedatectl``, else the kernel's adjtimex state);
- the data partition: free space, and a flash wear estimate: bytes written to
  the block device that holds the database since boot (its sysfs ``stat``,
  sectors of 512 bytes), per day of uptime.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import grp
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from edge.cli.doctor_findings import Finding, State, mb, read
from edge.config.schema import SiteConfig

WEAR_WARN_BYTES_PER_DAY = 5 << 30
"""Above this a 32 GB SD card (a few thousand erase cycles) wears out in years."""
DISK_FREE_MIN = 200 << 20


def serial_ports(config: SiteConfig | None, root: Path, user: str) -> list[Finding]:
    """Each serial port: there, a tty, and openable by the service user."""
    ports: set[str] = set()
    if config is not None:
        ports |= {b.device for b in config.bus if b.device}
        ports |= {e.rfid.port for e in config.evse if e.rfid is not None}
    for pattern in ("ttyUSB*", "ttyACM*", "ttyAMA*"):  # USB adapters, the Pi's UART
        for tty in (root / "sys/class/tty").glob(pattern):
            ports.add(f"/dev/{tty.name}")
    try:
        pw = pwd.getpwnam(user)
        groups = {g.gr_gid for g in grp.getgrall() if user in g.gr_mem} | {pw.pw_gid}
    except KeyError:
        pw, groups = None, set()
    out: list[Finding] = []
    if pw is None:
        out.append(
            Finding(
                "serial",
                f"user {user}",
                State.FIX,
                "no such user",
                "install the edge package (it creates the user), or pass --user",
            )
        )
    for port in sorted(ports):
        out.append(_port(port, pw, groups))
    if not ports:
        out.append(
            Finding("serial", "-", State.SKIP, "no serial port configured or found")
        )
    return out


def _port(port: str, pw: pwd.struct_passwd | None, groups: set[int]) -> Finding:
    try:
        st = os.stat(port)
    except OSError as exc:
        return Finding(
            "serial",
            port,
            State.FIX,
            f"missing ({exc.strerror})",
            "plug the adapter in; check `ls /dev/serial/by-id` and the site file",
        )
    if not stat.S_ISCHR(st.st_mode):
        return Finding(
            "serial",
            port,
            State.FIX,
            "not a character device",
            "point the site file at the adapter's /dev node",
        )
    group = _group_name(st.st_gid)
    if pw is None:
        return Finding("serial", port, State.WARN, f"group {group}", "")
    mode = st.st_mode
    can = (
        (st.st_uid == pw.pw_uid and mode & 0o600 == 0o600)
        or (st.st_gid in groups and mode & 0o060 == 0o060)
        or mode & 0o006 == 0o006
        or pw.pw_uid == 0
    )
    if not can:
        return Finding(
            "serial",
            port,
            State.FIX,
            f"{pw.pw_name} cannot open it (group {group}, mode {mode & 0o777:o})",
            f"usermod -aG {group} {pw.pw_name} (or the udev rule 70-edge-serial.rules)",
        )
    return Finding(
        "serial", port, State.OK, f"{pw.pw_name} can open it (group {group})"
    )


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def latency_timers(root: Path) -> list[Finding]:
    """FTDI adapters' latency timer: 1 ms wanted."""
    out = []
    for dev in sorted((root / "sys/bus/usb-serial/devices").glob("*")):
        text = read(dev / "latency_timer")
        if text is None:
            continue  # not an FTDI (no such attribute)
        try:
            ms = int(text)
        except ValueError:
            out.append(
                Finding("latency", dev.name, State.WARN, f"unreadable: {text!r}")
            )
            continue
        if ms <= 1:
            out.append(Finding("latency", dev.name, State.OK, f"{ms} ms"))
        else:
            out.append(
                Finding(
                    "latency",
                    dev.name,
                    State.FIX,
                    f"{ms} ms: up to {ms} ms added to every Modbus transaction",
                    f"echo 1 > /sys/bus/usb-serial/devices/{dev.name}/latency_timer "
                    "(for good: the edge package's udev rule 70-edge-serial.rules)",
                )
            )
    if not out:
        out.append(Finding("latency", "-", State.SKIP, "no FTDI adapter"))
    return out


def clock_sync() -> list[Finding]:
    """NTP synchronised: timedatectl, else the kernel's adjtimex state."""
    synced: bool | None = None
    how = ""
    if shutil.which("timedatectl"):
        res = subprocess.run(
            ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        if res.returncode == 0 and res.stdout.strip() in ("yes", "no"):
            synced, how = res.stdout.strip() == "yes", "timedatectl"
    if synced is None:
        state = _adjtimex_state()
        if state is not None:
            synced, how = state != 5, "adjtimex"  # 5: TIME_ERROR, unsynchronised
    if synced is None:
        return [Finding("clock", "ntp", State.SKIP, "neither timedatectl nor adjtimex")]
    if synced:
        return [Finding("clock", "ntp", State.OK, f"synchronised ({how})")]
    return [
        Finding(
            "clock",
            "ntp",
            State.FIX,
            f"not synchronised ({how})",
            "check the network and `timedatectl timesync-status`: sessions and CDRs "
            "carry this clock's times",
        )
    ]


def _adjtimex_state() -> int | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        buf = ctypes.create_string_buffer(512)  # struct timex, modes = 0: read only
        state = int(libc.adjtimex(buf))
    except (OSError, AttributeError):
        return None
    return None if state < 0 else state


def disk_and_wear(db: Path, root: Path) -> list[Finding]:
    """Free space where the database lives, and bytes written per day there."""
    where = db.parent if db.parent.exists() else Path("/")
    usage = shutil.disk_usage(where)
    free = usage.free
    out = []
    if free < DISK_FREE_MIN or free < usage.total // 20:
        out.append(
            Finding(
                "disk",
                str(where),
                State.FIX,
                f"{mb(free)} free of {mb(usage.total)}",
                "free space on the data partition (sessions are never dropped)",
            )
        )
    else:
        out.append(
            Finding(
                "disk", str(where), State.OK, f"{mb(free)} free of {mb(usage.total)}"
            )
        )
    dev = os.stat(where).st_dev
    stat_text = read(root / f"sys/dev/block/{os.major(dev)}:{os.minor(dev)}/stat")
    uptime = read(root / "proc/uptime")
    if stat_text is None or uptime is None:
        out.append(
            Finding("wear", str(where), State.SKIP, "no block device statistics")
        )
        return out
    written = int(stat_text.split()[6]) * 512
    days = max(float(uptime.split()[0]), 1.0) / 86400
    per_day = written / days
    detail = f"{mb(written)} written in {days * 24:.1f} h: {mb(int(per_day))}/day"
    if per_day > WEAR_WARN_BYTES_PER_DAY:
        out.append(
            Finding(
                "wear",
                str(where),
                State.WARN,
                detail,
                "find the writer (iotop); keep logs in RAM (journald Storage=volatile)",
            )
        )
    else:
        out.append(Finding("wear", str(where), State.OK, detail))
    return out
