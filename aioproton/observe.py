"""Observer hooks: what the client and the workflow layer report as they work.

An :class:`Observer` is told about every attempt, retry and finished call of a
:class:`~aioproton.ProtonClient`, every poll, state change and end of a wait, every
idempotent request and its reconciliation verdicts, every rollout item, every bulk
run and its items, every safe cancel, and every change of an adaptive request rate.
Subclass it and override the hooks you need (the others do nothing); pass instances
as ``observers=`` to ``ProtonClient``, ``Waiters``, ``IdempotentCalls``, ``Rollout``
and ``bulk``/``run_bulk`` (each defaults to the client's own; a safe cancel always
tells the client's). Several observers compose: each is told in turn.

Hooks are synchronous and run in the caller's task: keep them cheap (increment a
counter, observe a histogram). A hook that raises never breaks the call; the failure is
logged once per observer and hook on ``aioproton.observe``. With no observer installed
the library builds no events at all.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from .errors import ProtonError

__all__ = [
    "AttemptEnded",
    "AttemptStarted",
    "BulkEnded",
    "BulkItemEnded",
    "BulkItemStarted",
    "BulkStarted",
    "CallEnded",
    "CallStarted",
    "CancelEnded",
    "CancelRequested",
    "Observer",
    "Observers",
    "Polled",
    "RateChanged",
    "Reconciled",
    "RequestEnded",
    "RequestStarted",
    "Retrying",
    "RolloutEnded",
    "RolloutItemEnded",
    "RolloutItemStarted",
    "RolloutStarted",
    "StateChanged",
    "WaitEnded",
    "WaitStarted",
    "current_wait",
]

logger: logging.Logger = logging.getLogger("aioproton.observe")


# ---------------------------------------------------------------------- client calls


@attrs.frozen(kw_only=True)
class CallStarted:
    """A logical client call begins (before validation and its first attempt)."""

    operation: str
    region: str | None


@attrs.frozen(kw_only=True)
class AttemptStarted:
    """One HTTP request of a call is about to be sent."""

    operation: str
    attempt: int
    max_attempts: int


@attrs.frozen(kw_only=True)
class AttemptEnded:
    """One HTTP request was answered or failed. ``seconds`` is real (wall) time."""

    operation: str
    attempt: int
    seconds: float
    request_id: str | None
    error: ProtonError | None


@attrs.frozen(kw_only=True)
class Retrying:
    """A failed attempt will be repeated after ``delay`` clock seconds."""

    operation: str
    attempt: int
    delay: float
    error: ProtonError


@attrs.frozen(kw_only=True)
class CallEnded:
    """A logical client call finished; ``error`` is what the caller receives, if any."""

    operation: str
    attempts: int
    seconds: float
    error: BaseException | None


# ---------------------------------------------------------------------- waits


@attrs.frozen(kw_only=True)
class WaitStarted:
    """A waiter makes its first poll. ``wait`` identifies the wait in later events."""

    wait: object
    waiter: str
    subject: str


@attrs.frozen(kw_only=True)
class Polled:
    """One poll of a wait: the status it read, or the transient error it rode out."""

    wait: object
    waiter: str
    subject: str
    attempt: int
    status: str | None
    error: ProtonError | None
    #: Clock seconds between the resource's own start and this poll (``None``: unknown).
    lag: float | None


@attrs.frozen(kw_only=True)
class StateChanged:
    """A wait saw its resource's status change (``change`` is the waiter's StateChange)."""

    wait: object
    change: Any


@attrs.frozen(kw_only=True)
class WaitEnded:
    """A wait finished: ``error`` is the failure the caller receives, if any."""

    wait: object
    waiter: str
    subject: str
    status: str | None
    polls: int
    elapsed: float
    error: BaseException | None


# ---------------------------------------------------------------------- idempotent requests


@attrs.frozen(kw_only=True)
class RequestStarted:
    """An idempotent request (``IdempotentCalls.call``) begins."""

    operation: str
    key: str | None


@attrs.frozen(kw_only=True)
class Reconciled:
    """After an unclear outcome the resource was read: what it showed."""

    operation: str
    key: str | None
    verdict: str
    error: ProtonError


@attrs.frozen(kw_only=True)
class RequestEnded:
    """An idempotent request finished after ``attempts`` client calls."""

    operation: str
    key: str | None
    attempts: int
    error: BaseException | None


# ---------------------------------------------------------------------- rollouts


@attrs.frozen(kw_only=True)
class RolloutStarted:
    """A rollout begins: its template, target version and number of items."""

    template: str
    version: str
    items: int


@attrs.frozen(kw_only=True)
class RolloutItemStarted:
    """One rollout item (by its target path) begins."""

    target: str


@attrs.frozen(kw_only=True)
class RolloutItemEnded:
    """One rollout item finished: its status (``RolloutStatus`` value) or its error."""

    target: str
    status: str | None
    deployment_id: str | None
    error: BaseException | None


@attrs.frozen(kw_only=True)
class RolloutEnded:
    """A rollout finished: ``ok`` if its report is, else the error that ended it."""

    template: str
    version: str
    ok: bool
    error: BaseException | None


# ---------------------------------------------------------------------- bulk runs


@attrs.frozen(kw_only=True)
class BulkStarted:
    """A bulk run begins. ``run`` identifies the run in later events."""

    run: object
    #: How many items, or ``None`` when the input is not a sized collection.
    items: int | None
    concurrency: int
    fail_fast: bool


@attrs.frozen(kw_only=True)
class BulkItemStarted:
    """One item of a bulk run begins (``key``: see ``bulk(key=...)``)."""

    run: object
    index: int
    key: str


@attrs.frozen(kw_only=True)
class BulkItemEnded:
    """One item of a bulk run ended: its ``ItemStatus`` value and error, if any.

    Told for every result, SKIPPED items (never started) included.
    """

    run: object
    index: int
    key: str
    status: str
    #: Clock seconds the item took (0 if not started).
    duration: float
    error: BaseException | None


@attrs.frozen(kw_only=True)
class BulkEnded:
    """A bulk run ended: its summary's counts."""

    run: object
    succeeded: int
    failed: int
    cancelled: int
    not_started: int
    stopped_early: bool
    unfinished_input: bool
    peak_concurrency: int


# ---------------------------------------------------------------------- safe cancel


@attrs.frozen(kw_only=True)
class CancelRequested:
    """A safe cancel of ``target``'s deployment begins (``deployment_id``: if pinned)."""

    target: str
    deployment_id: str | None


@attrs.frozen(kw_only=True)
class CancelEnded:
    """A safe cancel ended: its ``CancelOutcome`` value, or ``None`` if it gave up.

    Giving up means no outcome is known: the cancel or the wait failed (``error``),
    ran out of time, or was itself cancelled.
    """

    target: str
    deployment_id: str | None
    outcome: str | None = None
    status: str | None = None
    error: BaseException | None = None

    @property
    def gave_up(self) -> bool:
        """Whether the cancel ended without an outcome."""
        return self.outcome is None


# ---------------------------------------------------------------------- rates


@attrs.frozen(kw_only=True)
class RateChanged:
    """An adaptive limiter changed its rate (requests per clock second)."""

    previous: float
    rate: float
    throttled: bool


class Observer:
    """Hooks with no-op defaults; override the ones you need."""

    def on_call_start(self, event: CallStarted) -> None:
        """A client call begins."""

    def on_attempt(self, event: AttemptStarted) -> None:
        """An attempt of a client call is about to be sent."""

    def on_attempt_end(self, event: AttemptEnded) -> None:
        """An attempt was answered or failed."""

    def on_retry(self, event: Retrying) -> None:
        """A failed attempt will be repeated."""

    def on_call_end(self, event: CallEnded) -> None:
        """A client call finished."""

    def on_wait_start(self, event: WaitStarted) -> None:
        """A wait begins."""

    def on_poll(self, event: Polled) -> None:
        """A wait polled its resource."""

    def on_state_change(self, event: StateChanged) -> None:
        """A wait saw a new status."""

    def on_wait_end(self, event: WaitEnded) -> None:
        """A wait finished."""

    def on_request_start(self, event: RequestStarted) -> None:
        """An idempotent request begins."""

    def on_reconcile(self, event: Reconciled) -> None:
        """An idempotent request read the resource to learn an unclear outcome."""

    def on_request_end(self, event: RequestEnded) -> None:
        """An idempotent request finished."""

    def on_rollout_start(self, event: RolloutStarted) -> None:
        """A rollout begins its items."""

    def on_rollout_item_start(self, event: RolloutItemStarted) -> None:
        """A rollout item begins."""

    def on_rollout_item(self, event: RolloutItemEnded) -> None:
        """A rollout item finished."""

    def on_rollout_end(self, event: RolloutEnded) -> None:
        """A rollout finished."""

    def on_bulk_start(self, event: BulkStarted) -> None:
        """A bulk run begins."""

    def on_bulk_item_start(self, event: BulkItemStarted) -> None:
        """An item of a bulk run begins."""

    def on_bulk_item(self, event: BulkItemEnded) -> None:
        """An item of a bulk run ended (or was never started)."""

    def on_bulk_end(self, event: BulkEnded) -> None:
        """A bulk run ended."""

    def on_cancel_start(self, event: CancelRequested) -> None:
        """A safe cancel begins."""

    def on_cancel_end(self, event: CancelEnded) -> None:
        """A safe cancel ended, with an outcome or having given up."""

    def on_rate_change(self, event: RateChanged) -> None:
        """An adaptive rate limiter changed its rate."""


class Observers:
    """Several observers told in turn; a hook that raises is logged once and ignored.

    Falsy when empty, so callers skip building events: ``if observers: observers.emit(...)``.
    """

    __slots__ = ("_failed", "_observers")

    def __init__(self, observers: Iterable[Observer] = ()) -> None:
        self._observers = tuple(observers)
        for observer in self._observers:
            if not isinstance(observer, Observer):
                raise TypeError(
                    f"observers must be aioproton.observe.Observer instances, got {observer!r}"
                )
        self._failed: set[tuple[int, str]] = set()

    def __bool__(self) -> bool:
        return bool(self._observers)

    def __iter__(self) -> Any:
        return iter(self._observers)

    def emit(self, hook: str, event: object) -> None:
        """Call ``hook`` on each observer with ``event``; a raising hook is logged, not raised."""
        for observer in self._observers:
            try:
                getattr(observer, hook)(event)
            except Exception:
                # A metrics bug must not fail a deployment: log it once, go on.
                seen = (id(observer), hook)
                if seen not in self._failed:
                    self._failed.add(seen)
                    logger.warning(
                        "observer %r raised in %s; its later failures there are not logged",
                        observer,
                        hook,
                        exc_info=True,
                        extra={"observer": type(observer).__name__, "hook": hook},
                    )


_polling: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "aioproton-polling", default=None
)


def current_wait() -> object | None:
    """The wait (as in ``WaitStarted.wait``) whose poll is running in this task, if any.

    A wait may be driven one change at a time from the caller's loop, so it is current
    only while it polls: an observer can tell a poll's calls from the caller's own.
    """
    return _polling.get()


@contextmanager
def polling(wait: object) -> Iterator[None]:
    """Make ``wait`` the :func:`current_wait` for the duration of one poll."""
    token = _polling.set(wait)
    try:
        yield
    finally:
        _polling.reset(token)


#: Shared by everything built without observers.
NO_OBSERVERS = Observers()


def observers_of(given: Iterable[Observer] | Observers | None) -> Observers:
    """``given`` as an :class:`Observers` (``None`` or empty: the shared empty one)."""
    found = given if isinstance(given, Observers) else Observers(given or ())
    # Empty is always the shared instance: the hot path checks identity, not truth.
    return found if found else NO_OBSERVERS
