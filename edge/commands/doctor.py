"""``edge doctor``: what on this box keeps the controller from working well.

Each check gives findings: a subject, a state (ok, warn, fix, skip), what was
seen and what to do. Exit 1 when any finding says fix. Checks:

- serial ports (the site file's, and every USB/ACM adapter in sysfs): present,
  a character device, the group the service user is in, openable by it;
- the FTDI latency timer of every USB serial adapter (``latency_timer`` in
  sysfs): 1 ms, or up to 16 ms more per Modbus transaction;
- the clock: NTP synchronised (``timedatectl``, else the kernel's adjtimex state);
- the data partition: free space, and a flash wear estimate: bytes written to
  the block device that holds the database since boot (its sysfs ``stat``,
  sectors of 512 bytes), per day of uptime;
- the database: ``PRAGMA integrity_check`` (read-only, :mod:`edge.store.health`);
- the uplink: the site file's OCPI versions URL, TCP connect and TLS handshake
  (the site's ``tls_ca_file`` or the system trust store), certificate expiry.

``--sysfs-root`` reads ``sys/`` and ``proc/`` under another directory (tests, or
a card mounted on a laptop).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import grp
import json
import os
import pwd
import shutil
import socket
import sqlite3
import ssl
import stat
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from edge.commands.common import load_site
from edge.config.schema import SiteConfig
from edge.store.health import integrity_check

WEAR_WARN_BYTES_PER_DAY = 5 << 30
"""Above this a 32 GB SD card (a few thousand erase cycles) wears out in years."""
DISK_FREE_MIN = 200 << 20
CERT_WARN_DAYS = 21


class State(StrEnum):
    """How a finding reads."""

    OK = "ok"
    WARN = "warn"
    FIX = "fix"
    SKIP = "skip"


@dataclass(frozen=True)
class Finding:
    """One line of the report."""

    check: str
    subject: str
    state: State
    detail: str
    fix: str = ""


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


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
        text = _read(dev / "latency_timer")
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
                f"{_mb(free)} free of {_mb(usage.total)}",
                "free space on the data partition (sessions are never dropped)",
            )
        )
    else:
        out.append(
            Finding(
                "disk", str(where), State.OK, f"{_mb(free)} free of {_mb(usage.total)}"
            )
        )
    dev = os.stat(where).st_dev
    stat_text = _read(root / f"sys/dev/block/{os.major(dev)}:{os.minor(dev)}/stat")
    uptime = _read(root / "proc/uptime")
    if stat_text is None or uptime is None:
        out.append(
            Finding("wear", str(where), State.SKIP, "no block device statistics")
        )
        return out
    written = int(stat_text.split()[6]) * 512
    days = max(float(uptime.split()[0]), 1.0) / 86400
    per_day = written / days
    detail = f"{_mb(written)} written in {days * 24:.1f} h: {_mb(int(per_day))}/day"
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


def _mb(n: int) -> str:
    return f"{n / (1 << 20):.0f} MiB"


def database(db: Path) -> list[Finding]:
    """PRAGMA integrity_check through the store."""
    try:
        health = integrity_check(db)
    except (OSError, sqlite3.Error) as exc:
        return [
            Finding(
                "database",
                str(db),
                State.FIX,
                f"cannot read: {exc}",
                "check --db and the file's owner (the edge user)",
            )
        ]
    size = f"{_mb(health.db_bytes)} + WAL {_mb(health.wal_bytes)}"
    if health.problems:
        return [
            Finding(
                "database",
                str(db),
                State.FIX,
                f"integrity_check: {'; '.join(health.problems[:3])}",
                "stop edge, keep a copy, then `sqlite3 DB .recover` into a new file",
            )
        ]
    return [Finding("database", str(db), State.OK, f"integrity ok ({size})")]


def uplink(url: str | None, cafile: str | None, timeout_s: float) -> list[Finding]:
    """The OCPI versions URL: TCP connect, TLS handshake, certificate expiry."""
    if url is None:
        return [
            Finding(
                "uplink", "-", State.SKIP, "no [ocpi] versions_url in the site file"
            )
        ]
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except OSError as exc:
        return [
            Finding(
                "uplink",
                url,
                State.FIX,
                f"TCP connect to {host}:{port}: {exc}",
                "check the network, DNS and firewall towards the backoffice",
            )
        ]
    with sock:
        if parts.scheme != "https":
            return [
                Finding(
                    "uplink",
                    url,
                    State.WARN,
                    "reachable, but not TLS",
                    "use an https:// versions URL",
                )
            ]
        ctx = ssl.create_default_context(cafile=cafile)
        try:
            with ctx.wrap_socket(sock, server_hostname=host) as tls:
                cert = tls.getpeercert()
        except (ssl.SSLError, OSError) as exc:
            return [
                Finding(
                    "uplink",
                    url,
                    State.FIX,
                    f"TLS handshake: {exc}",
                    "check the clock, tls_ca_file and the backoffice's certificate",
                )
            ]
    not_after = str((cert or {}).get("notAfter", ""))
    if not not_after:
        return [Finding("uplink", url, State.WARN, "TLS ok, no expiry date seen")]
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
    days = (expires - datetime.now(UTC)).days
    detail = f"TLS ok, certificate valid until {expires:%Y-%m-%d} ({days} days)"
    if days < CERT_WARN_DAYS:
        return [
            Finding(
                "uplink",
                url,
                State.WARN,
                detail,
                "ask the backoffice operator to renew its certificate",
            )
        ]
    return [Finding("uplink", url, State.OK, detail)]


def cmd_doctor(args: argparse.Namespace) -> int:
    """Run every check, print the table (or JSON); 1 when something needs fixing."""
    config = None
    if args.config:
        config = load_site(args.config)
        if config is None:
            return 1
    root = Path(args.sysfs_root)
    db = Path(args.db or (config.store.path if config else "/var/lib/edge/edge.db"))
    ocpi = None if config is None else config.ocpi
    url = None if ocpi is None else ocpi.versions_url
    findings = [
        *serial_ports(config, root, args.user),
        *latency_timers(root),
        *clock_sync(),
        *disk_and_wear(db, root),
        *database(db),
        *uplink(url, args.cafile or (ocpi.tls_ca_file if ocpi else None), args.timeout),
    ]
    if args.json:
        print(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        _table(findings)
    return 1 if any(f.state is State.FIX for f in findings) else 0


def _table(findings: list[Finding]) -> None:
    w_check = max(len(f.check) for f in findings)
    w_subject = min(max(len(f.subject) for f in findings), 40)
    for f in findings:
        head = f"{f.state.value.upper():5} {f.check:{w_check}} {f.subject:{w_subject}}"
        print(f"{head} {f.detail}")
        if f.fix:
            print(f"{'':5} {'':{w_check}} {'':{w_subject}} -> {f.fix}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``doctor``."""
    p = sub.add_parser(
        "doctor", help="check serial ports, clock, disk, database, uplink"
    )
    p.add_argument(
        "--config", help="the site file (default: none; /etc/edge/site.toml on a site)"
    )
    p.add_argument("--db", help="database path (default: the site file's store.path)")
    p.add_argument("--user", default="edge", help="the service user (default: edge)")
    p.add_argument(
        "--sysfs-root", default="/", help="read sys/ and proc/ under this directory"
    )
    p.add_argument(
        "--cafile", help="CA certificates for the uplink check (default: tls_ca_file)"
    )
    p.add_argument(
        "--timeout", type=float, default=5.0, help="uplink connect timeout, s"
    )
    p.add_argument("--json", action="store_true", help="one JSON array of findings")
    p.set_defaults(func=cmd_doctor)
