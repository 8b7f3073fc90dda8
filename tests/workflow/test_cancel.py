"""Safe cancel: every outcome, the race with completion, and cancel-on-shutdown."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, FaultSettings
from aioproton.workflow import (
    CancelGuard,
    CancelOutcome,
    EnvironmentTarget,
    Waiters,
    cancel_deployment,
    cancel_on_exit,
)

from ..recipes import World, eventually
from .conftest import DEPLOY_SECONDS, Deployable


async def test_a_deployment_in_progress_is_cancelled(
    deployable: Deployable,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
    proton_emulator: Emulator,
) -> None:
    started = await deployable.update()
    result = await cancel_deployment(
        proton_client, deployable.target, timeout=600, clock=proton_clock
    )
    assert result.outcome is CancelOutcome.CANCELLED
    assert result.cancelled
    assert result.resource.deployment_status == "CANCELLED"
    assert result.deployment_id == started.last_attempted_deployment_id
    assert result.message == "User initiated cancellation."
    assert len(proton_emulator.requests.select(error_code="ConflictException")) == 0


async def test_a_cancel_that_fails_leaves_the_deployment_failed(
    deployable: Deployable,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
    proton_emulator: Emulator,
) -> None:
    proton_emulator.script(deployable.path, action="deploy", cancel="failed")
    await deployable.update()
    result = await cancel_deployment(
        proton_client, deployable.target, timeout=600, clock=proton_clock
    )
    assert result.outcome is CancelOutcome.CANCEL_FAILED
    assert result.status == "FAILED"


async def test_a_cancel_landing_too_late_reports_the_deployments_success(
    deployable: Deployable,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
    proton_emulator: Emulator,
) -> None:
    proton_emulator.script(deployable.path, action="deploy", cancel="too_late")
    await deployable.update()
    result = await cancel_deployment(
        proton_client, deployable.target, timeout=600, clock=proton_clock
    )
    assert result.outcome is CancelOutcome.ALREADY_SUCCEEDED
    assert result.resource.deployment_status == "SUCCEEDED"


async def test_nothing_to_cancel_when_no_deployment_runs(
    deployable: Deployable,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
    proton_emulator: Emulator,
) -> None:
    result = await cancel_deployment(
        proton_client, deployable.target, timeout=600, clock=proton_clock
    )
    assert result.outcome is CancelOutcome.NOTHING_TO_CANCEL
    assert result.status == "SUCCEEDED"
    assert not [r for r in proton_emulator.requests if (r.operation or "").startswith("Cancel")]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [("succeed", CancelOutcome.ALREADY_SUCCEEDED), ("fail", CancelOutcome.ALREADY_FAILED)],
)
@pytest.mark.slow
async def test_the_race_with_completion_is_tolerated(
    outcome: str,
    expected: CancelOutcome,
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
    proton_emulator: Emulator,
) -> None:
    """The deployment ends between the read and the cancel: Cancel* answers Conflict."""
    proton_emulator.script("environment/prod", action="deploy", outcome=outcome)
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    # Hold the cancel at the server long enough to finish the deployment first.
    proton_emulator.faults.configure(
        FaultSettings(
            latency_min_ms=300, latency_max_ms=300, operations={"CancelEnvironmentDeployment"}
        )
    )
    reads = proton_emulator.requests.count(operation="GetEnvironment")
    results: list[Any] = []

    async def cancel() -> None:
        result = await cancel_deployment(
            proton_client, environment="prod", timeout=600, clock=proton_clock
        )
        results.append(result)

    async with anyio.create_task_group() as group:
        group.start_soon(cancel)
        await eventually(lambda: proton_emulator.requests.count(operation="GetEnvironment") > reads)
        proton_emulator.advance(DEPLOY_SECONDS * 2)
    assert results[0].outcome is expected
    refused = proton_emulator.requests.select(operation="CancelEnvironmentDeployment")
    assert [r.error_code for r in refused] == ["ConflictException"]


async def test_a_pinned_deployment_that_was_superseded_is_left_alone(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
    proton_emulator: Emulator,
) -> None:
    proton_emulator.script("environment/prod", action="deploy", outcome="fail", message="broke")
    failed = await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    base.settle()
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    result = await cancel_deployment(
        proton_client,
        EnvironmentTarget("prod"),
        deployment_id=failed.last_attempted_deployment_id,
        timeout=600,
        clock=proton_clock,
    )
    assert result.outcome is CancelOutcome.ALREADY_FAILED
    assert result.message == "broke"
    assert result.resource.deployment_status == "IN_PROGRESS", "the newer deployment runs on"
    assert proton_emulator.requests.count(operation="CancelEnvironmentDeployment") == 0


async def test_a_cancel_the_service_refuses_is_raised(
    world: World, proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    await world.environment_template("base", ("1.0",))
    await proton_client.create_environment(
        name="fresh",
        template_name="base",
        template_major_version="1",
        spec="proton: EnvironmentSpec\nspec: {}\n",
        proton_service_role_arn="arn:aws:iam::123456789012:role/p",
    )
    with pytest.raises(aioproton.ConflictError, match="being created"):
        await cancel_deployment(proton_client, environment="fresh", timeout=600, clock=proton_clock)


async def test_the_target_must_be_named_once(proton_client: aioproton.ProtonClient) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        await cancel_deployment(proton_client, timeout=1)
    with pytest.raises(ValueError, match="either"):
        await cancel_deployment(
            proton_client, EnvironmentTarget("prod"), environment="prod", timeout=1
        )
    with pytest.raises(ValueError, match="service_instance"):
        await cancel_deployment(proton_client, service="api", timeout=1)


async def test_a_misspelt_target_keyword_is_refused(proton_client: aioproton.ProtonClient) -> None:
    misspelt: dict[str, Any] = {"enviroment": "prod"}
    with pytest.raises(TypeError, match="enviroment"):
        await cancel_deployment(proton_client, timeout=1, **misspelt)
    with pytest.raises(TypeError, match="unexpected keyword 'enviroment'"):
        await cancel_deployment(proton_client, EnvironmentTarget("prod"), timeout=1, **misspelt)
    with pytest.raises(TypeError, match="unexpected keyword 'enviroment'"):
        async with cancel_on_exit(proton_client, EnvironmentTarget("prod"), **misspelt):
            pytest.fail("entered with a misspelt keyword")


# ---------------------------------------------------------------------- cancel_on_exit


async def test_cancelling_the_task_cancels_the_deployment(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
    proton_emulator: Emulator,
) -> None:
    proton_emulator.script("environment/prod", action="deploy", seconds=10_000)
    waiters = Waiters(proton_client, clock=proton_clock)
    guards: list[CancelGuard] = []
    progressed = anyio.Event()

    async def daemon() -> None:
        async with cancel_on_exit(
            proton_client, environment="prod", timeout=30, clock=proton_clock
        ) as guard:
            guards.append(guard)
            env = await proton_client.update_environment(
                name="prod", deployment_type="CURRENT_VERSION"
            )
            guard.deployment_id = env.last_attempted_deployment_id
            async for _ in waiters.environment_deployed("prod", timeout=100_000).progress():
                progressed.set()

    async with anyio.create_task_group() as group:
        group.start_soon(daemon)
        await progressed.wait()
        group.cancel_scope.cancel()  # daemon shutdown
    guard = guards[0]
    assert guard.error is None
    assert not guard.timed_out
    assert guard.result is not None
    assert guard.result.outcome is CancelOutcome.CANCELLED
    assert (await proton_client.get_environment(name="prod")).deployment_status == "CANCELLED"
    assert proton_client.in_flight == 0


async def test_a_block_that_ends_normally_cancels_nothing(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
    proton_emulator: Emulator,
) -> None:
    async with cancel_on_exit(proton_client, environment="prod", clock=proton_clock) as guard:
        await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    assert guard.result is None
    assert proton_emulator.requests.count(operation="CancelEnvironmentDeployment") == 0

    seen: list[CancelGuard] = []
    with pytest.raises(RuntimeError, match="deploy script broke"):
        async with cancel_on_exit(
            proton_client,
            environment="prod",
            clock=proton_clock,
            on_error=True,
            on_result=seen.append,
        ):
            raise RuntimeError("deploy script broke")
    assert seen
    assert seen[0].result is not None
    assert seen[0].result.outcome is CancelOutcome.CANCELLED


@pytest.mark.slow
async def test_shutdown_is_not_held_up_by_a_slow_cancel(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
    proton_emulator: Emulator,
) -> None:
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    proton_emulator.faults.configure(
        FaultSettings(
            latency_min_ms=1500, latency_max_ms=1500, operations={"CancelEnvironmentDeployment"}
        )
    )
    guards: list[CancelGuard] = []
    entered = anyio.Event()

    async def daemon() -> None:
        async with cancel_on_exit(
            proton_client, environment="prod", timeout=0.3, clock=proton_clock
        ) as guard:
            guards.append(guard)
            entered.set()
            await anyio.sleep_forever()

    async with anyio.create_task_group() as group:
        group.start_soon(daemon)
        await entered.wait()
        group.cancel_scope.cancel()
    assert guards[0].timed_out
    assert guards[0].result is None
    assert proton_client.in_flight == 0
