"""The one owner of retries for single calls.

botocore is configured for exactly one attempt; this module decides whether another
is made, from facts the error carries (``retry_safe``), so that no layer multiplies
attempts and no non-idempotent call is silently repeated.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import tenacity

from ._config import RetryPolicy
from .clock import Clock
from .errors import ProtonError

T = TypeVar("T")


class RateLimiter(Protocol):
    """Paces every attempt a client makes; told after each attempt whether it was throttled.

    One limiter shared by a client (or by several clients of one account) keeps a bulk
    operation under the service's rate instead of discovering it by repeated throttling.
    """

    async def acquire(self) -> None: ...

    def feedback(self, *, throttled: bool) -> None: ...


def _retry_safe(exc: BaseException) -> bool:
    return isinstance(exc, ProtonError) and exc.retry_safe


class _OutOfTime(tenacity.stop.stop_base):
    """Stop once ``deadline`` has passed on ``clock`` (tenacity's own uses real time)."""

    def __init__(self, clock: Clock, deadline: float) -> None:
        self.clock = clock
        self.deadline = deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.clock.now() >= self.deadline


async def call_with_retries(
    policy: RetryPolicy, attempt: Callable[[], Awaitable[T]], clock: Clock
) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or the policy is exhausted.

    The first attempt runs on its own, so the common case (success) pays nothing for
    the retry machinery; a ``retry_safe`` failure hands the remaining attempts to
    tenacity, with jittered exponential backoff (full jitter) before each. Backoff and
    the ``max_elapsed`` budget are both measured on ``clock``, so a test's manual clock
    sees the same timeline as the retries.
    """
    started = clock.now()
    try:
        return await attempt()
    except ProtonError as error:
        if not error.retry_safe or policy.max_attempts == 1:
            raise
    await clock.sleep(random.uniform(0, min(policy.max_delay, policy.initial_delay)))

    controller = tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts - 1)
        | _OutOfTime(clock, started + policy.max_elapsed),
        wait=tenacity.wait_random_exponential(
            multiplier=policy.initial_delay * 2, max=policy.max_delay
        ),
        retry=tenacity.retry_if_exception(_retry_safe),
        reraise=True,
        sleep=clock.sleep,
    )
    async for retry in controller:
        with retry:
            return await attempt()
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover
