"""Rolling a new minor version out to a fleet of service instances, two ways.

- aioproton: ``aioproton.workflow.Rollout`` with its defaults (history-aware waiters,
  idempotent updates, a re-read of every item before it is touched).
- aiobotocore: the loop a user would write: list the instances on the template, then,
  under a semaphore of the same size, UpdateServiceInstance and botocore's
  ``service_instance_deployed`` waiter (5 s between polls, on the scaled clock).

Both run against the same emulator clock: aioproton's waiters sleep on a ScaledClock
aligned to the emulator's, and botocore's 5 s delay is divided by the clock speed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import anyio

from ._config import BOTOCORE_WAITER_DELAY, CLOCK_SPEED
from ._server import server_now

if TYPE_CHECKING:
    from aioproton.emulator import ClientSettings


async def aioproton_rollout(
    settings: ClientSettings, template: str, version: str, concurrency: int
) -> dict[str, float]:
    import aioproton
    from aioproton.clock import ScaledClock
    from aioproton.workflow import Rollout, RolloutStatus

    clock = ScaledClock(CLOCK_SPEED, start=server_now(settings["endpoint_url"]))
    async with aioproton.ProtonClient(**settings, max_pool_connections=concurrency) as proton:
        rollout = Rollout(
            proton, service_template=template, version=version, concurrency=concurrency, clock=clock
        )
        started = time.perf_counter()
        report = await rollout.run()
        seconds = time.perf_counter() - started
    updated = report.count(RolloutStatus.UPDATED)
    if not report.ok or updated != len(report.results):
        raise RuntimeError(f"the rollout did not update every item:\n{report}")
    return {"items": float(updated), "seconds": seconds}


async def aiobotocore_rollout(
    settings: ClientSettings, template: str, version: str, concurrency: int
) -> dict[str, float]:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    major, _, minor = version.partition(".")
    config = AioConfig(max_pool_connections=concurrency)
    async with get_session().create_client("proton", **settings, config=config) as client:
        started = time.perf_counter()
        instances: list[dict[str, Any]] = []
        paginator = client.get_paginator("list_service_instances")
        pages = paginator.paginate(filters=[{"key": "templateName", "value": template}])
        async for page in pages:
            instances.extend(page["serviceInstances"])
        semaphore = anyio.Semaphore(concurrency)
        waiter = client.get_waiter("service_instance_deployed")
        delay = BOTOCORE_WAITER_DELAY / CLOCK_SPEED

        async def update(instance: dict[str, Any]) -> None:
            async with semaphore:
                await client.update_service_instance(
                    name=instance["name"],
                    serviceName=instance["serviceName"],
                    deploymentType="MINOR_VERSION",
                    templateMajorVersion=major,
                    templateMinorVersion=minor,
                )
                await waiter.wait(
                    name=instance["name"],
                    serviceName=instance["serviceName"],
                    WaiterConfig={"Delay": delay, "MaxAttempts": 999},
                )

        async with anyio.create_task_group() as group:
            for instance in instances:
                group.start_soon(update, instance)
        seconds = time.perf_counter() - started
    return {"items": float(len(instances)), "seconds": seconds}


ROLLOUTS = {"aioproton": aioproton_rollout, "aiobotocore": aiobotocore_rollout}
