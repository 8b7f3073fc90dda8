"""SqliteTokenStore beyond the contract (``tests/stores/test_contract.py``): restarts."""

from __future__ import annotations

from pathlib import Path

from aioproton.workflow import SqliteTokenStore


async def test_sqlite_store_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    first = await SqliteTokenStore(path).claim("k", "fp", 1.0)
    await SqliteTokenStore(path).record_result("k", "arn:x")
    reopened = SqliteTokenStore(path)
    record = await reopened.get("k")
    assert record is not None
    assert record.token == first.token
    assert record.result == "arn:x"
    assert await reopened.get("missing") is None
