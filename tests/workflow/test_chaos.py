"""Chaos: throttling, 500s, commit-then-drop and latency on every request.

Two hundred logical creates (client-token components and name-keyed environments) must
make exactly two hundred resources, every waiter must end the way the script says, and
a rollout over the lot must report every item.
"""

from __future__ import annotations

from typing import Any

import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, FaultSettings
from aioproton.emulator.backend import Quotas
from aioproton.workflow import (
    DeploymentFailedError,
    DurableRetry,
    IdempotentCalls,
    ItemStatus,
    Rollout,
    RolloutStatus,
    Waiters,
    run_bulk,
)

from ..recipes import ENV_SPEC, MANIFEST, SERVICE_ROLE, TEMPLATE_FILE, World

pytestmark = pytest.mark.slow

CHAOS = FaultSettings(
    throttle_rate=0.3, error_rate=0.1, drop_rate=0.1, latency_min_ms=1, latency_max_ms=5, seed=7
)
#: Enough attempts that the client rarely gives a read up, as a daemon would configure.
#: The shared manual clock races ahead with two hundred waiters sleeping on it, so every
#: time budget measured on it (the client's retries included) is practically unbounded.
FOREVER = 10_000_000.0
STUBBORN = aioproton.RetryPolicy(
    max_attempts=12, initial_delay=0.5, max_delay=5, max_elapsed=FOREVER
)
COUNT = 100


def failing_component(index: int) -> bool:
    return str(index).startswith("9")


def failing_environment(index: int) -> bool:
    return str(index).startswith("7")


async def test_chaos_creates_waits_and_rollout(
    world: World, proton_emulator: Emulator, proton_clock: ManualClock
) -> None:
    proton_emulator.backend.quotas = Quotas(environments=2 * COUNT, components=2 * COUNT)
    await world.environment_template("base", ("1.0", "1.1"))
    await world.environment("prod", minor="0")
    proton_emulator.script("component/c-9*", action="deploy", outcome="fail", times=None)
    proton_emulator.script("environment/env-7*", action="deploy", outcome="fail", times=None)
    proton_emulator.faults.configure(CHAOS)

    async with aioproton.ProtonClient(
        **proton_emulator.client_settings, retry=STUBBORN, clock=proton_clock
    ) as proton:
        calls = IdempotentCalls(clock=proton_clock, retry=DurableRetry(deadline=FOREVER))
        waiters = Waiters(proton, clock=proton_clock, seed=3)

        async def component(index: int) -> str:
            name = f"c-{index}"
            await calls.call(
                f"chaos/component/{name}",
                proton.create_component,
                name=name,
                environment_name="prod",
                manifest=MANIFEST,
                template_file=TEMPLATE_FILE,
            )
            final = await waiters.component_deployed(name, timeout=FOREVER)
            return str(final.deployment_status)

        async def environment(index: int) -> str:
            name = f"env-{index}"
            await calls.call(
                None,
                proton.create_environment,
                name=name,
                template_name="base",
                template_major_version="1",
                template_minor_version="0",
                spec=ENV_SPEC,
                proton_service_role_arn=SERVICE_ROLE,
            )
            final = await waiters.environment_deployed(name, timeout=FOREVER)
            return str(final.deployment_status)

        async def create(item: tuple[str, int]) -> str:
            kind, index = item
            return await (component(index) if kind == "component" else environment(index))

        items = [(kind, index) for index in range(COUNT) for kind in ("component", "environment")]
        summary = await run_bulk(items, create, concurrency=40, proton=proton, clock=proton_clock)

        assert len(summary.results) == 2 * COUNT
        for result in summary.results:
            kind, index = result.item
            should_fail = (
                failing_component(index) if kind == "component" else failing_environment(index)
            )
            if should_fail:
                assert result.status is ItemStatus.FAILED, result
                assert isinstance(result.error, DeploymentFailedError), result.error
                assert result.error.status == "FAILED"
            else:
                assert result.status is ItemStatus.SUCCEEDED, result.error
                assert result.value == "SUCCEEDED"

        rollout = Rollout(
            proton,
            environment_template="base",
            version="1.1",
            concurrency=30,
            clock=proton_clock,
            waiters=waiters,
            retry=DurableRetry(deadline=FOREVER),
            wait_timeout=FOREVER,
        )
        report = await rollout.run()

    faults = {r.fault for r in proton_emulator.requests if r.fault}
    assert {"throttle", "error", "drop"} <= faults
    dropped_creates = proton_emulator.requests.count(operation="CreateComponent", status="dropped")
    dropped_creates += proton_emulator.requests.count(
        operation="CreateEnvironment", status="dropped"
    )
    assert dropped_creates >= 1

    proton_emulator.faults.configure(FaultSettings())
    async with aioproton.ProtonClient(**proton_emulator.client_settings) as clean:
        components = [c async for c in clean.paginate.list_components()]
        environments = [e async for e in clean.paginate.list_environments()]
    assert sorted(c.name for c in components) == sorted(f"c-{i}" for i in range(COUNT))
    created = sorted(e.name for e in environments if e.name != "prod")
    assert created == sorted(f"env-{i}" for i in range(COUNT))

    assert len(report.results) == COUNT + 1, "every environment is reported"
    statuses: dict[str, Any] = {r.target.path: r.status for r in report.results}
    for index in range(COUNT):
        expected = RolloutStatus.FAILED if failing_environment(index) else RolloutStatus.UPDATED
        assert statuses[f"environment/env-{index}"] is expected
    assert statuses["environment/prod"] is RolloutStatus.UPDATED
    upgraded = {e.name for e in environments if e.template_minor_version == "1"}
    assert upgraded == {
        "prod",
        *(f"env-{i}" for i in range(COUNT) if not failing_environment(i)),
    }
