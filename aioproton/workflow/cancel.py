"""Cancelling a deployment without tripping over the race with its own completion.

A deployment can finish between the moment it is read and the moment the cancel lands;
Proton then refuses the cancel with a ConflictError, or accepts it and lets the
deployment end with its own outcome. :func:`cancel_deployment` reads first, cancels only
what is IN_PROGRESS, waits for the final state and says what happened as a
:class:`CancelOutcome`. :func:`cancel_on_exit` does it when the surrounding task is
cancelled (a daemon shutting down), shielded and bounded in time.

Each decision (nothing to cancel, cancelling, the outcome) leaves an INFO record on
``aioproton.workflow`` with the target and deployment id; the client's observers are
told ``on_cancel_start`` and ``on_cancel_end`` (its outcome, or none if it gave up).
"""

from __future__ import annotations

import enum
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

import anyio
import attrs

from .. import _logfields as F
from .._client import ProtonClient
from .._generated import models
from ..clock import Clock
from ..errors import ConflictError, ProtonError
from ..observe import CancelEnded, CancelRequested
from .targets import DeploymentTarget, TargetKeywords, deployment_target
from .waiters import Waiters

if sys.version_info >= (3, 11):
    from typing import Unpack
else:  # pragma: no cover - exercised on Python 3.10
    from typing_extensions import Unpack

__all__ = ["CancelGuard", "CancelOutcome", "CancelResult", "cancel_deployment", "cancel_on_exit"]

logger: logging.Logger = logging.getLogger("aioproton.workflow")

R = TypeVar("R")

_D = models.DeploymentStatus


class CancelOutcome(enum.Enum):
    """How a safe cancel ended."""

    #: The deployment was cancelled (by this call or by someone else).
    CANCELLED = "CANCELLED"
    #: The deployment succeeded before the cancel could take effect.
    ALREADY_SUCCEEDED = "ALREADY_SUCCEEDED"
    #: The deployment failed on its own before the cancel could take effect.
    ALREADY_FAILED = "ALREADY_FAILED"
    #: The cancel was accepted, then the deployment ended FAILED instead of CANCELLED
    #: (Proton's way of saying the cancel attempt failed).
    CANCEL_FAILED = "CANCEL_FAILED"
    #: No deployment was in progress.
    NOTHING_TO_CANCEL = "NOTHING_TO_CANCEL"


@attrs.frozen(kw_only=True)
class CancelResult(Generic[R]):
    """How a safe cancel ended, and the resource as it ended.

    Attributes:
        outcome: Cancelled, or the deployment finished first (succeeded or failed), or
            there was nothing to cancel.
        status: The resource's final deployment status as the service spelled it.
        message: The service's status message, if any.
    """

    outcome: CancelOutcome
    #: The resource in its final state.
    resource: R = attrs.field(repr=False)
    status: str
    message: str | None = attrs.field(default=None, repr=False)
    #: The deployment the outcome is about.
    deployment_id: str | None = None

    @property
    def cancelled(self) -> bool:
        """Whether the deployment was cancelled (not finished first)."""
        return self.outcome is CancelOutcome.CANCELLED


def _target(target: DeploymentTarget[Any] | None, where: TargetKeywords) -> DeploymentTarget[Any]:
    if target is None:
        return deployment_target(**where)
    unknown = sorted(set(where) - TargetKeywords.__optional_keys__)
    if unknown:
        raise TypeError(
            f"unexpected keyword {unknown[0]!r}: a target is named by keywords of "
            f"deployment_target(), or as target="
        )
    if any(value is not None and value is not False for value in where.values()):
        raise ValueError("name the target either as target= or by keywords, not both")
    return target


async def cancel_deployment(
    proton: ProtonClient,
    target: DeploymentTarget[Any] | None = None,
    *,
    timeout: float,  # noqa: ASYNC109 - clock seconds, which anyio's scopes cannot measure
    deployment_id: str | None = None,
    clock: Clock | None = None,
    waiters: Waiters | None = None,
    **where: Unpack[TargetKeywords],
) -> CancelResult[Any]:
    """Cancel the deployment in progress on a target, safely, and wait for its end.

    Name the target as ``target=`` or by keywords (``environment="prod"``,
    ``service="api", service_instance="one"``, ``service="api", pipeline=True``,
    ``component="web"``). ``deployment_id`` pins the deployment meant: if another one
    has started since, that one is left alone and the outcome describes the named one.
    ``timeout`` (clock seconds) bounds the wait for the final state. Errors of the
    Cancel call other than the finished-first race propagate.
    """
    chosen = _target(target, where)
    if waiters is None:
        waiters = Waiters(proton, clock=clock, history=False)
    observers = proton.observers
    if observers:
        observers.emit(
            "on_cancel_start", CancelRequested(target=chosen.path, deployment_id=deployment_id)
        )
    try:
        result = await _cancel(proton, chosen, timeout, deployment_id, waiters)
    except BaseException as error:
        # A timeout, a refused cancel, or this task being cancelled: no outcome known.
        if observers:
            ended = CancelEnded(target=chosen.path, deployment_id=deployment_id, error=error)
            observers.emit("on_cancel_end", ended)
        raise
    logger.info(
        "cancel of the deployment of %s: %s (%s)",
        chosen,
        result.outcome.value,
        result.status,
        extra=_fields(chosen, result.deployment_id, result.status, result.outcome.value),
    )
    if observers:
        ended = CancelEnded(
            target=chosen.path,
            deployment_id=result.deployment_id,
            outcome=result.outcome.value,
            status=result.status,
            error=None,
        )
        observers.emit("on_cancel_end", ended)
    return result


def _fields(
    target: DeploymentTarget[Any], deployment_id: str | None, status: str, outcome: str | None
) -> dict[str, Any]:
    return {
        F.TARGET: target.path,
        F.DEPLOYMENT_ID: deployment_id,
        F.STATUS: status,
        F.OUTCOME: outcome,
    }


async def _cancel(
    proton: ProtonClient,
    chosen: DeploymentTarget[Any],
    timeout: float,  # noqa: ASYNC109 - clock seconds, passed on to the waiter
    deployment_id: str | None,
    waiters: Waiters,
) -> CancelResult[Any]:
    """The safe cancel itself (see :func:`cancel_deployment`)."""
    resource = await chosen.get(proton)
    latest = resource.last_attempted_deployment_id
    if deployment_id is not None and latest != deployment_id:
        logger.info(
            "not cancelling %s: deployment %s was superseded by %s",
            chosen,
            deployment_id,
            latest,
            extra=_fields(chosen, deployment_id, str(resource.deployment_status), None),
        )
        return await _superseded(proton, resource, deployment_id)
    status = str(resource.deployment_status)
    if status not in (_D.IN_PROGRESS, _D.CANCELLING):
        logger.info(
            "not cancelling %s: its deployment is %s",
            chosen,
            status,
            extra=_fields(chosen, latest, status, None),
        )
        outcome = CancelOutcome.NOTHING_TO_CANCEL
        if deployment_id is not None:
            outcome = _finished_first(status, outcome)
        return _result(outcome, resource, latest)
    accepted = status == _D.CANCELLING
    if not accepted:
        logger.info(
            "cancelling deployment %s of %s",
            latest,
            chosen,
            extra=_fields(chosen, latest, status, None),
        )
        try:
            resource = await chosen.cancel(proton)
            accepted = str(resource.deployment_status) == _D.CANCELLING
        except ConflictError:
            # Either it finished (or another cancel began) between the read and the
            # cancel, or the service refuses to cancel this deployment at all.
            resource = await chosen.get(proton)
            if resource.deployment_status == _D.IN_PROGRESS:
                raise
            logger.info(
                "the cancel of %s was refused as it ended (%s): waiting for its final state",
                chosen,
                resource.deployment_status,
                extra=_fields(chosen, latest, str(resource.deployment_status), None),
            )
        except ProtonError as error:
            if not error.ambiguous:
                raise
            # The cancel may have landed; the final state tells.
    waiter = waiters.cancel_finished(chosen, timeout=timeout)
    final = await waiter.wait()
    accepted = accepted or any(change.status == _D.CANCELLING for change in waiter.history)
    status = str(final.deployment_status)
    if status == _D.CANCELLED:
        outcome = CancelOutcome.CANCELLED
    elif status == _D.FAILED and accepted:
        outcome = CancelOutcome.CANCEL_FAILED
    else:
        outcome = _finished_first(status, CancelOutcome.NOTHING_TO_CANCEL)
    return _result(outcome, final, latest)


def _finished_first(status: str, otherwise: CancelOutcome) -> CancelOutcome:
    if status == _D.SUCCEEDED:
        return CancelOutcome.ALREADY_SUCCEEDED
    if status == _D.FAILED:
        return CancelOutcome.ALREADY_FAILED
    if status == _D.CANCELLED:
        return CancelOutcome.CANCELLED
    return otherwise


async def _superseded(proton: ProtonClient, resource: Any, deployment_id: str) -> CancelResult[Any]:
    """The named deployment is no longer the latest: report how it ended."""
    record = await proton.get_deployment(id=deployment_id)
    status = str(record.deployment_status)
    outcome = _finished_first(status, CancelOutcome.NOTHING_TO_CANCEL)
    return CancelResult(
        outcome=outcome,
        resource=resource,
        status=status,
        message=record.deployment_status_message,
        deployment_id=deployment_id,
    )


def _result(outcome: CancelOutcome, resource: Any, deployment_id: str | None) -> CancelResult[Any]:
    return CancelResult(
        outcome=outcome,
        resource=resource,
        status=str(resource.deployment_status),
        message=resource.deployment_status_message,
        deployment_id=deployment_id,
    )


@attrs.define(kw_only=True)
class CancelGuard:
    """What :func:`cancel_on_exit` did; set ``deployment_id`` to pin the deployment meant."""

    target: DeploymentTarget[Any]
    deployment_id: str | None = None
    #: The safe cancel's result, when the block was cancelled and the cancel completed.
    result: CancelResult[Any] | None = None
    #: What went wrong while cancelling (the block's own cancellation still propagates).
    error: BaseException | None = None
    #: Whether the time limit cut the safe cancel short.
    timed_out: bool = False


@asynccontextmanager
async def cancel_on_exit(
    proton: ProtonClient,
    target: DeploymentTarget[Any] | None = None,
    *,
    timeout: float = 60.0,  # noqa: ASYNC109 - applied with a shielded move_on_after
    on_error: bool = False,
    clock: Clock | None = None,
    on_result: Callable[[CancelGuard], None] | None = None,
    **where: Unpack[TargetKeywords],
) -> AsyncIterator[CancelGuard]:
    """Cancel the target's deployment if the block is cancelled (``on_error``: or fails).

    ::

        async with cancel_on_exit(proton, environment="prod", timeout=60):
            await proton.update_environment(name="prod", ...)
            await waiters.environment_deployed("prod", timeout=3600)

    The safe cancel runs shielded from the cancellation that triggered it and is cut
    off after ``timeout`` real seconds (also its clock deadline), so shutdown is never
    blocked for long. Its errors are logged and kept on the guard, never raised over
    the cancellation.
    """
    guard = CancelGuard(target=_target(target, where))
    cancelled = anyio.get_cancelled_exc_class()
    try:
        yield guard
    except BaseException as exc:
        if isinstance(exc, cancelled) or (on_error and isinstance(exc, Exception)):
            await _cancel_shielded(proton, guard, timeout, clock)
            if on_result is not None:
                on_result(guard)
        raise


async def _cancel_shielded(
    proton: ProtonClient, guard: CancelGuard, limit: float, clock: Clock | None
) -> None:
    with anyio.move_on_after(limit, shield=True) as scope:
        try:
            guard.result = await cancel_deployment(
                proton,
                guard.target,
                timeout=limit,
                deployment_id=guard.deployment_id,
                clock=clock,
            )
        except Exception as error:
            guard.error = error
            logger.warning(
                "could not cancel the deployment of %s: %s",
                guard.target,
                error,
                extra={
                    F.TARGET: guard.target.path,
                    F.DEPLOYMENT_ID: guard.deployment_id,
                    **F.error_fields(error),
                },
            )
    if scope.cancelled_caught:
        guard.timed_out = True
        logger.warning(
            "gave up cancelling the deployment of %s after %gs",
            guard.target,
            limit,
            extra={
                F.TARGET: guard.target.path,
                F.DEPLOYMENT_ID: guard.deployment_id,
                F.DEADLINE: limit,
            },
        )
