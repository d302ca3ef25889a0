"""edge doctor: a fake sysfs tree, a real SQLite file, a loopback TLS server."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from pathlib import Path

import pytest
import trustme

from edge.cli import main
from edge.cli.doctor_data import commissioning_page, database, uplink
from edge.cli.doctor_findings import State
from edge.cli.doctor_host import _port, latency_timers
from edge.store.db import open_sync


def fake_sysfs(root: Path, timers: dict[str, str]) -> Path:
    for name, value in timers.items():
        dev = root / "sys/bus/usb-serial/devices" / name
        dev.mkdir(parents=True)
        (dev / "latency_timer").write_text(value + "\n")
    (root / "sys/bus/usb-serial/devices/ttyUSB9").mkdir(parents=True)  # not FTDI
    return root


def test_latency_timer_16_ms_needs_fixing_1_ms_is_fine(tmp_path: Path) -> None:
    root = fake_sysfs(tmp_path, {"ttyUSB0": "16", "ttyUSB1": "1"})
    found = {f.subject: f for f in latency_timers(root)}
    assert set(found) == {"ttyUSB0", "ttyUSB1"}
    assert found["ttyUSB0"].state is State.FIX
    assert "ttyUSB0/latency_timer" in found["ttyUSB0"].fix
    assert found["ttyUSB1"].state is State.OK


def test_no_ftdi_is_a_skip(tmp_path: Path) -> None:
    assert [f.state for f in latency_timers(tmp_path)] == [State.SKIP]


def test_a_port_nobody_can_open(tmp_path: Path) -> None:
    import pwd

    nobody = pwd.getpwnam("nobody")
    assert _port("/dev/null", nobody, set()).state is State.OK  # 0666
    missing = _port(str(tmp_path / "ttyUSB7"), nobody, set())
    assert missing.state is State.FIX
    assert "missing" in missing.detail
    plain = tmp_path / "file"
    plain.write_text("")
    assert _port(str(plain), nobody, set()).state is State.FIX


def test_database_sound_then_corrupted(tmp_path: Path) -> None:
    path = tmp_path / "edge.db"
    db = open_sync(path)
    db.conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT)")
    with db.conn:  # one transaction: one fsync, not 2000 (synchronous=FULL)
        db.conn.execute("BEGIN")
        db.conn.executemany(
            "INSERT INTO filler (text) VALUES (?)", [("x" * 200,) for _ in range(2000)]
        )
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    [ok] = database(path)
    assert ok.state is State.OK
    assert "integrity ok" in ok.detail
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 2, len(data) // 2 + 20000, 1024):
        data[offset : offset + 64] = b"\xff" * 64  # page headers of the table's pages
    path.write_bytes(bytes(data))
    [bad] = database(path)
    assert bad.state is State.FIX
    assert bad.fix


def test_database_missing(tmp_path: Path) -> None:
    [f] = database(tmp_path / "none.db")
    assert f.state is State.FIX
    assert not (tmp_path / "none.db").exists()  # read-only: nothing created


@pytest.fixture
def tls_server(tmp_path: Path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(10)
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    yield f"https://127.0.0.1:{port}/ocpi/versions", str(cafile)
    stop.set()
    thread.join(5)
    listener.close()


def test_uplink_tls_and_certificate_expiry(tls_server) -> None:
    url, cafile = tls_server
    [f] = uplink(url, cafile, 5.0)
    assert f.state is State.OK, f
    assert "certificate valid until" in f.detail
    [untrusted] = uplink(url, None, 5.0)  # the system store does not know this CA
    assert untrusted.state is State.FIX
    assert "TLS handshake" in untrusted.detail


def test_uplink_refused() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    [f] = uplink(f"https://127.0.0.1:{port}/ocpi/versions", None, 2.0)
    assert f.state is State.FIX
    assert "TCP connect" in f.detail


def test_cli_json_and_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = fake_sysfs(tmp_path / "root", {"ttyUSB0": "16"})
    db = tmp_path / "edge.db"
    open_sync(db).conn.close()
    rc = main(
        [
            "doctor",
            "--db",
            str(db),
            "--sysfs-root",
            str(root),
            "--user",
            "root",
            "--json",
        ]
    )
    found = json.loads(capsys.readouterr().out)
    assert rc == 1  # the latency timer needs fixing
    states = {(f["check"], f["subject"]): f["state"] for f in found}
    assert states[("latency", "ttyUSB0")] == "fix"
    assert states[("database", str(db))] == "ok"
    (root / "sys/bus/usb-serial/devices/ttyUSB0/latency_timer").write_text("1\n")
    main(
        [
            "doctor",
            "--db",
            str(db),
            "--sysfs-root",
            str(root),
            "--user",
            "root",
            "--json",
        ]
    )
    found = json.loads(capsys.readouterr().out)
    assert all(
        f["state"] != "fix" for f in found if f["check"] in ("latency", "database")
    )


def test_table_names_what_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = fake_sysfs(tmp_path / "root", {"ttyUSB3": "16"})
    rc = main(["doctor", "--db", str(tmp_path / "x.db"), "--sysfs-root", str(root)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "FIX   latency  ttyUSB3" in out
    assert "-> echo 1 >" in out


def test_page_password_set_or_where_the_setup_code_is(tmp_path: Path) -> None:
    db = tmp_path / "edge.db"
    [none] = commissioning_page(db, True)
    assert none.state is State.WARN
    assert "no setup code" in none.detail
    code = tmp_path / "web-setup-code"
    code.write_text("C0FFEE42\n")
    [waiting] = commissioning_page(db, True)
    assert waiting.state is State.WARN
    assert str(code) in waiting.fix
    assert "C0FFEE42" not in waiting.detail + waiting.fix  # never the code itself
    (tmp_path / "web-password").write_text("scrypt$...\n")
    [done] = commissioning_page(db, True)
    assert done.state is State.OK
    [skipped] = commissioning_page(db, False)
    assert skipped.state is State.SKIP
