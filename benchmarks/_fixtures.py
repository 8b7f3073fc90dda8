"""Filling the emulator before anything is timed, and the canned server's answers.

The main region gets one environment (what GetEnvironment reads). The rollout region
gets one service template per rollout peer, each with its own services, so the peers
roll out identical, separate fleets. The canned-answer server replays what the
emulator answers for that environment, so every server sends the clients the same JSON.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

import aioproton
from aioproton import models

from . import _canned, _floor
from ._config import (
    CLOCK_SPEED,
    ENVIRONMENT,
    MAIN_REGION,
    PAGE_SIZE,
    ROLLOUT_REGION,
    Sizes,
    settings,
)

ENV_TEMPLATE = "bench-base"
LIST_TEMPLATE = "bench-web"
ROLE = "arn:aws:iam::123456789012:role/proton-service"
ENV_SPEC = "proton: EnvironmentSpec\nspec:\n  cidr: 10.0.0.0/16\n"
_SOURCE = models.TemplateVersionSourceInputS3(
    models.S3ObjectSource(bucket="bench-templates", key="bundle.tar.gz")
)
_SETUP_CONCURRENCY = 16


def rollout_template(peer: str) -> str:
    return f"bench-roll-{peer}"


def service_spec(environment: str, instances: int) -> str:
    lines = ["proton: ServiceSpec", "instances:"]
    for index in range(instances):
        lines += [
            f"  - name: inst{index:02d}",
            f"    environment: {environment}",
            "    spec:",
            "      port: 8080",
        ]
    return "\n".join(lines) + "\n"


async def _until(check: Callable[[], Awaitable[bool]], what: str, limit: float = 120.0) -> None:
    """Poll ``check`` every 2 simulated seconds, for ``limit`` real seconds at most.

    Setup only: never timed, and kept apart from the waiters being measured.
    """
    interval = 2.0 / CLOCK_SPEED
    for _ in range(int(limit / interval)):
        if await check():
            return
        await anyio.sleep(interval)
    raise RuntimeError(f"setup gave up after {limit:g} s waiting for {what}")


async def _published(proton: aioproton.ProtonClient, kind: str, template: str, minor: int) -> None:
    """Register version 1.``minor`` of a template and publish it."""
    create = getattr(proton, f"create_{kind}_template_version")
    get = getattr(proton, f"get_{kind}_template_version")
    update = getattr(proton, f"update_{kind}_template_version")
    extra: dict[str, Any] = {}
    if kind == "service":
        extra["compatible_environment_templates"] = [
            models.CompatibleEnvironmentTemplateInput(template_name=ENV_TEMPLATE, major_version="1")
        ]
    await create(
        template_name=template, source=_SOURCE, major_version=None if minor == 0 else "1", **extra
    )

    async def registered() -> bool:
        version = await get(template_name=template, major_version="1", minor_version=str(minor))
        if version.status == models.TemplateVersionStatus.REGISTRATION_FAILED:
            raise RuntimeError(f"{template} 1.{minor} failed to register")
        return bool(version.status == models.TemplateVersionStatus.DRAFT)

    await _until(registered, f"{template} 1.{minor} registered")
    await update(
        template_name=template, major_version="1", minor_version=str(minor), status="PUBLISHED"
    )


async def _environment(proton: aioproton.ProtonClient) -> None:
    await proton.create_environment_template(name=ENV_TEMPLATE)
    await _published(proton, "environment", ENV_TEMPLATE, 0)
    await proton.create_environment(
        name=ENVIRONMENT,
        template_name=ENV_TEMPLATE,
        template_major_version="1",
        spec=ENV_SPEC,
        proton_service_role_arn=ROLE,
    )


async def _services(
    proton: aioproton.ProtonClient, template: str, prefix: str, count: int, instances: int
) -> None:
    """``count`` services of ``instances`` instances each, created and settled."""
    await proton.create_service_template(name=template, pipeline_provisioning="CUSTOMER_MANAGED")
    await _published(proton, "service", template, 0)
    spec = service_spec(ENVIRONMENT, instances)
    limiter = anyio.CapacityLimiter(_SETUP_CONCURRENCY)

    async def create(index: int) -> None:
        async with limiter:
            await proton.create_service(
                name=f"{prefix}{index:04d}",
                template_name=template,
                template_major_version="1",
                spec=spec,
            )

    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(create, index)

    async def all_active() -> bool:
        busy = 0
        async for service in proton.paginate.list_services(page_size=100):
            if service.template_name != template:
                continue
            if service.status != models.ServiceStatus.ACTIVE:
                if "FAILED" in str(service.status):
                    raise RuntimeError(f"service {service.name} is {service.status}")
                busy += 1
        return busy == 0

    await _until(all_active, f"services of {template} active")


async def fill_main(url: str) -> None:
    """The environment GetEnvironment reads."""
    async with aioproton.ProtonClient(**settings(url, MAIN_REGION)) as proton:
        await _environment(proton)


async def fill_rollout(url: str, sizes: Sizes, peers: tuple[str, ...]) -> None:
    """One identical fleet per rollout peer, each on its own service template."""
    client = aioproton.ProtonClient(**settings(url, ROLLOUT_REGION))
    async with client as proton:
        await _environment(proton)
        async with anyio.create_task_group() as group:
            for peer in peers:
                group.start_soon(
                    _services,
                    proton,
                    rollout_template(peer),
                    f"roll-{peer}-",
                    sizes.rollout_services,
                    sizes.rollout_instances,
                )


async def fill(url: str, sizes: Sizes, rollout_peers: tuple[str, ...]) -> None:
    """Both regions at once."""
    async with anyio.create_task_group() as group:
        group.start_soon(fill_main, url)
        group.start_soon(fill_rollout, url, sizes, rollout_peers)


async def publish_rollout_version(url: str, peers: tuple[str, ...], minor: int) -> None:
    """Version 1.``minor`` of every peer's template, published: the next rollout target."""
    client = aioproton.ProtonClient(**settings(url, ROLLOUT_REGION))
    async with client as proton, anyio.create_task_group() as group:
        for peer in peers:
            group.start_soon(_published, proton, "service", rollout_template(peer), minor)


def _wire(url: str, operation: str, params: dict[str, Any]) -> Any:
    """The emulator's JSON answer to one signed request."""
    body, headers = _floor.sign(url, MAIN_REGION, operation, params)
    request = urllib.request.Request(url + "/", data=body.encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def canned_bodies(url: str, items: int) -> str:
    """The canned server's answers: the emulator's environment, as itself and as
    ``items`` listed summaries."""
    environment = _wire(url, "GetEnvironment", {"name": ENVIRONMENT})
    summary = _wire(url, "ListEnvironments", {"maxResults": 1})["environments"][0]
    return _canned.bodies(environment, summary, items, PAGE_SIZE)
