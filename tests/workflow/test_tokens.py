"""Token stores: one token per key, across tasks, store instances and processes."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

from aioproton.workflow import MemoryTokenStore, SqliteTokenStore, TokenStore

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> TokenStore:
    if request.param == "memory":
        return MemoryTokenStore()
    return SqliteTokenStore(tmp_path / "tokens.db")


async def test_a_key_keeps_its_token_and_first_fingerprint(store: TokenStore) -> None:
    first = await store.claim("release-1/component/web", "fp-a", 100.0)
    again = await store.claim("release-1/component/web", "fp-b", 200.0)
    other = await store.claim("release-1/component/api", "fp-a", 100.0)
    assert again.token == first.token
    assert again.fingerprint == "fp-a"
    assert again.created_at == 100.0
    assert other.token != first.token
    assert len(first.token) <= 64
    assert first.age(160.0) == 60.0


async def test_renew_result_discard_and_purge(store: TokenStore) -> None:
    old = await store.claim("k", "fp", 100.0)
    renewed = await store.renew("k", "fp", 500.0)
    assert renewed.token != old.token
    assert renewed.created_at == 500.0
    await store.record_result("k", "arn:aws:proton:us-east-1:123456789012:component/web")
    assert (await store.claim("k", "fp", 600.0)).result is not None
    await store.claim("young", "fp", 900.0)
    assert await store.purge(older_than=800.0) == 1
    assert (await store.claim("k", "fp", 1000.0)).token != renewed.token
    await store.discard("young")
    assert (await store.claim("young", "fp", 1000.0)).created_at == 1000.0


async def test_concurrent_claims_of_one_key_agree(store: TokenStore) -> None:
    tokens: list[str] = []

    async def claim() -> None:
        tokens.append((await store.claim("shared", "fp", 1.0)).token)

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(claim)
    assert len(set(tokens)) == 1


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


_CLAIM = """
import sys, anyio
from aioproton.workflow import SqliteTokenStore

async def main():
    record = await SqliteTokenStore(sys.argv[1]).claim("shared", "fp", 1.0)
    print(record.token)

anyio.run(main)
"""


async def test_sqlite_store_is_shared_by_processes(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    SqliteTokenStore(path)
    outputs: list[str] = []

    async def run() -> None:
        result = await anyio.run_process(
            [sys.executable, "-c", _CLAIM, str(path)], cwd=REPO_ROOT, check=True
        )
        outputs.append(result.stdout.decode().strip())

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(run)
    assert len(outputs) == 4
    assert len(set(outputs)) == 1
