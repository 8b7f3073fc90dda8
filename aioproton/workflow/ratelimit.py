"""A client-wide request rate that adapts to the service's throttling.

:class:`AdaptiveRateLimiter` implements the client's ``RateLimiter`` hook: the client
calls :meth:`~AdaptiveRateLimiter.acquire` before every attempt and
:meth:`~AdaptiveRateLimiter.feedback` after it. The rate follows additive increase,
multiplicative decrease (as TCP does): each throttled answer cuts it (at most once per
``cooldown``, since a burst of throttles reports one overload), each success raises it a
little, so a bulk job settles just under what the account may do::

    limiter = AdaptiveRateLimiter(rate=20, max_rate=50)
    async with ProtonClient(rate_limiter=limiter) as proton: ...
"""

from __future__ import annotations

from ..clock import Clock, SystemClock

__all__ = ["AdaptiveRateLimiter"]


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
        self.throttled = 0
        self.succeeded = 0

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
