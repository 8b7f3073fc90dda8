"""A client-wide request rate that adapts to the service's throttling.

:class:`AdaptiveRateLimiter` implements the client's ``RateLimiter`` hook: the client
calls :meth:`~AdaptiveRateLimiter.acquire` before every attempt and
:meth:`~AdaptiveRateLimiter.feedback` after it. The rate follows additive increase,
multiplicative decrease (as TCP does): each throttled answer cuts it (at most once per
``cooldown``, since a burst of throttles reports one overload), each success raises it a
little, so a bulk job settles just under what the account may do::

    limiter = AdaptiveRateLimiter(rate=20, max_rate=50)
    async with ProtonClient(rate_limiter=limiter) as proton: ...

:class:`MaxRate` is the strict kind: a ceiling on request starts over every window,
with the same feedback; a rollout's ``max_rate`` is one.
"""

from __future__ import annotations

import collections
import logging

import anyio

from .. import _logfields as F
from ..clock import Clock, SystemClock

__all__ = ["AdaptiveRateLimiter", "MaxRate"]

logger: logging.Logger = logging.getLogger("aioproton.workflow.ratelimit")


class AdaptiveRateLimiter:
    """A token bucket whose rate (requests per clock second) adapts to throttling.

    ``burst`` tokens may be spent at once after a quiet spell. Waiting callers are
    served in the order they arrived: each takes the next free slot on the timeline,
    so no caller starves however many compete.
    """

    def __init__(
        self,
        *,
        rate: float = 10.0,
        min_rate: float = 0.5,
        max_rate: float = 100.0,
        burst: float = 5.0,
        decrease: float = 0.5,
        increase: float = 0.25,
        cooldown: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        if not 0 < min_rate <= rate <= max_rate:
            raise ValueError("need 0 < min_rate <= rate <= max_rate")
        if not 0 < decrease < 1:
            raise ValueError("decrease must be between 0 and 1")
        if burst < 1 or increase < 0 or cooldown < 0:
            raise ValueError("burst must be at least 1; increase and cooldown not negative")
        self.min_rate = min_rate
        self.max_rate = max_rate
        self.burst = burst
        self.decrease = decrease
        self.increase = increase
        self.cooldown = cooldown
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._rate = rate
        self._tokens = burst
        self._updated = self.clock.now()
        self._last_cut = float("-inf")
        self.throttled: int = 0
        self.succeeded: int = 0

    @property
    def rate(self) -> float:
        """The current rate, in requests per clock second."""
        return self._rate

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now

    async def acquire(self) -> None:
        """Wait for this request's slot."""
        now = self.clock.now()
        self._refill(now)
        self._tokens -= 1
        if self._tokens >= 0:
            return
        # Reserve the slot now (the bucket goes into debt), then sleep until it comes.
        await self.clock.sleep(-self._tokens / self._rate)

    def feedback(self, *, throttled: bool) -> None:
        """Adjust the rate after an attempt."""
        now = self.clock.now()
        self._refill(now)
        if throttled:
            self.throttled += 1
            if now - self._last_cut >= self.cooldown:
                self._last_cut = now
                self._rate = max(self.min_rate, self._rate * self.decrease)
        else:
            self.succeeded += 1
            self._rate = min(self.max_rate, self._rate + self.increase)

    def __repr__(self) -> str:
        return f"AdaptiveRateLimiter(rate={self._rate:.2f}/s)"


class MaxRate:
    """A ceiling on request starts that holds as the service counts: per window, not on average.

    A request counts from the moment :meth:`acquire` lets it start, and no window of
    ``burst / rate`` clock seconds sees more than ``burst`` starts; so no window of n
    times that sees more than n times ``burst`` (with ``rate`` a whole multiple of
    ``burst``, as with the default ``burst=1`` and a whole rate, no whole second sees
    more than ``rate``). How long the answers take does not matter: the caller bounds
    the requests in flight (a rollout's ``concurrency``), so a slow service costs no
    rate. ``rate`` follows the AIMD of :class:`AdaptiveRateLimiter` between ``min_rate``
    and ``max_rate`` (its start): halved when throttled, raised slowly after
    successes, never above ``max_rate``. Waiting callers start in the order they came.

    It is a ``RateLimiter`` too, so a client can pace every attempt with it::

        pace = MaxRate(max_rate=4, clock=clock)
        await pace.acquire()
        result = await proton.update_environment(...)
        pace.feedback(throttled=False)
    """

    def __init__(
        self,
        *,
        max_rate: float,
        burst: int = 1,
        min_rate: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not max_rate > 0:
            raise ValueError(f"max_rate must be positive, got {max_rate!r}")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be a whole number of requests, at least 1, got {burst!r}")
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.burst = burst
        self._rate = AdaptiveRateLimiter(
            rate=max_rate,
            max_rate=max_rate,
            min_rate=min(0.5, max_rate) if min_rate is None else min_rate,
            burst=burst,
            clock=self.clock,
        )
        self._turn = anyio.Lock()  # first come, first served
        self._starts: collections.deque[float] = collections.deque(maxlen=burst)
        #: Requests started so far.
        self.started: int = 0

    @property
    def max_rate(self) -> float:
        return self._rate.max_rate

    @property
    def rate(self) -> float:
        """The current ceiling, in request starts per clock second."""
        return self._rate.rate

    @property
    def succeeded(self) -> int:
        return self._rate.succeeded

    @property
    def throttled(self) -> int:
        return self._rate.throttled

    async def acquire(self) -> None:
        """Wait until one more request may start; it counts as started on return.

        Cancelled while waiting, it counts nothing.
        """
        async with self._turn:
            # The burst-th start before this one must have left the window; the
            # window follows the rate, which may change while we wait.
            while len(self._starts) == self.burst:
                wait = self._starts[0] + self.burst / self.rate - self.clock.now()
                if wait <= 0:
                    break
                await self.clock.sleep(wait)
            self._starts.append(self.clock.now())
            self.started += 1

    def feedback(self, *, throttled: bool) -> None:
        """Adjust the rate after a request was answered."""
        before = self._rate.rate
        self._rate.feedback(throttled=throttled)
        if self._rate.rate < before:
            logger.warning(
                "throttled: at most %.2f requests per second from now on (was %.2f)",
                self._rate.rate,
                before,
                extra={
                    F.RATE: self._rate.rate,
                    F.PREVIOUS_RATE: before,
                    "max_rate": self.max_rate,
                },
            )

    def __repr__(self) -> str:
        return f"MaxRate(rate={self.rate:.2f}/s, burst={self.burst})"
