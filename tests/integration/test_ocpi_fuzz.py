"""Generated junk at every OCPI route of a running server, over real HTTP.

The controller's uplink (with the simulated eMSP it registered with) runs in a
process of its own (:mod:`.ocpi_server_proc`); Hypothesis sends it requests
over loopback sockets: methods, paths (every route the app serves, its segments
filled with junk, and raw junk targets), query strings, headers, bodies (JSON
of any shape, token- and command-like objects, bytes, deep nesting, bodies over
the bound), each with no token, token B, a raw token B or a wrong one.

Each answer must be an HTTP answer below 500 with an OCPI envelope; the server
process must log nothing at ERROR and no traceback, still serve afterwards and
exit cleanly, and its RSS must grow less than 16 MiB over the run (measured
after a warm-up). Derandomized with no example database, so CI runs the same
examples every time (800 of them, ~20-35 s here).
"""

from __future__ import annotations

import base64
import json
import re
import socket
import string
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.uplink.ocpi.serve.routes import PREFIX, VERSION
from tests.integration.raw_http import Reply, head, parse

EXAMPLES = 800
MAX_BODY = 1 << 20
RSS_GROWTH_KIB = 16 * 1024
"""The server's RSS after the run, over its RSS before (warmed up)."""


@dataclass
class Served:
    """Our server in a process of its own (:mod:`.ocpi_server_proc`)."""

    proc: subprocess.Popen[bytes]
    log: Path
    port: int
    token_b: str
    routes: list[tuple[str, list[str]]]

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.findall(r"VmRSS:\s+(\d+)", status)[0])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    log = tmp_path / "server.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.ocpi_server_proc", str(tmp_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, f"the server did not start: {log.read_text()[-2000:]}"
        ready = json.loads(line)
        yield Served(proc, log, ready["port"], ready["token_b"], ready["routes"])
    finally:
        assert proc.stdout is not None
        proc.stdout.close()
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def send(port: int, raw: bytes, timeout: float = 20.0) -> Reply | None:
    """Send ``raw``; the answer, or None if the server closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        got = b""
        try:
            sock.sendall(raw)
            while chunk := sock.recv(65536):
                got += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
    return parse(got) if b"\r\n\r\n" in got else None


# ---- strategies ----------------------------------------------------------------
COMMANDS = [
    "START_SESSION",
    "STOP_SESSION",
    "RESERVE_NOW",
    "CANCEL_RESERVATION",
    "UNLOCK_CONNECTOR",
]
KNOWN = {
    "location_id": ["LOC1", "loc1"],
    "evse_uid": ["E1", "E2"],
    "connector_id": ["1"],
    "country_code": ["DE", "NL"],
    "party_id": ["MSP", "EXA"],
    "token_uid": ["CARD1", "04A23B1C00"],
    "command": COMMANDS,
}
"""What a path parameter holds on this site, by name: junk gets past the first
checks a third of the time only if these come up often."""
ODD = ["", "..", "%", "A" * 40, "%00", "\u00e9", "\U0001f600"]


def segment(name: str) -> st.SearchStrategy[str]:
    """A path segment for parameter ``name``: mostly valid, else junk."""
    known = st.sampled_from(KNOWN.get(name, ["x"]))
    return st.one_of(known, known, known, st.sampled_from(ODD), st.text(max_size=40))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(
        ["2026-03-02T08:00:00Z", "RFID", "ALLOWED", "http://127.0.0.1:1/x"]
    ),
)
json_value = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=12), inner, max_size=4),
    ),
    max_leaves=20,
)
FIELDS = [
    "country_code",
    "party_id",
    "uid",
    "type",
    "contract_id",
    "issuer",
    "valid",
    "whitelist",
    "last_updated",
    "location_id",
    "evse_uid",
    "connector_id",
    "response_url",
    "token",
    "session_id",
    "reservation_id",
    "expiry_date",
    "authorization_reference",
    "energy_contract",
    "visual_number",
]
ocpi_like = st.dictionaries(st.sampled_from(FIELDS), json_value, max_size=10)
body = st.one_of(
    st.just(b""),
    json_value.map(lambda v: json.dumps(v).encode()),
    ocpi_like.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.one_of(st.integers(1, 40), st.sampled_from([33, 1000, 5000, 100_000])).map(
        lambda d: b"[" * d + b"]" * d
    ),
    st.integers(MAX_BODY - 2, MAX_BODY + 2).map(lambda n: b" " * n),
)
query_value = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=30),
    st.sampled_from(["2026-03-02T08:00:00Z", "RFID", "APP_USER", "0", "100"]),
    st.sampled_from(["100000000000000000000", "18446744073709551616", "-1", "1e3"]),
)
QUERY_KEYS = ["offset", "limit", "date_from", "date_to", "type"]
query = st.one_of(
    st.just([]),
    st.lists(
        st.tuples(
            st.one_of(*[st.sampled_from(QUERY_KEYS)] * 4, st.text(max_size=8)),
            query_value,
        ),
        min_size=1,
        max_size=4,
    ),
)
VERBS = [b"GET", b"PUT", b"PATCH", b"POST", b"DELETE", b"HEAD", b"OPTIONS"]
junk_method = st.binary(min_size=1, max_size=8).filter(
    lambda m: not re.search(rb"[\s]", m)
)
header_value = st.binary(max_size=60).filter(lambda v: not re.search(rb"[\r\n\x00]", v))
extra_headers = st.lists(
    st.tuples(
        st.sampled_from(
            [
                b"X-Request-ID",
                b"X-Correlation-ID",
                b"OCPI-from-country-code",
                b"OCPI-from-party-id",
                b"OCPI-to-party-id",
                b"Content-Type",
                b"Accept",
                b"Expect",
                b"Authorization",
            ]
        ),
        header_value,
    ),
    max_size=3,
)
auth = st.sampled_from(["token"] * 5 + ["raw", "none", "wrong"])
junk_target = st.binary(min_size=1, max_size=120)
SAFE = string.ascii_letters + string.digits + "-._~"


@dataclass(frozen=True)
class Junk:
    """One request as it goes on the wire, and a short description."""

    raw: bytes = field(repr=False)  # up to a few MB: Hypothesis would print it whole
    what: str
    head_only: bool


@st.composite
def requests(
    draw: st.DrawFn, routes: list[tuple[str, list[str]]], token_b: str
) -> Junk:
    """A request: a route filled with junk (or a junk target), junk around it."""
    path, methods = draw(st.sampled_from(routes))
    # the common case first: Hypothesis leans toward small numbers
    if draw(st.integers(0, 9)) == 9:
        target = draw(junk_target)
    else:
        filled = re.sub(
            r"\{([^}:]+)(?::[^}]*)?\}",
            lambda m: urllib.parse.quote(draw(segment(m[1])), safe=SAFE),
            path,
        )
        q = urllib.parse.urlencode(draw(query))
        target = (filled + ("?" + q if q else "")).encode()
    pick = draw(st.integers(0, 9))  # mostly a method the route takes
    verbs = [m.encode() for m in methods] or VERBS
    if pick == 9:
        verb = draw(junk_method)
    else:
        verb = draw(st.sampled_from(verbs if pick < 7 else VERBS))
    headers = list(draw(extra_headers))
    who = draw(auth)
    if who == "token":
        headers.append(
            (b"Authorization", b"Token " + base64.b64encode(token_b.encode()))
        )
    elif who == "raw":
        headers.append((b"Authorization", b"Token " + token_b.encode()))
    elif who == "wrong":
        headers.append((b"Authorization", b"Token " + base64.b64encode(b"guess")))
    content = draw(body)
    raw = head(verb, target, headers, length=len(content)) + content
    what = f"{verb!r} {target[:200]!r} auth={who} body={content[:80]!r}"
    return Junk(raw, what, verb == b"HEAD")


def test_junk_at_every_route_never_500(served: Served) -> None:
    answers: dict[int, int] = {}
    versions = PREFIX.encode() + b"/versions"
    b64 = base64.b64encode(served.token_b.encode())
    for _ in range(20):  # warm up before the memory baseline
        assert send(served.port, head(b"GET", versions))
    before = served.rss_kib()

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )
    @given(junk=requests(served.routes, served.token_b))
    def one(junk: Junk) -> None:
        reply = send(served.port, junk.raw)
        assert reply is not None, f"no answer to {junk.what}"
        answers[reply.status] = answers.get(reply.status, 0) + 1
        assert reply.status < 500, f"{reply.status} {reply.body[:300]!r}: {junk.what}"
        if not junk.head_only:
            envelope = reply.json()
            assert isinstance(envelope["status_code"], int), junk.what
            assert "timestamp" in envelope, junk.what
        assert served.proc.poll() is None, f"the server died at {junk.what}"

    one()
    grown = served.rss_kib() - before
    # the server stays up and serves a real request
    ok = send(
        served.port, head(b"GET", versions, [(b"Authorization", b"Token " + b64)])
    )
    assert ok is not None
    assert (ok.status, ok.ocpi_status) == (200, 1000)
    assert served.proc.poll() is None
    assert served.proc.stdin is not None
    served.proc.stdin.close()  # stop it and read its whole log
    assert served.proc.wait(30) == 0
    log = served.log.read_text(errors="replace")
    bad = [x for x in log.splitlines() if x.startswith(("ERROR", "CRITICAL"))]
    assert bad == []
    assert "Traceback" not in log
    assert grown < RSS_GROWTH_KIB, f"server RSS grew {grown} KiB in {EXAMPLES} requests"
    # the junk got past the token check and the router, not only 401s and 404s
    assert answers.get(200, 0) + answers.get(201, 0) > EXAMPLES // 20, answers
    assert f"{PREFIX}/{VERSION}/tokens" in " ".join(p for p, _ in served.routes)
