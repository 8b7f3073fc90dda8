"""One backoff for every retry loop: composed from small steps, replayable from a seed."""

from __future__ import annotations

import random

import pytest

import aioproton
from aioproton._backoff import exponential
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, FaultSettings
from aioproton.workflow import DurableRetry, IdempotentCalls


class RecordingClock(ManualClock):
    """A manual clock that remembers every sleep asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await super().sleep(seconds)


def test_exponential_grows_by_its_factor_and_stops_at_max_exponent() -> None:
    rng = random.Random(0)
    assert [exponential(0.5).delay(n, rng) for n in range(1, 5)] == [0.5, 1.0, 2.0, 4.0]
    assert exponential(1.0, factor=3.0).delay(3, rng) == 9.0
    assert exponential(1.0, max_exponent=2).delay(40, rng) == 4.0
    assert exponential(1.0).delay(10_000, rng) == 2.0**64  # no overflow


def test_steps_compose_left_to_right() -> None:
    rng = random.Random(1)
    capped = exponential(1.0).capped(10.0)
    assert [capped.delay(n, rng) for n in (1, 4, 5, 9)] == [1.0, 8.0, 10.0, 10.0]
    floored = exponential(1.0).jitter().at_least(0.75)
    assert all(0.75 <= floored.delay(1, rng) <= 1.0 for _ in range(200))
    full = exponential(2.0).capped(20.0).jitter()
    draws = [full.delay(n, rng) for n in range(1, 12) for _ in range(50)]
    assert all(0 <= d <= 20.0 for d in draws)
    assert min(draws) < 1.0 and max(draws) > 15.0  # the whole range is used
    shortened = exponential(10.0).jitter(0.2)
    assert all(8.0 <= shortened.delay(1, rng) <= 10.0 for _ in range(200))


def test_spread_from_draws_between_its_floor_and_the_delay_up_to_a_limit() -> None:
    rng = random.Random(2)
    sdk = exponential(5.0).spread_from(5.0, up_to=100.0).capped(100.0)
    assert sdk.delay(1, rng) == 5.0
    assert all(5.0 <= sdk.delay(4, rng) <= 40.0 for _ in range(200))
    assert {sdk.delay(6, rng) for _ in range(50)} == {100.0}  # 160 > up_to: the cap, exactly


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError, match="initial delay"):
        exponential(0.0)
    with pytest.raises(ValueError, match="factor"):
        exponential(1.0, factor=0.5)
    with pytest.raises(ValueError, match="jitter fraction"):
        exponential(1.0).jitter(1.5)
    with pytest.raises(TypeError, match="rng"):
        aioproton.RetryPolicy(rng=7)  # type: ignore[arg-type]


def test_the_same_seed_replays_the_same_delays() -> None:
    backoff = exponential(0.1).capped(20.0).jitter()
    first = [backoff.delay(n, random.Random(42)) for n in range(1, 10)]
    again = [backoff.delay(n, random.Random(42)) for n in range(1, 10)]
    other = [backoff.delay(n, random.Random(43)) for n in range(1, 10)]
    assert first == again
    assert first != other


async def client_retry_sleeps(emulator: Emulator, seed: int) -> list[float]:
    clock = RecordingClock()
    policy = aioproton.RetryPolicy(
        max_attempts=6, initial_delay=1.0, max_delay=4.0, rng=random.Random(seed)
    )
    async with emulator.client(clock=clock, retry=policy) as proton:
        with pytest.raises(aioproton.InternalServerError):
            await proton.get_environment(name="prod")
    return clock.slept


async def test_client_retries_draw_their_jitter_from_the_policy_rng(
    proton_emulator: Emulator,
) -> None:
    proton_emulator.faults.configure(FaultSettings(error_rate=1.0, operations={"GetEnvironment"}))
    first = await client_retry_sleeps(proton_emulator, seed=5)
    assert first == await client_retry_sleeps(proton_emulator, seed=5)
    assert first != await client_retry_sleeps(proton_emulator, seed=6)
    assert len(first) == 5  # one wait between each of the six attempts
    for n, slept in enumerate(first, start=1):
        assert 0 <= slept <= min(4.0, 1.0 * 2 ** (n - 1))


async def durable_retry_sleeps(emulator: Emulator, seed: int) -> list[float]:
    clock = RecordingClock()
    retry = DurableRetry(initial_delay=2.0, max_delay=8.0, max_attempts=4, rng=random.Random(seed))
    calls = IdempotentCalls(retry=retry, clock=clock)
    async with emulator.client(clock=clock, retry=aioproton.RetryPolicy.never()) as proton:
        with pytest.raises(aioproton.ProtonError):
            await calls.call(None, proton.delete_environment_template, name="gone")
    return clock.slept


async def test_durable_retries_draw_their_jitter_from_their_rng(
    proton_emulator: Emulator,
) -> None:
    proton_emulator.faults.configure(
        FaultSettings(throttle_rate=1.0, operations={"DeleteEnvironmentTemplate"})
    )
    first = await durable_retry_sleeps(proton_emulator, seed=5)
    assert first == await durable_retry_sleeps(proton_emulator, seed=5)
    assert first != await durable_retry_sleeps(proton_emulator, seed=6)
    assert len(first) == 3
    for n, slept in enumerate(first, start=1):
        assert 0 <= slept <= min(8.0, 2.0 * 2 ** (n - 1))
