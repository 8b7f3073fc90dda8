"""The workflow tests' folder settings: the plugin's emulator with one-minute deployments,
a client whose retries give up fast, and resources built from ``tests.recipes``.

Lifecycles never take real time: the emulator applies them lazily on the manual clock,
and every waiter, retry and rate limiter sleeps on that same clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Timings
from aioproton.workflow import (
    ComponentTarget,
    DeploymentTarget,
    EnvironmentTarget,
    ServiceInstanceTarget,
    ServicePipelineTarget,
    Waiters,
)

from ..recipes import FAST_RETRIES, PIPELINE, TEMPLATE_FILE, World, service_spec

HERE = Path(__file__).resolve().parent
DEPLOY_SECONDS = 60.0
#: Clock seconds that settle every lifecycle at these timings.
SETTLE = 10 * DEPLOY_SECONDS
EMULATOR = pytest.mark.proton_emulator(timings=Timings(deploy_seconds=DEPLOY_SECONDS))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """This folder's tests run on an emulator with one-minute deployments, unless marked."""
    for item in items:
        if item.path.is_relative_to(HERE) and item.get_closest_marker(EMULATOR.name) is None:
            item.add_marker(EMULATOR)


@pytest.fixture
def proton_client_settings() -> dict[str, Any]:
    return {"retry": FAST_RETRIES}


@attrs.frozen
class Deployable:
    """One kind of deployable resource, ready for an update deployment."""

    target: DeploymentTarget[Any]
    path: str
    update: Callable[[], Awaitable[Any]]


async def _deployable(kind: str, world: World) -> Deployable:
    proton = world.proton
    await world.environment_template("base", ("1.0",))
    await world.environment("prod")
    if kind == "environment":
        return Deployable(
            EnvironmentTarget("prod"),
            "environment/prod",
            lambda: proton.update_environment(name="prod", deployment_type="CURRENT_VERSION"),
        )
    if kind == "component":
        await world.component("c1", "prod")
        return Deployable(
            ComponentTarget("c1"),
            "component/c1",
            lambda: proton.update_component(
                name="c1", deployment_type="CURRENT_VERSION", template_file=TEMPLATE_FILE
            ),
        )
    pipeline = kind == "pipeline"
    await world.service_template("web", ("1.0",), pipeline=pipeline)
    await world.service("api", [("one", "prod")], pipeline=pipeline)
    if pipeline:
        return Deployable(
            ServicePipelineTarget("api"),
            "service/api/pipeline",
            lambda: proton.update_service_pipeline(
                service_name="api",
                deployment_type="CURRENT_VERSION",
                spec=service_spec(("one", "prod"), pipeline=PIPELINE),
            ),
        )
    return Deployable(
        ServiceInstanceTarget("api", "one"),
        "service/api/service-instance/one",
        lambda: proton.update_service_instance(
            service_name="api", name="one", deployment_type="CURRENT_VERSION"
        ),
    )


@pytest.fixture(params=["environment", "service instance", "pipeline", "component"])
async def deployable(request: pytest.FixtureRequest, world: World) -> Deployable:
    return await _deployable(str(request.param), world)


@pytest.fixture
def waiters(proton_client: aioproton.ProtonClient, proton_clock: ManualClock) -> Waiters:
    return Waiters(proton_client, clock=proton_clock, seed=1)


@pytest.fixture
def world(proton_emulator: Emulator, proton_client: aioproton.ProtonClient) -> World:
    return World(proton_emulator, proton_client, settle=SETTLE)


@pytest.fixture
async def base(world: World) -> World:
    """An environment template ``base`` 1.0 and a settled environment ``prod``."""
    await world.environment_template("base", ("1.0",))
    await world.environment("prod")
    return world
