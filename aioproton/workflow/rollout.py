"""Rolling a template version out to everything deployed from that template, in waves.

An environment template version goes to every environment on the template; a service
template version to every service instance on it. Each item gets a MINOR_VERSION
update (same major) or a MAJOR_VERSION update (a higher major), then the rollout waits
for its deployment and reports the item::

    rollout = Rollout(proton, service_template="web", version="1.3",
                      plan=canary(first=1, then="10%"), budget=FailureBudget(max_ratio=0.02),
                      gate=healthy, rollback=True, state=SqliteRolloutStateStore("ops.db"))
    print(await rollout.run(dry_run=True))     # the waves it would run
    report = await rollout.run()

Items that need an update go in waves (:mod:`.waves`); after each wave the ``gate``
(:mod:`.gates`) decides whether to go on. The rollout stops starting items when the
failure ``budget`` is spent, when ``pause()`` is called, after ``pause_after_wave``
waves, or at an approval step; with a ``state`` store (:mod:`.rollout_state`) another
run, in this process or another, goes on exactly where it stopped.

Every item is also read again just before it is handled, so an item already on the
target version is skipped, an item whose deployment is still running (perhaps started
by a run that crashed) is waited for first, and the update requests go through
:class:`~aioproton.workflow.idempotency.IdempotentCalls` (a durable token store keeps a
restarted run from starting a second deployment). Items on a later version than the
target are never downgraded.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import attrs

from .. import _logfields as F
from .._client import ClientWithOptions, ProtonClient
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
from ._claims import ClaimLost as _ClaimLost
from ._claims import ItemClaim
from .bulk import check_concurrency
from .cancel import CancelGuard, cancel_on_exit
from .gates import Gate, GateCheck, GateDecision
from .idempotency import DurableRetry, IdempotentCalls
from .leases import _holder_id
from .ratelimit import MaxRate
from .rollout_results import (
    FINAL,
    RolloutAction,
    RolloutItem,
    RolloutReport,
    RolloutResult,
    RolloutStatus,
    StopReason,
    Version,
    action_for,
    parse_version,
    render_version,
)
from .rollout_state import (
    CLAIMABLE,
    ItemState,
    MemoryRolloutStateStore,
    RolloutPhase,
    RolloutState,
    RolloutStateStore,
)
from .targets import DeploymentTarget, EnvironmentTarget, ServiceInstanceTarget
from .tokens import TokenStore
from .waiters import Waiters
from .waves import FailureBudget, Plan, PlanError, Step, all_at_once

# Its results and report live in (and are documented with) .rollout_results.
__all__ = ["Rollout"]

logger: logging.Logger = logging.getLogger("aioproton.workflow.rollout")
#: Decisions about waves (started, stopped, resumed, rolled back), apart from the items.
wave_logger: logging.Logger = logging.getLogger("aioproton.workflow.rollout.waves")

_D = models.DeploymentStatus
_BUSY = (_D.IN_PROGRESS, _D.CANCELLING, _D.DELETE_IN_PROGRESS)
_UPDATES = (RolloutAction.MINOR_VERSION, RolloutAction.MAJOR_VERSION)
#: Stops after which the current wave's items are rolled back (``rollback=True``).
_ROLL_BACK_ON = (StopReason.GATE_FAILED, StopReason.FAILURE_BUDGET, StopReason.FAIL_FAST)

#: Called as each wave starts: (wave from 1, waves in all, items in the wave).
WaveCallback = Callable[[int, int, int], Any]


class Rollout:
    """Rolls one template version out to every environment or service instance on it.

    Name exactly one of ``environment_template`` and ``service_template``. ``version``
    is ``"major.minor"``, or ``"major"`` for that major's recommended minor; it must
    be PUBLISHED. ``concurrency`` items run at once. ``max_rate`` bounds the rollout's
    own update requests with a :class:`~aioproton.workflow.ratelimit.MaxRate`: at most
    ``burst`` (default 1) start in any window of ``burst / max_rate`` clock seconds,
    lower after throttling; a request counts from when it starts, so slow answers
    cost no rate (``concurrency`` bounds those in flight). Reads, waiter polls and
    other users of the client are not paced, and the client's own ``rate_limiter`` is
    left alone; ``rate_limiter`` paces the updates with a limiter of the caller's
    instead. ``wait_timeout`` bounds each
    item's deployment (clock seconds). ``store`` keeps the update tokens; pass a
    :class:`~aioproton.workflow.tokens.SqliteTokenStore` to survive restarts.

    Waves and policy: ``plan`` (default all at once), ``order_by`` and ``group_by``
    (key functions of a :class:`RolloutItem`; a wave never spans two groups),
    ``budget`` (a :class:`~aioproton.workflow.waves.FailureBudget`), ``gate`` (after
    each wave, or after each item with ``gate_each_item``), ``rollback`` (return the
    wave's items to their previous versions when a gate or the budget stops the
    rollout), ``pause_after_wave`` (pause once that many waves are done). ``state``
    keeps the progress under ``rollout_id`` (default: the template, version and
    kind); the default store lives as long as this object.

    ``shared=True``: several runs of the same rollout (replicas, on several hosts with
    a :class:`~aioproton.workflow.rollout_state_postgres.PostgresRolloutStateStore`)
    split its items, each claimed by one run for ``claim_ttl`` seconds and renewed
    while it works; the items of a run that died are claimed by another once its
    claims expire. Each attempt of an update first confirms the claim (renewing it when
    less than half of ``claim_ttl`` is left), and a result is recorded only while the
    claim stands. A run stopped between that check and the send could still send late:
    give the replicas one token ``store`` (a
    :class:`~aioproton.workflow.postgres.PostgresTokenStore`), so the service performs
    such a repeat once. Every run waits for a wave to finish before the next, runs the gate
    itself (any ROLL_BACK stops them all, each rolling back the items it handled),
    and returns the same report, which :meth:`report` also reads at any time.

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
        plan: Plan | None = None,
        order_by: Callable[[RolloutItem], Any] | None = None,
        group_by: Callable[[RolloutItem], Hashable] | None = None,
        budget: FailureBudget | None = None,
        gate: Gate | None = None,
        gate_each_item: bool = False,
        rollback: bool = False,
        pause_after_wave: int | None = None,
        state: RolloutStateStore | None = None,
        rollout_id: str | None = None,
        shared: bool = False,
        claim_ttl: float = 30.0,
        claim_poll: float = 0.5,
        observers: Iterable[Observer] | Observers | None = None,
    ) -> None:
        if (environment_template is None) == (service_template is None):
            raise ValueError("name exactly one of environment_template= and service_template=")
        if max_rate is not None and rate_limiter is not None:
            raise ValueError("give either max_rate= or rate_limiter=, not both")
        if burst is not None and max_rate is None:
            raise ValueError("burst= goes with max_rate=; give max_rate= too")
        if shared and state is None:
            raise PlanError(
                "shared=True splits the items between replicas through a state store: "
                "give state= (a SqliteRolloutStateStore or PostgresRolloutStateStore)"
            )
        if claim_ttl <= 0 or claim_poll <= 0:
            raise PlanError("claim_ttl and claim_poll are positive seconds")
        if pause_after_wave is not None and pause_after_wave < 1:
            raise PlanError(f"pause_after_wave counts waves from 1, not {pause_after_wave}")
        self.proton = proton
        self.kind = "environment" if environment_template is not None else "service"
        self.template: str = environment_template or service_template or ""
        self.requested_version = version
        self.concurrency = concurrency
        self.wait_timeout = wait_timeout
        self.fail_fast = fail_fast
        self.strict = strict
        self.cancel_in_flight_on_exit = cancel_in_flight_on_exit
        self.cancel_timeout = cancel_timeout
        self.clock: Clock = clock if clock is not None else proton.clock
        self.observers: Observers = (
            observers_of(observers) if observers is not None else proton.observers
        )
        self.calls: IdempotentCalls = IdempotentCalls(
            store=store, retry=retry, clock=self.clock, observers=self.observers
        )
        self.waiters: Waiters = (
            waiters
            if waiters is not None
            else Waiters(proton, clock=self.clock, observers=self.observers)
        )
        self.rate_limiter: RateLimiter | None = rate_limiter
        if max_rate is not None:
            self.rate_limiter = MaxRate(max_rate=max_rate, burst=burst or 1, clock=self.clock)
        self.rollout_plan: Plan = plan if plan is not None else all_at_once()
        self.order_by = order_by
        self.group_by = group_by
        self.budget = budget
        self.gate = gate
        self.gate_each_item = gate_each_item
        self.rollback = rollback
        self.pause_after_wave = pause_after_wave
        self.state: RolloutStateStore = state if state is not None else MemoryRolloutStateStore()
        self._rollout_id = rollout_id
        self.shared = shared
        self.claim_ttl = claim_ttl
        self.claim_poll = claim_poll
        #: This run's name in item claims (host, process, a random part).
        self.holder: str = _holder_id()
        self._target_version: Version | None = None
        self._pause_requested = False
        #: The wave in progress (from 1) and how many there are; 0 before the first.
        self.wave = 0
        self.waves = 0

    # ------------------------------------------------------------------ planning

    async def target_version(self) -> str:
        """The exact version rolled out (resolving a bare major); checks it is PUBLISHED."""
        if self._target_version is None:
            self._target_version = await self._resolve()
        return render_version(self._target_version)

    async def rollout_id(self) -> str:
        """The name the rollout's state is kept under."""
        if self._rollout_id is None:
            version = await self.target_version()
            self._rollout_id = f"rollout/{self.kind}-template/{self.template}/{version}"
        return self._rollout_id

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

    async def _items(self) -> AsyncIterator[tuple[DeploymentTarget[Any], Version, str, str]]:
        if self.kind == "environment":
            async for env in self.proton.paginate.list_environments():
                if env.template_name == self.template:
                    yield (
                        EnvironmentTarget(env.name),
                        (int(env.template_major_version), int(env.template_minor_version)),
                        str(env.deployment_status),
                        env.name,
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
                    instance.environment_name,
                )

    async def plan(self) -> list[RolloutItem]:
        """Every item on the template and what the rollout would do to it (no changes)."""
        target = parse_version(await self.target_version())
        return [
            RolloutItem(
                target=item,
                version=render_version(version),
                deployment_status=status,
                action=action_for(version, target),
                environment=environment,
            )
            async for item, version, status, environment in self._items()
        ]

    def split(self, items: list[RolloutItem]) -> list[tuple[list[RolloutItem], Step]]:
        """The waves ``items`` would run in: those to update, and those still deploying."""
        moving = [
            item for item in items if item.action in _UPDATES or item.deployment_status in _BUSY
        ]
        return self.rollout_plan.waves(moving, order_by=self.order_by, group_by=self.group_by)

    # ------------------------------------------------------------------ running

    def pause(self) -> None:
        """Stop starting items; the run ends once the items in flight are done.

        Safe to call from a signal handler. The state store keeps where it stopped:
        running the rollout again (here, or in another process with the same store)
        goes on from there.
        """
        self._pause_requested = True

    async def reset(self) -> None:
        """Forget the stored progress: the next run plans afresh."""
        await self.state.discard(await self.rollout_id())

    async def report(self) -> RolloutReport | None:
        """The report of the stored rollout as it stands (any replica may ask); ``None``
        if it never started."""
        state = await self.state.load(await self.rollout_id())
        if state is None:
            return None
        run = _Run(self, state, await self.target_version(), await self.plan(), None, None)
        run._sync(state)
        stop = _decode(state.reason) if state.phase is not RolloutPhase.DONE else None
        run.stop = stop if state.phase is not RolloutPhase.RUNNING else None
        return run._report(state.wave)

    async def run(
        self,
        *,
        dry_run: bool = False,
        on_result: Callable[[RolloutResult], Any] | None = None,
        on_wave: WaveCallback | None = None,
    ) -> RolloutReport:
        """Roll out (or, ``dry_run``, only report the plan and its waves)."""
        version = await self.target_version()
        items = await self.plan()
        if dry_run:
            waves = self.split(items)
            numbers = {
                item.path: number for number, (wave, _) in enumerate(waves, 1) for item in wave
            }
            results = tuple(_planned(item, version, numbers.get(item.path, 0)) for item in items)
            return RolloutReport(
                template=self.template,
                version=version,
                dry_run=True,
                results=results,
                waves=tuple(tuple(item.path for item in wave) for wave, _ in waves),
            )
        check_concurrency(self.proton, self.concurrency, strict=self.strict)
        self._pause_requested = False
        state = await self._start(items)
        run = _Run(self, state, version, items, on_result, on_wave)
        observers = self.observers
        if observers:
            observers.emit(
                "on_rollout_start",
                RolloutStarted(template=self.template, version=version, items=len(items)),
            )
        error: BaseException | None = None
        report: RolloutReport | None = None
        try:
            report = await run.go()
            return report
        except BaseException as exc:
            error = exc
            raise
        finally:
            if observers:
                ok = error is None and report is not None and report.ok
                observers.emit(
                    "on_rollout_end",
                    RolloutEnded(template=self.template, version=version, ok=ok, error=error),
                )

    async def _start(self, items: list[RolloutItem]) -> RolloutState:
        """The stored state to go on from, or a new one for this plan."""
        rollout_id = await self.rollout_id()
        stored = await self.state.load(rollout_id)
        if stored is not None and self.shared and stored.phase is RolloutPhase.DONE:
            return stored
        if stored is not None and stored.phase is not RolloutPhase.DONE:
            wave_logger.info(
                "resuming rollout %s at wave %d of %d",
                rollout_id,
                stored.wave + 1,
                len(stored.waves),
                extra={"rollout": rollout_id, "wave": stored.wave + 1, "phase": stored.phase.value},
            )
            await self.state.advance(rollout_id, stored.wave, RolloutPhase.RUNNING, None)
            return attrs.evolve(stored, phase=RolloutPhase.RUNNING, reason=None)
        if stored is not None:
            await self.state.discard(rollout_id)
        waves = self.split(items)
        fresh = RolloutState(
            rollout_id=rollout_id,
            plan=str(self.rollout_plan),
            waves=tuple(tuple(item.path for item in wave) for wave, _ in waves),
            steps=tuple(str(step) for _, step in waves),
            items={
                item.path: ItemState(path=item.path, wave=number, previous_version=item.version)
                for number, (wave, _) in enumerate(waves)
                for item in wave
            },
        )
        return await self.state.create(fresh)

    async def _paced(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """One update request, paced by the rollout's own limiter (never the client's).

        The limiter then learns whether the service throttled it.
        """
        limiter = self.rate_limiter
        if limiter is None:
            return await call()
        await limiter.acquire()
        try:
            result = await call()
        except ProtonError as error:
            limiter.feedback(throttled=isinstance(error, ThrottlingError))
            raise
        limiter.feedback(throttled=False)
        return result

    async def _observed_roll(self, item: RolloutItem, fence: _Fence | None = None) -> RolloutResult:
        """:meth:`_roll` with its INFO record and observer events."""
        path = item.target.path
        if self.observers:
            self.observers.emit("on_rollout_item_start", RolloutItemStarted(target=path))
        result: RolloutResult | None = None
        error: BaseException | None = None
        try:
            result = await self._roll(item, fence)
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

    async def _roll(self, item: RolloutItem, fence: _Fence | None = None) -> RolloutResult:
        target = item.target
        version = await self.target_version()
        goal = parse_version(version)
        resource = await target.get(self.proton)
        waited = False
        if str(resource.deployment_status) in _BUSY:
            # Perhaps our own update from a run that stopped: let it finish first.
            resource = await self.waiters.settled(target, timeout=self.wait_timeout).wait()
            waited = True
        current = (int(resource.template_major_version), int(resource.template_minor_version))
        action = action_for(current, goal)
        if action is RolloutAction.SKIP_NEWER:
            return _result(item, RolloutStatus.SKIPPED_NEWER, current, version, action)
        if action is RolloutAction.SKIP_CURRENT:
            status = RolloutStatus.UPDATED if waited else RolloutStatus.ALREADY_CURRENT
            return _result(item, status, current, version, action)
        deployment_id = await self._deploy(target, action, goal, resource, "", fence)
        return _result(item, RolloutStatus.UPDATED, current, version, action, deployment_id)

    async def _deploy(
        self,
        target: DeploymentTarget[Any],
        action: RolloutAction,
        goal: Version,
        resource: Any,
        purpose: str,
        fence: _Fence | None = None,
    ) -> str | None:
        """Update ``target`` to ``goal`` and wait until it is deployed there."""
        if fence is not None:
            await fence.confirm()
        async with self._in_flight(target) as guard:
            updated = await self._update(
                target, action, goal, resource.last_attempted_deployment_id, purpose, fence
            )
            deployment_id = guard.deployment_id = updated.last_attempted_deployment_id
            final = await self.waiters.deployed(target, timeout=self.wait_timeout).wait()
        reached = (int(final.template_major_version), int(final.template_minor_version))
        if reached != goal:
            raise RuntimeError(
                f"{target.path} finished its deployment on {render_version(reached)}, "
                f"not {render_version(goal)}"
            )
        return str(deployment_id) if deployment_id is not None else None

    async def _roll_back(self, result: RolloutResult) -> RolloutResult:
        """Return one item to the version it had before the rollout."""
        target = result.target
        previous = parse_version(result.from_version)
        try:
            resource = await target.get(self.proton)
            if str(resource.deployment_status) in _BUSY:
                resource = await self.waiters.settled(target, timeout=self.wait_timeout).wait()
            current = (int(resource.template_major_version), int(resource.template_minor_version))
            healthy = str(resource.deployment_status) == _D.SUCCEEDED
            if current == previous and healthy:
                return result  # never changed: nothing to undo
            if current[0] != previous[0]:
                return attrs.evolve(
                    result,
                    status=RolloutStatus.ROLLBACK_FAILED,
                    message=(
                        f"now on {render_version(current)}: Proton cannot lower a major version;"
                        f" deploy {result.from_version} to it by hand if it must go back"
                    ),
                )
            deployment_id = await self._deploy(
                target, RolloutAction.MINOR_VERSION, previous, resource, "rollback/"
            )
        except Exception as error:
            return attrs.evolve(
                result,
                status=RolloutStatus.ROLLBACK_FAILED,
                message=f"rolling back to {result.from_version} failed: {_describe(error)}",
                error=error,
            )
        wave_logger.info(
            "rolled %s back to %s",
            target.path,
            result.from_version,
            extra={"target": target.path, "version": result.from_version},
        )
        return attrs.evolve(
            result,
            status=RolloutStatus.ROLLED_BACK,
            deployment_id=deployment_id,
            message=f"rolled back to {result.from_version} ({result.status.value.lower()})",
        )

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
        purpose: str,
        fence: _Fence | None = None,
    ) -> Any:
        # One key per (item, deployment it follows): a run restarted after a crash
        # resends the same request, while a retry after a failed deployment is new.
        key = (
            f"rollout/{self.kind}-template/{self.template}/{purpose}{render_version(goal)}"
            f"/{target.path}/after/{previous}"
        )
        kind = models.DeploymentUpdateType(action.value)
        major, minor = str(goal[0]), str(goal[1])
        # A shared rollout confirms its claim before each attempt is sent.
        proton = self.proton
        if fence is not None:
            proton = ClientWithOptions(self.proton, before_attempt=fence.confirm)
        if isinstance(target, EnvironmentTarget):
            return await self._paced(
                lambda: self.calls.call(
                    key,
                    proton.update_environment,
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
                proton.update_service_instance,
                name=target.name,
                service_name=target.service_name,
                deployment_type=kind,
                template_major_version=major,
                template_minor_version=minor,
            )
        )


class _Run:
    """One run of a rollout: its waves, what stopped it, and every result."""

    def __init__(
        self,
        rollout: Rollout,
        state: RolloutState,
        version: str,
        items: list[RolloutItem],
        on_result: Callable[[RolloutResult], Any] | None,
        on_wave: WaveCallback | None,
    ) -> None:
        self.rollout = rollout
        self.state = state
        self.version = version
        self.on_result = on_result
        self.on_wave = on_wave
        self.by_path = {item.path: item for item in items}
        self.results: dict[str, RolloutResult] = {}
        self.stop: tuple[StopReason, str] | None = None
        #: The items this run has given a result.
        self.handled: set[str] = set()
        for item in items:
            stored = state.items.get(item.path)
            if stored is None:
                # In no wave: nothing to do (already current, or newer).
                status = {
                    RolloutAction.SKIP_NEWER: RolloutStatus.SKIPPED_NEWER,
                }.get(item.action, RolloutStatus.ALREADY_CURRENT)
                self.results[item.path] = _planned(item, version, 0, status)
            elif stored.status != "PENDING":
                self.results[item.path] = self._from_state(item, stored)

    def _final(self, path: str) -> bool:
        result = self.results.get(path)
        return result is not None and result.status in FINAL

    def _from_state(self, item: RolloutItem, stored: ItemState) -> RolloutResult:
        return RolloutResult(
            target=item.target,
            status=RolloutStatus(stored.status),
            from_version=stored.previous_version,
            to_version=self.version,
            action=item.action,
            deployment_id=stored.deployment_id,
            message=stored.message,
            wave=stored.wave + 1,
        )

    @property
    def rollout_id(self) -> str:
        return self.state.rollout_id

    def _pause_wanted(self) -> bool:
        return self.rollout._pause_requested

    def _halted(self) -> bool:
        return self.stop is not None

    async def go(self) -> RolloutReport:
        waves = self.state.waves
        index = self.state.wave
        self.rollout.waves = len(waves)
        for result in list(self.results.values()):
            if not result.wave and self.on_result is not None:
                await _call(self.on_result, result)
        while index < len(waves) and not self._halted():
            self.rollout.wave = index + 1
            if self._pause_wanted():
                self._stop(StopReason.PAUSED, f"paused before wave {index + 1}")
                break
            paths = [
                path for path in waves[index] if path in self.by_path and not self._final(path)
            ]
            if self.on_wave is not None:
                self.on_wave(index + 1, len(waves), len(waves[index]))
            wave_logger.info(
                "rollout %s: wave %d of %d (%d items)",
                self.rollout_id,
                index + 1,
                len(waves),
                len(paths),
                extra={"rollout": self.rollout_id, "wave": index + 1, "items": len(paths)},
            )
            await self._wave(index, paths)
            finished = all(self._final(path) for path in paths)
            if not self._halted() and self._pause_wanted() and not finished:
                self._stop(StopReason.PAUSED, f"paused during wave {index + 1}")
            if (
                not self._halted()
                and self.rollout.gate is not None
                and not self.rollout.gate_each_item
            ):
                await self._gate(index, waves[index])
            if self.stop is not None and self.stop[0] in _ROLL_BACK_ON:
                if self.rollout.rollback:
                    await self._roll_back(index, waves[index])
                break
            if self._halted() and not finished:
                break  # paused mid-wave: its other items run when the rollout resumes
            index += 1
            await self.rollout.state.advance(self.rollout_id, index, RolloutPhase.RUNNING, None)
            if self._halted():
                break  # HELD or PAUSED once the wave was done: go on with the next
            await self._between(index, len(waves))
        phase = RolloutPhase.DONE
        reason = None
        if self.stop is not None:
            reason = f"{self.stop[0].value}: {self.stop[1]}"
            phase = RolloutPhase.STOPPED if self.stop[0] in _ROLL_BACK_ON else RolloutPhase.PAUSED
        await self.rollout.state.advance(self.rollout_id, index, phase, reason)
        if self.rollout.shared:
            state = await self.rollout.state.load(self.rollout_id)
            if state is not None:
                self._sync(state)
                index = state.wave
        return self._report(index)

    async def _between(self, done: int, total: int) -> None:
        """After wave ``done``: the step's pause or approval, or ``pause_after_wave``."""
        if done >= total:
            return
        step = Plan.parse(self.state.steps[done - 1]).steps[0] if self.state.steps else None
        if self.rollout.pause_after_wave == done:
            self._stop(StopReason.PAUSED, f"paused after wave {done} (pause_after_wave)")
        elif step is not None and step.approve:
            self._stop(
                StopReason.APPROVAL,
                f"wave {done} done; waiting for approval: run the rollout again to go on",
            )
        elif step is not None and step.pause:
            await self.rollout.clock.sleep(step.pause)

    def _stop(self, reason: StopReason, message: str) -> None:
        if self.stop is not None:
            return
        self.stop = (reason, message)
        wave_logger.log(
            logging.WARNING if reason in _ROLL_BACK_ON else logging.INFO,
            "rollout %s stopped: %s",
            self.rollout_id,
            message,
            extra={"rollout": self.rollout_id, "reason": reason.value, "wave": self.rollout.wave},
        )

    async def _wave(self, index: int, paths: list[str]) -> None:
        if self.rollout.shared:
            await self._shared_wave(index)
            return
        slots = anyio.Semaphore(self.rollout.concurrency)
        async with anyio.create_task_group() as group:
            for path in paths:
                await slots.acquire()
                if self.stop is not None or self._pause_wanted():
                    slots.release()
                    break
                group.start_soon(self._item, index, self.by_path[path], slots, group.cancel_scope)
        for path in paths:
            if path not in self.handled:
                await self._finish(self._unstarted(index, path, RolloutStatus.NOT_STARTED))

    async def _shared_wave(self, index: int) -> None:
        """Claim items of wave ``index`` until none is left, then wait for the others."""
        rollout = self.rollout
        slots = anyio.Semaphore(rollout.concurrency)
        async with anyio.create_task_group() as keeper:
            keeper.start_soon(self._keep_claims)
            async with anyio.create_task_group() as group:
                while not self._halted() and not self._pause_wanted():
                    free = slots.value
                    claimed = []
                    if free:
                        claimed = await rollout.state.claim(
                            self.rollout_id, index, rollout.holder, rollout.claim_ttl, free
                        )
                    for path in claimed:
                        await slots.acquire()
                        group.start_soon(self._claimed, index, path, slots, group.cancel_scope)
                    if claimed:
                        continue
                    if await self._settled(index):
                        break
                    await anyio.sleep(rollout.claim_poll)
            keeper.cancel_scope.cancel()
        state = await rollout.state.load(self.rollout_id)
        if state is not None:
            self._sync(state)

    async def _claimed(
        self, index: int, path: str, slots: anyio.Semaphore, scope: anyio.CancelScope
    ) -> None:
        item = self.by_path.get(path)
        if item is not None:
            await self._item(index, item, slots, scope)
            return
        slots.release()
        stored = self.state.items[path]
        await self.rollout.state.record(
            self.rollout_id,
            attrs.evolve(stored, status="FAILED", message="no longer on the template"),
            self.rollout.holder,
        )

    async def _keep_claims(self) -> None:
        rollout = self.rollout
        while True:
            await anyio.sleep(rollout.claim_ttl / 3)
            await rollout.state.renew_claims(self.rollout_id, rollout.holder, rollout.claim_ttl)

    async def _settled(self, index: int) -> bool:
        """Whether every item of wave ``index`` is done (by any replica); notes stops."""
        state = await self.rollout.state.load(self.rollout_id)
        if state is None:
            return True
        if state.phase in (RolloutPhase.PAUSED, RolloutPhase.STOPPED):
            stop = _decode(state.reason)
            self._stop(*(stop or (StopReason.PAUSED, "stopped by another replica")))
            return True
        self._check_budget(state)
        return all(
            item.status not in CLAIMABLE for item in state.items.values() if item.wave == index
        )

    def _check_budget(self, state: RolloutState) -> None:
        budget = self.rollout.budget
        if budget is None:
            return
        done = [i for i in state.items.values() if i.status not in CLAIMABLE]
        failed = sum(1 for i in done if i.status == RolloutStatus.FAILED.value)
        spent = budget.exceeded(failed, len(done))
        if spent is not None:
            self._stop(StopReason.FAILURE_BUDGET, spent)

    def _sync(self, state: RolloutState) -> None:
        """Take every stored outcome (all replicas' work) into the results."""
        for path, stored in state.items.items():
            item = self.by_path.get(path)
            if item is not None and stored.status not in ("PENDING",):
                self.results[path] = self._from_state(item, stored)

    async def _item(
        self, index: int, item: RolloutItem, slots: anyio.Semaphore, scope: anyio.CancelScope
    ) -> None:
        rollout = self.rollout
        fence: _Fence | None = None
        holder: str | None = None
        if rollout.shared:
            holder = rollout.holder
            fence = ItemClaim(rollout.state, self.rollout_id, item.path, holder, rollout.claim_ttl)
        try:
            try:
                result = await self.rollout._observed_roll(item, fence)
            except _ClaimLost:
                return  # logged; another replica takes the item over
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):
                    unstarted = self._unstarted(index, item.path, RolloutStatus.CANCELLED)
                    await self._finish(unstarted, holder)
                raise
            except Exception as error:
                result = attrs.evolve(
                    self._unstarted(index, item.path, RolloutStatus.FAILED),
                    message=_describe(error),
                    error=error,
                )
            if not await self._finish(attrs.evolve(result, wave=index + 1), holder):
                return  # our claim was taken: whoever holds it now records the item
            if result.status is RolloutStatus.FAILED:
                await self._charge(scope)
            elif self.rollout.gate is not None and self.rollout.gate_each_item:
                await self._gate(index, (item.path,))
        finally:
            slots.release()

    async def _charge(self, scope: anyio.CancelScope) -> None:
        """A failure: stop when fail-fast, or when the budget is spent."""
        if self.rollout.fail_fast:
            self._stop(StopReason.FAIL_FAST, "an item failed (fail_fast)")
            scope.cancel()
            return
        budget = self.rollout.budget
        if budget is None:
            return
        if self.rollout.shared:
            state = await self.rollout.state.load(self.rollout_id)
            if state is not None:
                self._check_budget(state)
            return
        done = [
            r for r in self.results.values() if r.wave and r.status is not RolloutStatus.NOT_STARTED
        ]
        failed = sum(1 for r in done if r.status is RolloutStatus.FAILED)
        spent = budget.exceeded(failed, len(done))
        if spent is not None:
            self._stop(StopReason.FAILURE_BUDGET, spent)

    async def _gate(self, index: int, paths: tuple[str, ...]) -> None:
        gate = self.rollout.gate
        assert gate is not None
        results = tuple(self.results[path] for path in paths if path in self.results)
        check = GateCheck(wave=index + 1, waves=len(self.state.waves), results=results)
        try:
            decision = await gate(check)
        except Exception as error:
            decision = GateDecision.ROLL_BACK
            wave_logger.warning(
                "health gate raised %s: counted as ROLL_BACK",
                _describe(error),
                extra={"rollout": self.rollout_id, "wave": index + 1},
            )
        where = f"after {paths[0]}" if self.rollout.gate_each_item else f"after wave {index + 1}"
        if decision is GateDecision.HOLD:
            self._stop(StopReason.HELD, f"the health gate said HOLD {where}")
        elif decision is not GateDecision.GO:
            self._stop(StopReason.GATE_FAILED, f"the health gate said ROLL_BACK {where}")

    async def _roll_back(self, index: int, paths: tuple[str, ...]) -> None:
        touched = [
            self.results[path]
            for path in paths
            if path in self.results
            and (path in self.handled or not self.rollout.shared)
            and self.results[path].status
            in (RolloutStatus.UPDATED, RolloutStatus.FAILED, RolloutStatus.CANCELLED)
        ]
        slots = anyio.Semaphore(self.rollout.concurrency)

        async def one(result: RolloutResult) -> None:
            async with slots:
                await self._finish(await self.rollout._roll_back(result))

        async with anyio.create_task_group() as group:
            for result in touched:
                group.start_soon(one, result)

    def _unstarted(self, index: int, path: str, status: RolloutStatus) -> RolloutResult:
        item = self.by_path[path]
        stored = self.state.items.get(path)
        return RolloutResult(
            target=item.target,
            status=status,
            from_version=stored.previous_version if stored is not None else item.version,
            to_version=self.version,
            action=item.action,
            message=status.value.lower().replace("_", " "),
            wave=index + 1,
        )

    async def _finish(self, result: RolloutResult, holder: str | None = None) -> bool:
        """Record ``result``; with ``holder``, only while that claim on it stands."""
        stored = self.state.items.get(result.target.path)
        if stored is not None:
            result = attrs.evolve(result, from_version=stored.previous_version)
        recorded = await self.rollout.state.record(
            self.rollout_id,
            ItemState(
                path=result.target.path,
                wave=max(0, result.wave - 1),
                previous_version=result.from_version,
                status=result.status.value,
                deployment_id=result.deployment_id,
                message=result.message,
            ),
            holder,
        )
        if not recorded:
            reason = "another replica took the claim"
            wave_logger.warning(
                "rollout %s: the claim on %s expired before its result was recorded (%s); "
                "its result (%s) is left to that replica",
                self.rollout_id,
                result.target.path,
                reason,
                result.status.value,
                extra={
                    "rollout": self.rollout_id,
                    "item": result.target.path,
                    "holder": holder,
                    "reason": reason,
                    "status": result.status.value,
                },
            )
            return False
        self.results[result.target.path] = result
        self.handled.add(result.target.path)
        if self.on_result is not None:
            await _call(self.on_result, result)
        return True

    def _report(self, index: int) -> RolloutReport:
        for number, paths in enumerate(self.state.waves):
            for path in paths:
                if path not in self.results and path in self.by_path:
                    self.results[path] = self._unstarted(number, path, RolloutStatus.NOT_STARTED)
        return RolloutReport(
            template=self.rollout.template,
            version=self.version,
            dry_run=False,
            results=tuple(self.results[item] for item in self.by_path if item in self.results),
            waves=self.state.waves,
            waves_done=index,
            stopped=self.stop[0] if self.stop is not None else None,
            reason=self.stop[1] if self.stop is not None else None,
            rollout_id=self.rollout_id,
        )


#: A shared rollout's claim on the item, confirmed before each update request.
_Fence = ItemClaim


def _decode(reason: str | None) -> tuple[StopReason, str] | None:
    """A stored reason (``"FAILURE_BUDGET: 3 of 60 ..."``) as the stop it records."""
    if not reason:
        return None
    kind, _, words = reason.partition(": ")
    try:
        return StopReason(kind), words
    except ValueError:
        return StopReason.PAUSED, reason


async def _call(callback: Callable[[RolloutResult], Any], result: RolloutResult) -> None:
    outcome = callback(result)
    if inspect.isawaitable(outcome):
        await outcome


def _describe(error: BaseException) -> str:
    if isinstance(error, ProtonError):
        return f"{error.code}: {error.message}"
    return str(error) or type(error).__name__


def _cancelled(guard: CancelGuard) -> None:
    outcome = guard.result.outcome.value if guard.result is not None else None
    logger.info(
        "rollout stopped: cancelled the deployment of %s (%s)",
        guard.target.path,
        outcome or "not cancelled",
        extra={"target": guard.target.path, "outcome": outcome, "timed_out": guard.timed_out},
    )


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
        from_version=render_version(current),
        to_version=version,
        action=action,
        deployment_id=deployment_id,
    )


def _planned(
    item: RolloutItem, version: str, wave: int, status: RolloutStatus | None = None
) -> RolloutResult:
    if status is None:
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
        wave=wave,
    )
