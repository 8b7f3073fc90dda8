"""The one owner of retries for single calls.

botocore is configured for exactly one attempt; this module decides whether another
is made, from facts the error carries (``retry_safe``), so that no layer multiplies
attempts and no non-idempotent call is silently repeated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import tenacity

from ._config import RetryPolicy
from .errors import ProtonError

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


def retrying(policy: RetryPolicy, sleep: Sleep | None = None) -> tenacity.AsyncRetrying:
    """A tenacity controller that retries only ``retry_safe`` errors, with jittered backoff."""
    options: dict[str, Any] = {}
    if sleep is not None:
        options["sleep"] = sleep
    return tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts)
        | tenacity.stop_after_delay(policy.max_elapsed),
        wait=tenacity.wait_random_exponential(
            multiplier=policy.initial_delay, max=policy.max_delay
        ),
        retry=tenacity.retry_if_exception(_retry_safe),
        reraise=True,
        **options,
    )
