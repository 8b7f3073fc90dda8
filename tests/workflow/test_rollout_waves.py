"""Rollouts in waves over 100 service instances: canary, failure budget, gates, pause/resume.

Each test checks the server's own deployment history (ListDeployments), not only the
report: how many deployments each instance got during the rollout.
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

import anyio
import pytest

import aioproton
from aioproton.emulator import Emulator
from aioproton.testing import ProtonFaults
from aioproton.workflow import (
    FailureBudget,
    GateCheck,
    GateDecision,
    MemoryRolloutStateStore,
    Plan,
    PlanError,
    Rollout,
    RolloutItem,
    RolloutStatus,
    SqliteRolloutStateStore,
    SqliteTokenStore,
    StopReason,
    canary,
)

from ..recipes import World
from .conftest import SETTLE

SERVICES = 10
PER_SERVICE = 10
WORKER = Path(__file__).with_name("rollout_worker.py")
REPO_ROOT = Path(__file__).resolve().parents[2]


def path(index: int) -> str:
    """The ``index``-th instance in path order (the order the tests' rollouts use)."""
    return f"service/s{index // PER_SERVICE}/service-instance/i{index % PER_SERVICE}"


def by_path(item: RolloutItem) -> str:
    return item.path


async def hundred(emulator: Emulator, proton: aioproton.ProtonClient) -> World:
    """100 service instances on ``web`` 1.0, in ten services; ``web`` 1.1 published."""
    world = World(emulator, proton, settle=SETTLE)
    await world.environment_template("base")
    await world.environment("prod")
    await world.service_template("web", ("1.0", "1.1"))
    for service in range(SERVICES):
        instances = [(f"i{index}", "prod") for index in range(PER_SERVICE)]
        await world.service(f"s{service}", instances, minor="0")
    return world


async def deployments(proton: aioproton.ProtonClient) -> collections.Counter[str]:
    """Deployments per service instance path, from the server's history."""
    counts: collections.Counter[str] = collections.Counter()
    async for summary in proton.paginate.list_deployments():
        if summary.service_instance_name and not summary.component_name:
            counts[
                f"service/{summary.service_name}/service-instance/{summary.service_instance_name}"
            ] += 1
    return counts


async def versions(proton: aioproton.ProtonClient) -> dict[str, str]:
    return {
        f"service/{i.service_name}/service-instance/{i.name}": (
            f"{i.template_major_version}.{i.template_minor_version}"
        )
        async for i in proton.paginate.list_service_instances()
    }


def canary_rollout(proton: aioproton.ProtonClient, **options: object) -> Rollout:
    return Rollout(
        proton,
        service_template="web",
        version="1.1",
        concurrency=10,
        plan=canary(first=1, then="10%"),
        order_by=by_path,
        **options,  # type: ignore[arg-type]
    )


async def test_a_dry_run_shows_the_canary_waves_in_order(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await hundred(proton_emulator, proton_client)
    report = await canary_rollout(proton_client).run(dry_run=True)
    assert [len(wave) for wave in report.waves] == [1] + [10] * 9 + [9]
    assert report.waves[0] == (path(0),)
    assert report.waves[1] == tuple(path(index) for index in range(1, 11))
    assert {r.wave for r in report.results if r.target.path == path(99)} == {11}
    assert f"wave 1: {path(0)}" in str(report)
    assert proton_emulator.requests.count(operation="UpdateServiceInstance") == 0


async def test_a_failed_canary_stops_after_one_item_and_is_rolled_back(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_faults: ProtonFaults
) -> None:
    await hundred(proton_emulator, proton_client)
    before = await deployments(proton_client)
    proton_faults.fail_deployment(path(0), message="canary unhealthy")
    report = await canary_rollout(
        proton_client, budget=FailureBudget(max_failures=0), rollback=True
    ).run()

    assert report.stopped is StopReason.FAILURE_BUDGET
    assert "1 items failed" in (report.reason or "")
    assert report.waves_done == 0
    [canary_result] = [r for r in report.results if r.target.path == path(0)]
    assert canary_result.status is RolloutStatus.ROLLED_BACK
    assert canary_result.previous_version == "1.0"
    assert report.count(RolloutStatus.NOT_STARTED) == 99
    during = await deployments(proton_client) - before
    assert during == {path(0): 2}, "the failed update, then the roll-back; nothing else"
    assert set((await versions(proton_client)).values()) == {"1.0"}
    instance = await proton_client.get_service_instance(service_name="s0", name="i0")
    assert instance.deployment_status == "SUCCEEDED"


async def test_a_failure_budget_stops_in_the_wave_where_it_is_crossed(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_faults: ProtonFaults
) -> None:
    await hundred(proton_emulator, proton_client)
    before = await deployments(proton_client)
    failing = [path(65), path(75), path(85)]  # waves 8, 9 and 10
    for target in failing:
        proton_faults.fail_deployment(target, message="unhealthy")
    report = await canary_rollout(proton_client, budget=FailureBudget(max_ratio=0.02)).run()

    # 1 of 65 done is under 2 %; 2 of 71..80 is over it: wave 9 is the last one started.
    assert report.stopped is StopReason.FAILURE_BUDGET
    assert report.waves_done == 8
    statuses = {r.target.path: r for r in report.results}
    assert [statuses[t].status for t in failing] == [
        RolloutStatus.FAILED,
        RolloutStatus.FAILED,
        RolloutStatus.NOT_STARTED,
    ]
    assert all(r.status is RolloutStatus.NOT_STARTED for r in report.results if r.wave >= 10)
    assert all(
        r.status in (RolloutStatus.UPDATED, RolloutStatus.FAILED)
        for r in report.results
        if r.wave <= 9
    )
    assert report.count(RolloutStatus.UPDATED) == 79
    during = await deployments(proton_client) - before
    assert sorted(during) == sorted(path(index) for index in range(81))
    assert set(during.values()) == {1}


async def test_a_gate_failing_after_wave_two_rolls_back_only_wave_two(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await hundred(proton_emulator, proton_client)
    before = await deployments(proton_client)
    checked: list[tuple[int, int]] = []

    async def gate(check: GateCheck) -> GateDecision:
        checked.append((check.wave, len(check.results)))
        return GateDecision.ROLL_BACK if check.wave == 2 else GateDecision.GO

    report = await canary_rollout(proton_client, gate=gate, rollback=True).run()

    assert checked == [(1, 1), (2, 10)]
    assert report.stopped is StopReason.GATE_FAILED
    assert "after wave 2" in (report.reason or "")
    wave_two = {path(index) for index in range(1, 11)}
    statuses = {r.target.path: r.status for r in report.results}
    assert statuses[path(0)] is RolloutStatus.UPDATED
    assert {statuses[p] for p in wave_two} == {RolloutStatus.ROLLED_BACK}
    assert report.count(RolloutStatus.NOT_STARTED) == 89
    during = await deployments(proton_client) - before
    assert during == {path(0): 1, **dict.fromkeys(wave_two, 2)}
    now = await versions(proton_client)
    assert now[path(0)] == "1.1"
    assert {now[p] for p in wave_two} == {"1.0"}


async def test_a_gate_that_raises_stops_the_rollout_and_hold_pauses_it(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await world.environment_template("base")
    await world.environment("prod")
    await world.service_template("web", ("1.0", "1.1"))
    await world.service("s0", [(f"i{index}", "prod") for index in range(3)], minor="0")

    async def broken(check: GateCheck) -> GateDecision:
        raise RuntimeError("metrics unavailable")

    report = await canary_rollout(proton_client, gate=broken).run()
    assert report.stopped is StopReason.GATE_FAILED
    assert report.count(RolloutStatus.UPDATED) == 1, "no roll-back unless asked"

    async def hold(check: GateCheck) -> GateDecision:
        return GateDecision.HOLD

    state = MemoryRolloutStateStore()
    held = await canary_rollout(proton_client, gate=hold, state=state, rollout_id="r").run()
    assert held.stopped is StopReason.HELD
    assert held.waves_done == 1
    resumed = await canary_rollout(proton_client, state=state, rollout_id="r").run()
    assert resumed.ok
    assert resumed.count(RolloutStatus.UPDATED) == 2, "one from before the hold, one after"
    assert resumed.count(RolloutStatus.ALREADY_CURRENT) == 1


async def test_a_rollout_paused_after_wave_one_resumes_in_another_process(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, tmp_path: Path
) -> None:
    await hundred(proton_emulator, proton_client)
    before = await deployments(proton_client)
    database = str(tmp_path / "rollout.db")
    first = await canary_rollout(
        proton_client,
        pause_after_wave=1,
        store=SqliteTokenStore(database),
        state=SqliteRolloutStateStore(database),
    ).run()
    assert first.stopped is StopReason.PAUSED
    assert first.waves_done == 1
    assert first.count(RolloutStatus.UPDATED) == 1

    async with anyio.create_task_group() as group:

        async def tick() -> None:
            while True:
                await anyio.sleep(0.01)
                proton_emulator.advance(30)

        group.start_soon(tick)
        with anyio.fail_after(120):
            done = await anyio.run_process(
                [sys.executable, str(WORKER), proton_emulator.endpoint_url, database],
                cwd=REPO_ROOT,
                check=True,
            )
        group.cancel_scope.cancel()
    resumed = json.loads(done.stdout)
    assert resumed["stopped"] is None
    assert resumed["statuses"][path(0)] == "UPDATED", "the first process's work, from the state"
    assert set(resumed["statuses"].values()) == {"UPDATED"}
    assert set(resumed["previous"].values()) == {"1.0"}
    during = await deployments(proton_client) - before
    assert sorted(during) == sorted(path(index) for index in range(100))
    assert set(during.values()) == {1}, "every instance updated exactly once"
    assert set((await versions(proton_client)).values()) == {"1.1"}


async def test_pause_stops_between_items_and_the_same_object_resumes(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await world.environment_template("base")
    await world.environment("prod")
    await world.service_template("web", ("1.0", "1.1"))
    await world.service("s0", [(f"i{index}", "prod") for index in range(6)], minor="0")
    rollout = Rollout(
        proton_client,
        service_template="web",
        version="1.1",
        concurrency=1,
        order_by=by_path,
    )
    seen: list[str] = []

    def after_two(result: object) -> None:
        seen.append(str(result))
        if len(seen) == 2:
            rollout.pause()

    paused = await rollout.run(on_result=after_two)
    assert paused.stopped is StopReason.PAUSED
    assert paused.count(RolloutStatus.UPDATED) == 2
    assert paused.count(RolloutStatus.NOT_STARTED) == 4
    resumed = await rollout.run()
    assert resumed.ok, str(resumed)
    assert resumed.count(RolloutStatus.UPDATED) == 6
    assert proton_emulator.requests.count(operation="UpdateServiceInstance", committed=True) == 6


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("all-at-once", [10]),
        ("one-at-a-time", [1] * 10),
        ("canary", [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        ("2,50%", [2, 4, 4]),
        ("3:pause=60,100%:approve", [3, 7]),
    ],
)
def test_plans_cut_items_into_waves(text: str, sizes: list[int]) -> None:
    from aioproton.workflow import Plan

    assert [len(wave) for wave in Plan.parse(text).split(list(range(10)))] == sizes


def test_groups_never_share_a_wave_and_bad_plans_say_what_to_write() -> None:
    from aioproton.workflow import Plan, PlanError

    items = ["dev-1", "dev-2", "prod-1", "prod-2", "prod-3", "staging-1"]
    order = {"dev": 0, "staging": 1, "prod": 2}
    waves = canary(first=1, then="100%").waves(
        items,
        order_by=lambda name: (order[name.split("-")[0]], name),
        group_by=lambda name: name.split("-")[0],
    )
    assert [wave for wave, _ in waves] == [
        ["dev-1"],
        ["dev-2"],
        ["staging-1"],
        ["prod-1"],
        ["prod-2", "prod-3"],
    ]
    for bad, words in [
        ("0", "at least one"),
        ("150%", "at most 100"),
        ("5:wait", ":pause=SECONDS or :approve"),
        ("5:pause=soon", "seconds"),
        ("", "percentage"),
    ]:
        with pytest.raises(PlanError, match=words):
            Plan.parse(bad)
    with pytest.raises(PlanError, match="fraction"):
        FailureBudget(max_ratio=2)
    with pytest.raises(PlanError, match="2%"):
        FailureBudget.parse("some")
    assert FailureBudget.parse("2%") == FailureBudget(max_ratio=0.02)
    assert FailureBudget.parse("3") == FailureBudget(max_failures=3)


async def test_approval_steps_groups_and_per_item_gates(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await world.environment_template("base", ("1.0", "1.1"))
    for name in ("prod-a", "dev-a", "prod-b", "dev-b"):
        await world.environment(name, major="1", minor="0")
    seen: list[str] = []

    async def each(check: GateCheck) -> GateDecision:
        seen.extend(check.paths)
        return GateDecision.GO

    rollout = Rollout(
        proton_client,
        environment_template="base",
        version="1.1",
        plan=Plan.parse("1:approve,100%"),
        order_by=lambda item: (item.environment.startswith("prod"), item.path),
        group_by=lambda item: item.environment.split("-")[0],
        gate=each,
        gate_each_item=True,
    )
    dry = await rollout.run(dry_run=True)
    assert dry.waves == (
        ("environment/dev-a",),
        ("environment/dev-b",),
        ("environment/prod-a",),
        ("environment/prod-b",),
    ), "dev before prod, and no wave spans both"
    first = await rollout.run()
    assert first.stopped is StopReason.APPROVAL
    assert "waiting for approval" in (first.reason or "")
    assert seen == ["environment/dev-a"]
    approved = await rollout.run()
    assert approved.stopped is StopReason.APPROVAL, "each group's canary waits for approval"
    last = await rollout.run()
    assert last.ok
    assert seen == [
        "environment/dev-a",
        "environment/dev-b",
        "environment/prod-a",
        "environment/prod-b",
    ]


async def test_a_major_update_cannot_be_rolled_back_and_says_so(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await world.environment_template("base", ("1.0", "2.0"))
    await world.environment("e1", major="1", minor="0")

    async def bad(check: GateCheck) -> GateDecision:
        return GateDecision.ROLL_BACK

    report = await Rollout(
        proton_client, environment_template="base", version="2.0", gate=bad, rollback=True
    ).run()
    [result] = report.results
    assert result.status is RolloutStatus.ROLLBACK_FAILED
    assert "cannot lower a major version" in (result.message or "")
    assert result.previous_version == "1.0"
    with pytest.raises(PlanError, match="counts waves from 1"):
        Rollout(proton_client, environment_template="base", version="2.0", pause_after_wave=0)
    with pytest.raises(PlanError, match="positive seconds"):
        Rollout(proton_client, environment_template="base", version="2.0", claim_ttl=0)
