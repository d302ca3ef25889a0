"""A decision with 10,000 cached tokens stays well under a millisecond.

See the figures with ``pytest tests/unit/auth/test_latency.py --log-cli-level=INFO``.
"""

from __future__ import annotations

import logging
import random
import time

from edge.auth.authorizer import Authorizer
from edge.model.clock import ManualClock
from edge.store import tokens as repo
from edge.store.db import Database
from tests.unit.auth.fakes import ocpi_token

log = logging.getLogger(__name__)
N_TOKENS = 10_000
N_SWIPES = 2_000


def _percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def test_p99_decision_with_10000_tokens(db: Database, clock: ManualClock) -> None:
    whitelists = ["ALWAYS", "ALLOWED"]
    tokens = [
        ocpi_token(f"{n:08X}", whitelist=whitelists[n % 2], group_id=f"G{n % 50}")
        for n in range(N_TOKENS)
    ]
    auth = Authorizer(db, clock)
    await auth.start()
    t0 = time.perf_counter()
    await auth.upsert_tokens(tokens)
    bulk_s = time.perf_counter() - t0
    assert await db.run(lambda d: len(repo.load_all(d))) == N_TOKENS

    rng = random.Random(7)
    samples = []
    for _ in range(N_SWIPES):
        uid = f"{rng.randrange(N_TOKENS):08x}"
        t0 = time.perf_counter()
        decision = await auth.authorize(uid)
        samples.append(time.perf_counter() - t0)
        assert decision.accepted
    p50, p99 = _percentile(samples, 0.5), _percentile(samples, 0.99)
    log.info(
        "bulk upsert %.0f ms; decision p50 %.1f us, p99 %.1f us",
        bulk_s * 1e3,
        p50 * 1e6,
        p99 * 1e6,
    )
    assert p99 < 1e-3

    # A reload of the whole cache (another process changed it) stays short too.
    t0 = time.perf_counter()
    await auth.reload()
    log.info("reload %.0f ms", (time.perf_counter() - t0) * 1e3)
    assert auth.lookup("00000001") is not None
