"""What ``aioproton wait`` can follow, and how each is read and waited for.

Each subject is read once before waiting: a name that does not exist or an endpoint
that cannot be reached is reported at once, instead of being polled (the waiter rides
out transient errors) until the timeout. The first reading also picks the waiter: a
service being deleted is waited for until it is gone, one being created until it is
active.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:  # the workflow layer loads when a subject is built, not for `--help`
    from .._client import ProtonClient
    from ..workflow import DeploymentTarget, Waiter, Waiters

MakeWaiter = Callable[["Waiters", Any, float], "Waiter[Any]"]


@attrs.frozen
class Subject:
    """One thing to follow: its path for display, a first read, and its waiter."""

    path: str
    read: Callable[[ProtonClient], Awaitable[Any]]
    waiter: MakeWaiter


def _deployable(target: DeploymentTarget[Any], deleted: MakeWaiter | None = None) -> Subject:
    def waiter(waiters: Waiters, first: Any, timeout: float) -> Waiter[Any]:
        if deleted is not None and str(first.deployment_status) == "DELETE_IN_PROGRESS":
            return deleted(waiters, first, timeout)
        return waiters.deployed(target, timeout=timeout)

    return Subject(target.path, target.get, waiter)


def _environment(args: argparse.Namespace) -> Subject:
    from ..workflow import EnvironmentTarget

    name = args.name
    return _deployable(
        EnvironmentTarget(name),
        lambda waiters, _, timeout: waiters.environment_deleted(name, timeout=timeout),
    )


def _component(args: argparse.Namespace) -> Subject:
    from ..workflow import ComponentTarget

    name = args.name
    return _deployable(
        ComponentTarget(name),
        lambda waiters, _, timeout: waiters.component_deleted(name, timeout=timeout),
    )


def _service_instance(args: argparse.Namespace) -> Subject:
    from ..workflow import ServiceInstanceTarget

    return _deployable(ServiceInstanceTarget(args.service, args.name))


def _service_pipeline(args: argparse.Namespace) -> Subject:
    from ..workflow import ServicePipelineTarget

    return _deployable(ServicePipelineTarget(args.service))


def _service(args: argparse.Namespace) -> Subject:
    name = args.name

    async def read(proton: ProtonClient) -> Any:
        return await proton.get_service(name=name)

    def waiter(waiters: Waiters, first: Any, timeout: float) -> Waiter[Any]:
        status = str(first.status)
        if status.startswith("DELETE"):
            return waiters.service_deleted(name, timeout=timeout)
        if status.startswith("CREATE"):
            return waiters.service_created(name, timeout=timeout)
        return waiters.service_updated(name, timeout=timeout)

    return Subject(f"service/{name}", read, waiter)


def _deployment(args: argparse.Namespace) -> Subject:
    deployment_id = args.id

    async def read(proton: ProtonClient) -> Any:
        return await proton.get_deployment(id=deployment_id)

    def waiter(waiters: Waiters, first: Any, timeout: float) -> Waiter[Any]:
        return waiters.deployment_finished(deployment_id, timeout=timeout)

    return Subject(f"deployment/{deployment_id}", read, waiter)


def _version(text: str) -> tuple[str, str]:
    major, dot, minor = text.partition(".")
    if not (dot and major.isdigit() and minor.isdigit()):
        raise argparse.ArgumentTypeError(f"expected MAJOR.MINOR, e.g. 1.0, got {text!r}")
    return major, minor


def _template_version(kind: str) -> Callable[[argparse.Namespace], Subject]:
    def subject(args: argparse.Namespace) -> Subject:
        template = args.template
        major, minor = args.version

        async def read(proton: ProtonClient) -> Any:
            if kind == "environment":
                return await proton.get_environment_template_version(
                    template_name=template, major_version=major, minor_version=minor
                )
            return await proton.get_service_template_version(
                template_name=template, major_version=major, minor_version=minor
            )

        def waiter(waiters: Waiters, first: Any, timeout: float) -> Waiter[Any]:
            if kind == "environment":
                return waiters.environment_template_version_registered(
                    template, major, minor, timeout=timeout
                )
            return waiters.service_template_version_registered(
                template, major, minor, timeout=timeout
            )

        return Subject(f"{kind}-template/{template}:{major}.{minor}", read, waiter)

    return subject


#: Each kind: its help, its positional arguments (name, help) and how to build it.
KINDS: dict[str, tuple[str, tuple[tuple[str, str], ...], Callable[..., Subject]]] = {
    "environment": (
        "an environment's deployment (or its deletion)",
        (("name", "environment name"),),
        _environment,
    ),
    "service-instance": (
        "a service instance's deployment",
        (("service", "service name"), ("name", "service instance name")),
        _service_instance,
    ),
    "service-pipeline": (
        "a service pipeline's deployment",
        (("service", "service name"),),
        _service_pipeline,
    ),
    "component": (
        "a component's deployment (or its deletion)",
        (("name", "component name"),),
        _component,
    ),
    "service": (
        "a service's creation, update or deletion",
        (("name", "service name"),),
        _service,
    ),
    "deployment": (
        "one deployment, by id",
        (("id", "deployment id"),),
        _deployment,
    ),
    "environment-template-version": (
        "an environment template version's registration",
        (("template", "template name"), ("version", "MAJOR.MINOR")),
        _template_version("environment"),
    ),
    "service-template-version": (
        "a service template version's registration",
        (("template", "template name"), ("version", "MAJOR.MINOR")),
        _template_version("service"),
    ),
}

#: The kinds that have deployments (``aioproton wait KIND --deployment-id ID``).
DEPLOYABLE = frozenset({"environment", "service-instance", "service-pipeline", "component"})

#: Positional arguments that need converting.
CONVERTERS: dict[str, Callable[[str], Any]] = {"version": _version}
