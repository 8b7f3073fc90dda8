"""The reconcile loop guard: two replicas never reconcile one target at the same time."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import anyio
import pytest

from aioproton.workflow import (
    EnvironmentTarget,
    LeaseStore,
    LeaseUnavailableError,
    PostgresLeaseStore,
    ServiceInstanceTarget,
    SqliteLeaseStore,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[LeaseStore, LeaseStore]:
    """Two replicas' stores over one lease table."""
    if request.param == "sqlite":
        return SqliteLeaseStore(tmp_path / "l.db"), SqliteLeaseStore(tmp_path / "l.db")
    url: str = request.getfixturevalue("proton_postgres_url")
    return PostgresLeaseStore(url), PostgresLeaseStore(url)


async def test_a_target_held_by_one_replica_is_skipped_by_the_other(
    stores: tuple[LeaseStore, LeaseStore], caplog: pytest.LogCaptureFixture
) -> None:
    first, second = stores
    target = ServiceInstanceTarget("api", "one")
    caplog.set_level(logging.INFO, logger="aioproton.workflow.leases")
    async with first.guard(target) as held:
        assert held is not None
        assert held.name == "reconcile/service/api/service-instance/one"
        async with second.guard(target) as skipped:
            assert skipped is None
    [record] = [r for r in caplog.records if r.getMessage().startswith("skipping")]
    assert record.__dict__["holder"] == held.holder
    async with second.guard(target) as later:
        assert later is not None
        assert later.fencing_token == held.fencing_token + 1


async def test_two_replicas_reconcile_every_target_and_never_one_at_once(
    stores: tuple[LeaseStore, LeaseStore],
) -> None:
    targets = [EnvironmentTarget(f"env-{index}") for index in range(6)]
    active: Counter[str] = Counter()
    reconciled: Counter[str] = Counter()
    overlaps: list[str] = []

    async def replica(store: LeaseStore) -> None:
        for _ in range(3):
            for target in targets:
                async with store.guard(target, ttl=10) as lease:
                    if lease is None:
                        continue
                    await lease.check()
                    active[target.name] += 1
                    if active[target.name] > 1:
                        overlaps.append(target.name)
                    await anyio.sleep(0.02)
                    reconciled[target.name] += 1
                    active[target.name] -= 1

    async with anyio.create_task_group() as group:
        for store in stores:
            group.start_soon(replica, store)
    assert overlaps == []
    assert set(reconciled) == {target.name for target in targets}


async def test_an_error_in_a_guarded_body_propagates(tmp_path: Path) -> None:
    store = SqliteLeaseStore(tmp_path / "l.db")

    async def reconcile() -> None:
        async with store.guard("prod") as lease:
            assert lease is not None
            raise KeyError("boom")

    with pytest.raises(KeyError):
        await reconcile()


async def test_a_busy_lease_inside_a_guarded_body_is_not_taken_for_a_busy_target(
    tmp_path: Path,
) -> None:
    store = SqliteLeaseStore(tmp_path / "l.db")

    async def reconcile() -> None:
        async with store.guard("prod") as lease:
            assert lease is not None
            async with store.hold("busy", ttl=10, wait=0):
                pytest.fail("held twice")

    async with store.hold("busy", ttl=10):
        with pytest.raises(LeaseUnavailableError):
            await reconcile()
