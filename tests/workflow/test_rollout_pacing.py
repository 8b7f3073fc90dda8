"""A rollout paces only its own updates, honours max_rate, and says what happens on cancel."""

from __future__ import annotations

import itertools
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


class Starts:
    """A rollout's limiter: a real :class:`MaxRate`, noting the clock time of each start.

    On the manual clock a request's arrival at the emulator may be stamped later than
    its start (another task's sleep moves the clock while it is in flight), so the
    ceiling is checked where it is kept: at the starts.
    """

    def __init__(self, pace: MaxRate) -> None:
        self.pace = pace
        self.times: list[float] = []

    async def acquire(self) -> None:
        await self.pace.acquire()
        self.times.append(self.pace.clock.now())

    def feedback(self, *, throttled: bool) -> None:
        self.pace.feedback(throttled=throttled)


@pytest.mark.parametrize("max_rate", [1, 4])
async def test_max_rate_is_a_maximum_over_every_window_of_a_second_or_more(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    proton_clock: ManualClock,
    max_rate: int,
) -> None:
    await fleet(proton_emulator, proton_client, 12)
    starts = Starts(MaxRate(max_rate=max_rate, clock=proton_clock))
    report = await Rollout(
        proton_client,
        environment_template="base",
        version="1.1",
        concurrency=12,
        rate_limiter=starts,
    ).run()
    assert report.count(RolloutStatus.UPDATED) == 12
    assert proton_emulator.requests.count(operation="UpdateEnvironment") == 12
    assert len(starts.times) == starts.pace.started == 12
    for seconds in (1, 2, 3):
        assert busiest_window(starts.times, seconds) <= max_rate * seconds


async def test_a_burst_holds_over_windows_of_burst_over_rate(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    await fleet(proton_emulator, proton_client, 12)
    starts = Starts(MaxRate(max_rate=4, burst=2, clock=proton_clock))
    rollout = Rollout(
        proton_client,
        environment_template="base",
        version="1.1",
        concurrency=12,
        rate_limiter=starts,
    )
    assert (await rollout.run()).ok
    assert len(starts.times) == 12
    assert busiest_window(starts.times, 0.5) <= 2
    assert busiest_window(starts.times, 1) <= 4
    assert busiest_window(starts.times, 0.001) == 2, "two go at once"


async def test_max_rate_slows_down_when_throttled_and_counts_cancelled_requests(
    proton_clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    pace = MaxRate(max_rate=4, clock=proton_clock)
    with caplog.at_level(logging.INFO, logger="aioproton.workflow"):
        await pace.acquire()
        pace.feedback(throttled=True)
    assert pace.rate == 2
    assert [getattr(r, "rate", None) for r in caplog.records] == [2]
    assert (pace.throttled, pace.succeeded) == (1, 0)
    # A request cancelled after its start still counts: it may have reached the service.
    with anyio.CancelScope() as scope:
        began = proton_clock.now()
        await pace.acquire()
        scope.cancel()
        await anyio.sleep_forever()
    assert proton_clock.now() - began == pytest.approx(0.5)
    # One cancelled while it waits counts nothing.
    with anyio.CancelScope() as scope:
        scope.cancel()
        await pace.acquire()
    assert pace.started == 2
    began = proton_clock.now()
    await pace.acquire()
    pace.feedback(throttled=False)
    assert proton_clock.now() - began == pytest.approx(0.5)
    assert pace.started == 3
    with pytest.raises(ValueError, match="burst"):
        MaxRate(max_rate=4, burst=0)
    with pytest.raises(ValueError, match="max_rate"):
        MaxRate(max_rate=0)


async def test_slow_answers_cost_no_rate(proton_clock: ManualClock) -> None:
    """Starts keep the full rate while every earlier request is still unanswered."""
    pace = MaxRate(max_rate=4, clock=proton_clock)
    starts: list[float] = []
    answered = anyio.Event()

    async def request() -> None:
        await pace.acquire()
        starts.append(proton_clock.now())
        await answered.wait()
        pace.feedback(throttled=False)

    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(request)
        await anyio.wait_all_tasks_blocked()
        # Counted until answered, only the first would have started by now.
        assert len(starts) == 8
        answered.set()
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert gaps == pytest.approx([0.25] * 7)
    assert (len(starts) - 1) / (starts[-1] - starts[0]) == pytest.approx(pace.max_rate)
    assert pace.succeeded == 8


async def test_starts_in_every_window_stay_within_burst_as_the_rate_changes(
    proton_clock: ManualClock,
) -> None:
    pace = MaxRate(max_rate=6, burst=3, clock=proton_clock)
    starts: list[float] = []
    answered = anyio.Event()

    async def request() -> None:
        await pace.acquire()
        starts.append(proton_clock.now())
        if len(starts) == 12:
            pace.feedback(throttled=True)  # halved: windows of a second from here
        await answered.wait()

    async with anyio.create_task_group() as group:
        for _ in range(30):
            group.start_soon(request)
        await anyio.wait_all_tasks_blocked()
        answered.set()
    assert len(starts) == pace.started == 30
    assert pace.rate == 3
    assert busiest_window(starts, 0.001) == 3, "a burst goes at once"
    assert busiest_window(starts, 0.5) <= 3
    assert busiest_window(starts[12:], 1.0) <= 3
    assert busiest_window(starts[:12], 1.0) == 6, "the full rate until throttled"


async def test_a_client_can_pace_every_attempt_with_max_rate(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    await World(proton_emulator, proton_client, settle=SETTLE).environment_template("base")
    pace = MaxRate(max_rate=2, clock=proton_clock)
    async with proton_emulator.client(clock=proton_clock, rate_limiter=pace) as proton:
        began = proton_clock.now()
        for _ in range(5):
            await proton.get_environment_template(name="base")
    assert (pace.started, pace.succeeded) == (5, 5)
    assert proton_clock.now() - began == pytest.approx(2.0)


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
