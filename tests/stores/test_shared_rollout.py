"""Replicas share one rollout: each item is handled by one live replica, exactly once."""

from __future__ import annotations

import collections
import json
import signal
import sys
from pathlib import Path

import anyio
import anyio.abc
import pytest

import aioproton
from aioproton.emulator import Emulator
from aioproton.testing import ProtonFaults
from aioproton.workflow import (
    MemoryRolloutStateStore,
    Rollout,
    RolloutStatus,
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
    outputs: dict[int, list[str]] = {index: [] for index in range(3)}
    processes: dict[int, anyio.abc.Process] = {}
    errors: dict[int, list[str]] = {index: [] for index in range(3)}

    async def replica(index: int) -> None:
        process = await anyio.open_process(
            [
                sys.executable,
                str(REPLICA),
                proton_emulator.endpoint_url,
                proton_postgres_url,
                "web",
                "1.1",
            ],
            cwd=REPO_ROOT,
        )
        processes[index] = process
        async with process, anyio.create_task_group() as group:

            async def drain_errors() -> None:
                assert process.stderr is not None
                async for chunk in process.stderr:
                    errors[index].append(chunk.decode())

            group.start_soon(drain_errors)
            assert process.stdout is not None
            pending = ""
            async for chunk in process.stdout:
                pending += chunk.decode()
                # Whole lines only: a chunk may end mid-line (the report is a long one).
                *lines, pending = pending.split("\n")
                outputs[index].extend(lines)
            outputs[index].extend(pending.splitlines())
            await process.wait()

    async def tick() -> None:
        while True:
            await anyio.sleep(0.01)
            proton_emulator.advance(30)

    async def kill_one_mid_run() -> None:
        def mid_run() -> bool:
            return sum(1 for line in outputs[0] if line.startswith("finished ")) >= 3

        await eventually(mid_run, limit=120)
        processes[0].send_signal(signal.SIGKILL)

    with anyio.fail_after(240):
        async with anyio.create_task_group() as group:
            group.start_soon(tick)
            async with anyio.create_task_group() as replicas:
                for index in range(3):
                    replicas.start_soon(replica, index)
                replicas.start_soon(kill_one_mid_run)
            group.cancel_scope.cancel()
    proton_faults.clear()

    assert processes[0].returncode == -signal.SIGKILL
    assert any(line.startswith("finished ") for line in outputs[0]), "it was killed mid-run"
    assert [processes[index].returncode for index in (1, 2)] == [0, 0], errors
    tails = {index: outputs[index][-3:] for index in outputs}
    assert all(outputs[index][-1:] for index in (1, 2)), (tails, errors)
    reports = [json.loads(outputs[index][-1]) for index in (1, 2)]
    for report in reports:
        assert report["stopped"] is None
        assert len(report["statuses"]) == 200
        assert set(report["statuses"].values()) <= {"UPDATED", "ALREADY_CURRENT"}
    assert reports[0] == reports[1], "every replica reads the same report"
    handled = [
        {line.split()[1] for line in outputs[index] if line.startswith("finished ")}
        for index in (1, 2)
    ]
    assert not handled[0] & handled[1], "no item handled by two live replicas"
    killed = {line.split()[1] for line in outputs[0] if line.startswith("finished ")}
    # An item the killed replica updated but could not report is found current on takeover.
    current = {path for path, status in reports[0]["statuses"].items() if status != "UPDATED"}
    taken_over = killed | handled[0] | handled[1] | current
    assert len(taken_over) == 200, "the killed replica's claims taken over"
    assert await versions(proton_client) == {"1.1"}
    during = await deployments(proton_client) - before
    assert len(during) == 200
    assert set(during.values()) == {1}, "exactly one deployment per instance"


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
