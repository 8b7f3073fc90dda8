"""The one owner of retries for single calls.

botocore is configured for exactly one attempt; this module decides whether another
is made, from facts the error carries (``retry_safe``), so that no layer multiplies
attempts and no non-idempotent call is silently repeated.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import anyio
import tenacity

from ._config import RetryPolicy
from .errors import ProtonError

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[Any]]


class RateLimiter(Protocol):
    """Paces every attempt a client makes; told after each attempt whether it was throttled.

    One limiter shared by a client (or by several clients of one account) keeps a bulk
    operation under the service's rate instead of discovering it by repeated throttling.
    """

    async def acquire(self) -> None: ...

    def feedback(self, *, throttled: bool) -> None: ...


def _retry_safe(exc: BaseException) -> bool:
    return isinstance(exc, ProtonError) and exc.retry_safe


async def call_with_retries(
    policy: RetryPolicy, attempt: Callable[[], Awaitable[T]], sleep: Sleep | None = None
) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or the policy is exhausted.

    The first attempt runs on its own, so the common case (success) pays nothing for
    the retry machinery; a ``retry_safe`` failure hands the remaining attempts to
    tenacity, with jittered exponential backoff (full jitter) before each.
    """
    started = time.monotonic()
    try:
        return await attempt()
    except ProtonError as error:
        if not error.retry_safe or policy.max_attempts == 1:
            raise
    sleep = sleep or anyio.sleep
    await sleep(random.uniform(0, min(policy.max_delay, policy.initial_delay)))
    remaining = max(0.0, policy.max_elapsed - (time.monotonic() - started))
    controller = tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts - 1)
        | tenacity.stop_after_delay(remaining),
        wait=tenacity.wait_random_exponential(
            multiplier=policy.initial_delay * 2, max=policy.max_delay
        ),
        retry=tenacity.retry_if_exception(_retry_safe),
        reraise=True,
        sleep=sleep,
    )
    async for retry in controller:
        with retry:
            return await attempt()
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover
