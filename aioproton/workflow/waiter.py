"""The polling loop every waiter shares.

A :class:`Waiter` polls one resource until its status reaches a final state, through a
:class:`~aioproton.clock.Clock` (tests pass the emulator's ``ManualClock`` and never
really sleep). It is driven from the caller's own task: ``await waiter`` runs it to the
end, ``async for change in waiter.progress()`` runs it one state change at a time. There
is no background task, so cancelling the caller stops the wait at once and leaves no
request running.

Polling errors are sorted into two kinds. Throttling, server faults (HTTP 5xx,
``InternalServerError``) and transport errors mean the service is busy or unreachable
for a moment: the waiter slows down and keeps going. Anything else cannot get better by
waiting and ends the wait at once with that error: access denied, validation, a
resource that never existed, and a response that could not be read
(``ProtonResponseError``, re-raised naming the waiter).
"""

from __future__ import annotations

import inspect
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from typing import Any, Generic, TypeVar, cast

import attrs

from .. import _logfields as F
from .._backoff import exponential
from ..clock import Clock, SystemClock
from ..errors import (
    ProtonError,
    ProtonResponseError,
    ProtonTransportError,
    ResourceNotFoundError,
    ThrottlingError,
)
from ..observe import (
    NO_OBSERVERS,
    Observers,
    Polled,
    StateChanged,
    WaitEnded,
    WaitStarted,
    polling,
)
from . import errors
from .history import DurationEstimate
from .schedule import PollContext, PollSchedule
from .states import GONE, StateChange, WaitVerdict

__all__ = ["OnChange", "Probe", "Waiter"]

R = TypeVar("R")

logger: logging.Logger = logging.getLogger("aioproton.workflow.waiter")

#: Upper bound of the slow-down after polling errors, in clock seconds.
_ERROR_BACKOFF_CAP = 120.0

_ERRORS: dict[WaitVerdict, type[errors.WaiterError]] = {
    WaitVerdict.FAILED: errors.DeploymentFailedError,
    WaitVerdict.CANCELLED: errors.DeploymentCancelledError,
    WaitVerdict.DELETE_FAILED: errors.DeleteFailedError,
    WaitVerdict.REGISTRATION_FAILED: errors.RegistrationFailedError,
    WaitVerdict.GONE: errors.ResourceGoneError,
}


def _arn_of(resource: Any) -> str | None:
    arn = getattr(resource, "arn", None)
    return arn if isinstance(arn, str) else None


@attrs.frozen(kw_only=True)
class Probe(Generic[R]):
    """How to read one resource and what its statuses mean."""

    #: The waiter's name, e.g. ``EnvironmentDeployed``.
    name: str
    #: What is waited for (see :class:`StateChange`): its kind, names and resource path.
    kind: str
    names: tuple[str, ...]
    subject: str
    #: The operation that reads it (for errors).
    operation: str
    fetch: Callable[[], Awaitable[R]]
    status: Callable[[R], str]
    message: Callable[[R], str | None]
    #: Verdict per status; any other status (including new ones) keeps the wait going.
    verdicts: Mapping[str, WaitVerdict]
    #: Whether ResourceNotFound ends the wait successfully (deletes).
    gone_is_success: bool = False
    #: When the work being waited for started (epoch seconds), if the resource says.
    started_at: Callable[[R], float | None] = lambda resource: None
    #: Durations of earlier deployments of this resource, looked up once.
    estimate: Callable[[R], Awaitable[DurationEstimate | None]] | None = None
    #: The ARN a read shows (default: the resource's ``arn``).
    arn: Callable[[R], str | None] = _arn_of
    #: The deployment whose status the resource shows, if any.
    deployment_id: Callable[[R], str | None] = lambda resource: None


OnChange = Callable[[StateChange[Any]], "Awaitable[None] | None"]


class Waiter(Generic[R]):
    """Polls until the resource reaches a final state; ``await`` it or iterate its progress.

    ``timeout`` (clock seconds, required) bounds the whole wait; ``max_attempts``
    optionally caps the number of polls. The result is the resource in its final
    state (``None`` for a completed delete); a failure raises a
    :class:`~aioproton.workflow.errors.WaiterError` subclass.
    """

    def __init__(
        self,
        probe: Probe[R],
        *,
        timeout: float,
        schedule: PollSchedule,
        max_attempts: int | None = None,
        clock: Clock | None = None,
        on_change: OnChange | None = None,
        rng: random.Random | None = None,
        observers: Observers = NO_OBSERVERS,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        if max_attempts is not None and max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
        self.probe = probe
        self.timeout: float = float(timeout)
        self.max_attempts = max_attempts
        self.schedule = schedule
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._on_change = on_change
        self._rng = rng if rng is not None else random.Random()
        self._observers = observers
        self.attempts: int = 0
        self.history: list[StateChange[R]] = []
        self.last_resource: R | None = None
        self._status: str | None = None
        self._arn: str | None = None
        self._deployment_id: str | None = None
        self._began: float | None = None
        self._started_at: float | None = None
        self._estimate: DurationEstimate | None = None
        self._estimated = False
        self._error_streak = 0
        self._last_error: ProtonError | None = None
        self._finished = False
        self._result: R | None = None
        self._failure: BaseException | None = None

    # ------------------------------------------------------------------ public

    @property
    def name(self) -> str:
        return self.probe.name

    @property
    def status(self) -> str | None:
        """The last status seen."""
        return self._status

    @property
    def elapsed(self) -> float:
        """Clock seconds since the first poll."""
        return 0.0 if self._began is None else self.clock.now() - self._began

    @property
    def expected(self) -> DurationEstimate | None:
        """The history the schedule works from, once looked up."""
        return self._estimate

    @property
    def done(self) -> bool:
        return self._finished

    def result(self) -> R:
        """The final resource; raises the wait's error if it failed, or if still running."""
        if not self._finished:
            raise RuntimeError("the wait has not finished yet")
        if self._failure is not None:
            raise self._failure
        return cast(R, self._result)

    def progress(self) -> AsyncIterator[StateChange[R]]:
        """The state changes as they happen, for ``async for``.

        Iterating drives the wait: the loop ends when the resource reaches a final
        state, and raises the wait's error after yielding the change that caused it.
        """
        return _Progress(self)

    async def wait(self) -> R:
        """Poll until a final state; return the resource (``None`` for a completed delete)."""
        async for _ in self.progress():
            pass
        return self.result()

    def __await__(self) -> Generator[Any, None, R]:
        return self.wait().__await__()

    # ------------------------------------------------------------------ the loop

    async def _next_change(self) -> StateChange[R] | None:
        """Poll until the status changes; ``None`` once the wait has finished."""
        try:
            while not self._finished:
                if self._began is None:
                    self._began = self.clock.now()
                    if self._observers:
                        self._tell("on_wait_start", WaitStarted)
                elif self.max_attempts is not None and self.attempts >= self.max_attempts:
                    raise self._timeout(f"gave up after {self.attempts} polls")
                else:
                    await self._pause()
                with polling(self):
                    change = await self._poll()
                if change is not None:
                    await self._notify(change)
                    return change
        except ProtonError as error:
            self._finish(failure=error)
            raise
        if self._failure is not None:
            raise self._failure
        return None

    async def _poll(self) -> StateChange[R] | None:
        probe = self.probe
        self.attempts += 1
        resource: R | None
        try:
            resource = await probe.fetch()
        except ResourceNotFoundError as error:
            if probe.gone_is_success:
                return self._observe(None, GONE, None, WaitVerdict.SUCCESS)
            if self._status is None:
                raise
            return self._observe(None, GONE, None, WaitVerdict.GONE, cause=error)
        except ProtonResponseError as error:
            raise self._unreadable(error) from error
        except ProtonError as error:
            if not _transient(error):
                raise
            self._error_streak += 1
            self._last_error = error
            self._polled(None, error)
            return None
        if resource is None:
            # A response decoded leniently may lack the resource: nothing to judge.
            missing = ProtonResponseError(
                "the response holds no resource", operation=probe.operation
            )
            raise self._unreadable(missing) from missing
        self._error_streak = 0
        raw_status: object = probe.status(resource)  # None when decoded leniently
        if raw_status is None:
            # A required status member the service left out decodes to None: unjudgeable.
            missing = ProtonResponseError(
                "the response holds no status for the resource", operation=probe.operation
            )
            raise self._unreadable(missing) from missing
        status = str(raw_status)
        verdict = probe.verdicts.get(status, WaitVerdict.PENDING)
        if self._started_at is None:
            self._started_at = probe.started_at(resource)
        self._polled(status, None)
        if verdict is WaitVerdict.PENDING and not self._estimated:
            self._estimated = True
            if probe.estimate is not None and getattr(self.schedule, "uses_history", False):
                self._estimate = await _estimate_or_none(probe.estimate, resource)
        return self._observe(resource, status, probe.message(resource), verdict)

    def _observe(
        self,
        resource: R | None,
        status: str,
        message: str | None,
        verdict: WaitVerdict,
        *,
        cause: BaseException | None = None,
    ) -> StateChange[R] | None:
        if resource is not None:
            self.last_resource = resource
            self._arn = self.probe.arn(resource) or self._arn
            self._deployment_id = self.probe.deployment_id(resource) or self._deployment_id
        previous = self._status
        self._status = status
        change: StateChange[R] | None = None
        if status != previous:
            now = self.clock.now()
            began = self._began if self._began is not None else now
            change = StateChange(
                waiter=self.probe.name,
                kind=self.probe.kind,
                names=self.probe.names,
                subject=self.probe.subject,
                arn=self._arn,
                deployment_id=self._deployment_id,
                previous=previous,
                status=status,
                message=message,
                attempt=self.attempts,
                elapsed=now - began,
                at=now,
                resource=resource,
            )
            self.history.append(change)
            self._changed(change)
        if verdict is WaitVerdict.SUCCESS:
            self._finish(result=resource)
        elif verdict is not WaitVerdict.PENDING:
            what = f"{self.probe.subject} ended {status}"
            failure = self._error(_ERRORS[verdict], what, message)
            failure.__cause__ = cause
            self._finish(failure=failure)
        return change

    async def _pause(self) -> None:
        now = self.clock.now()
        assert self._began is not None
        remaining = self._began + self.timeout - now
        if remaining <= 0:
            raise self._timeout(f"timed out after {self.timeout:g}s")
        running = None if self._started_at is None else max(0.0, now - self._started_at)
        context = PollContext(
            attempt=self.attempts,
            waited=now - self._began,
            running=running,
            expected=self._estimate,
            rng=self._rng,
        )
        delay = max(0.0, self.schedule.next_delay(context))
        if self._error_streak:
            # Busy or unreachable service: slow down, with jitter so waiters spread out.
            slower = exponential(max(delay, 1.0), max_exponent=6).capped(_ERROR_BACKOFF_CAP)
            delay = slower.jitter(0.5).delay(self._error_streak + 1, self._rng)
        await self.clock.sleep(min(delay, remaining))

    async def _notify(self, change: StateChange[R]) -> None:
        if self._on_change is None:
            return
        outcome = self._on_change(change)
        if inspect.isawaitable(outcome):
            await outcome

    def _finish(self, *, result: R | None = None, failure: BaseException | None = None) -> None:
        first = not self._finished
        self._finished = True
        self._result = result
        if failure is not None and self._failure is None:
            self._failure = failure
        if first and self._observers:
            self._tell(
                "on_wait_end",
                WaitEnded,
                status=self._status,
                polls=self.attempts,
                elapsed=self.elapsed,
                error=self._failure,
            )

    # ------------------------------------------------------------------ reports

    def _tell(self, hook: str, event: Callable[..., object], **fields: Any) -> None:
        """Call the observers' ``hook`` with an ``event`` that names this wait."""
        self._observers.emit(
            hook, event(wait=self, waiter=self.probe.name, subject=self.probe.subject, **fields)
        )

    def _fields(self) -> dict[str, Any]:
        return {
            F.WAITER: self.probe.name,
            F.TARGET: self.probe.subject,
            F.TARGET_ARN: self._arn,
            F.DEPLOYMENT_ID: self._deployment_id,
            F.STATUS: self._status,
            F.ATTEMPT: self.attempts,
        }

    def _polled(self, status: str | None, error: ProtonError | None) -> None:
        """One poll: a DEBUG record and the observers' ``on_poll``."""
        if logger.isEnabledFor(logging.DEBUG):
            if error is None:
                logger.debug(
                    "%s: poll %d of %s read %s",
                    self.probe.name,
                    self.attempts,
                    self.probe.subject,
                    status,
                    extra=self._fields(),
                )
            else:
                logger.debug(
                    "%s: poll %d of %s failed (%s); slowing down",
                    self.probe.name,
                    self.attempts,
                    self.probe.subject,
                    error.code,
                    extra={**self._fields(), **F.error_fields(error)},
                )
        if self._observers:
            now = self.clock.now()
            self._tell(
                "on_poll",
                Polled,
                attempt=self.attempts,
                status=status,
                error=error,
                lag=None if self._started_at is None else max(0.0, now - self._started_at),
            )

    def _changed(self, change: StateChange[R]) -> None:
        """A status change: an INFO record and the observers' ``on_state_change``."""
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s: %s is %s (was %s) after %d polls",
                change.waiter,
                change.subject,
                change.status,
                change.previous,
                change.attempt,
                extra={
                    **self._fields(),
                    F.PREVIOUS_STATUS: change.previous,
                    F.ELAPSED: change.elapsed,
                },
            )
        if self._observers:
            self._observers.emit("on_state_change", StateChanged(wait=self, change=change))

    # ------------------------------------------------------------------ errors

    def _error(
        self, cls: type[errors.WaiterError], what: str, status_message: str | None
    ) -> errors.WaiterError:
        detail = f": {status_message}" if status_message else ""
        return cls(
            f"{self.probe.name}: {what} after {self.attempts} polls in {self.elapsed:.1f}s{detail}",
            waiter=self.probe.name,
            operation=self.probe.operation,
            status=self._status,
            status_message=status_message,
            attempts=self.attempts,
            elapsed=self.elapsed,
            history=self.history,
            resource=self.last_resource,
        )

    def _unreadable(self, error: ProtonResponseError) -> ProtonResponseError:
        """Polling again would read the same undecodable answer: say so and stop."""
        return ProtonResponseError(
            f"{self.probe.name}: the response to {error.operation or self.probe.operation} "
            f"for {self.probe.subject} could not be read ({error.message}); waiting cannot "
            f"change that, so the wait ended after {self.attempts} polls",
            operation=error.operation or self.probe.operation,
            code=error.code,
            http_status=error.http_status,
            request_id=error.request_id,
            fault=error.fault,
        )

    def _timeout(self, why: str) -> errors.WaitTimeoutError:
        last = f"; last status {self._status}" if self._status else "; no status read yet"
        error = self._error(errors.WaitTimeoutError, f"{self.probe.subject}: {why}{last}", None)
        assert isinstance(error, errors.WaitTimeoutError)
        if self._last_error is not None and self._error_streak:
            error.__cause__ = self._last_error
        return error


class _Progress(Generic[R]):
    """The async iterator over a waiter's state changes (no background task)."""

    def __init__(self, waiter: Waiter[R]) -> None:
        self._waiter = waiter

    def __aiter__(self) -> _Progress[R]:
        return self

    async def __anext__(self) -> StateChange[R]:
        change = await self._waiter._next_change()
        if change is None:
            raise StopAsyncIteration
        return change


def _transient(error: ProtonError) -> bool:
    """Errors that waiting can cure: throttling, server faults, the network."""
    if isinstance(error, ProtonResponseError):
        return False  # the service answered, and its answer cannot be read
    return (
        isinstance(error, (ThrottlingError, ProtonTransportError))
        or error.fault == "server"
        or (error.http_status is not None and error.http_status >= 500)
    )


async def _estimate_or_none(
    estimate: Callable[[Any], Awaitable[DurationEstimate | None]], resource: Any
) -> DurationEstimate | None:
    """History makes polling cheaper but is never worth failing a wait for."""
    try:
        return await estimate(resource)
    except ProtonError:
        return None
