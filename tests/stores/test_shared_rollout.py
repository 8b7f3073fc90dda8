"""Replicas share one rollout: each item is handled by one live replica, exactly once."""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import psycopg
import pytest
from anyio.streams.text import TextReceiveStream

import aioproton
from aioproton.emulator import Emulator
from aioproton.testing import ProtonFaults
from aioproton.workflow import (
    FixedDelay,
    MemoryRolloutStateStore,
    Rollout,
    RolloutStatus,
    SqliteRolloutStateStore,
    Waiters,
)

from ..recipes import World, eventually
from ..workflow.conftest import SETTLE

pytestmark = pytest.mark.slow

REPLICA = Path(__file__).with_name("rollout_replica.py")
REPO_ROOT = Path(__file__).resolve().parents[2]


async def instances(world: World, services: int, per_service: int) -> None:
    await world.environment_template("base")
    await world.environment("prod")
    await world.service_template("web", ("1.0", "1.1"))
    for service in range(services):
        names = [(f"i{index:02d}", "prod") for index in range(per_service)]
        await world.service(f"s{service}", names, minor="0")


async def deployments(proton: aioproton.ProtonClient) -> collections.Counter[str]:
    """Deployments per service instance, from the server's history."""
    counts: collections.Counter[str] = collections.Counter()
    async for summary in proton.paginate.list_deployments():
        if summary.service_instance_name and not summary.component_name:
            name = (
                f"service/{summary.service_name}/service-instance/{summary.service_instance_name}"
            )
            counts[name] += 1
    return counts


async def versions(proton: aioproton.ProtonClient) -> set[str]:
    return {
        f"{i.template_major_version}.{i.template_minor_version}"
        async for i in proton.paginate.list_service_instances()
    }


class Replica:
    """One replica process of the shared rollout, its output read line by line."""

    def __init__(self, endpoint: str, database: str, tokens: str | None = None) -> None:
        self.command = [sys.executable, str(REPLICA), endpoint, database, "web", "1.1"]
        if tokens is not None:
            self.command.append(tokens)
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.started = anyio.Event()
        self.exited = anyio.Event()
        self.process: anyio.abc.Process | None = None

    async def run(self) -> None:
        process = self.process = await anyio.open_process(self.command, cwd=REPO_ROOT)
        self.started.set()
        async with process, anyio.create_task_group() as group:

            async def drain_errors() -> None:
                assert process.stderr is not None
                async for chunk in TextReceiveStream(process.stderr):
                    self.errors.append(chunk)

            group.start_soon(drain_errors)
            assert process.stdout is not None
            pending = ""
            async for chunk in TextReceiveStream(process.stdout):
                pending += chunk
                # Whole lines only: a chunk may end mid-line (the report is a long one).
                *lines, pending = pending.split("\n")
                self.lines.extend(lines)
            self.lines.extend(pending.splitlines())
            await process.wait()
        self.exited.set()

    def signal(self, number: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    @property
    def holder(self) -> str | None:
        return next((line.split()[1] for line in self.lines if line.startswith("holder ")), None)

    def finished(self, lines: list[str] | None = None) -> set[str]:
        """The items this replica recorded."""
        lines = self.lines if lines is None else lines
        return {line.split()[1] for line in lines if line.startswith("finished ")}

    def report(self) -> dict[str, Any]:
        assert self.lines, "".join(self.errors)
        report: dict[str, Any] = json.loads(self.lines[-1])
        return report


async def advance_the_clock(emulator: Emulator) -> None:
    """Deployments complete as the emulator's clock moves on."""
    while True:
        await anyio.sleep(0.01)
        emulator.advance(30)


async def test_three_replicas_share_a_rollout_and_survive_one_killed(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    proton_faults: ProtonFaults,
    proton_postgres_url: str,
) -> None:
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await instances(world, services=10, per_service=20)
    before = await deployments(proton_client)
    proton_faults.throttle(rate=0.2)
    replicas = [Replica(proton_emulator.endpoint_url, proton_postgres_url) for _ in range(3)]
    killed = replicas[0]

    async def kill_one_mid_run() -> None:
        await eventually(lambda: len(killed.finished()) >= 3, limit=120)
        killed.signal(signal.SIGKILL)

    with anyio.fail_after(240):
        async with anyio.create_task_group() as group:
            group.start_soon(advance_the_clock, proton_emulator)
            async with anyio.create_task_group() as running:
                for replica in replicas:
                    running.start_soon(replica.run)
                running.start_soon(kill_one_mid_run)
            group.cancel_scope.cancel()
    assert proton_faults.injected("throttle") > 0
    proton_faults.clear()

    assert killed.returncode == -signal.SIGKILL
    assert killed.finished(), "it was killed mid-run"
    live = replicas[1:]
    assert [replica.returncode for replica in live] == [0, 0], [r.errors for r in live]
    reports = [replica.report() for replica in live]
    for report in reports:
        assert report["stopped"] is None
        assert len(report["statuses"]) == 200
        assert set(report["statuses"].values()) <= {"UPDATED", "ALREADY_CURRENT"}
    assert reports[0] == reports[1], "every replica reads the same report"
    handled = [replica.finished() for replica in live]
    assert not handled[0] & handled[1], "no item handled by two live replicas"
    # An item the killed replica updated but could not report is found current on takeover.
    current = {path for path, status in reports[0]["statuses"].items() if status != "UPDATED"}
    taken_over = killed.finished() | handled[0] | handled[1] | current
    # The killed replica may have recorded an item and died before printing it: that
    # item is UPDATED in the report (and has its one deployment, checked below).
    unprinted = set(reports[0]["statuses"]) - taken_over
    assert len(unprinted) <= 8, "the killed replica's claims taken over"
    assert {reports[0]["statuses"][path] for path in unprinted} <= {"UPDATED"}
    assert await versions(proton_client) == {"1.1"}
    during = await deployments(proton_client) - before
    assert len(during) == 200
    assert set(during.values()) == {1}, "exactly one deployment per instance"


async def claims_of(url: str, holder: str) -> set[str]:
    """The items ``holder`` has a claim in force on (the database's view)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        cursor = await connection.execute(
            "SELECT path FROM aioproton_rollout_items "
            "WHERE claimed_by = %s AND claim_expires > clock_timestamp()",
            (holder,),
        )
        return {row[0] for row in await cursor.fetchall()}


def local_ports(pid: int) -> list[int]:
    """The local TCP ports of process ``pid``'s sockets (Linux: from /proc)."""
    fds = Path(f"/proc/{pid}/fd")
    links = (os.readlink(fd) for fd in fds.iterdir())
    inodes = {link[8:-1] for link in links if link.startswith("socket:[")}
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


async def in_a_transaction(url: str, pid: int) -> bool:
    """Whether process ``pid`` has a database transaction open (or a statement running)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        cursor = await connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE client_port = ANY(%s) "
            "AND client_addr IS NOT NULL AND state <> 'idle'",
            (local_ports(pid),),
        )
        row = await cursor.fetchone()
        return row is not None and row[0] > 0


async def test_a_replica_paused_past_its_claims_stops_writing_before_the_others_take_over(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    proton_faults: ProtonFaults,
    proton_postgres_url: str,
) -> None:
    """SIGSTOP one replica of three while it holds claims, for longer than their ttl: the
    others take its items over and finish the whole rollout; then SIGCONT it. It updates
    none of its lost items: the server shows one deployment per instance.

    A claim is confirmed before each update attempt, but a replica stopped between that
    check and its request still sends the request once resumed (Proton takes no fencing
    token, so no client-side check closes that gap): the replicas share one PostgreSQL
    token store, as the docs tell them to, so the service performs such a repeat once.
    """
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await instances(world, services=5, per_service=20)
    before = await deployments(proton_client)
    proton_faults.throttle(rate=0.2)
    replicas = [
        Replica(proton_emulator.endpoint_url, proton_postgres_url, proton_postgres_url)
        for _ in range(3)
    ]
    paused, live = replicas[0], replicas[1:]
    held: set[str] = set()

    async def pause_one_holding_claims() -> None:
        await eventually(lambda: len(paused.finished()) >= 3, limit=120)
        assert paused.holder is not None and paused.process is not None
        while True:
            paused.signal(signal.SIGSTOP)
            await anyio.sleep(0.1)  # statements already sent finish in the database
            # Paused inside a store transaction, it would keep its rows locked (no
            # replica may take them over) until resumed: pause it elsewhere.
            if not await in_a_transaction(proton_postgres_url, paused.process.pid):
                held.update(await claims_of(proton_postgres_url, paused.holder))
                if held:
                    break
            paused.signal(signal.SIGCONT)
            await anyio.sleep(0.02)
        # The others wait out its claims, take its items over and finish the rollout.
        for replica in live:
            await replica.exited.wait()
        paused.signal(signal.SIGCONT)

    with anyio.fail_after(240):
        async with anyio.create_task_group() as group:
            group.start_soon(advance_the_clock, proton_emulator)
            async with anyio.create_task_group() as running:
                for replica in replicas:
                    running.start_soon(replica.run)
                running.start_soon(pause_one_holding_claims)
            group.cancel_scope.cancel()
    assert proton_faults.injected("throttle") > 0
    proton_faults.clear()

    assert [replica.returncode for replica in replicas] == [0, 0, 0], [r.errors for r in replicas]
    assert await versions(proton_client) == {"1.1"}
    during = await deployments(proton_client) - before
    assert len(during) == 100
    assert set(during.values()) == {1}, "no instance updated by two replicas"
    assert held <= live[0].finished() | live[1].finished(), "its items were taken over"
    refused = "".join(paused.errors)
    assert any(f"the claim on {path} expired" in refused for path in held), refused
    reports = [replica.report() for replica in replicas]
    assert reports[1] == reports[2]
    for report in reports:
        assert report["stopped"] is None
        assert len(report["statuses"]) == 100
        assert set(report["statuses"].values()) <= {"UPDATED", "ALREADY_CURRENT"}


async def test_in_one_process_two_runs_split_the_items_and_one_report_serves_both(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await instances(world, services=1, per_service=12)
    state = MemoryRolloutStateStore()

    def shared() -> Rollout:
        return Rollout(
            proton_client,
            service_template="web",
            version="1.1",
            concurrency=3,
            state=state,
            shared=True,
            claim_poll=0.01,
        )

    first, second = shared(), shared()
    assert await first.report() is None
    handled: dict[str, list[str]] = {"first": [], "second": []}
    reports = {}

    async def run(name: str, rollout: Rollout) -> None:
        reports[name] = await rollout.run(
            on_result=lambda result: handled[name].append(result.target.path)
        )

    async with anyio.create_task_group() as group:
        group.start_soon(run, "first", first)
        group.start_soon(run, "second", second)
    assert not set(handled["first"]) & set(handled["second"])
    assert len(handled["first"]) + len(handled["second"]) == 12
    assert reports["first"].results == reports["second"].results
    assert reports["first"].count(RolloutStatus.UPDATED) == 12
    assert proton_emulator.requests.count(operation="UpdateServiceInstance", committed=True) == 12
    later = await shared().report()
    assert later is not None and later.count(RolloutStatus.UPDATED) == 12
    with pytest.raises(ValueError, match="give state="):
        Rollout(proton_client, service_template="web", version="1.1", shared=True)


async def test_a_claim_lost_between_throttling_retries_stops_the_update_before_it_is_sent(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    proton_faults: ProtonFaults,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The update is throttled; while the client waits to retry, the claim runs out and
    another replica takes the item. The retry is not sent: the claim is confirmed
    before each attempt, not only before the first."""
    caplog.set_level(logging.WARNING, logger="aioproton.workflow.rollout.waves")
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await instances(world, services=1, per_service=1)
    path = "service/s0/service-instance/i00"
    database = tmp_path / "state.db"
    rng = random.Random(31)  # its first draw is 0.012: the first retry waits about 2 s
    retry = aioproton.RetryPolicy(max_attempts=5, initial_delay=2.0, max_delay=2.0, rng=rng)
    # A client on the system clock: its retry waits in real time, as in production.
    proton = aioproton.ProtonClient(
        endpoint_url=proton_emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="AKIDREPLICA000000000",
        aws_secret_access_key="replica-secret",
        retry=retry,
    )
    rollout = Rollout(
        proton,
        service_template="web",
        version="1.1",
        state=SqliteRolloutStateStore(database),
        shared=True,
        claim_ttl=2.0,
        claim_poll=0.05,
        waiters=Waiters(proton, schedule=FixedDelay(0.02)),
    )
    proton_faults.throttle(times=1, operations=["UpdateServiceInstance"])

    def take_the_claim(holder: str | None, expires: float | None) -> None:
        with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as db:
            db.execute(
                "UPDATE rollout_items SET claimed_by = ?, claim_expires = ? WHERE path = ?",
                (holder, expires, path),
            )

    def lost() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "expired before its update was sent" in r.message]

    async def another_replica() -> None:
        await eventually(lambda: proton_faults.injected("throttle") == 1, limit=30)
        # The claim ran out meanwhile, and another replica has the item now.
        take_the_claim("another-replica", time.time() + 3600)
        await eventually(lambda: bool(lost()), limit=30)
        sent = proton_emulator.requests.count(operation="UpdateServiceInstance")
        assert sent == 1, "an update was sent after its claim was lost"
        take_the_claim(None, None)  # that replica stopped without a result: claim it again

    with anyio.fail_after(120):
        async with proton, anyio.create_task_group() as group:
            group.start_soon(advance_the_clock, proton_emulator)
            group.start_soon(another_replica)
            report = await rollout.run()
            group.cancel_scope.cancel()
    [record] = lost()
    assert record.__dict__["item"] == path
    assert record.__dict__["holder"] == rollout.holder
    assert "another replica has it" in record.__dict__["reason"]
    assert [r.status for r in report.results] == [RolloutStatus.UPDATED]
    assert proton_emulator.requests.count(operation="UpdateServiceInstance", committed=True) == 1
