"""How long to wait before the next attempt: one composable backoff for every retry loop.

In tenacity's spirit, a backoff is built from small steps chained left to right, and
every random draw comes from a ``random.Random`` the caller passes in, so a seeded
generator replays the same delays::

    exponential(0.1).capped(20.0).jitter()                    # full jitter, client retries
    exponential(2.0, factor=1.5).capped(60.0).jitter(0.2).at_least(2.0)   # waiter polls

``attempt`` counts from 1 (the delay before the second try is ``delay(1, rng)``).
"""

from __future__ import annotations

import abc
import math
import random

import attrs

__all__ = ["Backoff", "exponential"]


class Backoff(abc.ABC):
    """A delay (seconds) for each attempt number; combine with the methods below."""

    @abc.abstractmethod
    def delay(self, attempt: int, rng: random.Random) -> float:
        """The delay after attempt ``attempt`` (1 = the first)."""

    def capped(self, maximum: float) -> Backoff:
        """Never more than ``maximum``."""
        return _Clamped(self, maximum=maximum)

    def at_least(self, minimum: float) -> Backoff:
        """Never less than ``minimum``."""
        return _Clamped(self, minimum=minimum)

    def jitter(self, fraction: float = 1.0) -> Backoff:
        """Shorten each delay by a random fraction of it, up to ``fraction``.

        ``1.0`` is full jitter (uniform between 0 and the delay): callers started
        together spread out instead of retrying in lockstep.
        """
        if not 0 <= fraction <= 1:
            raise ValueError(f"jitter fraction must be in [0, 1], got {fraction!r}")
        return _Jitter(self, fraction)

    def spread_from(self, low: float, *, up_to: float = math.inf) -> Backoff:
        """Uniform between ``low`` and the delay, for delays above ``low`` and not
        above ``up_to`` (the AWS SDK waiters' rule; larger delays stay as they are)."""
        return _Spread(self, low, up_to)


@attrs.frozen
class _Exponential(Backoff):
    initial: float
    factor: float
    max_exponent: int

    def delay(self, attempt: int, rng: random.Random) -> float:
        return self.initial * self.factor ** min(max(attempt - 1, 0), self.max_exponent)


@attrs.frozen
class _Clamped(Backoff):
    inner: Backoff
    minimum: float = -math.inf
    maximum: float = math.inf

    def delay(self, attempt: int, rng: random.Random) -> float:
        return min(self.maximum, max(self.minimum, self.inner.delay(attempt, rng)))


@attrs.frozen
class _Jitter(Backoff):
    inner: Backoff
    fraction: float

    def delay(self, attempt: int, rng: random.Random) -> float:
        return self.inner.delay(attempt, rng) * (1 - self.fraction * rng.random())


@attrs.frozen
class _Spread(Backoff):
    inner: Backoff
    low: float
    up_to: float

    def delay(self, attempt: int, rng: random.Random) -> float:
        value = self.inner.delay(attempt, rng)
        if self.low < value <= self.up_to:
            return rng.uniform(self.low, value)
        return value


def exponential(initial: float, *, factor: float = 2.0, max_exponent: int = 64) -> Backoff:
    """``initial * factor ** (attempt - 1)``; the exponent stops growing at ``max_exponent``."""
    if not initial > 0:
        raise ValueError(f"initial delay must be positive, got {initial!r}")
    if factor < 1:
        raise ValueError(f"factor must be at least 1, got {factor!r}")
    return _Exponential(initial, factor, max_exponent)
