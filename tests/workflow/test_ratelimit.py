"""The adaptive rate limiter: pacing on the clock, AIMD feedback, and the client hook."""

from __future__ import annotations

import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, FaultSettings
from aioproton.workflow import AdaptiveRateLimiter

from ..recipes import World

PATIENT = aioproton.RetryPolicy(max_attempts=20, initial_delay=0.001, max_delay=0.005)


async def test_requests_are_paced_at_the_rate_after_a_burst() -> None:
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(rate=10, burst=5, increase=0, clock=clock)
    began = clock.now()
    for _ in range(5):
        await limiter.acquire()
    assert clock.now() == began, "the burst goes through at once"
    for _ in range(20):
        await limiter.acquire()
    # Each request after the burst waited for its own slot, a tenth of a second apart.
    assert clock.now() - began == pytest.approx(2.0, abs=0.15)


def test_throttling_cuts_the_rate_once_per_cooldown_and_success_raises_it() -> None:
    clock = ManualClock()
    limiter = AdaptiveRateLimiter(
        rate=16, min_rate=1, max_rate=20, decrease=0.5, increase=1, cooldown=1, clock=clock
    )
    limiter.feedback(throttled=True)
    limiter.feedback(throttled=True)  # the same overload, reported twice
    assert limiter.rate == 8
    clock.advance(1)
    limiter.feedback(throttled=True)
    assert limiter.rate == 4
    for _ in range(100):
        limiter.feedback(throttled=False)
    assert limiter.rate == 20
    for _ in range(10):
        clock.advance(1)
        limiter.feedback(throttled=True)
    assert limiter.rate == 1
    assert (limiter.throttled, limiter.succeeded) == (13, 100)


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="min_rate"):
        AdaptiveRateLimiter(rate=200, max_rate=100)
    with pytest.raises(ValueError, match="decrease"):
        AdaptiveRateLimiter(decrease=1.5)


async def test_the_client_slows_down_when_throttled_and_recovers(
    base: World, proton_emulator: Emulator, proton_clock: ManualClock
) -> None:
    limiter = AdaptiveRateLimiter(rate=20, max_rate=20, increase=0.5, clock=proton_clock)
    async with aioproton.ProtonClient(
        **proton_emulator.client_settings, retry=PATIENT, clock=proton_clock, rate_limiter=limiter
    ) as proton:
        proton_emulator.faults.configure(FaultSettings(throttle_rate=0.5, seed=8))
        for _ in range(20):
            await proton.get_environment(name="prod")
            proton_clock.advance(0.2)
        assert limiter.throttled >= 1
        slowed = limiter.rate
        assert slowed < 20
        proton_emulator.faults.configure(FaultSettings())
        for _ in range(40):
            await proton.get_environment(name="prod")
        assert limiter.rate > slowed
    assert limiter.succeeded >= 60
