"""When a waiter polls next: fixed, exponential, or guided by deployment history.

A schedule answers one question, "how long until the next poll?", from a
:class:`PollContext`. The waiter adds the rest: slowing down after throttling or
server errors, and never sleeping past its deadline.

- :class:`FixedDelay`: botocore's waiters (5 s for most Proton waiters).
- :class:`SdkBackoff`: the AWS SDKs for Go v2 and JavaScript v3: exponential with jitter
  between a minimum and a maximum delay, by attempt number.
- :class:`ExponentialBackoff`: jittered exponential backoff between a minimum and a
  maximum delay; the default when nothing is known about the deployment.
- :class:`HistoryAwareSchedule`: the default for deployments: sparse while the
  deployment is young compared with its earlier deployments, dense around the time
  they ended, backing off again if it overruns.
"""

from __future__ import annotations

import abc
import random
from typing import Protocol

import attrs

from .._backoff import Backoff, exponential
from .history import DurationEstimate

__all__ = [
    "ExponentialBackoff",
    "FixedDelay",
    "HistoryAwareSchedule",
    "PollContext",
    "PollSchedule",
    "SdkBackoff",
]


@attrs.frozen
class PollContext:
    """What a schedule knows when it picks the next delay (all in clock seconds)."""

    #: Polls made so far (at least 1).
    attempt: int
    #: Time since the wait began.
    waited: float
    #: Time since the deployment began, when the resource says (``None`` otherwise).
    running: float | None
    #: Durations of the target's earlier deployments, when known.
    expected: DurationEstimate | None
    rng: random.Random


class PollSchedule(Protocol):
    """Picks the delay before the next poll.

    A schedule that reads ``context.expected`` should set ``uses_history = True``;
    waiters look the history up (one ListDeployments call) only for those.
    """

    def next_delay(self, context: PollContext) -> float:
        """Seconds to wait before the next poll, given what the waiter saw so far."""


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be positive, got {value!r}")


def _fraction(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value < 1:
        raise ValueError(f"{attribute.name} must be in [0, 1), got {value!r}")


class _Bounded:
    """A schedule between ``min_delay`` and ``max_delay``, checked when it is made."""

    __slots__ = ()
    min_delay: float
    max_delay: float

    def __attrs_post_init__(self) -> None:
        if self.max_delay < self.min_delay:
            raise ValueError(
                f"max_delay ({self.max_delay}) must not be below min_delay ({self.min_delay})"
            )


class _ByAttempt(_Bounded, abc.ABC):
    """A schedule whose delay is a :class:`Backoff` over the attempt number."""

    __slots__ = ()
    uses_history = False

    @property
    @abc.abstractmethod
    def backoff(self) -> Backoff:
        """The delay of each attempt."""

    def next_delay(self, context: PollContext) -> float:
        """Seconds to wait before the next poll (see :class:`PollSchedule`)."""
        return self.backoff.delay(context.attempt, context.rng)


@attrs.frozen
class FixedDelay:
    """The same delay every time, like botocore's waiters."""

    delay: float = attrs.field(default=5.0, validator=_positive)
    uses_history = False

    def next_delay(self, context: PollContext) -> float:
        """Seconds to wait before the next poll (see :class:`PollSchedule`)."""
        return self.delay


@attrs.frozen
class SdkBackoff(_ByAttempt):
    """The waiter delay of the AWS SDKs for Go v2 and JavaScript v3.

    Attempt ``n`` waits a uniform random time between ``min_delay`` and
    ``min_delay * 2**(n-1)``, and ``max_delay`` once that passes it.
    """

    min_delay: float = attrs.field(default=5.0, validator=_positive)
    max_delay: float = attrs.field(default=120.0, validator=_positive)

    @property
    def backoff(self) -> Backoff:
        return (
            exponential(self.min_delay)
            .spread_from(self.min_delay, up_to=self.max_delay)
            .capped(self.max_delay)
        )


@attrs.frozen
class ExponentialBackoff(_ByAttempt):
    """Delays growing by ``factor`` per poll from ``min_delay`` to ``max_delay``.

    Each delay is shortened by a random fraction up to ``jitter`` (never below
    ``min_delay``), so many waiters started together spread out instead of polling in
    lockstep.
    """

    min_delay: float = attrs.field(default=2.0, validator=_positive)
    max_delay: float = attrs.field(default=60.0, validator=_positive)
    factor: float = attrs.field(default=1.5, validator=attrs.validators.ge(1.0))
    jitter: float = attrs.field(default=0.2, validator=_fraction)

    @property
    def backoff(self) -> Backoff:
        return (
            exponential(self.min_delay, factor=self.factor)
            .capped(self.max_delay)
            .jitter(self.jitter)
            .at_least(self.min_delay)
        )


@attrs.frozen
class HistoryAwareSchedule(_Bounded):
    """Polls rarely early, densely where earlier deployments ended, and backs off after.

    With the durations of the target's earlier deployments it computes the windows in
    which this one will most likely end (:meth:`DurationEstimate.windows`). Before a
    window it halves the remaining distance each time (at most ``max_delay`` apart,
    which also bounds how late an early failure is noticed); inside a window it polls
    every ``min_delay``, which bounds the lag there; after the last window it backs off
    gradually. Without history, or when the deployment's start time is unknown, it
    uses ``fallback`` (by default a gentle exponential backoff from ``min_delay`` to
    30 seconds).
    """

    min_delay: float = attrs.field(default=3.0, validator=_positive)
    max_delay: float = attrs.field(default=60.0, validator=_positive)
    #: Widening of the window on each side, as a fraction of the typical duration.
    margin: float = attrs.field(default=0.05, validator=_fraction)
    fallback: ExponentialBackoff | None = None
    uses_history = True

    def _fallback(self) -> ExponentialBackoff:
        if self.fallback is not None:
            return self.fallback
        return ExponentialBackoff(
            min_delay=self.min_delay, max_delay=min(self.max_delay, 30.0), factor=1.3
        )

    def next_delay(self, context: PollContext) -> float:
        """Seconds to wait before the next poll (see :class:`PollSchedule`)."""
        expected, running = context.expected, context.running
        if expected is None or running is None:
            return self._fallback().next_delay(context)
        windows = expected.windows(margin=self.margin)
        dense = self.min_delay * context.rng.uniform(0.9, 1.0)
        for start, end in windows:
            if running > end:
                continue
            if running < start:
                # Halve the distance to the window, then land on its start.
                ahead = start - running
                delay = min(self.max_delay, ahead / 2 * context.rng.uniform(0.9, 1.0))
                return ahead if delay < self.min_delay else max(delay, self.min_delay)
            return dense
        overrun = running - windows[-1][1]
        return min(self.max_delay, max(dense, overrun / 4))
