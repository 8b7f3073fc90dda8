"""The workload the production examples observe: what a deployment daemon does.

An environment template, an environment, idempotent component creates and a waiter,
against an embedded emulator that throttles some requests and drops some responses
after performing them, the way a busy service and a flaky network do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from aioproton import Observer, ProtonClient
from aioproton.clock import ScaledClock
from aioproton.emulator import Emulator, FaultSettings, Timings
from aioproton.workflow import IdempotentCalls, Waiters

ROLE = "arn:aws:iam::123456789012:role/proton-service-role"
COMPONENT_ROLE = "arn:aws:iam::123456789012:role/proton-component-role"
MANIFEST = "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n"
#: Seeded faults: some requests throttled, some answered and then dropped.
FAULTS = FaultSettings(
    throttle_rate=0.2,
    drop_rate=0.3,
    seed=41,
    operations=frozenset({"GetComponent", "CreateComponent"}),
)


@asynccontextmanager
async def daemon_client(
    observers: Sequence[Observer] = (),
) -> AsyncIterator[tuple[ProtonClient, Emulator]]:
    """A client with ``observers`` on an embedded emulator whose clock runs 600x."""
    clock = ScaledClock(600.0)
    async with (
        Emulator(clock=clock, timings=Timings(deploy_seconds=60.0, register_seconds=10.0)) as emu,
        emu.client(clock=clock, observers=observers) as client,
    ):
        yield client, emu


async def run(proton: ProtonClient, emulator: Emulator, *, components: int = 3) -> None:
    """Set up an environment, then create components idempotently and wait for them."""
    waiters = Waiters(proton)
    await proton.create_environment_template(name="base")
    await proton.create_environment_template_version(
        template_name="base", source={"s3": {"bucket": "templates", "key": "base.tar.gz"}}
    )
    await waiters.environment_template_version_registered("base", "1", "0", timeout=1800)
    await proton.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
    )
    await proton.create_environment(
        name="prod",
        template_name="base",
        template_major_version="1",
        spec="proton: EnvironmentSpec\nspec: {}\n",
        proton_service_role_arn=ROLE,
        component_role_arn=COMPONENT_ROLE,
    )
    emulator.faults.configure(FAULTS)
    await waiters.environment_deployed("prod", timeout=3600)
    calls = IdempotentCalls(clock=proton.clock)
    for index in range(components):
        await calls.call(
            f"release-1/component/web-{index}",
            proton.create_component,
            name=f"web-{index}",
            environment_name="prod",
            manifest=MANIFEST,
            template_file="Resources: {}\n",
        )
        await waiters.component_deployed(f"web-{index}", timeout=3600)
