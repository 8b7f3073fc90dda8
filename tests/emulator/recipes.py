"""Shared helpers for the backend tests: fixtures of data and short setup recipes.

The tests import it (``from .recipes import ...``); the
fixtures they use (``emulator``, ``proton``, ``clock``) come from ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aioproton
from aioproton import models
from aioproton.emulator import Emulator

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/proton-service"
COMPONENT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/proton-components"
CONNECTION_ARN = f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/abc"
S3 = models.TemplateVersionSourceInputS3(
    models.S3ObjectSource(bucket="templates-bucket", key="bundle.tar.gz")
)
ENV_SPEC = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.0.0.0/16\n"
SETTLE = 30.0  # longer than any default lifecycle


def arn(path: str) -> str:
    return f"arn:aws:proton:us-east-1:{ACCOUNT}:{path}"


def service_spec(
    *instances: tuple[str, str], pipeline: dict[str, Any] | None = None, inputs: str = "1"
) -> str:
    """A ServiceSpec document with ``(name, environment)`` instances."""
    lines = ["proton: ServiceSpec"]
    if pipeline is not None:
        lines.append("pipeline:")
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


async def env_template(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    name: str = "base",
    versions: Sequence[str] = ("1.0",),
    *,
    publish: bool = True,
    provisioning: str | None = None,
) -> None:
    """An environment template whose versions are registered (and published)."""
    await proton.create_environment_template(name=name, provisioning=provisioning)
    await _versions(proton, emu, "environment", name, versions, publish=publish)


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
) -> None:
    """A service template (with a pipeline unless told) whose versions are published."""
    await proton.create_service_template(
        name=name, pipeline_provisioning=None if pipeline else "CUSTOMER_MANAGED"
    )
    extra: dict[str, Any] = {
        "compatible_environment_templates": [
            models.CompatibleEnvironmentTemplateInput(template_name=t, major_version=m)
            for t, m in env_templates
        ]
    }
    if components:
        extra["supported_component_sources"] = ["DIRECTLY_DEFINED"]
    await _versions(proton, emu, "service", name, versions, publish=publish, **extra)


async def _versions(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    kind: str,
    name: str,
    versions: Sequence[str],
    *,
    publish: bool,
    **extra: Any,
) -> None:
    create = getattr(proton, f"create_{kind}_template_version")
    update = getattr(proton, f"update_{kind}_template_version")
    majors: set[str] = set()
    for number in versions:
        major, minor = number.split(".")
        given = major if major in majors else None
        created = await create(template_name=name, source=S3, major_version=given, **extra)
        assert (created.major_version, created.minor_version) == (major, minor)
        majors.add(major)
    emu.advance(SETTLE)
    if publish:
        for number in versions:
            major, minor = number.split(".")
            await update(
                template_name=name, major_version=major, minor_version=minor, status="PUBLISHED"
            )


async def environment(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    name: str = "prod",
    *,
    template: str = "base",
    major: str = "1",
    minor: str | None = None,
    settle: bool = True,
    **extra: Any,
) -> models.Environment:
    extra.setdefault("proton_service_role_arn", ROLE)
    extra.setdefault("component_role_arn", COMPONENT_ROLE)
    env = await proton.create_environment(
        name=name,
        template_name=template,
        template_major_version=major,
        template_minor_version=minor,
        spec=ENV_SPEC,
        **extra,
    )
    if settle:
        emu.advance(SETTLE)
    return env


async def service(
    proton: aioproton.ProtonClient,
    emu: Emulator,
    name: str = "api",
    instances: Sequence[tuple[str, str]] = (("i1", "prod"),),
    *,
    template: str = "web",
    major: str = "1",
    pipeline: bool = True,
    settle: bool = True,
    **extra: Any,
) -> models.Service:
    created = await proton.create_service(
        name=name,
        template_name=template,
        template_major_version=major,
        spec=service_spec(*instances, pipeline={"runtime": "python"} if pipeline else None),
        **extra,
    )
    if settle:
        emu.advance(SETTLE)
    return created


async def world(proton: aioproton.ProtonClient, emu: Emulator) -> None:
    """Published templates ``base`` and ``web``, environment ``prod``, service ``api/i1``."""
    await env_template(proton, emu)
    await service_template(proton, emu)
    await environment(proton, emu)
    await service(proton, emu)
