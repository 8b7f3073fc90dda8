"""Rolling a template version out to everything deployed from that template.

An environment template version goes to every environment on the template; a service
template version to every service instance on it. Each item gets a MINOR_VERSION
update (same major) or a MAJOR_VERSION update (a higher major), then the rollout waits
for its deployment and reports the item::

    rollout = Rollout(proton, environment_template="base", version="1.3", concurrency=8)
    print(await rollout.run(dry_run=True))     # what would happen
    report = await rollout.run()

A rollout is resumable: every item is read again just before it is handled, so an item
already on the target version is skipped, an item whose deployment is still running
(perhaps started by a run that crashed) is waited for first, and the update requests
go through :class:`~aioproton.workflow.idempotency.IdempotentCalls` (a durable token
store keeps a restarted run from starting a second deployment). Items on a later
version than the target are never downgraded.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import attrs

from .. import _logfields as F
from .._client import ProtonClient
from .._generated import models
from .._retry import RateLimiter
from ..clock import Clock
from ..errors import ProtonError, ThrottlingError
from ..observe import (
    Observer,
    Observers,
    RolloutEnded,
    RolloutItemEnded,
    RolloutItemStarted,
    RolloutStarted,
    observers_of,
)
from .bulk import ItemResult, ItemStatus, run_bulk
from .cancel import CancelGuard, cancel_on_exit
from .idempotency import DurableRetry, IdempotentCalls
from .ratelimit import MaxRate
from .targets import DeploymentTarget, EnvironmentTarget, ServiceInstanceTarget
from .tokens import TokenStore
from .waiters import Waiters

__all__ = [
    "Rollout",
    "RolloutAction",
    "RolloutItem",
    "RolloutReport",
    "RolloutResult",
    "RolloutStatus",
]

logger = logging.getLogger("aioproton.workflow.rollout")

_D = models.DeploymentStatus
_BUSY = (_D.IN_PROGRESS, _D.CANCELLING, _D.DELETE_IN_PROGRESS)

Version = tuple[int, int]


class RolloutAction(enum.Enum):
    """What the rollout does to one item."""

    MINOR_VERSION = "MINOR_VERSION"
    MAJOR_VERSION = "MAJOR_VERSION"
    #: Already on the target version.
    SKIP_CURRENT = "SKIP_CURRENT"
    #: On a later version than the target; never downgraded.
    SKIP_NEWER = "SKIP_NEWER"


class RolloutStatus(enum.Enum):
    """How one item ended."""

    UPDATED = "UPDATED"
    ALREADY_CURRENT = "ALREADY_CURRENT"
    SKIPPED_NEWER = "SKIPPED_NEWER"
    #: Dry run: the update that would be made.
    PLANNED = "PLANNED"
    FAILED = "FAILED"
    #: Started, then cancelled (fail-fast, or the run was cancelled).
    CANCELLED = "CANCELLED"
    #: Never started: the rollout stopped first (fail-fast).
    NOT_STARTED = "NOT_STARTED"


@attrs.frozen(kw_only=True)
class RolloutItem:
    """One environment or service instance on the template, as planned."""

    target: DeploymentTarget[Any]
    version: str
    deployment_status: str
    action: RolloutAction


@attrs.frozen(kw_only=True)
class RolloutResult:
    target: DeploymentTarget[Any]
    status: RolloutStatus
    from_version: str
    to_version: str
    action: RolloutAction
    deployment_id: str | None = None
    message: str | None = None
    error: BaseException | None = attrs.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status not in (
            RolloutStatus.FAILED,
            RolloutStatus.CANCELLED,
            RolloutStatus.NOT_STARTED,
        )


@attrs.frozen(kw_only=True)
class RolloutReport:
    template: str
    version: str
    dry_run: bool
    results: tuple[RolloutResult, ...]

    def count(self, status: RolloutStatus) -> int:
        return sum(1 for result in self.results if result.status is status)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def failed(self) -> list[RolloutResult]:
        return [result for result in self.results if not result.ok]

    def __str__(self) -> str:
        lines = [
            f"{'dry run of ' if self.dry_run else ''}rollout of {self.template} "
            f"{self.version} to {len(self.results)} items:"
        ]
        for result in sorted(self.results, key=lambda r: r.target.path):
            note = f"  {result.message}" if result.message else ""
            lines.append(
                f"  {result.target.path:<50} {result.from_version:>7} -> {result.to_version:<7} "
                f"{result.status.value}{note}"
            )
        counts = ", ".join(
            f"{self.count(status)} {status.value.lower()}"
            for status in RolloutStatus
            if self.count(status)
        )
        lines.append(f"  ({counts or 'nothing to do'})")
        return "\n".join(lines)


def _parse(version: str) -> Version:
    major, _, minor = version.partition(".")
    return int(major), int(minor)


def _render(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def _action(current: Version, target: Version) -> RolloutAction:
    if current == target:
        return RolloutAction.SKIP_CURRENT
    if current > target:
        return RolloutAction.SKIP_NEWER
    if current[0] == target[0]:
        return RolloutAction.MINOR_VERSION
    return RolloutAction.MAJOR_VERSION


class Rollout:
    """Rolls one template version out to every environment or service instance on it.

    Name exactly one of ``environment_template`` and ``service_template``. ``version``
    is ``"major.minor"``, or ``"major"`` for that major's recommended minor; it must
    be PUBLISHED. ``concurrency`` items run at once. ``max_rate`` bounds the rollout's
    own update requests with a :class:`~aioproton.workflow.ratelimit.MaxRate`: per
    clock second over any window of a second or more, counted from when each request
    may start until it is answered, and lower after throttling; ``burst`` (default 1)
    lets that many go at once, and then holds over windows of ``burst / max_rate``
    seconds. Reads, waiter polls and other users of the client are not
    paced, and the client's own ``rate_limiter`` is left alone; ``rate_limiter`` paces
    the updates with a limiter of the caller's instead. ``wait_timeout`` bounds each
    item's deployment (clock seconds). ``store`` keeps the update tokens; pass a
    :class:`~aioproton.workflow.tokens.SqliteTokenStore` to survive restarts.

    When the run is cancelled (or ``fail_fast`` stops it), deployments it started go on
    by default: they are the rollout's progress, and a rerun waits for them.
    ``cancel_in_flight_on_exit=True`` instead cancels each one with
    :func:`~aioproton.workflow.cancel.cancel_on_exit` (shielded, at most
    ``cancel_timeout`` seconds each), leaving those items on their previous version.
    """

    def __init__(
        self,
        proton: ProtonClient,
        *,
        version: str,
        environment_template: str | None = None,
        service_template: str | None = None,
        concurrency: int = 8,
        max_rate: float | None = None,
        burst: int | None = None,
        rate_limiter: RateLimiter | None = None,
        wait_timeout: float = 3600.0,
        fail_fast: bool = False,
        store: TokenStore | None = None,
        retry: DurableRetry | None = None,
        clock: Clock | None = None,
        waiters: Waiters | None = None,
        strict: bool = False,
        cancel_in_flight_on_exit: bool = False,
        cancel_timeout: float = 60.0,
        observers: Iterable[Observer] | Observers | None = None,
    ) -> None:
        if (environment_template is None) == (service_template is None):
            raise ValueError("name exactly one of environment_template= and service_template=")
        if max_rate is not None and rate_limiter is not None:
            raise ValueError("give either max_rate= or rate_limiter=, not both")
        if burst is not None and max_rate is None:
            raise ValueError("burst= goes with max_rate=; give max_rate= too")
        self.proton = proton
        self.kind = "environment" if environment_template is not None else "service"
        self.template = environment_template or service_template or ""
        self.requested_version = version
        self.concurrency = concurrency
        self.wait_timeout = wait_timeout
        self.fail_fast = fail_fast
        self.strict = strict
        self.cancel_in_flight_on_exit = cancel_in_flight_on_exit
        self.cancel_timeout = cancel_timeout
        self.clock: Clock = clock if clock is not None else proton.clock
        self.observers = observers_of(observers) if observers is not None else proton.observers
        self.calls = IdempotentCalls(
            store=store, retry=retry, clock=self.clock, observers=self.observers
        )
        self.waiters = (
            waiters
            if waiters is not None
            else Waiters(proton, clock=self.clock, observers=self.observers)
        )
        self.rate_limiter: RateLimiter | MaxRate | None = rate_limiter
        if max_rate is not None:
            self.rate_limiter = MaxRate(max_rate=max_rate, burst=burst or 1, clock=self.clock)
        self._target_version: Version | None = None

    # ------------------------------------------------------------------ planning

    async def target_version(self) -> str:
        """The exact version rolled out (resolving a bare major); checks it is PUBLISHED."""
        if self._target_version is None:
            self._target_version = await self._resolve()
        return _render(self._target_version)

    async def _resolve(self) -> Version:
        major, dot, minor = self.requested_version.partition(".")
        if not dot:
            minor = await self._recommended_minor(major)
        version: models.EnvironmentTemplateVersion | models.ServiceTemplateVersion
        if self.kind == "environment":
            version = await self.proton.get_environment_template_version(
                template_name=self.template, major_version=major, minor_version=minor
            )
        else:
            version = await self.proton.get_service_template_version(
                template_name=self.template, major_version=major, minor_version=minor
            )
        if version.status != models.TemplateVersionStatus.PUBLISHED:
            raise ValueError(
                f"{self.kind} template {self.template} version {major}.{minor} is "
                f"{version.status}; only a PUBLISHED version can be rolled out"
            )
        return int(major), int(minor)

    async def _recommended_minor(self, major: str) -> str:
        listing: Any
        if self.kind == "environment":
            listing = self.proton.paginate.list_environment_template_versions(
                template_name=self.template, major_version=major
            )
        else:
            listing = self.proton.paginate.list_service_template_versions(
                template_name=self.template, major_version=major
            )
        async for summary in listing:
            if summary.recommended_minor_version:
                return str(summary.recommended_minor_version)
        raise ValueError(
            f"{self.kind} template {self.template} has no published minor version in major {major}"
        )

    async def _items(self) -> AsyncIterator[tuple[DeploymentTarget[Any], Version, str]]:
        if self.kind == "environment":
            async for env in self.proton.paginate.list_environments():
                if env.template_name == self.template:
                    yield (
                        EnvironmentTarget(env.name),
                        (int(env.template_major_version), int(env.template_minor_version)),
                        str(env.deployment_status),
                    )
            return
        filters = [
            models.ListServiceInstancesFilter(
                key=models.ListServiceInstancesFilterBy.TEMPLATENAME, value=self.template
            )
        ]
        async for instance in self.proton.paginate.list_service_instances(filters=filters):
            if instance.template_name == self.template:
                yield (
                    ServiceInstanceTarget(instance.service_name, instance.name),
                    (int(instance.template_major_version), int(instance.template_minor_version)),
                    str(instance.deployment_status),
                )

    async def plan(self) -> list[RolloutItem]:
        """Every item on the template and what the rollout would do to it (no changes)."""
        target = _parse(await self.target_version())
        return [
            RolloutItem(
                target=item,
                version=_render(version),
                deployment_status=status,
                action=_action(version, target),
            )
            async for item, version, status in self._items()
        ]

    # ------------------------------------------------------------------ running

    async def run(
        self,
        *,
        dry_run: bool = False,
        on_result: Callable[[RolloutResult], Any] | None = None,
    ) -> RolloutReport:
        """Roll out (or, ``dry_run``, only report the plan); one result per item."""
        version = await self.target_version()
        items = await self.plan()
        if dry_run:
            results = tuple(_planned(item, version) for item in items)
            return RolloutReport(
                template=self.template, version=version, dry_run=True, results=results
            )

        def report(result: ItemResult[RolloutItem, RolloutResult]) -> Any:
            final = _from_item_result(result, version)
            return on_result(final) if on_result is not None else None

        observers = self.observers
        if observers:
            observers.emit(
                "on_rollout_start",
                RolloutStarted(template=self.template, version=version, items=len(items)),
            )
        error: BaseException | None = None
        try:
            summary = await run_bulk(
                items,
                self._observed_roll,
                concurrency=self.concurrency,
                fail_fast=self.fail_fast,
                proton=self.proton,
                strict=self.strict,
                clock=self.clock,
                on_result=report,
            )
        except BaseException as exc:
            error = exc
            raise
        finally:
            if observers:
                ok = error is None and all(result.ok for result in summary.results)
                observers.emit(
                    "on_rollout_end",
                    RolloutEnded(template=self.template, version=version, ok=ok, error=error),
                )
        results = tuple(_from_item_result(result, version) for result in summary.results)
        return RolloutReport(
            template=self.template, version=version, dry_run=False, results=results
        )

    async def _paced(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """One update request, paced by the rollout's own limiter (never the client's)."""
        limiter = self.rate_limiter
        if limiter is None:
            return await call()
        if isinstance(limiter, MaxRate):
            async with limiter.slot():
                return await _answered(limiter, call)
        await limiter.acquire()
        return await _answered(limiter, call)

    async def _observed_roll(self, item: RolloutItem) -> RolloutResult:
        """:meth:`_roll` with its INFO record and observer events."""
        path = item.target.path
        if self.observers:
            self.observers.emit("on_rollout_item_start", RolloutItemStarted(target=path))
        result: RolloutResult | None = None
        error: BaseException | None = None
        try:
            result = await self._roll(item)
            return result
        except BaseException as exc:
            error = exc
            raise
        finally:
            status = result.status.value if result is not None else None
            deployment_id = result.deployment_id if result is not None else None
            logger.info(
                "rollout of %s to %s: %s",
                path,
                self.requested_version,
                status or f"failed ({type(error).__name__}: {error})",
                extra={
                    F.TARGET: path,
                    F.VERSION: self.requested_version,
                    F.STATUS: status,
                    F.DEPLOYMENT_ID: deployment_id,
                    F.ERROR_CODE: getattr(error, "code", type(error).__name__ if error else None),
                },
            )
            if self.observers:
                self.observers.emit(
                    "on_rollout_item",
                    RolloutItemEnded(
                        target=path, status=status, deployment_id=deployment_id, error=error
                    ),
                )

    async def _roll(self, item: RolloutItem) -> RolloutResult:
        target = item.target
        version = await self.target_version()
        goal = _parse(version)
        resource = await target.get(self.proton)
        waited = False
        if str(resource.deployment_status) in _BUSY:
            # Perhaps our own update from a run that stopped: let it finish first.
            resource = await self.waiters.settled(target, timeout=self.wait_timeout).wait()
            waited = True
        current = (int(resource.template_major_version), int(resource.template_minor_version))
        action = _action(current, goal)
        if action is RolloutAction.SKIP_NEWER:
            return _result(item, RolloutStatus.SKIPPED_NEWER, current, version, action)
        if action is RolloutAction.SKIP_CURRENT:
            status = RolloutStatus.UPDATED if waited else RolloutStatus.ALREADY_CURRENT
            return _result(item, status, current, version, action)
        async with self._in_flight(target) as guard:
            updated = await self._update(
                target, action, goal, resource.last_attempted_deployment_id
            )
            deployment_id = guard.deployment_id = updated.last_attempted_deployment_id
            final = await self.waiters.deployed(target, timeout=self.wait_timeout).wait()
        reached = (int(final.template_major_version), int(final.template_minor_version))
        if reached != goal:
            raise RuntimeError(
                f"{target.path} finished its deployment on {_render(reached)}, not {version}"
            )
        return _result(item, RolloutStatus.UPDATED, current, version, action, deployment_id)

    @asynccontextmanager
    async def _in_flight(self, target: DeploymentTarget[Any]) -> AsyncIterator[CancelGuard]:
        """Where an item's deployment runs: cancelled on exit only when asked."""
        if not self.cancel_in_flight_on_exit:
            yield CancelGuard(target=target)
            return
        async with cancel_on_exit(
            self.proton, target, timeout=self.cancel_timeout, clock=self.clock, on_result=_cancelled
        ) as guard:
            yield guard

    async def _update(
        self,
        target: DeploymentTarget[Any],
        action: RolloutAction,
        goal: Version,
        previous: str | None,
    ) -> Any:
        # One key per (item, deployment it follows): a run restarted after a crash
        # resends the same request, while a retry after a failed deployment is new.
        key = (
            f"rollout/{self.kind}-template/{self.template}/{_render(goal)}/{target.path}"
            f"/after/{previous}"
        )
        kind = models.DeploymentUpdateType(action.value)
        major, minor = str(goal[0]), str(goal[1])
        if isinstance(target, EnvironmentTarget):
            return await self._paced(
                lambda: self.calls.call(
                    key,
                    self.proton.update_environment,
                    name=target.name,
                    deployment_type=kind,
                    template_major_version=major,
                    template_minor_version=minor,
                )
            )
        assert isinstance(target, ServiceInstanceTarget)
        return await self._paced(
            lambda: self.calls.call(
                key,
                self.proton.update_service_instance,
                name=target.name,
                service_name=target.service_name,
                deployment_type=kind,
                template_major_version=major,
                template_minor_version=minor,
            )
        )


def _cancelled(guard: CancelGuard) -> None:
    outcome = guard.result.outcome.value if guard.result is not None else None
    logger.info(
        "rollout stopped: cancelled the deployment of %s (%s)",
        guard.target.path,
        outcome or "not cancelled",
        extra={"target": guard.target.path, "outcome": outcome, "timed_out": guard.timed_out},
    )


async def _answered(limiter: RateLimiter | MaxRate, call: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``call`` and tell the limiter whether the service throttled it."""
    try:
        result = await call()
    except ProtonError as error:
        limiter.feedback(throttled=isinstance(error, ThrottlingError))
        raise
    limiter.feedback(throttled=False)
    return result


def _result(
    item: RolloutItem,
    status: RolloutStatus,
    current: Version,
    version: str,
    action: RolloutAction,
    deployment_id: str | None = None,
) -> RolloutResult:
    return RolloutResult(
        target=item.target,
        status=status,
        from_version=_render(current),
        to_version=version,
        action=action,
        deployment_id=deployment_id,
    )


def _planned(item: RolloutItem, version: str) -> RolloutResult:
    status = {
        RolloutAction.SKIP_CURRENT: RolloutStatus.ALREADY_CURRENT,
        RolloutAction.SKIP_NEWER: RolloutStatus.SKIPPED_NEWER,
    }.get(item.action, RolloutStatus.PLANNED)
    return RolloutResult(
        target=item.target,
        status=status,
        from_version=item.version,
        to_version=version,
        action=item.action,
    )


def _from_item_result(
    result: ItemResult[RolloutItem, RolloutResult], version: str
) -> RolloutResult:
    if result.status is ItemStatus.SUCCEEDED and result.value is not None:
        return result.value
    item = result.item
    status = {
        ItemStatus.FAILED: RolloutStatus.FAILED,
        ItemStatus.SKIPPED: RolloutStatus.NOT_STARTED,
    }.get(result.status, RolloutStatus.CANCELLED)
    error = result.error
    message = str(error) if error is not None else result.status.value.lower()
    if isinstance(error, ProtonError):
        message = f"{error.code}: {error.message}"
    return RolloutResult(
        target=item.target,
        status=status,
        from_version=item.version,
        to_version=version,
        action=item.action,
        message=message,
        error=error,
    )
