"""A waiter for every long-running state of Proton.

:class:`Waiters` is bound to one client and shares its defaults (clock, schedule,
deployment history) with every waiter it makes::

    waiters = Waiters(proton)
    env = await waiters.environment_deployed("prod", timeout=1800)

    waiter = waiters.service_instance_deployed("api", "one", timeout=1800)
    async for change in waiter.progress():
        print(change.previous, "->", change.status)

Each waiter knows every final state of what it waits for: botocore's acceptors, plus
the states botocore leaves polling for 83 minutes (CANCELLED for a deployment,
DELETE_FAILED, a resource deleted underneath).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import attrs

from .._client import ProtonClient
from .._generated import models
from ..clock import Clock
from .history import DeploymentHistory, DurationEstimate
from .schedule import ExponentialBackoff, HistoryAwareSchedule, PollSchedule
from .targets import (
    ComponentTarget,
    DeploymentTarget,
    EnvironmentTarget,
    ServiceInstanceTarget,
    ServicePipelineTarget,
    target_of,
)
from .waiter import OnChange, Probe, Verdict, Waiter

__all__ = ["Waiters"]

R = TypeVar(
    "R",
    models.Environment,
    models.ServiceInstance,
    models.ServicePipeline,
    models.Component,
)
T = TypeVar("T")
V = TypeVar("V", models.EnvironmentTemplateVersion, models.ServiceTemplateVersion)

_D = models.DeploymentStatus
_S = models.ServiceStatus
_V = models.TemplateVersionStatus

DEPLOYED: Mapping[str, Verdict] = {
    _D.SUCCEEDED: Verdict.SUCCESS,
    _D.FAILED: Verdict.FAILED,
    _D.CANCELLED: Verdict.CANCELLED,
    _D.DELETE_FAILED: Verdict.DELETE_FAILED,
    _D.DELETE_COMPLETE: Verdict.GONE,
}
SETTLED: Mapping[str, Verdict] = {
    _D.CANCELLED: Verdict.SUCCESS,
    _D.SUCCEEDED: Verdict.SUCCESS,
    _D.FAILED: Verdict.SUCCESS,
    _D.DELETE_FAILED: Verdict.DELETE_FAILED,
    _D.DELETE_COMPLETE: Verdict.GONE,
}
DEPLOYMENT_FINISHED: Mapping[str, Verdict] = {
    _D.SUCCEEDED: Verdict.SUCCESS,
    _D.DELETE_COMPLETE: Verdict.SUCCESS,
    _D.FAILED: Verdict.FAILED,
    _D.CANCELLED: Verdict.CANCELLED,
    _D.DELETE_FAILED: Verdict.DELETE_FAILED,
}
RESOURCE_DELETED: Mapping[str, Verdict] = {_D.DELETE_FAILED: Verdict.DELETE_FAILED}

_CREATE_FAILED = (
    _S.CREATE_FAILED,
    _S.CREATE_FAILED_CLEANUP_COMPLETE,
    _S.CREATE_FAILED_CLEANUP_FAILED,
)
_UPDATE_FAILED = (
    _S.UPDATE_FAILED,
    _S.UPDATE_FAILED_CLEANUP_COMPLETE,
    _S.UPDATE_FAILED_CLEANUP_FAILED,
    _S.UPDATE_COMPLETE_CLEANUP_FAILED,
)
SERVICE_SETTLED: Mapping[str, Verdict] = {
    _S.ACTIVE: Verdict.SUCCESS,
    **dict.fromkeys(_CREATE_FAILED, Verdict.FAILED),
    **dict.fromkeys(_UPDATE_FAILED, Verdict.FAILED),
    _S.DELETE_FAILED: Verdict.DELETE_FAILED,
}
SERVICE_DELETED: Mapping[str, Verdict] = {_S.DELETE_FAILED: Verdict.DELETE_FAILED}
REGISTERED: Mapping[str, Verdict] = {
    _V.DRAFT: Verdict.SUCCESS,
    _V.PUBLISHED: Verdict.SUCCESS,
    _V.REGISTRATION_FAILED: Verdict.REGISTRATION_FAILED,
}

#: Default schedules: deployments use their history; the rest back off exponentially.
DEPLOYMENT_SCHEDULE = HistoryAwareSchedule(min_delay=3.0, max_delay=60.0)
CANCEL_SCHEDULE = ExponentialBackoff(min_delay=1.0, max_delay=15.0)
SERVICE_SCHEDULE = ExponentialBackoff(min_delay=2.0, max_delay=30.0)
DELETE_SCHEDULE = ExponentialBackoff(min_delay=2.0, max_delay=30.0)
REGISTRATION_SCHEDULE = ExponentialBackoff(min_delay=1.0, max_delay=10.0)


def _epoch(moment: datetime.datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _present(resource: T | None) -> T:
    assert resource is not None, "a waiter reads statuses only from resources it fetched"
    return resource


class Waiters:
    """Makes waiters bound to ``proton``, sharing a clock, schedule and history.

    ``min_delay``/``max_delay`` replace the bounds of each waiter's default schedule;
    ``schedule`` replaces the schedule outright. ``history`` is the
    :class:`DeploymentHistory` deployment waiters consult (``True``: a shared one made
    here; ``False``: never read history, which costs one ListDeployments per wait).
    """

    def __init__(
        self,
        proton: ProtonClient,
        *,
        clock: Clock | None = None,
        schedule: PollSchedule | None = None,
        min_delay: float | None = None,
        max_delay: float | None = None,
        history: DeploymentHistory | bool = True,
        on_change: OnChange | None = None,
        seed: int | None = None,
    ) -> None:
        if schedule is not None and (min_delay is not None or max_delay is not None):
            raise ValueError("give either schedule= or min_delay=/max_delay=, not both")
        self.proton = proton
        # The client's clock by default: a test that gave the client the emulator's
        # manual clock gets waiters on the same timeline without saying it twice.
        self.clock: Clock = clock if clock is not None else proton.clock
        self._schedule = schedule
        self._min_delay = min_delay
        self._max_delay = max_delay
        if history is True:
            history = DeploymentHistory()
        self.history: DeploymentHistory | None = history or None
        self._on_change = on_change
        self._rng = random.Random(seed)

    # ------------------------------------------------------------------ deployments

    def deployed(
        self,
        target: DeploymentTarget[R],
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
        schedule: PollSchedule | None = None,
    ) -> Waiter[R]:
        """Until ``target``'s deployment SUCCEEDED (FAILED, CANCELLED raise)."""
        probe = self._deployment_probe(target, "Deployed", DEPLOYED)
        return self._make(probe, DEPLOYMENT_SCHEDULE, timeout, max_attempts, on_change, schedule)

    def cancel_finished(
        self,
        target: DeploymentTarget[R],
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
        schedule: PollSchedule | None = None,
    ) -> Waiter[R]:
        """Until a cancel settles: CANCELLED, or SUCCEEDED/FAILED if the deployment won.

        Every one of the three is a normal end of a cancel and returns the resource;
        :func:`~aioproton.workflow.cancel.cancel_deployment` tells them apart.
        """
        probe = self._deployment_probe(target, "CancelFinished", SETTLED)
        return self._make(probe, CANCEL_SCHEDULE, timeout, max_attempts, on_change, schedule)

    def settled(
        self,
        target: DeploymentTarget[R],
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
        schedule: PollSchedule | None = None,
    ) -> Waiter[R]:
        """Until whatever deployment is running on ``target`` ends, however it ends.

        For resuming work: a restarted process finds a deployment it may have started
        itself and waits for it before deciding what to do.
        """
        probe = self._deployment_probe(target, "Settled", SETTLED)
        return self._make(probe, DEPLOYMENT_SCHEDULE, timeout, max_attempts, on_change, schedule)

    def environment_deployed(
        self, name: str, *, timeout: float, max_attempts: int | None = None
    ) -> Waiter[models.Environment]:
        return self.deployed(EnvironmentTarget(name), timeout=timeout, max_attempts=max_attempts)

    def service_instance_deployed(
        self,
        service_name: str,
        name: str,
        *,
        timeout: float,
        max_attempts: int | None = None,
    ) -> Waiter[models.ServiceInstance]:
        return self.deployed(
            ServiceInstanceTarget(service_name, name), timeout=timeout, max_attempts=max_attempts
        )

    def service_pipeline_deployed(
        self, service_name: str, *, timeout: float, max_attempts: int | None = None
    ) -> Waiter[models.ServicePipeline]:
        return self.deployed(
            ServicePipelineTarget(service_name), timeout=timeout, max_attempts=max_attempts
        )

    def component_deployed(
        self, name: str, *, timeout: float, max_attempts: int | None = None
    ) -> Waiter[models.Component]:
        return self.deployed(ComponentTarget(name), timeout=timeout, max_attempts=max_attempts)

    def deployment_finished(
        self,
        deployment_id: str,
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
        schedule: PollSchedule | None = None,
    ) -> Waiter[models.Deployment]:
        """Until a deployment record is final (GetDeployment)."""
        proton = self.proton

        async def fetch() -> models.Deployment:
            return await proton.get_deployment(id=deployment_id)

        async def estimate(record: models.Deployment) -> DurationEstimate | None:
            if self.history is None:
                return None
            return await self.history.estimate(
                proton, target_of(record), record.target_arn, exclude_id=record.id
            )

        probe: Probe[models.Deployment] = Probe(
            name="DeploymentFinished",
            subject=f"deployment {deployment_id}",
            operation="GetDeployment",
            fetch=fetch,
            status=lambda record: record.deployment_status,
            message=lambda record: record.deployment_status_message,
            verdicts=DEPLOYMENT_FINISHED,
            started_at=lambda record: _epoch(record.created_at),
            estimate=estimate,
        )
        return self._make(probe, DEPLOYMENT_SCHEDULE, timeout, max_attempts, on_change, schedule)

    # ------------------------------------------------------------------ services

    def service_created(
        self,
        name: str,
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
    ) -> Waiter[models.Service]:
        """Until the service is ACTIVE (CREATE_FAILED* raise DeploymentFailedError)."""
        return self._service(name, "ServiceCreated", timeout, max_attempts, on_change, created=True)

    def service_updated(
        self,
        name: str,
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
    ) -> Waiter[models.Service]:
        """Until the service is ACTIVE again (UPDATE_FAILED* and
        UPDATE_COMPLETE_CLEANUP_FAILED raise DeploymentFailedError)."""
        return self._service(
            name, "ServiceUpdated", timeout, max_attempts, on_change, created=False
        )

    def service_deleted(
        self,
        name: str,
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
    ) -> Waiter[models.Service | None]:
        """Until the service is gone (DELETE_FAILED raises DeleteFailedError)."""
        proton = self.proton

        async def fetch() -> models.Service | None:
            return await proton.get_service(name=name)

        probe: Probe[models.Service | None] = Probe(
            name="ServiceDeleted",
            subject=f"service/{name}",
            operation="GetService",
            fetch=fetch,
            status=lambda service: _present(service).status,
            message=lambda service: _present(service).status_message,
            verdicts=SERVICE_DELETED,
            gone_is_success=True,
        )
        return self._make(probe, DELETE_SCHEDULE, timeout, max_attempts, on_change, None)

    # ------------------------------------------------------------------ deletes

    def environment_deleted(
        self,
        name: str,
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
    ) -> Waiter[models.Environment | None]:
        """Until the environment is gone (DELETE_FAILED raises DeleteFailedError)."""
        return self._deleted(EnvironmentTarget(name), timeout, max_attempts, on_change)

    def component_deleted(
        self,
        name: str,
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
    ) -> Waiter[models.Component | None]:
        """Until the component is gone (DELETE_FAILED raises DeleteFailedError)."""
        return self._deleted(ComponentTarget(name), timeout, max_attempts, on_change)

    # ------------------------------------------------------------------ template versions

    def environment_template_version_registered(
        self,
        template_name: str,
        major_version: str,
        minor_version: str,
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
    ) -> Waiter[models.EnvironmentTemplateVersion]:
        """Until the version is DRAFT or PUBLISHED (REGISTRATION_FAILED raises)."""
        proton = self.proton

        async def fetch() -> models.EnvironmentTemplateVersion:
            return await proton.get_environment_template_version(
                template_name=template_name,
                major_version=major_version,
                minor_version=minor_version,
            )

        subject = f"environment-template/{template_name}:{major_version}.{minor_version}"
        return self._registered("Environment", subject, fetch, timeout, max_attempts, on_change)

    def service_template_version_registered(
        self,
        template_name: str,
        major_version: str,
        minor_version: str,
        *,
        timeout: float,
        max_attempts: int | None = None,
        on_change: OnChange | None = None,
    ) -> Waiter[models.ServiceTemplateVersion]:
        """Until the version is DRAFT or PUBLISHED (REGISTRATION_FAILED raises)."""
        proton = self.proton

        async def fetch() -> models.ServiceTemplateVersion:
            return await proton.get_service_template_version(
                template_name=template_name,
                major_version=major_version,
                minor_version=minor_version,
            )

        subject = f"service-template/{template_name}:{major_version}.{minor_version}"
        return self._registered("Service", subject, fetch, timeout, max_attempts, on_change)

    def _registered(
        self,
        kind: str,
        subject: str,
        fetch: Callable[[], Awaitable[V]],
        timeout: float,
        max_attempts: int | None,
        on_change: OnChange | None,
    ) -> Waiter[V]:
        probe: Probe[V] = Probe(
            name=f"{kind}TemplateVersionRegistered",
            subject=subject,
            operation=f"Get{kind}TemplateVersion",
            fetch=fetch,
            status=lambda version: version.status,
            message=lambda version: version.status_message,
            verdicts=REGISTERED,
            started_at=lambda version: _epoch(version.created_at),
        )
        return self._make(probe, REGISTRATION_SCHEDULE, timeout, max_attempts, on_change, None)

    # ------------------------------------------------------------------ building blocks

    def _deployment_probe(
        self, target: DeploymentTarget[R], suffix: str, verdicts: Mapping[str, Verdict]
    ) -> Probe[R]:
        proton, history = self.proton, self.history

        async def fetch() -> R:
            return await target.get(proton)

        async def estimate(resource: R) -> DurationEstimate | None:
            if history is None or resource.created_at == resource.last_deployment_attempted_at:
                return None  # its first deployment: there is no history to read
            return await history.estimate(
                proton, target, resource.arn, exclude_id=resource.last_attempted_deployment_id
            )

        kind = "".join(word.capitalize() for word in target.kind.split())
        return Probe(
            name=f"{kind}{suffix}",
            subject=target.path,
            operation=target.get_operation,
            fetch=fetch,
            status=lambda resource: resource.deployment_status,
            message=lambda resource: resource.deployment_status_message,
            verdicts=verdicts,
            started_at=lambda resource: _epoch(resource.last_deployment_attempted_at),
            estimate=estimate,
        )

    def _service(
        self,
        name: str,
        waiter: str,
        timeout: float,
        max_attempts: int | None,
        on_change: OnChange | None,
        *,
        created: bool,
    ) -> Waiter[models.Service]:
        proton = self.proton

        async def fetch() -> models.Service:
            return await proton.get_service(name=name)

        def started(service: models.Service) -> float | None:
            return _epoch(service.created_at if created else service.last_modified_at)

        probe: Probe[models.Service] = Probe(
            name=waiter,
            subject=f"service/{name}",
            operation="GetService",
            fetch=fetch,
            status=lambda service: service.status,
            message=lambda service: service.status_message,
            verdicts=SERVICE_SETTLED,
            started_at=started,
        )
        return self._make(probe, SERVICE_SCHEDULE, timeout, max_attempts, on_change, None)

    def _deleted(
        self,
        target: DeploymentTarget[R],
        timeout: float,
        max_attempts: int | None,
        on_change: OnChange | None,
    ) -> Waiter[R | None]:
        proton = self.proton

        async def fetch() -> R | None:
            return await target.get(proton)

        kind = "".join(word.capitalize() for word in target.kind.split())
        probe: Probe[R | None] = Probe(
            name=f"{kind}Deleted",
            subject=target.path,
            operation=target.get_operation,
            fetch=fetch,
            status=lambda resource: _present(resource).deployment_status,
            message=lambda resource: _present(resource).deployment_status_message,
            verdicts=RESOURCE_DELETED,
            gone_is_success=True,
        )
        return self._make(probe, DELETE_SCHEDULE, timeout, max_attempts, on_change, None)

    def _make(
        self,
        probe: Probe[T],
        default: HistoryAwareSchedule | ExponentialBackoff,
        timeout: float,
        max_attempts: int | None,
        on_change: OnChange | None,
        schedule: PollSchedule | None,
    ) -> Waiter[T]:
        if schedule is None:
            schedule = self._schedule
        if schedule is None:
            schedule = self._bounded(default)
        return Waiter(
            probe,
            timeout=timeout,
            schedule=schedule,
            max_attempts=max_attempts,
            clock=self.clock,
            on_change=on_change if on_change is not None else self._on_change,
            rng=random.Random(self._rng.random()),
        )

    def _bounded(
        self, default: HistoryAwareSchedule | ExponentialBackoff
    ) -> HistoryAwareSchedule | ExponentialBackoff:
        """The default schedule with this instance's min/max delay, if given."""
        low = default.min_delay if self._min_delay is None else self._min_delay
        high = default.max_delay if self._max_delay is None else self._max_delay
        if self._min_delay is not None and self._max_delay is None:
            high = max(high, low)
        if self._max_delay is not None and self._min_delay is None:
            low = min(low, high)
        if isinstance(default, HistoryAwareSchedule):
            return attrs.evolve(default, min_delay=low, max_delay=high)
        return attrs.evolve(default, min_delay=low, max_delay=high)

    def __repr__(self) -> str:
        return f"Waiters(clock={self.clock!r}, history={self.history is not None})"
