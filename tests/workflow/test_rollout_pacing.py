"""A rollout paces only its own updates, honours max_rate, and says what happens on cancel."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import anyio
import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.workflow import AdaptiveRateLimiter, MaxRate, Rollout, RolloutStatus

from ..recipes import World, eventually
from .conftest import SETTLE

#: Long enough that no deployment ends on its own during a test, however far the
#: waiters' polls move the manual clock.
FOREVER = 10.0**7


async def fleet(emulator: Emulator, proton: aioproton.ProtonClient, count: int) -> World:
    world = World(emulator, proton, settle=SETTLE)
    await world.environment_template("base", ("1.0", "1.1"))
    for index in range(count):
        await world.environment(f"e{index}", major="1", minor="0")
    return world


def busiest_window(times: Sequence[float], seconds: float) -> int:
    """The most requests in any window [t, t + seconds) of the clock."""
    return max(sum(1 for other in times if start <= other < start + seconds) for start in times)


@pytest.mark.parametrize("max_rate", [1, 4])
async def test_max_rate_is_a_maximum_over_every_window_of_a_second_or_more(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, max_rate: int
) -> None:
    await fleet(proton_emulator, proton_client, 12)
    report = await Rollout(
        proton_client, environment_template="base", version="1.1", concurrency=12, max_rate=max_rate
    ).run()
    assert report.count(RolloutStatus.UPDATED) == 12
    times = [r.time for r in proton_emulator.requests.select(operation="UpdateEnvironment")]
    assert len(times) == 12, times
    for seconds in (1, 2, 3):
        assert busiest_window(times, seconds) <= max_rate * seconds


async def test_a_burst_holds_over_windows_of_burst_over_rate(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await fleet(proton_emulator, proton_client, 12)
    rollout = Rollout(
        proton_client,
        environment_template="base",
        version="1.1",
        concurrency=12,
        max_rate=4,
        burst=2,
    )
    assert (await rollout.run()).ok
    times = [r.time for r in proton_emulator.requests.select(operation="UpdateEnvironment")]
    assert busiest_window(times, 0.5) <= 2
    assert busiest_window(times, 1) <= 4
    assert busiest_window(times, 0.001) == 2, "two go at once"


async def test_max_rate_slows_down_when_throttled_and_frees_cancelled_slots(
    proton_clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    pace = MaxRate(max_rate=4, clock=proton_clock)
    with caplog.at_level(logging.INFO, logger="aioproton.workflow"):
        async with pace.slot():
            pace.feedback(throttled=True)
    assert pace.rate == 2
    assert [getattr(r, "rate", None) for r in caplog.records] == [2]
    assert (pace.throttled, pace.succeeded) == (1, 0)
    with anyio.CancelScope() as scope:
        async with pace.slot():
            scope.cancel()
            await anyio.sleep_forever()
    began = proton_clock.now()
    async with pace.slot():
        pace.feedback(throttled=False)
    # The cancelled request still counted: the next one waited out its window.
    assert proton_clock.now() - began == pytest.approx(0.5)
    with pytest.raises(ValueError, match="burst"):
        MaxRate(max_rate=4, burst=0)
    with pytest.raises(ValueError, match="max_rate"):
        MaxRate(max_rate=0)


async def test_burst_is_configurable(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    rollout = Rollout(
        proton_client, environment_template="base", version="1.1", max_rate=4, burst=3
    )
    assert isinstance(rollout.rate_limiter, MaxRate)
    assert (rollout.rate_limiter.burst, rollout.rate_limiter.max_rate) == (3, 4)
    default = Rollout(proton_client, environment_template="base", version="1.1", max_rate=4)
    assert isinstance(default.rate_limiter, MaxRate)
    assert default.rate_limiter.burst == 1
    with pytest.raises(ValueError, match="max_rate"):
        Rollout(proton_client, environment_template="base", version="1.1", burst=3)


async def test_only_the_rollouts_updates_are_paced(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    await fleet(proton_emulator, proton_client, 4)
    limiter = AdaptiveRateLimiter(rate=1, min_rate=0.5, max_rate=1, burst=1, clock=proton_clock)
    rollout = Rollout(
        proton_client,
        environment_template="base",
        version="1.1",
        concurrency=4,
        rate_limiter=limiter,
    )
    seen_on_client: list[object] = []

    async def unrelated_reads() -> None:
        await eventually(lambda: proton_emulator.requests.count(operation="UpdateEnvironment") > 0)
        for _ in range(10):
            seen_on_client.append(proton_client.rate_limiter)
            await proton_client.get_environment(name="e0")

    async with anyio.create_task_group() as group:
        group.start_soon(unrelated_reads)
        report = await rollout.run()
    assert report.ok
    assert seen_on_client == [None] * 10, "the shared client's limiter is never replaced"
    assert proton_client.rate_limiter is None
    updates = proton_emulator.requests.count(operation="UpdateEnvironment")
    assert updates == 4
    # Every request through the limiter was an update: reads, lists, waiter polls and
    # the unrelated get_environment calls never waited for it.
    assert limiter.succeeded + limiter.throttled == updates
    assert proton_emulator.requests.count(operation="GetEnvironment") > updates + 10


async def _cancel_mid_rollout(
    emulator: Emulator, proton: aioproton.ProtonClient, **options: object
) -> None:
    await fleet(emulator, proton, 3)
    emulator.script("environment/e*", action="deploy", seconds=FOREVER, times=None)
    rollout = Rollout(
        proton,
        environment_template="base",
        version="1.1",
        concurrency=3,
        wait_timeout=10 * FOREVER,
        **options,  # type: ignore[arg-type]
    )
    async with anyio.create_task_group() as group:
        group.start_soon(rollout.run)
        await eventually(
            lambda: emulator.requests.count(operation="UpdateEnvironment", status=200) == 3
        )
        group.cancel_scope.cancel()


async def test_a_cancelled_rollout_leaves_its_deployments_running_by_default(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await _cancel_mid_rollout(proton_emulator, proton_client)
    async for env in proton_client.paginate.list_environments():
        assert env.deployment_status == "IN_PROGRESS"
    assert proton_emulator.requests.count(operation="CancelEnvironmentDeployment") == 0


async def test_a_cancelled_rollout_can_cancel_its_deployments(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="aioproton.workflow"):
        await _cancel_mid_rollout(proton_emulator, proton_client, cancel_in_flight_on_exit=True)
    logged = {r.target: r.outcome for r in caplog.records if hasattr(r, "outcome")}
    assert logged == {f"environment/e{index}": "CANCELLED" for index in range(3)}
    async for env in proton_client.paginate.list_environments():
        assert env.deployment_status == "CANCELLED"
        assert (env.template_major_version, env.template_minor_version) == ("1", "0")
    assert proton_emulator.requests.count(operation="CancelEnvironmentDeployment") == 3
