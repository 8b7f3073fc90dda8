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
import sys
from collections.abc import Awaitable, Iterable, Mapping
from typing import Protocol, TypeVar

import attrs

from .._client import ProtonClient
from .._generated import models
from ..clock import Clock
from ..observe import Observer, Observers, observers_of
from .history import DeploymentHistory, DurationEstimate
from .schedule import ExponentialBackoff, HistoryAwareSchedule, PollSchedule
from .states import (
    DEPLOYED,
    DEPLOYMENT_FINISHED,
    REGISTERED,
    RESOURCE_DELETED,
    SERVICE_DELETED,
    SERVICE_SETTLED,
    SETTLED,
    WaitVerdict,
)
from .targets import (
    ComponentTarget,
    Deployed,
    DeploymentTarget,
    EnvironmentTarget,
    ServiceInstanceTarget,
    ServicePipelineTarget,
    target_of,
)
from .waiter import OnChange, Probe, Waiter

if sys.version_info >= (3, 11):
    from typing import TypedDict, Unpack
else:  # pragma: no cover - exercised on Python 3.10
    from typing_extensions import TypedDict, Unpack

__all__ = ["WaitOptions", "Waiters"]

T = TypeVar("T")
V = TypeVar("V", models.EnvironmentTemplateVersion, models.ServiceTemplateVersion)
V_co = TypeVar(
    "V_co", models.EnvironmentTemplateVersion, models.ServiceTemplateVersion, covariant=True
)


class _GetVersion(Protocol[V_co]):
    """``ProtonClient.get_{environment,service}_template_version``."""

    def __call__(
        self, *, template_name: str, major_version: str, minor_version: str
    ) -> Awaitable[V_co]: ...


class _WaitDeadline(TypedDict):
    """The required ``timeout`` of every wait.

    A base of its own, so that ``timeout`` is required at runtime too (``Required``
    inside postponed annotations is not seen by TypedDict on Python 3.10 and 3.11).
    """

    timeout: float


class WaitOptions(_WaitDeadline, total=False):
    """The keywords every :class:`Waiters` method takes (only ``timeout`` is required).

    ``timeout``: clock seconds the whole wait may take. ``max_attempts``: a cap on the
    number of polls. ``on_change``: called with every :class:`StateChange` (replaces the
    ``Waiters``' own). ``schedule``: the :class:`PollSchedule` for this wait (replaces
    the default one).
    """

    max_attempts: int | None
    on_change: OnChange | None
    schedule: PollSchedule | None


_WAIT_KEYWORDS = WaitOptions.__required_keys__ | WaitOptions.__optional_keys__

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
    :class:`DeploymentHistory` deployment waiters consult (``True``: one made here and
    shared by every waiter; ``False``: none, and deployment waiters poll on their
    schedule's fallback). With history, a deployment wait on a schedule that uses it
    costs at most ``history.max_pages`` ListDeployments requests (one by default) for a
    target whose durations are not cached yet, and none once they are; a resource on
    its first deployment reads nothing.
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
        observers: Iterable[Observer] | Observers | None = None,
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
        # The client's observers by default, like its clock.
        self.observers: Observers = (
            observers_of(observers) if observers is not None else proton.observers
        )

    # ------------------------------------------------------------------ deployments

    def deployed(
        self, target: DeploymentTarget[Deployed], **options: Unpack[WaitOptions]
    ) -> Waiter[Deployed]:
        """Until ``target``'s deployment SUCCEEDED (FAILED, CANCELLED raise)."""
        probe = self._deployment_probe(target, "Deployed", DEPLOYED)
        return self._make(probe, DEPLOYMENT_SCHEDULE, options)

    def cancel_finished(
        self, target: DeploymentTarget[Deployed], **options: Unpack[WaitOptions]
    ) -> Waiter[Deployed]:
        """Until a cancel settles: CANCELLED, or SUCCEEDED/FAILED if the deployment won.

        Every one of the three is a normal end of a cancel and returns the resource;
        :func:`~aioproton.workflow.cancel.cancel_deployment` tells them apart.
        """
        probe = self._deployment_probe(target, "CancelFinished", SETTLED)
        return self._make(probe, CANCEL_SCHEDULE, options)

    def settled(
        self, target: DeploymentTarget[Deployed], **options: Unpack[WaitOptions]
    ) -> Waiter[Deployed]:
        """Until whatever deployment is running on ``target`` ends, however it ends.

        For resuming work: a restarted process finds a deployment it may have started
        itself and waits for it before deciding what to do.
        """
        probe = self._deployment_probe(target, "Settled", SETTLED)
        return self._make(probe, DEPLOYMENT_SCHEDULE, options)

    def environment_deployed(
        self, name: str, **options: Unpack[WaitOptions]
    ) -> Waiter[models.Environment]:
        """Until the environment's deployment SUCCEEDED; FAILED or CANCELLED raise.

        Polls GetEnvironment on the deployment schedule and returns the environment in its
        final state; see :meth:`deployed` for any target and `WaitOptions` for ``timeout``,
        ``on_change`` and the other options.
        """
        return self.deployed(EnvironmentTarget(name), **options)

    def service_instance_deployed(
        self, service_name: str, name: str, **options: Unpack[WaitOptions]
    ) -> Waiter[models.ServiceInstance]:
        """Until the service instance's deployment SUCCEEDED; FAILED or CANCELLED raise.

        Polls GetServiceInstance and returns the instance in its final state (see
        :meth:`deployed`).
        """
        return self.deployed(ServiceInstanceTarget(service_name, name), **options)

    def service_pipeline_deployed(
        self, service_name: str, **options: Unpack[WaitOptions]
    ) -> Waiter[models.ServicePipeline]:
        """Until the service's pipeline deployment SUCCEEDED; FAILED or CANCELLED raise.

        Polls GetService and returns its pipeline in its final state (see :meth:`deployed`).
        """
        return self.deployed(ServicePipelineTarget(service_name), **options)

    def component_deployed(
        self, name: str, **options: Unpack[WaitOptions]
    ) -> Waiter[models.Component]:
        """Until the component's deployment SUCCEEDED; FAILED or CANCELLED raise.

        Polls GetComponent and returns the component in its final state (see
        :meth:`deployed`).
        """
        return self.deployed(ComponentTarget(name), **options)

    def deployment_finished(
        self, deployment_id: str, **options: Unpack[WaitOptions]
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
            kind="deployment",
            names=(deployment_id,),
            subject=f"deployment {deployment_id}",
            operation="GetDeployment",
            fetch=fetch,
            status=lambda record: record.deployment_status,
            message=lambda record: record.deployment_status_message,
            verdicts=DEPLOYMENT_FINISHED,
            started_at=lambda record: _epoch(record.created_at),
            estimate=estimate,
            deployment_id=lambda record: record.id,
        )
        return self._make(probe, DEPLOYMENT_SCHEDULE, options)

    # ------------------------------------------------------------------ services

    def service_created(self, name: str, **options: Unpack[WaitOptions]) -> Waiter[models.Service]:
        """Until the service is ACTIVE (CREATE_FAILED* raise DeploymentFailedError)."""
        return self._service(name, "ServiceCreated", options, created=True)

    def service_updated(self, name: str, **options: Unpack[WaitOptions]) -> Waiter[models.Service]:
        """Until the service is ACTIVE again (UPDATE_FAILED* and
        UPDATE_COMPLETE_CLEANUP_FAILED raise DeploymentFailedError)."""
        return self._service(name, "ServiceUpdated", options, created=False)

    def service_deleted(
        self, name: str, **options: Unpack[WaitOptions]
    ) -> Waiter[models.Service | None]:
        """Until the service is gone (DELETE_FAILED raises DeleteFailedError)."""
        proton = self.proton

        async def fetch() -> models.Service | None:
            return await proton.get_service(name=name)

        probe: Probe[models.Service | None] = Probe(
            name="ServiceDeleted",
            kind="service",
            names=(name,),
            subject=f"service/{name}",
            operation="GetService",
            fetch=fetch,
            status=lambda service: _present(service).status,
            message=lambda service: _present(service).status_message,
            verdicts=SERVICE_DELETED,
            gone_is_success=True,
        )
        return self._make(probe, DELETE_SCHEDULE, options)

    # ------------------------------------------------------------------ deletes

    def environment_deleted(
        self, name: str, **options: Unpack[WaitOptions]
    ) -> Waiter[models.Environment | None]:
        """Until the environment is gone (DELETE_FAILED raises DeleteFailedError)."""
        return self._deleted(EnvironmentTarget(name), options)

    def component_deleted(
        self, name: str, **options: Unpack[WaitOptions]
    ) -> Waiter[models.Component | None]:
        """Until the component is gone (DELETE_FAILED raises DeleteFailedError)."""
        return self._deleted(ComponentTarget(name), options)

    # ------------------------------------------------------------------ template versions

    def environment_template_version_registered(
        self,
        template_name: str,
        major_version: str,
        minor_version: str,
        **options: Unpack[WaitOptions],
    ) -> Waiter[models.EnvironmentTemplateVersion]:
        """Until the version is DRAFT or PUBLISHED (REGISTRATION_FAILED raises)."""
        names = (template_name, major_version, minor_version)
        get = self.proton.get_environment_template_version
        return self._registered("Environment", names, get, options)

    def service_template_version_registered(
        self,
        template_name: str,
        major_version: str,
        minor_version: str,
        **options: Unpack[WaitOptions],
    ) -> Waiter[models.ServiceTemplateVersion]:
        """Until the version is DRAFT or PUBLISHED (REGISTRATION_FAILED raises)."""
        names = (template_name, major_version, minor_version)
        get = self.proton.get_service_template_version
        return self._registered("Service", names, get, options)

    def _registered(
        self,
        kind: str,
        names: tuple[str, str, str],
        get: _GetVersion[V],
        options: WaitOptions,
    ) -> Waiter[V]:
        template, major, minor = names

        async def fetch() -> V:
            return await get(template_name=template, major_version=major, minor_version=minor)

        probe: Probe[V] = Probe(
            name=f"{kind}TemplateVersionRegistered",
            kind=f"{kind.lower()} template version",
            names=names,
            subject=f"{kind.lower()}-template/{template}:{major}.{minor}",
            operation=f"Get{kind}TemplateVersion",
            fetch=fetch,
            status=lambda version: version.status,
            message=lambda version: version.status_message,
            verdicts=REGISTERED,
            started_at=lambda version: _epoch(version.created_at),
        )
        return self._make(probe, REGISTRATION_SCHEDULE, options)

    # ------------------------------------------------------------------ building blocks

    def _deployment_probe(
        self,
        target: DeploymentTarget[Deployed],
        suffix: str,
        verdicts: Mapping[str, WaitVerdict],
    ) -> Probe[Deployed]:
        proton, history = self.proton, self.history

        async def fetch() -> Deployed:
            return await target.get(proton)

        async def estimate(resource: Deployed) -> DurationEstimate | None:
            if history is None or resource.created_at == resource.last_deployment_attempted_at:
                return None  # its first deployment: there is no history to read
            return await history.estimate(
                proton, target, resource.arn, exclude_id=resource.last_attempted_deployment_id
            )

        return Probe(
            name=f"{_camel(target.kind)}{suffix}",
            kind=target.kind,
            names=target.names,
            subject=target.path,
            operation=target.get_operation,
            fetch=fetch,
            status=lambda resource: resource.deployment_status,
            message=lambda resource: resource.deployment_status_message,
            verdicts=verdicts,
            started_at=lambda resource: _epoch(resource.last_deployment_attempted_at),
            estimate=estimate,
            deployment_id=lambda resource: resource.last_attempted_deployment_id,
        )

    def _service(
        self, name: str, waiter: str, options: WaitOptions, *, created: bool
    ) -> Waiter[models.Service]:
        proton = self.proton

        async def fetch() -> models.Service:
            return await proton.get_service(name=name)

        def started(service: models.Service) -> float | None:
            return _epoch(service.created_at if created else service.last_modified_at)

        probe: Probe[models.Service] = Probe(
            name=waiter,
            kind="service",
            names=(name,),
            subject=f"service/{name}",
            operation="GetService",
            fetch=fetch,
            status=lambda service: service.status,
            message=lambda service: service.status_message,
            verdicts=SERVICE_SETTLED,
            started_at=started,
        )
        return self._make(probe, SERVICE_SCHEDULE, options)

    def _deleted(
        self, target: DeploymentTarget[Deployed], options: WaitOptions
    ) -> Waiter[Deployed | None]:
        proton = self.proton

        async def fetch() -> Deployed | None:
            return await target.get(proton)

        probe: Probe[Deployed | None] = Probe(
            name=f"{_camel(target.kind)}Deleted",
            kind=target.kind,
            names=target.names,
            subject=target.path,
            operation=target.get_operation,
            fetch=fetch,
            status=lambda resource: _present(resource).deployment_status,
            message=lambda resource: _present(resource).deployment_status_message,
            verdicts=RESOURCE_DELETED,
            gone_is_success=True,
            deployment_id=lambda resource: _present(resource).last_attempted_deployment_id,
        )
        return self._make(probe, DELETE_SCHEDULE, options)

    def _make(
        self,
        probe: Probe[T],
        default: HistoryAwareSchedule | ExponentialBackoff,
        options: WaitOptions,
    ) -> Waiter[T]:
        unknown = sorted(set(options) - _WAIT_KEYWORDS)
        if unknown or "timeout" not in options:
            problem = f"unexpected keyword {unknown[0]!r}" if unknown else "timeout= is required"
            raise TypeError(
                f"{probe.name} waiter: {problem}; a wait takes timeout= and optionally "
                "max_attempts=, on_change=, schedule="
            )
        schedule = options.get("schedule")
        if schedule is None:
            schedule = self._schedule if self._schedule is not None else self._bounded(default)
        on_change = options.get("on_change")
        if on_change is None:
            on_change = self._on_change
        return Waiter(
            probe,
            timeout=options["timeout"],
            schedule=schedule,
            max_attempts=options.get("max_attempts"),
            clock=self.clock,
            on_change=on_change,
            rng=random.Random(self._rng.random()),
            observers=self.observers,
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
        return attrs.evolve(default, min_delay=low, max_delay=high)

    def __repr__(self) -> str:
        return f"Waiters(clock={self.clock!r}, history={self.history is not None})"


def _camel(kind: str) -> str:
    return "".join(word.capitalize() for word in kind.split())
