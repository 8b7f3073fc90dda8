"""Fixtures: an emulator and a client sharing one ManualClock, and a builder of resources.

Lifecycles never take real time: the emulator applies them lazily on the manual clock,
and every waiter, retry and rate limiter sleeps on that same clock.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import anyio
import attrs
import pytest

import aioproton
from aioproton import models
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

ACCOUNT = "123456789012"
SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/proton-service"
COMPONENT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/proton-component"
ENV_SPEC = "proton: EnvironmentSpec\nspec: {}\n"
MANIFEST = "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n"
TEMPLATE_FILE = "Resources: {}\n"
BUNDLE = models.TemplateVersionSourceInputS3(
    value=models.S3ObjectSource(bucket="bundles", key="template.tar.gz")
)
FAST_RETRIES = aioproton.RetryPolicy(max_attempts=4, initial_delay=0.001, max_delay=0.005)
DEPLOY_SECONDS = 60.0
#: Clock seconds that settle every default lifecycle.
SETTLE = 10 * DEPLOY_SECONDS


async def eventually(condition: Callable[[], bool], *, limit: float = 10.0) -> None:
    """Wait (in real time, bounded) for something only the server side can show."""
    with anyio.fail_after(limit):
        for _ in itertools.count():
            if condition():
                return
            await anyio.sleep(0.002)


def service_spec(instances: Sequence[tuple[str, str]], *, pipeline: bool = False) -> str:
    lines = ["proton: ServiceSpec"]
    if pipeline:
        lines.append("pipeline: {}")
    lines.append("instances:")
    for name, environment in instances:
        lines += [f"  - name: {name}", f"    environment: {environment}", "    spec: {}"]
    return "\n".join(lines) + "\n"


class World:
    """Creates templates, environments, services and components, settled and ready."""

    def __init__(self, emulator: Emulator, proton: aioproton.ProtonClient) -> None:
        self.emulator = emulator
        self.proton = proton

    def settle(self, seconds: float = SETTLE) -> None:
        self.emulator.advance(seconds)

    async def environment_template(
        self, name: str = "base", versions: Sequence[str] = ("1.0",)
    ) -> None:
        await self.proton.create_environment_template(name=name)
        await self._versions("environment", name, versions)

    async def service_template(
        self,
        name: str = "web",
        versions: Sequence[str] = ("1.0",),
        *,
        environment_template: str = "base",
        environment_major: str = "1",
        pipeline: bool = False,
    ) -> None:
        await self.proton.create_service_template(
            name=name, pipeline_provisioning=None if pipeline else "CUSTOMER_MANAGED"
        )
        await self._versions(
            "service",
            name,
            versions,
            compatible=[
                models.CompatibleEnvironmentTemplateInput(
                    template_name=environment_template, major_version=environment_major
                )
            ],
        )

    async def _versions(
        self,
        kind: str,
        template: str,
        versions: Sequence[str],
        compatible: Sequence[models.CompatibleEnvironmentTemplateInput] = (),
    ) -> None:
        majors: set[str] = set()
        for version in versions:
            major, _, minor = version.partition(".")
            given = major if major in majors else None
            if kind == "environment":
                created_env = await self.proton.create_environment_template_version(
                    template_name=template, source=BUNDLE, major_version=given
                )
                number = (created_env.major_version, created_env.minor_version)
            else:
                created_svc = await self.proton.create_service_template_version(
                    template_name=template,
                    source=BUNDLE,
                    major_version=given,
                    compatible_environment_templates=list(compatible),
                    supported_component_sources=["DIRECTLY_DEFINED"],
                )
                number = (created_svc.major_version, created_svc.minor_version)
            assert number == (major, minor), f"expected {version}, the emulator made {number}"
            majors.add(major)
            self.settle()
            if kind == "environment":
                await self.proton.update_environment_template_version(
                    template_name=template,
                    major_version=major,
                    minor_version=minor,
                    status="PUBLISHED",
                )
            else:
                await self.proton.update_service_template_version(
                    template_name=template,
                    major_version=major,
                    minor_version=minor,
                    status="PUBLISHED",
                )

    async def environment(
        self, name: str, *, template: str = "base", major: str = "1", minor: str | None = None
    ) -> models.Environment:
        await self.proton.create_environment(
            name=name,
            template_name=template,
            template_major_version=major,
            template_minor_version=minor,
            spec=ENV_SPEC,
            proton_service_role_arn=SERVICE_ROLE,
            component_role_arn=COMPONENT_ROLE,
        )
        self.settle()
        return await self.proton.get_environment(name=name)

    async def service(
        self,
        name: str,
        instances: Sequence[tuple[str, str]],
        *,
        template: str = "web",
        major: str = "1",
        minor: str | None = None,
        pipeline: bool = False,
    ) -> models.Service:
        await self.proton.create_service(
            name=name,
            template_name=template,
            template_major_version=major,
            template_minor_version=minor,
            spec=service_spec(instances, pipeline=pipeline),
        )
        self.settle()
        return await self.proton.get_service(name=name)

    async def component(self, name: str, environment: str) -> models.Component:
        await self.proton.create_component(
            name=name, environment_name=environment, manifest=MANIFEST, template_file=TEMPLATE_FILE
        )
        self.settle()
        return await self.proton.get_component(name=name)


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
                spec=service_spec([("one", "prod")], pipeline=True),
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
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def emulator(clock: ManualClock) -> AsyncIterator[Emulator]:
    async with Emulator(
        clock=clock, timings=Timings(deploy_seconds=DEPLOY_SECONDS), check_responses=True
    ) as emu:
        yield emu


@pytest.fixture
async def proton(emulator: Emulator, clock: ManualClock) -> AsyncIterator[aioproton.ProtonClient]:
    async with aioproton.ProtonClient(
        **emulator.client_settings, retry=FAST_RETRIES, clock=clock
    ) as client:
        yield client


@pytest.fixture
def waiters(proton: aioproton.ProtonClient, clock: ManualClock) -> Waiters:
    return Waiters(proton, clock=clock, seed=1)


@pytest.fixture
def world(emulator: Emulator, proton: aioproton.ProtonClient) -> World:
    return World(emulator, proton)


@pytest.fixture
async def base(world: World) -> World:
    """An environment template ``base`` 1.0 and a settled environment ``prod``."""
    await world.environment_template("base", ("1.0",))
    await world.environment("prod")
    return world
