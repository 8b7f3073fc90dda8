"""The WARNINGs an operator acts on, and the per-item records of rollouts and bulk runs."""

from __future__ import annotations

import logging
import random

import aioproton
from aioproton import _logfields as F
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.testing import ProtonFaults
from aioproton.workflow import DurableRetry, IdempotentCalls, ItemStatus, Rollout, run_bulk

from .support import MANIFEST, TEMPLATE_FILE, collecting, environment, template


async def test_a_call_retried_past_half_its_budget_warns(
    proton_emulator: Emulator, proton_faults: ProtonFaults, proton_clock: ManualClock
) -> None:
    policy = aioproton.RetryPolicy(
        max_attempts=6, initial_delay=4, max_delay=4, max_elapsed=10, rng=random.Random(3)
    )
    async with proton_emulator.client(clock=proton_clock, retry=policy) as proton:
        await proton.create_environment_template(name="base")
        proton_faults.throttle(5)
        with collecting() as log:
            try:
                await proton.get_environment_template(name="base")
            except aioproton.ThrottlingError:
                pass  # gave up: the budget ran out, which is what the warning foretold
    retries = [r for r in log.named("aioproton.client") if hasattr(r, F.DELAY)]
    assert retries
    late = [r for r in retries if r.elapsed > r.deadline / 2]
    early = [r for r in retries if r.elapsed <= r.deadline / 2]
    assert late, "the throttles must outlast half the budget for this test to mean anything"
    assert all(r.levelname == "WARNING" and "budget spent" in r.getMessage() for r in late)
    assert all(r.levelname == "DEBUG" for r in early)


async def test_a_token_near_its_8_hour_limit_warns_with_its_key_and_age(
    proton_emulator: Emulator, proton_clock: ManualClock
) -> None:
    async with proton_emulator.client(clock=proton_clock) as proton:
        await template(proton_emulator, proton)
        await environment(proton_emulator, proton, "prod")
        calls = IdempotentCalls(clock=proton_clock)
        params = {
            "name": "web",
            "environment_name": "prod",
            "manifest": MANIFEST,
            "template_file": TEMPLATE_FILE,
        }
        await calls.call("release-9/web", proton.create_component, **params)
        proton_emulator.advance(7.6 * 3600)  # past 8 hours less the 30-minute margin
        with collecting() as log:
            again = await calls.call("release-9/web", proton.create_component, **params)
    assert again.name == "web"
    [warning] = [r for r in log.named("aioproton.workflow.idempotency") if r.levelname == "WARNING"]
    assert warning.idempotency_key == "release-9/web"
    assert warning.token_age >= 7.6 * 3600
    assert "8-hour" in warning.getMessage()


async def test_a_durable_request_past_half_its_deadline_warns(
    proton_emulator: Emulator, proton_faults: ProtonFaults, proton_clock: ManualClock
) -> None:
    async with proton_emulator.client(
        clock=proton_clock, retry=aioproton.RetryPolicy.never()
    ) as proton:
        await template(proton_emulator, proton)
        proton_faults.throttle(rate=1.0, operations=["CreateEnvironment"])
        retry = DurableRetry(deadline=60, initial_delay=10, max_delay=10, rng=random.Random(1))
        calls = IdempotentCalls(clock=proton_clock, retry=retry)
        with collecting() as log:
            try:
                await calls.call(
                    None,
                    proton.create_environment,
                    name="prod",
                    template_name="base",
                    template_major_version="1",
                    spec="proton: EnvironmentSpec\nspec: {}\n",
                    proton_service_role_arn="arn:aws:iam::123456789012:role/proton-service",
                )
            except aioproton.ThrottlingError:
                pass
    resends = [r for r in log.named("aioproton.workflow.idempotency") if hasattr(r, F.DELAY)]
    assert resends
    assert {r.levelname for r in resends if r.elapsed > r.deadline / 2} == {"WARNING"}
    assert {r.levelname for r in resends if r.elapsed <= r.deadline / 2} <= {"DEBUG"}
    assert all(r.error_code == "ThrottlingException" for r in resends)


async def test_rollout_items_are_info_and_bulk_items_debug(
    proton_emulator: Emulator, proton_clock: ManualClock
) -> None:
    async with proton_emulator.client(clock=proton_clock) as proton:
        await template(proton_emulator, proton, minors=2)
        for name in ("a", "b"):
            await environment(proton_emulator, proton, name)
        with collecting() as log:
            report = await Rollout(proton, environment_template="base", version="1.1").run()
        with collecting() as bulk_log:
            summary = await run_bulk(
                ["a", "missing"], lambda name: proton.get_environment(name=name), concurrency=1
            )
    assert report.ok
    items = log.named("aioproton.workflow.rollout")
    assert sorted((r.target, r.status, r.levelname) for r in items) == [
        ("environment/a", "UPDATED", "INFO"),
        ("environment/b", "UPDATED", "INFO"),
    ]
    assert all(r.deployment_id and r.version == "1.1" for r in items)
    assert [r.status for r in summary.results] == [ItemStatus.SUCCEEDED, ItemStatus.FAILED]
    assert not log.named("aioproton.workflow.bulk"), "a rollout runs its waves itself"
    records = bulk_log.named("aioproton.workflow.bulk")
    bulk = [r for r in records if hasattr(r, F.INDEX)]
    assert sorted((r.index, r.item, r.status, r.error_code) for r in bulk) == [
        (0, "a", "SUCCEEDED", None),
        (1, "missing", "FAILED", "ResourceNotFoundException"),
    ]
    assert {r.levelno for r in bulk} == {logging.DEBUG}
    # The run itself: one INFO record as it starts, one as it ends.
    run = [r for r in records if not hasattr(r, F.INDEX)]
    assert [(r.levelno, getattr(r, F.ITEMS, None), getattr(r, F.FAILED, None)) for r in run] == [
        (logging.INFO, 2, None),
        (logging.INFO, None, 1),
    ]
