"""Leases with fencing, on SQLite and on a real PostgreSQL, held by real processes."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import psycopg
import pytest

from aioproton.workflow import (
    LeaseLostError,
    LeaseStore,
    LeaseUnavailableError,
    PostgresLeaseStore,
    SqliteLeaseStore,
    StoreConnectionError,
)

HOLDER = Path(__file__).with_name("lease_holder.py")
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return "sqlite", str(tmp_path / "leases.db")
    url: str = request.getfixturevalue("proton_postgres_url")
    return "postgres", url


def open_store(backend: tuple[str, str]) -> LeaseStore:
    kind, target = backend
    return SqliteLeaseStore(target) if kind == "sqlite" else PostgresLeaseStore(target)


@pytest.fixture
def holders(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.kill()
        process.wait()


def start_holder(
    holders: list[subprocess.Popen[bytes]], backend: tuple[str, str], output: Path, ttl: float
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, str(HOLDER), *backend, "rollout/web-1.3", str(ttl), str(output)],
        cwd=REPO_ROOT,
    )
    holders.append(process)
    return process


def read_lines(output: Path) -> list[str]:
    return output.read_text().splitlines() if output.exists() else []


async def wait_for_lines(output: Path, count: int) -> list[str]:
    with anyio.fail_after(60):
        while True:
            lines = read_lines(output)
            if len(lines) >= count:
                return lines
            await anyio.sleep(0.05)


async def test_a_second_holder_waits_or_gives_up(backend: tuple[str, str]) -> None:
    store = open_store(backend)
    async with store.hold("rollout/web-1.3", ttl=10) as first:
        with pytest.raises(LeaseUnavailableError) as caught:
            async with store.hold("rollout/web-1.3", ttl=10, wait=0):
                pytest.fail("two holders at once")
        assert caught.value.holder == first.holder
        assert 0 < caught.value.expires_in <= 10
        assert "wait longer" in str(caught.value)
        async with store.hold("rollout/other", ttl=10, wait=0) as other:
            assert other.holder != first.holder
    async with store.hold("rollout/web-1.3", ttl=10, wait=0) as second:
        assert second.fencing_token == first.fencing_token + 1
        await second.check()


async def test_a_waiting_holder_gets_the_lease_when_the_first_lets_go(
    backend: tuple[str, str],
) -> None:
    store = open_store(backend)
    order: list[str] = []
    acquired = anyio.Event()

    async def first() -> None:
        async with store.hold("target", ttl=10):
            acquired.set()
            order.append("first in")
            await anyio.sleep(0.3)
            order.append("first out")

    async def second() -> None:
        await acquired.wait()
        async with store.hold("target", ttl=10, wait=30):
            order.append("second in")

    async with anyio.create_task_group() as group:
        group.start_soon(first)
        group.start_soon(second)
    assert order == ["first in", "first out", "second in"]


@pytest.mark.slow
async def test_a_killed_holder_is_taken_over_after_expiry_with_a_higher_fence(
    backend: tuple[str, str], tmp_path: Path, holders: list[subprocess.Popen[bytes]]
) -> None:
    output = tmp_path / "writes.txt"
    process = start_holder(holders, backend, output, ttl=3)
    lines = await wait_for_lines(output, 2)
    process.kill()
    process.wait()
    old_fence = int(lines[0].split()[0])
    with anyio.fail_after(30):
        async with open_store(backend).hold("rollout/web-1.3", ttl=2, wait=None) as lease:
            assert lease.fencing_token == old_fence + 1


@pytest.mark.slow
async def test_a_paused_holder_stops_writing_once_resumed(
    backend: tuple[str, str], tmp_path: Path, holders: list[subprocess.Popen[bytes]]
) -> None:
    output = tmp_path / "writes.txt"
    process = start_holder(holders, backend, output, ttl=3)
    lines = await wait_for_lines(output, 3)
    old_fence = int(lines[0].split()[0])
    process.send_signal(signal.SIGSTOP)
    with anyio.fail_after(30):
        async with open_store(backend).hold("rollout/web-1.3", ttl=5, wait=None) as lease:
            assert lease.fencing_token > old_fence
            with output.open("a") as file:
                file.write(f"taken {lease.fencing_token}\n")
            process.send_signal(signal.SIGCONT)
            returncode = await anyio.to_thread.run_sync(process.wait)
            await lease.check()
    assert returncode == 3
    lines = output.read_text().splitlines()
    taken = lines.index(f"taken {lease.fencing_token}")
    assert lines[taken + 1 :] == ["lost"]
    assert all(line.split()[0] == str(old_fence) for line in lines[:taken])


async def test_a_holder_whose_connection_is_cut_stops_before_the_lease_expires(
    proton_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = PostgresLeaseStore(proton_postgres_url)
    holding = anyio.Event()
    still_valid: list[bool] = []
    errors: list[LeaseLostError] = []

    async def body() -> None:
        with pytest.raises(LeaseLostError) as caught:
            await hold()
        errors.append(caught.value)

    async def hold() -> None:
        async with store.hold("reconcile/prod", ttl=6) as lease:
            holding.set()
            try:
                await anyio.sleep_forever()
            finally:
                with anyio.CancelScope(shield=True):
                    async with await psycopg.AsyncConnection.connect(
                        proton_postgres_url, autocommit=True
                    ) as connection:
                        cursor = await connection.execute(
                            "SELECT expires_at > clock_timestamp() FROM aioproton_leases "
                            "WHERE name = %s AND fencing_token = %s",
                            ("reconcile/prod", lease.fencing_token),
                        )
                        row = await cursor.fetchone()
                        assert row is not None
                        still_valid.append(row[0])

    caplog.set_level(logging.WARNING, logger="aioproton.workflow.leases")
    async with anyio.create_task_group() as group:
        group.start_soon(body)
        await holding.wait()
        async with await psycopg.AsyncConnection.connect(
            proton_postgres_url, autocommit=True
        ) as admin:
            cursor = await admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name LIKE 'aioproton lease%%'"
            )
            assert await cursor.fetchone() == (1,)
    assert still_valid == [True]
    [error] = errors
    assert error.name == "reconcile/prod"
    assert "renewal failed" in str(error)
    lost = [r for r in caplog.records if r.getMessage().startswith("lease reconcile/prod lost")]
    assert lost
    assert lost[0].__dict__["fencing_token"] == error.fencing_token


async def test_an_error_in_the_body_propagates_as_is_and_frees_the_lease(
    backend: tuple[str, str],
) -> None:
    store = open_store(backend)
    with pytest.raises(KeyError):
        async with store.hold("target", ttl=10):
            raise KeyError("boom")
    async with store.hold("target", ttl=10, wait=0) as lease:
        assert lease.fencing_token == 2


async def test_bad_lease_settings_are_refused(tmp_path: Path) -> None:
    store = SqliteLeaseStore(tmp_path / "leases.db")
    with pytest.raises(ValueError, match="ttl must be positive"):
        async with store.hold("target", ttl=0):
            pytest.fail("held with no ttl")
    with pytest.raises(ValueError, match="margin"):
        async with store.hold("target", ttl=3, margin=2.5):
            pytest.fail("held with a margin past the renewals")


async def test_a_cut_connection_while_waiting_for_a_lease_is_a_typed_error(
    proton_postgres_url: str,
) -> None:
    store = PostgresLeaseStore(proton_postgres_url)

    async def wait_for_it() -> None:
        async with store.hold("target", ttl=30, wait=60):
            pytest.fail("acquired a held lease")

    async with store.hold("target", ttl=30), anyio.create_task_group() as group:
        group.start_soon(cut_waiters, proton_postgres_url)
        with pytest.raises(StoreConnectionError, match="while acquiring lease 'target'"):
            await wait_for_it()


async def cut_waiters(url: str) -> None:
    """Terminate the connection of the holder that waits (the one not holding a lease)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        with anyio.fail_after(30):
            while True:
                cursor = await admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name LIKE "
                    "'aioproton lease%%' ORDER BY backend_start DESC"
                )
                pids = [row[0] for row in await cursor.fetchall()]
                if len(pids) == 2:
                    await admin.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
                    return
                await anyio.sleep(0.05)


async def test_a_renewal_stuck_in_the_database_gives_up_before_the_lease_expires(
    proton_postgres_url: str,
) -> None:
    store = PostgresLeaseStore(proton_postgres_url)
    holding = anyio.Event()
    errors: list[LeaseLostError] = []
    still_valid: list[bool] = []

    async def hold() -> None:
        with pytest.raises(LeaseLostError) as caught:
            await hold_until_lost()
        errors.append(caught.value)

    async def hold_until_lost() -> None:
        async with store.hold("stuck", ttl=3) as lease:
            holding.set()
            try:
                await anyio.sleep_forever()
            finally:
                with anyio.CancelScope(shield=True):
                    still_valid.append(await valid(lease.fencing_token))

    async with await psycopg.AsyncConnection.connect(proton_postgres_url) as admin:

        async def valid(fencing_token: int) -> bool:
            cursor = await admin.execute(
                "SELECT expires_at > clock_timestamp() FROM aioproton_leases "
                "WHERE name = 'stuck' AND fencing_token = %s",
                (fencing_token,),
            )
            row = await cursor.fetchone()
            assert row is not None
            return bool(row[0])

        async with anyio.create_task_group() as group:
            group.start_soon(hold)
            await holding.wait()
            # A transaction that locks the row stalls every renewal, like a stuck server.
            await admin.execute("SELECT * FROM aioproton_leases WHERE name = 'stuck' FOR UPDATE")
        await admin.rollback()
    assert still_valid == [True]
    [error] = errors
    assert "no renewal was confirmed before its time ran out" in str(error)


async def test_a_renewal_confirmed_after_the_deadline_makes_the_holder_give_up(
    proton_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The renewal succeeds in the database, but its answer is read only after the
    lease's local deadline (the holder's event loop was blocked meanwhile, as in a long
    pause): the holder gives up, while the database still shows its lease."""
    store = PostgresLeaseStore(proton_postgres_url)
    caplog.set_level(logging.INFO, logger="aioproton.workflow.leases")
    still_valid: list[bool] = []
    expiries: list[float] = []
    locker = await anyio.to_thread.run_sync(RowLocker, proton_postgres_url, "late")

    async with await psycopg.AsyncConnection.connect(proton_postgres_url, autocommit=True) as admin:

        async def expiry(fencing_token: int) -> tuple[float, bool]:
            """When the lease expires (database clock), and whether it has not yet."""
            cursor = await admin.execute(
                "SELECT EXTRACT(EPOCH FROM expires_at)::float8, expires_at > clock_timestamp() "
                "FROM aioproton_leases WHERE name = 'late' AND fencing_token = %s",
                (fencing_token,),
            )
            row = await cursor.fetchone()
            assert row is not None
            return float(row[0]), bool(row[1])

        async def renewal_waits_on_the_lock() -> None:
            with anyio.fail_after(30):
                while True:
                    cursor = await admin.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'aioproton lease late' AND wait_event_type = 'Lock'"
                    )
                    if await cursor.fetchone() == (1,):
                        return
                    await anyio.sleep(0.02)

        async def hold() -> None:
            # Renewals every 2 s; a confirmed one is trusted for 5.5 s from its sending.
            async with store.hold("late", ttl=6, margin=0.5) as lease:
                entered = time.monotonic()
                try:
                    # The row is locked before the first renewal is due, so that renewal
                    # is sent and then waits in the database.
                    await anyio.to_thread.run_sync(locker.lock)
                    expiries.append((await expiry(lease.fencing_token))[0])
                    await renewal_waits_on_the_lock()
                    # Past the deadline the holder had when it sent that renewal (entered
                    # + 5.5 s at the latest), short of the one the renewal would give
                    # (entered + 7.5 s or so).
                    block_the_loop(entered + 6.5 - time.monotonic(), locker)
                    await anyio.sleep(5)
                    pytest.fail("the holder kept a lease confirmed after its deadline")
                finally:
                    with anyio.CancelScope(shield=True):
                        expires_at, valid = await expiry(lease.fencing_token)
                        expiries.append(expires_at)
                        still_valid.append(valid)

        with pytest.raises(LeaseLostError) as caught:
            await hold()
    assert still_valid == [True], "the holder gave up before the lease expired"
    assert expiries[1] > expiries[0], "the database did confirm the renewal"
    assert "confirmed too late" in str(caught.value)
    [record] = [r for r in caplog.records if r.getMessage().startswith("lease late lost")]
    assert record.levelno == logging.WARNING
    assert record.__dict__["fencing_token"] == caught.value.fencing_token
    assert "confirmed too late" in record.__dict__["reason"]
    assert record.__dict__["late_by"] > 0


def block_the_loop(seconds: float, locker: RowLocker) -> None:
    """Hold the event loop (a pause, as a long GC or a frozen VM makes one) while the row
    lock goes, so the database confirms the renewal and its answer waits unread."""
    releaser = threading.Thread(target=locker.release_after, args=(0.3,))
    releaser.start()
    time.sleep(max(0.0, seconds))
    releaser.join()


class RowLocker:
    """A plain (threaded) connection that holds a lease row's lock, released from a thread."""

    def __init__(self, url: str, name: str) -> None:
        self.connection = psycopg.connect(url)
        self.name = name

    def lock(self) -> None:
        self.connection.execute(
            "SELECT * FROM aioproton_leases WHERE name = %s FOR UPDATE", (self.name,)
        )

    def release_after(self, delay: float) -> None:
        time.sleep(delay)
        self.connection.rollback()
        self.connection.close()


@pytest.mark.slow
async def test_after_a_slow_acquisition_the_holder_renews_in_the_time_left(
    proton_postgres_url: str,
) -> None:
    """The acquisition waits on a locked row until less than ``ttl / 3`` is left before
    the holder's deadline: the next renewal is still tried in that time, and the lease
    is kept."""
    store = PostgresLeaseStore(proton_postgres_url)
    async with store.hold("slow", ttl=6):
        pass  # the row exists, free
    locker = await anyio.to_thread.run_sync(RowLocker, proton_postgres_url, "slow")
    await anyio.to_thread.run_sync(locker.lock)
    kept: list[bool] = []

    async with await psycopg.AsyncConnection.connect(proton_postgres_url, autocommit=True) as admin:

        async def release_once_the_acquisition_waits() -> None:
            with anyio.fail_after(30):
                while True:
                    cursor = await admin.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'aioproton lease slow' AND wait_event_type = 'Lock'"
                    )
                    if await cursor.fetchone() == (1,):
                        break
                    await anyio.sleep(0.02)
            # ttl 6, margin 1.5: the holder trusts the lease until 4.5 s after it sent
            # the acquisition; answered after about 3.2 s, 1.3 s (under ttl / 3) is left.
            await anyio.to_thread.run_sync(locker.release_after, 3.2)

        async with anyio.create_task_group() as group:
            group.start_soon(release_once_the_acquisition_waits)
            async with store.hold("slow", ttl=6) as lease:
                # Past the deadline the acquisition gave (without a renewal).
                await anyio.sleep(2.5)
                kept.append(not lease.lost)
    assert kept == [True]
