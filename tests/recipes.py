"""Setup recipes shared by the tests: the resources a test needs before it starts.

Each builder creates its resources through a real client and moves the emulator's
ManualClock until they settle, so a test begins from published templates and deployed
environments without waiting. ``World`` bundles them for the workflow tests, which
want each resource back in its settled state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio

import aioproton
from aioproton import models
from aioproton.emulator import Emulator

ACCOUNT = "123456789012"
SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/proton-service"
COMPONENT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/proton-components"
PIPELINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/proton-pipelines"
CONNECTION_ARN = f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/abc"
BUNDLE = models.TemplateVersionSourceInputS3(
    models.S3ObjectSource(bucket="templates-bucket", key="bundle.tar.gz")
)
ENV_SPEC = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.0.0.0/16\n"
MANIFEST = "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n"
TEMPLATE_FILE = "Resources: {}\n"
#: Retries that give up fast, for tests that look at what a retry did.
FAST_RETRIES = aioproton.RetryPolicy(max_attempts=4, initial_delay=0.001, max_delay=0.005)
#: The pipeline inputs of the services the recipes create.
PIPELINE = {"runtime": "python"}
#: Clock seconds that settle every lifecycle at the emulator's default timings.
SETTLE = 30.0

#: ``True`` settles for ``SETTLE`` clock seconds; a number, for that many.
Settle = bool | float


def arn(path: str) -> str:
    return f"arn:aws:proton:us-east-1:{ACCOUNT}:{path}"


def advance(emu: Emulator, settle: Settle) -> None:
    if settle is True:
        emu.advance(SETTLE)
    elif settle:
        emu.advance(settle)


async def eventually(condition: Callable[[], bool], *, limit: float = 10.0) -> None:
    """Wait (in real time, bounded) for something only the server side can show."""
    with anyio.fail_after(limit):
        for _ in itertools.count():
            if condition():
                return
            await anyio.sleep(0.002)


def service_spec(
    *instances: tuple[str, str], pipeline: Mapping[str, Any] | None = None, inputs: str = "1"
) -> str:
    """A ServiceSpec document with ``(name, environment)`` instances."""
    lines = ["proton: ServiceSpec"]
    if pipeline is not None:
        lines.append("pipeline:" if pipeline else "pipeline: {}")
        lines += [f"  {key}: {value}" for key, value in pipeline.items()]
    lines.append("instances:")
    for name, environment in instances:
        lines += [
            f"  - name: {name}",
            f"    environment: {environment}",
            "    spec:",
            f"      port: {inputs}",
        ]
    return "\n".join(lines) + "\n"


def compatible(
    name: str = "base", major: str = "1"
) -> list[models.CompatibleEnvironmentTemplateInput]:
    return [models.CompatibleEnvironmentTemplateInput(template_name=name, major_version=major)]


# ---------------------------------------------------------------------- templates


async def env_template(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    name: str = "base",
    versions: Sequence[str] = ("1.0",),
    *,
    publish: bool = True,
    provisioning: str | None = None,
    settle: Settle = True,
) -> None:
    """An environment template whose versions are registered (and published)."""
    await proton.create_environment_template(name=name, provisioning=provisioning)
    await _versions(proton, emu, "environment", name, versions, publish=publish, settle=settle)


async def service_template(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    name: str = "web",
    versions: Sequence[str] = ("1.0",),
    *,
    publish: bool = True,
    pipeline: bool = True,
    env_templates: Sequence[tuple[str, str]] = (("base", "1"),),
    components: bool = True,
    settle: Settle = True,
) -> None:
    """A service template (with a pipeline unless told) whose versions are published.

    A template with a pipeline also gives the account its pipeline role, which
    CreateService needs for it.
    """
    await proton.create_service_template(
        name=name, pipeline_provisioning=None if pipeline else "CUSTOMER_MANAGED"
    )
    if pipeline:
        await proton.update_account_settings(pipeline_service_role_arn=PIPELINE_ROLE)
    extra = _service_version_settings(env_templates, components=components)
    await _versions(proton, emu, "service", name, versions, publish=publish, settle=settle, **extra)


def _service_version_settings(
    env_templates: Sequence[tuple[str, str]], *, components: bool
) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "compatible_environment_templates": [
            models.CompatibleEnvironmentTemplateInput(template_name=t, major_version=m)
            for t, m in env_templates
        ]
    }
    if components:
        extra["supported_component_sources"] = ["DIRECTLY_DEFINED"]
    return extra


async def template_version(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    kind: str,
    name: str,
    *,
    major: str | None = None,
    env_templates: Sequence[tuple[str, str]] = (("base", "1"),),
    settle: Settle = True,
) -> str:
    """One more version of an existing ``kind`` template, registered and published."""
    extra = _service_version_settings(env_templates, components=True) if kind == "service" else {}
    created = await getattr(proton, f"create_{kind}_template_version")(
        template_name=name, source=BUNDLE, major_version=major, **extra
    )
    advance(emu, settle)
    await getattr(proton, f"update_{kind}_template_version")(
        template_name=name,
        major_version=created.major_version,
        minor_version=created.minor_version,
        status="PUBLISHED",
    )
    return f"{created.major_version}.{created.minor_version}"


async def _versions(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    kind: str,
    name: str,
    versions: Sequence[str],
    *,
    publish: bool,
    settle: Settle,
    **extra: Any,
) -> None:
    create = getattr(proton, f"create_{kind}_template_version")
    update = getattr(proton, f"update_{kind}_template_version")
    majors: set[str] = set()
    for number in versions:
        major, minor = number.split(".")
        given = major if major in majors else None
        created = await create(template_name=name, source=BUNDLE, major_version=given, **extra)
        assert (created.major_version, created.minor_version) == (major, minor)
        majors.add(major)
    advance(emu, settle)
    if publish:
        for number in versions:
            major, minor = number.split(".")
            await update(
                template_name=name, major_version=major, minor_version=minor, status="PUBLISHED"
            )


# ---------------------------------------------------------------------- deployed resources


async def environment(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    name: str = "prod",
    *,
    template: str = "base",
    major: str = "1",
    minor: str | None = None,
    settle: Settle = True,
    **extra: Any,
) -> models.Environment:
    extra.setdefault("proton_service_role_arn", SERVICE_ROLE)
    extra.setdefault("component_role_arn", COMPONENT_ROLE)
    env = await proton.create_environment(
        name=name,
        template_name=template,
        template_major_version=major,
        template_minor_version=minor,
        spec=ENV_SPEC,
        **extra,
    )
    advance(emu, settle)
    return env


async def service(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    name: str = "api",
    instances: Sequence[tuple[str, str]] = (("i1", "prod"),),
    *,
    template: str = "web",
    major: str = "1",
    minor: str | None = None,
    pipeline: bool = True,
    settle: Settle = True,
    **extra: Any,
) -> models.Service:
    created = await proton.create_service(
        name=name,
        template_name=template,
        template_major_version=major,
        template_minor_version=minor,
        spec=service_spec(*instances, pipeline=PIPELINE if pipeline else None),
        **extra,
    )
    advance(emu, settle)
    return created


async def component(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    name: str,
    environment: str = "prod",
    *,
    settle: Settle = True,
) -> models.Component:
    created = await proton.create_component(
        name=name, environment_name=environment, manifest=MANIFEST, template_file=TEMPLATE_FILE
    )
    advance(emu, settle)
    return created


async def world(proton: aioproton.ProtonClient, emu: Emulator) -> None:
    """Published templates ``base`` and ``web``, environment ``prod``, service ``api/i1``."""
    await env_template(proton, emu)
    await service_template(proton, emu)
    await environment(proton, emu)
    await service(proton, emu)


class World:
    """The recipes on one emulator and client, settling ``settle`` clock seconds each,
    and handing back each resource as it is once settled."""

    def __init__(
        self, emulator: Emulator, proton: aioproton.ProtonClient, *, settle: float = SETTLE
    ) -> None:
        self.emulator = emulator
        self.proton = proton
        self.seconds = settle

    def settle(self, seconds: float | None = None) -> None:
        self.emulator.advance(self.seconds if seconds is None else seconds)

    async def environment_template(
        self, name: str = "base", versions: Sequence[str] = ("1.0",)
    ) -> None:
        await env_template(self.proton, self.emulator, name, versions, settle=self.seconds)

    async def service_template(
        self,
        name: str = "web",
        versions: Sequence[str] = ("1.0",),
        *,
        environment_template: str = "base",
        environment_major: str = "1",
        pipeline: bool = False,
    ) -> None:
        await service_template(
            self.proton,
            self.emulator,
            name,
            versions,
            pipeline=pipeline,
            env_templates=[(environment_template, environment_major)],
            settle=self.seconds,
        )

    async def environment(
        self, name: str, *, template: str = "base", major: str = "1", minor: str | None = None
    ) -> models.Environment:
        await environment(
            self.proton,
            self.emulator,
            name,
            template=template,
            major=major,
            minor=minor,
            settle=self.seconds,
        )
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
        await service(
            self.proton,
            self.emulator,
            name,
            instances,
            template=template,
            major=major,
            minor=minor,
            pipeline=pipeline,
            settle=self.seconds,
        )
        return await self.proton.get_service(name=name)

    async def component(self, name: str, environment: str) -> models.Component:
        await component(self.proton, self.emulator, name, environment, settle=self.seconds)
        return await self.proton.get_component(name=name)
