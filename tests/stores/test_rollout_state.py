"""Every rollout-state store keeps the same state: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import attrs
import psycopg
import pytest

from aioproton.workflow import (
    ItemState,
    MemoryRolloutStateStore,
    PostgresRolloutStateStore,
    RolloutPhase,
    RolloutState,
    RolloutStateStore,
    SqliteRolloutStateStore,
    StoreConnectionError,
    StoreError,
)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RolloutStateStore]:
    if request.param == "memory":
        yield MemoryRolloutStateStore()
    elif request.param == "sqlite":
        yield SqliteRolloutStateStore(tmp_path / "state.db")
    else:
        url: str = request.getfixturevalue("proton_postgres_url")
        async with PostgresRolloutStateStore(url) as postgres:
            yield postgres


def state(rollout_id: str = "r1", plan: str = "canary") -> RolloutState:
    return RolloutState(
        rollout_id=rollout_id,
        plan=plan,
        waves=(("environment/a",), ("environment/b", "environment/c")),
        steps=("1", "10%:pause=60"),
        items={
            path: ItemState(path=path, wave=wave, previous_version="1.0")
            for wave, path in [(0, "environment/a"), (1, "environment/b"), (1, "environment/c")]
        },
    )


async def test_a_state_round_trips_and_the_first_create_wins(store: RolloutStateStore) -> None:
    assert await store.load("r1") is None
    created = await store.create(state())
    assert created == state()
    again = await store.create(state(plan="all-at-once"))
    assert again.plan == "canary", "a second create returns the stored rollout unchanged"
    await store.record(
        "r1",
        ItemState(
            path="environment/a",
            wave=0,
            previous_version="1.0",
            status="UPDATED",
            deployment_id="d-1",
            message=None,
        ),
    )
    await store.advance("r1", 1, RolloutPhase.PAUSED, "paused after wave 1")
    loaded = await store.load("r1")
    assert loaded is not None
    assert (loaded.wave, loaded.phase, loaded.reason) == (
        1,
        RolloutPhase.PAUSED,
        "paused after wave 1",
    )
    assert loaded.steps == ("1", "10%:pause=60")
    assert loaded.waves == state().waves
    assert loaded.items["environment/a"].status == "UPDATED"
    assert loaded.items["environment/a"].deployment_id == "d-1"
    assert loaded.items["environment/b"].status == "PENDING"
    await store.discard("r1")
    assert await store.load("r1") is None


async def test_concurrent_creates_of_one_rollout_store_one_state(store: RolloutStateStore) -> None:
    plans: list[str] = []

    async def create(index: int) -> None:
        plans.append((await store.create(state(plan=f"plan-{index}"))).plan)

    async with anyio.create_task_group() as group:
        for index in range(8):
            group.start_soon(create, index)
    assert len(set(plans)) == 1


async def test_postgres_state_store_tables_and_errors(proton_postgres_url: str) -> None:
    closed = PostgresRolloutStateStore(proton_postgres_url)
    with pytest.raises(StoreError, match="async with PostgresRolloutStateStore"):
        await closed.load("r1")
    with pytest.raises(StoreError, match="postgresql://user@host"):
        PostgresRolloutStateStore("not a url ===")
    async with PostgresRolloutStateStore(proton_postgres_url) as store:
        await store.create(state())
    async with await psycopg.AsyncConnection.connect(proton_postgres_url) as connection:
        cursor = await connection.execute(
            "SELECT version FROM aioproton_schema WHERE component = 'rollouts'"
        )
        assert await cursor.fetchall() == [(1,)]
        await connection.execute(
            "UPDATE aioproton_schema SET version = 99 WHERE component = 'rollouts'"
        )
        await connection.commit()
    with pytest.raises(StoreError, match="upgrade aioproton"):
        async with PostgresRolloutStateStore(proton_postgres_url):
            pytest.fail("opened a store with a newer schema")
    with contextlib.suppress(Exception):
        await closed.aclose()


async def test_a_result_is_recorded_only_while_its_claim_stands(store: RolloutStateStore) -> None:
    """A replica whose claim ran out, and was taken by another, records nothing: the
    other's result stays."""
    await store.create(state())
    assert await store.claim("r1", 0, "first", 0.05, 5) == ["environment/a"]
    assert await store.renew_claim("r1", "environment/a", "first", 0.05)
    await anyio.sleep(0.2)  # the first replica paused past its claim
    assert not await store.renew_claim("r1", "environment/a", "first", 30)
    assert await store.claim("r1", 0, "second", 30, 5) == ["environment/a"]
    assert await store.renew_claim("r1", "environment/a", "second", 30)
    current = ItemState(
        path="environment/a", wave=0, previous_version="1.0", status="ALREADY_CURRENT"
    )
    assert await store.record("r1", current, "second")

    late = attrs.evolve(current, status="UPDATED", deployment_id="d-late")
    assert not await store.record("r1", late, "first")
    loaded = await store.load("r1")
    assert loaded is not None and loaded.items["environment/a"] == current
    # Without a holder (a rollback, an unshared rollout) the result is recorded as before.
    assert await store.record("r1", late)
    loaded = await store.load("r1")
    assert loaded is not None and loaded.items["environment/a"] == late


async def test_a_connection_left_idle_in_a_transaction_is_ended_and_its_locks_freed(
    proton_postgres_url: str,
) -> None:
    """A replica stopped inside a store transaction (SIGSTOP, a frozen VM) would keep its
    rows locked, and the others, claiming with SKIP LOCKED, would pass them by: the
    server ends such a connection after ``idle_in_transaction_timeout``."""
    async with (
        PostgresRolloutStateStore(proton_postgres_url) as default,
        default._connection() as connection,
    ):
        cursor = await connection.execute("SHOW idle_in_transaction_session_timeout")
        assert await cursor.fetchone() == ("3s",)
    with pytest.raises(ValueError, match="idle_in_transaction_timeout must be positive"):
        PostgresRolloutStateStore(proton_postgres_url, idle_in_transaction_timeout=0)
    async with (
        PostgresRolloutStateStore(proton_postgres_url, idle_in_transaction_timeout=0.5) as stopped,
        PostgresRolloutStateStore(proton_postgres_url) as other,
    ):
        await stopped.create(state())
        claimed: list[str] = []

        async def stop_inside_a_transaction() -> None:
            async with stopped._transaction() as connection:
                await connection.execute(
                    "SELECT path FROM aioproton_rollout_items WHERE rollout_id = 'r1' FOR UPDATE"
                )
                with anyio.fail_after(30):
                    while True:  # the other replica claims, passing locked rows by
                        claimed.extend(await other.claim("r1", 0, "other", 30, 5))
                        if claimed:
                            break
                        await anyio.sleep(0.05)
                await connection.execute("SELECT 1")  # the stopped replica wakes up

        with pytest.raises(StoreConnectionError, match="left idle in a transaction"):
            await stop_inside_a_transaction()
        assert claimed == ["environment/a"]
        # Its pool replaces the ended connection.
        loaded = await stopped.load("r1")
        assert loaded is not None and loaded.rollout_id == "r1"
