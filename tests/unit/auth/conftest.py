from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge.model.clock import ManualClock
from edge.store.db import Database
from tests.unit.auth.fakes import T0


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "edge.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)
