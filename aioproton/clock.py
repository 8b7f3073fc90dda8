"""Clocks shared by the workflow layer and the emulator.

Waiters, retries and the emulator's lifecycles all ask a :class:`Clock` for the time
and sleep through it. In production that is the system clock; in tests the emulator and
the waiter share a :class:`ManualClock`, so a ten-minute deployment finishes in no real
time; benchmarks use a :class:`ScaledClock` that runs many times faster than real time
while every concurrent task still sees the same timeline.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

import anyio
import anyio.lowlevel


@runtime_checkable
class Clock(Protocol):
    """Wall-clock time in epoch seconds, and a sleep measured on the same clock."""

    def now(self) -> float:
        """Seconds since the epoch, on this clock's timeline."""

    async def sleep(self, seconds: float) -> None:
        """Wait until ``seconds`` have passed on this clock."""


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """The wall clock: ``time.time()``."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """Sleep for real (``anyio.sleep``)."""
        await anyio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that moves only when told to.

    ``sleep`` advances the clock by the requested time and yields once, so a single
    waiter polling a deployment runs through minutes of simulated time instantly.
    """

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = float(start)

    def now(self) -> float:
        """The clock's current time; it changes only by ``advance``, ``set`` or ``sleep``."""
        return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds``; return the new time."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds})")
        self._now += seconds
        return self._now

    def set(self, timestamp: float) -> None:
        """Move the clock forward to ``timestamp`` (never backwards)."""
        if timestamp < self._now:
            raise ValueError("a clock cannot go backwards")
        self._now = float(timestamp)

    async def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` at once, then yield to other tasks."""
        self.advance(max(0.0, seconds))
        await anyio.lowlevel.checkpoint()

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now})"


class ScaledClock:
    """A clock that runs ``speed`` times faster than real time.

    Every reader sees the same timeline, so concurrent waiters and the emulator agree
    on what time it is; ``sleep(60)`` at speed 100 takes 0.6 real seconds.
    """

    def __init__(self, speed: float, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed: float = float(speed)
        self._start = time.time() if start is None else float(start)
        self._origin = time.monotonic()

    def now(self) -> float:
        """The scaled time: the start plus ``speed`` times the real time elapsed."""
        return self._start + (time.monotonic() - self._origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of scaled time (``seconds / speed`` for real)."""
        await anyio.sleep(max(0.0, seconds) / self.speed)

    def __repr__(self) -> str:
        return f"ScaledClock(speed={self.speed})"
