"""What waiters take and report: one keyword set for every wait, state changes that name
their resource, and an unreadable answer that ends the wait."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from aiohttp import web

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Timings
from aioproton.workflow import FixedDelay, StateChange, Waiters, WaitOptions, WaitTimeoutError

from ..recipes import World
from .conftest import SETTLE

pytestmark = pytest.mark.proton_emulator(timings=Timings(deploy_seconds=60))


async def test_a_shared_on_change_can_tell_which_resource_changed(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await world.environment_template("base", ("1.0",))
    await world.environment("prod")
    await world.service_template("web", ("1.0",))
    await world.service("api", [("one", "prod")])
    seen: list[StateChange[Any]] = []
    waiters = Waiters(proton_client, on_change=seen.append)

    env = await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    instance = await proton_client.update_service_instance(
        service_name="api", name="one", deployment_type="CURRENT_VERSION"
    )
    async with anyio.create_task_group() as group:
        group.start_soon(waiters.environment_deployed("prod", timeout=3600).wait)
        group.start_soon(waiters.service_instance_deployed("api", "one", timeout=3600).wait)
    record = waiters.deployment_finished(instance.last_attempted_deployment_id, timeout=60)
    await record.wait()
    await waiters.environment_template_version_registered("base", "1", "0", timeout=60)

    by_subject: dict[str, list[StateChange[Any]]] = {}
    for change in seen:
        by_subject.setdefault(change.subject, []).append(change)
    assert set(by_subject) == {
        "environment/prod",
        "service/api/service-instance/one",
        f"deployment {instance.last_attempted_deployment_id}",
        "environment-template/base:1.0",
    }
    for change in by_subject["environment/prod"]:
        assert (change.waiter, change.kind, change.names) == (
            "EnvironmentDeployed",
            "environment",
            ("prod",),
        )
        assert (change.arn, change.deployment_id) == (env.arn, env.last_attempted_deployment_id)
    assert [c.status for c in by_subject["environment/prod"]] == ["IN_PROGRESS", "SUCCEEDED"]
    for change in by_subject["service/api/service-instance/one"]:
        assert (change.kind, change.names) == ("service instance", ("api", "one"))
        assert change.arn == instance.arn
        assert change.deployment_id == instance.last_attempted_deployment_id
    (finished,) = by_subject[f"deployment {instance.last_attempted_deployment_id}"]
    assert (finished.kind, finished.names) == ("deployment", (finished.deployment_id,))
    assert finished.deployment_id == instance.last_attempted_deployment_id
    (registered,) = by_subject["environment-template/base:1.0"]
    assert (registered.kind, registered.names) == (
        "environment template version",
        ("base", "1", "0"),
    )
    assert registered.arn is not None and registered.deployment_id is None


async def test_a_resource_deleted_underneath_keeps_its_name_and_arn_in_the_last_change(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    world = World(proton_emulator, proton_client, settle=SETTLE)
    await world.environment_template("base", ("1.0",))
    await world.environment("prod")
    component = await world.component("c1", "prod")
    seen: list[StateChange[Any]] = []
    waiters = Waiters(proton_client, on_change=seen.append)
    await proton_client.delete_component(name="c1")
    await waiters.component_deleted("c1", timeout=3600)
    assert seen[-1].status == "DELETED"
    assert seen[-1].resource is None
    assert (seen[-1].kind, seen[-1].names, seen[-1].arn) == ("component", ("c1",), component.arn)


def test_every_waiters_method_takes_the_same_wait_keywords(
    proton_client: aioproton.ProtonClient,
) -> None:
    waiters = Waiters(proton_client)
    methods = [
        name
        for name, member in inspect.getmembers(Waiters, inspect.isfunction)
        if not name.startswith("_")
    ]
    assert len(methods) == 15
    for name in methods:
        keywords = inspect.signature(getattr(Waiters, name)).parameters["options"]
        assert keywords.kind is inspect.Parameter.VAR_KEYWORD, name
        assert keywords.annotation == "Unpack[WaitOptions]", name
    assert WaitOptions.__required_keys__ == {"timeout"}
    assert WaitOptions.__optional_keys__ == {"max_attempts", "on_change", "schedule"}

    seen: list[StateChange[Any]] = []
    options: WaitOptions = {
        "timeout": 60,
        "max_attempts": 3,
        "on_change": seen.append,
        "schedule": FixedDelay(7),
    }
    waiter = waiters.service_created("api", **options)  # took only three keywords before
    assert (waiter.timeout, waiter.max_attempts, waiter.schedule) == (60, 3, FixedDelay(7))
    with pytest.raises(TypeError, match="unexpected keyword 'max_attempt'"):
        waiters.environment_deployed("prod", timeout=60, max_attempt=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="timeout= is required"):
        waiters.component_deleted("c1")  # type: ignore[call-arg]


@pytest.fixture
async def unreadable_service() -> AsyncIterator[tuple[str, list[str], list[str]]]:
    """A real HTTP server that answers every request 200 with a body from ``bodies``."""
    bodies: list[str] = []
    received: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(request.headers.get("X-Amz-Target", ""))
        return web.Response(status=200, body=bodies[0], content_type="application/x-amz-json-1.0")

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", bodies, received
    finally:
        with anyio.CancelScope(shield=True):
            await runner.cleanup()


NO_STATUS = (
    '{"environment": {"name": "prod", "arn": "arn:aws:proton:us-east-1:123456789012:'
    'environment/prod", "createdAt": 1, "lastDeploymentAttemptedAt": 1, "lastDeployedAt": 1,'
    ' "templateName": "base", "templateMajorVersion": "1", "templateMinorVersion": "0"}}'
)


@pytest.mark.parametrize("body", ["garbage{", '{"environment": "not an object"}', NO_STATUS])
async def test_an_unreadable_response_ends_the_wait_at_once(
    unreadable_service: tuple[str, list[str], list[str]], body: str
) -> None:
    url, bodies, received = unreadable_service
    bodies.append(body)
    clock = ManualClock()
    async with aioproton.ProtonClient(
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        clock=clock,
    ) as proton:
        waiter = Waiters(proton).environment_deployed("prod", timeout=3600)
        with pytest.raises(aioproton.ProtonResponseError) as caught:
            await waiter
    assert not isinstance(caught.value, WaitTimeoutError)
    assert waiter.attempts == 1
    assert waiter.done
    assert "EnvironmentDeployed" in str(caught.value)
    assert "environment/prod could not be read" in str(caught.value)
    assert caught.value.operation == "GetEnvironment"
    assert isinstance(caught.value.__cause__, aioproton.ProtonResponseError)
    assert set(received) == {"AwsProton20200720.GetEnvironment"}
