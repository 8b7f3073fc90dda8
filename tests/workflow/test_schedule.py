"""Poll schedules and duration estimates: pure functions of their inputs."""

from __future__ import annotations

import random

import pytest

from aioproton.workflow import (
    DurationEstimate,
    ExponentialBackoff,
    FixedDelay,
    HistoryAwareSchedule,
    PollContext,
    SdkBackoff,
)


def context(
    attempt: int = 1,
    running: float | None = None,
    expected: DurationEstimate | None = None,
    seed: int = 0,
) -> PollContext:
    return PollContext(
        attempt=attempt,
        waited=running or 0.0,
        running=running,
        expected=expected,
        rng=random.Random(seed),
    )


def test_fixed_delay_is_fixed() -> None:
    assert {FixedDelay(5).next_delay(context(attempt=n)) for n in range(1, 50)} == {5.0}


def test_sdk_backoff_grows_within_its_bounds_and_then_stays_at_the_maximum() -> None:
    schedule = SdkBackoff(min_delay=5, max_delay=4999)
    assert schedule.next_delay(context(attempt=1)) == 5
    for attempt in range(2, 12):
        delay = schedule.next_delay(context(attempt=attempt, seed=attempt))
        assert 5 <= delay <= 5 * 2 ** (attempt - 1)
    assert schedule.next_delay(context(attempt=12)) == 4999


def test_exponential_backoff_is_jittered_between_min_and_max() -> None:
    schedule = ExponentialBackoff(min_delay=2, max_delay=30, factor=2, jitter=0.2)
    delays = [schedule.next_delay(context(attempt=n, seed=n)) for n in range(1, 20)]
    assert all(2 <= delay <= 30 for delay in delays)
    assert delays[0] == 2
    assert 24 <= delays[-1] <= 30
    with pytest.raises(ValueError, match="max_delay"):
        ExponentialBackoff(min_delay=10, max_delay=5)


def test_estimate_windows_cluster_creates_apart_from_updates() -> None:
    estimate = DurationEstimate([600, 60, 620, 580])
    assert estimate.low == 60
    assert estimate.high == 620
    assert estimate.windows(margin=0.05) == [(57.0, 63.0), (550.0, 650.0)]
    with pytest.raises(ValueError, match="at least one"):
        DurationEstimate([])


def test_history_schedule_is_sparse_early_dense_in_the_window_and_backs_off_after() -> None:
    schedule = HistoryAwareSchedule(min_delay=3, max_delay=60, margin=0.05)
    expected = DurationEstimate([600])  # window 570..630
    early = schedule.next_delay(context(running=0, expected=expected))
    assert early == 60
    approaching = schedule.next_delay(context(running=560, expected=expected))
    assert 3 <= approaching <= 10
    inside = [
        schedule.next_delay(context(running=t, expected=expected, seed=t))
        for t in range(570, 631, 5)
    ]
    assert all(2.7 <= delay <= 3 for delay in inside)
    assert schedule.next_delay(context(running=1000, expected=expected)) == 60
    # It lands exactly on the window's start instead of overshooting it.
    assert schedule.next_delay(context(running=568, expected=expected)) == pytest.approx(2)


def test_history_schedule_falls_back_without_history_or_start_time() -> None:
    schedule = HistoryAwareSchedule(min_delay=3, max_delay=60)
    assert schedule.next_delay(context(attempt=1)) == 3
    assert schedule.next_delay(context(attempt=1, expected=DurationEstimate([600]))) == 3
    assert schedule.next_delay(context(attempt=40, seed=1)) <= 30
