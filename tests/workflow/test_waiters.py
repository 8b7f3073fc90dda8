"""Waiters: every long-running state, its success, failure, cancel and timeout paths."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import aioproton
from aioproton import models
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, FaultSettings
from aioproton.workflow import (
    DeleteFailedError,
    DeploymentCancelledError,
    DeploymentFailedError,
    EnvironmentTarget,
    RegistrationFailedError,
    ResourceGoneError,
    StateChange,
    Waiter,
    WaiterError,
    Waiters,
    WaitTimeoutError,
)

from ..recipes import BUNDLE, PIPELINE, TEMPLATE_FILE, World, eventually, service_spec
from .conftest import Deployable

NEVER = 10_000_000.0  # scripted seconds for a deployment that outlasts every wait


# ---------------------------------------------------------------------- deployments


async def test_deployed_returns_the_resource_once_it_succeeds(
    deployable: Deployable, waiters: Waiters
) -> None:
    started = await deployable.update()
    assert started.deployment_status == "IN_PROGRESS"
    waiter = waiters.deployed(deployable.target, timeout=3600)
    final = await waiter
    assert final.deployment_status == models.DeploymentStatus.SUCCEEDED
    assert final.last_attempted_deployment_id == started.last_attempted_deployment_id
    assert [change.status for change in waiter.history] == ["IN_PROGRESS", "SUCCEEDED"]
    assert waiter.attempts >= 2
    assert waiter.done


async def test_deployed_raises_deployment_failed_with_message_and_history(
    deployable: Deployable, waiters: Waiters, proton_emulator: Emulator
) -> None:
    proton_emulator.script(
        deployable.path, action="deploy", outcome="fail", message="stack rolled back"
    )
    await deployable.update()
    waiter = waiters.deployed(deployable.target, timeout=3600)
    with pytest.raises(DeploymentFailedError) as caught:
        await waiter.wait()
    error = caught.value
    assert isinstance(error, aioproton.ProtonError)
    assert error.status == "FAILED"
    assert error.status_message == "stack rolled back"
    assert error.statuses == ("IN_PROGRESS", "FAILED")
    assert error.attempts == waiter.attempts >= 2
    assert error.resource.deployment_status == "FAILED"
    assert "stack rolled back" in str(error)
    with pytest.raises(DeploymentFailedError):
        waiter.result()


async def test_deployed_raises_cancelled_when_the_deployment_is_cancelled(
    deployable: Deployable, waiters: Waiters, proton_client: aioproton.ProtonClient
) -> None:
    await deployable.update()
    await deployable.target.cancel(proton_client)
    with pytest.raises(DeploymentCancelledError) as caught:
        await waiters.deployed(deployable.target, timeout=3600)
    assert caught.value.status == "CANCELLED"
    assert caught.value.statuses[-1] == "CANCELLED"


async def test_cancel_finished_returns_the_cancelled_resource(
    deployable: Deployable, waiters: Waiters, proton_client: aioproton.ProtonClient
) -> None:
    await deployable.update()
    cancelling = await deployable.target.cancel(proton_client)
    assert cancelling.deployment_status == "CANCELLING"
    waiter = waiters.cancel_finished(deployable.target, timeout=600)
    final = await waiter
    assert final.deployment_status == "CANCELLED"
    assert waiter.history[0].status == "CANCELLING"


async def test_deployed_times_out_at_the_deadline(
    deployable: Deployable, waiters: Waiters, proton_emulator: Emulator, proton_clock: ManualClock
) -> None:
    proton_emulator.script(deployable.path, action="deploy", seconds=NEVER)
    await deployable.update()
    began = proton_clock.now()
    with pytest.raises(WaitTimeoutError) as caught:
        await waiters.deployed(deployable.target, timeout=900)
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert error.status == "IN_PROGRESS"
    assert "timed out" in str(error)
    # The last poll happens at the deadline, not a full delay after it.
    assert proton_clock.now() <= began + 900 + 1e-6


async def test_attempt_cap_ends_the_wait(
    base: World, waiters: Waiters, proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.script("environment/prod", action="deploy", seconds=NEVER)
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    before = proton_emulator.requests.count(operation="GetEnvironment")
    waiter = waiters.environment_deployed("prod", timeout=NEVER, max_attempts=3)
    with pytest.raises(WaitTimeoutError) as caught:
        await waiter
    assert caught.value.attempts == waiter.attempts == 3
    assert "3 polls" in str(caught.value)
    assert proton_emulator.requests.count(operation="GetEnvironment") - before == 3


async def test_deployment_record_waiter(
    base: World, waiters: Waiters, proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    env = await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    assert env.last_attempted_deployment_id is not None
    record = await waiters.deployment_finished(env.last_attempted_deployment_id, timeout=3600)
    assert record.deployment_status == "SUCCEEDED"
    assert record.completed_at is not None

    proton_emulator.script("environment/prod", action="deploy", outcome="fail", message="nope")
    env = await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    assert env.last_attempted_deployment_id is not None
    with pytest.raises(DeploymentFailedError, match="nope"):
        await waiters.deployment_finished(env.last_attempted_deployment_id, timeout=3600)

    env = await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    assert env.last_attempted_deployment_id is not None
    await proton_client.cancel_environment_deployment(environment_name="prod")
    with pytest.raises(DeploymentCancelledError):
        await waiters.deployment_finished(env.last_attempted_deployment_id, timeout=3600)

    proton_emulator.script("environment/prod", action="deploy", seconds=NEVER)
    env = await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    assert env.last_attempted_deployment_id is not None
    with pytest.raises(WaitTimeoutError):
        await waiters.deployment_finished(env.last_attempted_deployment_id, timeout=120)


async def test_settled_accepts_any_end(
    base: World, waiters: Waiters, proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.script("environment/prod", action="deploy", outcome="fail")
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    final = await waiters.settled(EnvironmentTarget("prod"), timeout=3600)
    assert final.deployment_status == "FAILED"


# ---------------------------------------------------------------------- services


async def test_service_created_and_its_failure(
    world: World, waiters: Waiters, proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world.environment_template("base", ("1.0",))
    await world.environment("prod")
    await world.service_template("web", ("1.0",))
    spec = service_spec(("one", "prod"))
    await proton_client.create_service(
        name="ok", template_name="web", template_major_version="1", spec=spec
    )
    service = await waiters.service_created("ok", timeout=3600)
    assert service.status == "ACTIVE"

    proton_emulator.script("service/bad/service-instance/one", action="deploy", outcome="fail")
    await proton_client.create_service(
        name="bad", template_name="web", template_major_version="1", spec=spec
    )
    with pytest.raises(DeploymentFailedError) as caught:
        await waiters.service_created("bad", timeout=3600)
    assert caught.value.status == "CREATE_FAILED"
    assert "one" in (caught.value.status_message or "")


async def test_service_updated_and_its_failures(
    world: World, waiters: Waiters, proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world.environment_template("base", ("1.0",))
    await world.environment("prod")
    await world.service_template("web", ("1.0",))
    await world.service("api", [("one", "prod")])
    await proton_client.update_service(
        name="api", spec=service_spec(("one", "prod"), ("two", "prod"))
    )
    service = await waiters.service_updated("api", timeout=3600)
    assert service.status == "ACTIVE"

    proton_emulator.script("service/api/service-instance/three", action="deploy", outcome="fail")
    await proton_client.update_service(
        name="api", spec=service_spec(("one", "prod"), ("two", "prod"), ("three", "prod"))
    )
    with pytest.raises(DeploymentFailedError) as caught:
        await waiters.service_updated("api", timeout=3600)
    assert caught.value.status == "UPDATE_FAILED_CLEANUP_COMPLETE"

    proton_emulator.script("service/api/service-instance/two", action="delete", outcome="fail")
    await proton_client.update_service(name="api", spec=service_spec(("one", "prod")))
    with pytest.raises(DeploymentFailedError) as caught:
        await waiters.service_updated("api", timeout=3600)
    assert caught.value.status == "UPDATE_COMPLETE_CLEANUP_FAILED"


async def test_service_deleted_and_delete_failed(
    world: World, waiters: Waiters, proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world.environment_template("base", ("1.0",))
    await world.environment("prod")
    await world.service_template("web", ("1.0",))
    await world.service("api", [("one", "prod")])
    await world.service("gone", [("one", "prod")])

    proton_emulator.script("service/api", action="delete", outcome="fail", message="stuck")
    await proton_client.delete_service(name="api")
    with pytest.raises(DeleteFailedError, match="stuck") as caught:
        await waiters.service_deleted("api", timeout=3600)
    assert caught.value.status == "DELETE_FAILED"

    await proton_client.delete_service(name="gone")
    waiter = waiters.service_deleted("gone", timeout=3600)
    assert await waiter is None
    assert waiter.history[-1].status == "DELETED"
    assert isinstance(waiter.last_resource, models.Service)


# ---------------------------------------------------------------------- deletes


async def test_environment_and_component_deleted(
    base: World, waiters: Waiters, proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await base.component("c1", "prod")
    await base.component("c2", "prod")
    await proton_client.delete_component(name="c1")
    assert await waiters.component_deleted("c1", timeout=3600) is None

    proton_emulator.script("component/c2", action="delete", outcome="fail", message="in use")
    await proton_client.delete_component(name="c2")
    with pytest.raises(DeleteFailedError, match="in use"):
        await waiters.component_deleted("c2", timeout=3600)

    await base.environment("dev")
    await proton_client.delete_environment(name="dev")
    waiter = waiters.environment_deleted("dev", timeout=3600)
    assert await waiter is None
    assert [change.status for change in waiter.history] == ["DELETE_IN_PROGRESS", "DELETED"]

    await base.environment("qa")
    proton_emulator.script("environment/qa", action="delete", outcome="fail")
    await proton_client.delete_environment(name="qa")
    with pytest.raises(DeleteFailedError):
        await waiters.environment_deleted("qa", timeout=3600)


async def test_resource_deleted_while_waiting_for_its_deployment_is_gone(
    base: World, waiters: Waiters, proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await base.component("c1", "prod")
    proton_emulator.script("component/c1", action="delete", seconds=1)
    await proton_client.delete_component(name="c1")
    with pytest.raises(ResourceGoneError) as caught:
        await waiters.component_deployed("c1", timeout=3600)
    assert caught.value.statuses == ("DELETE_IN_PROGRESS", "DELETED")
    assert isinstance(caught.value.__cause__, aioproton.ResourceNotFoundError)


async def test_missing_resource_fails_at_once(waiters: Waiters, proton_emulator: Emulator) -> None:
    assert proton_emulator.requests.count(operation="GetEnvironment") == 0
    waiter = waiters.environment_deployed("nowhere", timeout=3600)
    with pytest.raises(aioproton.ResourceNotFoundError):
        await waiter
    assert waiter.attempts == 1
    assert proton_emulator.requests.count(operation="GetEnvironment") == 1


# ---------------------------------------------------------------------- template versions


@pytest.mark.parametrize("kind", ["environment", "service"])
async def test_template_version_registered_and_registration_failed(
    kind: str,
    base: World,
    waiters: Waiters,
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
) -> None:
    compatible = [
        models.CompatibleEnvironmentTemplateInput(template_name="base", major_version="1")
    ]

    async def create(template: str) -> tuple[str, str]:
        if kind == "environment":
            made_env = await proton_client.create_environment_template_version(
                template_name=template, source=BUNDLE
            )
            return made_env.major_version, made_env.minor_version
        made_svc = await proton_client.create_service_template_version(
            template_name=template, source=BUNDLE, compatible_environment_templates=compatible
        )
        return made_svc.major_version, made_svc.minor_version

    def registered(template: str, major: str, minor: str) -> Waiter[Any]:
        if kind == "environment":
            return waiters.environment_template_version_registered(
                template, major, minor, timeout=600
            )
        return waiters.service_template_version_registered(template, major, minor, timeout=600)

    for name in ("good", "bad"):
        if kind == "environment":
            await proton_client.create_environment_template(name=name)
        else:
            await proton_client.create_service_template(name=name)
    good = await create("good")
    version = await registered("good", *good)
    assert version.status == "DRAFT"

    proton_emulator.script(
        f"{kind}-template/bad:1.0", action="register", outcome="fail", message="bad schema"
    )
    bad = await create("bad")
    with pytest.raises(RegistrationFailedError, match="bad schema") as caught:
        await registered("bad", *bad)
    assert caught.value.status == "REGISTRATION_FAILED"


# ---------------------------------------------------------------------- timeouts of every waiter


async def test_every_waiter_times_out_while_busy(
    base: World,
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
) -> None:
    waiters = Waiters(proton_client, clock=proton_clock)
    await base.service_template("web", ("1.0",), pipeline=True)
    await base.service("upd", [("one", "prod")], pipeline=True)
    await base.service("del", [("one", "prod")], pipeline=True)
    await base.component("c2", "prod")
    await base.environment("spare")
    await proton_client.create_environment_template(name="slow")
    await proton_client.create_service_template(name="slowweb")
    # From here on, every lifecycle outlasts every wait.
    proton_emulator.script("*", action="any", seconds=NEVER, times=None)
    await proton_client.create_service(
        name="api",
        template_name="web",
        template_major_version="1",
        spec=service_spec(("one", "prod"), pipeline=PIPELINE),
    )
    await proton_client.update_service(
        name="upd", spec=service_spec(("one", "prod"), ("two", "prod"), pipeline=PIPELINE)
    )
    await proton_client.delete_service(name="del")
    await proton_client.create_component(
        name="c1", environment_name="prod", manifest="m", template_file=TEMPLATE_FILE
    )
    await proton_client.delete_component(name="c2")
    await proton_client.delete_environment(name="spare")
    await proton_client.create_environment_template_version(template_name="slow", source=BUNDLE)
    await proton_client.create_service_template_version(
        template_name="slowweb",
        source=BUNDLE,
        compatible_environment_templates=[
            models.CompatibleEnvironmentTemplateInput(template_name="base", major_version="1")
        ],
    )
    env = await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    assert env.last_attempted_deployment_id is not None
    made: list[Waiter[Any]] = [
        waiters.environment_deployed("prod", timeout=300),
        waiters.service_instance_deployed("api", "one", timeout=300),
        waiters.service_pipeline_deployed("api", timeout=300),
        waiters.component_deployed("c1", timeout=300),
        waiters.service_created("api", timeout=300),
        waiters.service_updated("upd", timeout=300),
        waiters.service_deleted("del", timeout=300),
        waiters.component_deleted("c2", timeout=300),
        waiters.environment_deleted("spare", timeout=300),
        waiters.deployment_finished(env.last_attempted_deployment_id, timeout=300),
        waiters.environment_template_version_registered("slow", "1", "0", timeout=300),
        waiters.service_template_version_registered("slowweb", "1", "0", timeout=300),
        waiters.cancel_finished(EnvironmentTarget("prod"), timeout=300),
        waiters.settled(EnvironmentTarget("prod"), timeout=300),
    ]
    ended: dict[str, str | None] = {}
    for waiter in made:
        with pytest.raises(WaitTimeoutError) as caught:
            await waiter
        ended[caught.value.waiter] = caught.value.status
    assert ended == {
        "EnvironmentDeployed": "IN_PROGRESS",
        "ServiceInstanceDeployed": "IN_PROGRESS",
        "ServicePipelineDeployed": "IN_PROGRESS",
        "ComponentDeployed": "IN_PROGRESS",
        "ServiceCreated": "CREATE_IN_PROGRESS",
        "ServiceUpdated": "UPDATE_IN_PROGRESS",
        "ServiceDeleted": "DELETE_IN_PROGRESS",
        "ComponentDeleted": "DELETE_IN_PROGRESS",
        "EnvironmentDeleted": "DELETE_IN_PROGRESS",
        "DeploymentFinished": "IN_PROGRESS",
        "EnvironmentTemplateVersionRegistered": "REGISTRATION_IN_PROGRESS",
        "ServiceTemplateVersionRegistered": "REGISTRATION_IN_PROGRESS",
        "EnvironmentCancelFinished": "IN_PROGRESS",
        "EnvironmentSettled": "IN_PROGRESS",
    }


# ---------------------------------------------------------------------- polling errors


async def test_throttling_and_server_errors_slow_the_waiter_down_but_do_not_fail_it(
    base: World, proton_emulator: Emulator, proton_clock: ManualClock
) -> None:
    async with aioproton.ProtonClient(
        **proton_emulator.client_settings, retry=aioproton.RetryPolicy.never(), clock=proton_clock
    ) as proton:
        await proton.update_environment(name="prod", deployment_type="CURRENT_VERSION")
        before = proton_emulator.requests.count(operation="GetEnvironment")
        proton_emulator.faults.configure(
            FaultSettings(
                throttle_rate=0.4,
                error_rate=0.2,
                reset_rate=0.1,
                operations={"GetEnvironment"},
                seed=3,
            )
        )
        waiter = Waiters(proton, clock=proton_clock, history=False).environment_deployed(
            "prod", timeout=3600
        )
        final = await waiter
    assert final.deployment_status == "SUCCEEDED"
    failed = proton_emulator.requests.count(operation="GetEnvironment", fault="throttle") + (
        proton_emulator.requests.count(operation="GetEnvironment", fault="error")
    )
    assert failed >= 1
    assert waiter.attempts == proton_emulator.requests.count(operation="GetEnvironment") - before


async def test_access_denied_is_final() -> None:
    clock = ManualClock()
    async with (
        Emulator(clock=clock, auth="strict") as strict,
        aioproton.ProtonClient(
            endpoint_url=strict.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="AKIDUNKNOWN0000000000",
            aws_secret_access_key="not-a-known-secret",
            clock=clock,
        ) as stranger,
    ):
        waiter = Waiters(stranger, clock=clock).environment_deployed("prod", timeout=3600)
        with pytest.raises(aioproton.AccessDeniedError):
            await waiter
    assert waiter.attempts == 1


async def test_validation_error_is_final(
    proton_emulator: Emulator, proton_clock: ManualClock
) -> None:
    async with aioproton.ProtonClient(
        **proton_emulator.client_settings, validate=False, clock=proton_clock
    ) as proton:
        waiter = Waiters(proton, clock=proton_clock).environment_deployed(
            "not a name!", timeout=3600
        )
        with pytest.raises(aioproton.ValidationError):
            await waiter
    assert waiter.attempts == 1
    assert (
        proton_emulator.requests.count(operation="GetEnvironment", error_code="ValidationException")
        == 1
    )


# ---------------------------------------------------------------------- progress


async def test_progress_stream_and_callbacks_see_every_change(
    base: World,
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
) -> None:
    seen_sync: list[StateChange[Any]] = []
    seen_async: list[str] = []

    async def record(change: StateChange[Any]) -> None:
        seen_async.append(change.status)

    waiters = Waiters(proton_client, clock=proton_clock, on_change=seen_sync.append)
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    waiter = waiters.environment_deployed("prod", timeout=3600)
    streamed = [change async for change in waiter.progress()]
    assert [(c.previous, c.status) for c in streamed] == [
        (None, "IN_PROGRESS"),
        ("IN_PROGRESS", "SUCCEEDED"),
    ]
    assert seen_sync == streamed
    assert streamed[-1].resource is not None
    assert streamed[-1].resource.deployment_status == "SUCCEEDED"
    assert waiter.result().deployment_status == "SUCCEEDED"

    proton_emulator.script("environment/prod", action="deploy", outcome="fail", message="boom")
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    failing = waiters.deployed(EnvironmentTarget("prod"), timeout=3600, on_change=record)
    streamed = []

    async def follow() -> None:
        async for change in failing.progress():
            streamed.append(change)

    with pytest.raises(DeploymentFailedError):
        await follow()
    assert [change.status for change in streamed] == ["IN_PROGRESS", "FAILED"]
    assert seen_async == ["IN_PROGRESS", "FAILED"]
    with pytest.raises(DeploymentFailedError):
        await failing.progress().__anext__()


@pytest.mark.slow
async def test_cancelling_the_waiting_task_stops_it_and_leaves_no_request_running(
    base: World, proton_emulator: Emulator, proton_client: aioproton.ProtonClient, waiters: Waiters
) -> None:
    proton_emulator.script("environment/prod", action="deploy", seconds=NEVER)
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    proton_emulator.faults.configure(
        FaultSettings(latency_min_ms=400, latency_max_ms=400, operations={"GetEnvironment"})
    )
    waiter = waiters.environment_deployed("prod", timeout=NEVER)
    outcome: list[str] = []

    async def wait() -> None:
        try:
            await waiter
        finally:
            outcome.append("left")

    async with anyio.create_task_group() as group:
        group.start_soon(wait)
        await eventually(lambda: proton_client.in_flight > 0)
        group.cancel_scope.cancel()
    assert outcome == ["left"]
    assert proton_client.in_flight == 0
    assert not waiter.done
    received = len(proton_emulator.requests)
    await anyio.sleep(0.5)  # the abandoned request must not be retried behind our back
    assert len(proton_emulator.requests) <= received + 1
    assert proton_client.in_flight == 0


# ---------------------------------------------------------------------- history


async def test_history_guides_polling_for_later_deployments(
    base: World,
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
) -> None:
    proton_emulator.script("environment/prod", action="deploy", seconds=600, times=None)
    for _ in range(2):
        await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
        base.settle(700)
    waiters = Waiters(proton_client, clock=proton_clock, seed=5)
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    waiter = waiters.environment_deployed("prod", timeout=3600)
    final = await waiter
    assert final.deployment_status == "SUCCEEDED"
    assert waiter.expected is not None
    assert waiter.expected.samples == (600.0, 600.0, 60.0)  # two updates, then the create
    # A fixed 5-second waiter needs 121 polls for ten minutes; history needs far fewer.
    assert waiter.attempts <= 40
    assert proton_emulator.requests.count(operation="ListDeployments") == 1

    no_history = Waiters(proton_client, clock=proton_clock, history=False, seed=5)
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    blind = no_history.environment_deployed("prod", timeout=3600)
    await blind
    assert blind.expected is None
    assert proton_emulator.requests.count(operation="ListDeployments") == 1


def test_waiters_refuse_a_schedule_with_delay_bounds(proton_client: aioproton.ProtonClient) -> None:
    from aioproton.workflow import FixedDelay

    with pytest.raises(ValueError, match="either"):
        Waiters(proton_client, schedule=FixedDelay(5), min_delay=1)
    with pytest.raises(ValueError, match="timeout"):
        Waiters(proton_client).environment_deployed("prod", timeout=0)


async def test_waiter_errors_pickle_and_stay_catchable(
    base: World, proton_emulator: Emulator, proton_client: aioproton.ProtonClient, waiters: Waiters
) -> None:
    import pickle

    proton_emulator.script("environment/prod", action="deploy", outcome="fail", message="boom")
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    with pytest.raises(WaiterError) as caught:
        await waiters.environment_deployed("prod", timeout=3600)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(copy, DeploymentFailedError)
    assert copy.status_message == "boom"
    assert copy.statuses == caught.value.statuses
