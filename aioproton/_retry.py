"""The one owner of retries for single calls.

botocore is configured for exactly one attempt; this module decides whether another
is made, from facts the error carries (``retry_safe``), so that one client call makes
at most ``RetryPolicy.max_attempts`` requests and no non-idempotent call is silently
repeated. Loops above it (a waiter's polls, a durable request's attempts under
:class:`~aioproton.workflow.DurableRetry`) repeat whole client calls, each with these
retries inside, and are bounded by their own deadlines.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from . import _logfields as F
from ._config import RetryPolicy
from ._facts import OperationKind
from ._generated.facts import OPERATIONS
from .clock import Clock
from .errors import ProtonError
from .observe import NO_OBSERVERS, Observers, Retrying

T = TypeVar("T")

#: Jitter for policies that bring no generator of their own (never the global ``random``).
_RNG = random.Random()

logger = logging.getLogger("aioproton.client")


class RateLimiter(Protocol):
    """Paces every attempt a client makes; told after each attempt whether it was throttled.

    One limiter shared by a client (or by several clients of one account) keeps a bulk
    operation under the service's rate instead of discovering it by repeated throttling.
    """

    async def acquire(self) -> None:
        """Wait until one more attempt may be sent."""

    def feedback(self, *, throttled: bool) -> None:
        """Learn from an attempt's outcome (``throttled``: the service said slow down)."""


async def call_with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    clock: Clock,
    *,
    operation: str = "",
    observers: Observers = NO_OBSERVERS,
) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or the policy is exhausted.

    Only a ``retry_safe`` failure is retried, after the policy's backoff
    (:attr:`RetryPolicy.backoff`, jitter drawn from ``policy.rng``). Backoff and the
    ``max_elapsed`` budget are both measured on ``clock``, so a test's manual clock
    sees the same timeline as the retries. Each retry is logged (DEBUG; INFO when the
    failed request changes something and may have done so; WARNING once past half the
    budget) and told to ``observers``.
    """
    rng = policy.rng if policy.rng is not None else _RNG
    started = clock.now()
    deadline = started + policy.max_elapsed
    made = 0
    while True:
        made += 1
        try:
            return await attempt()
        except ProtonError as error:
            if not error.retry_safe or made >= policy.max_attempts or clock.now() >= deadline:
                raise
            delay = policy.backoff.delay(made, rng)  # built on a retry only
            spent = clock.now() - started
            _retrying(operation, made, delay, error, spent, policy.max_elapsed)
            if observers:
                observers.emit(
                    "on_retry",
                    Retrying(operation=operation, attempt=made, delay=delay, error=error),
                )
        await clock.sleep(delay)


def _retrying(
    operation: str,
    made: int,
    delay: float,
    error: ProtonError,
    spent: float,
    budget: float,
) -> None:
    """The log record of one retry decision (nothing is built when nobody listens)."""
    if spent > budget / 2:
        level = logging.WARNING
    elif error.ambiguous and _changes(operation):
        level = logging.INFO  # the request may have taken effect: worth an operator's eye
    else:
        level = logging.DEBUG
    if not logger.isEnabledFor(level):
        return
    logger.log(
        level,
        "%s: attempt %d failed (%s%s), retrying in %.2fs%s",
        operation,
        made,
        error.code,
        ", outcome unknown" if error.ambiguous else "",
        delay,
        f"; {spent:.1f}s of its {budget:g}s budget spent" if spent > budget / 2 else "",
        extra={
            F.OPERATION: operation,
            F.ATTEMPT: made,
            F.DELAY: delay,
            F.ELAPSED: spent,
            F.DEADLINE: budget,
            **F.error_fields(error),
        },
    )


def _changes(operation: str) -> bool:
    """Whether ``operation`` changes anything (a read's unclear outcome does not matter)."""
    facts = OPERATIONS.get(operation)
    return facts is None or facts.kind is not OperationKind.READ_ONLY
