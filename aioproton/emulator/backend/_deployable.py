"""What every deployable resource shares: environments, service instances, pipelines, components.

Each of the four is a :class:`TargetKind`: how a request and a deployment record name
one, its resource path and how to find it. On that one description rest the lookups,
the deployment bookkeeping every deployable resource renders, the cancel transition
and the Cancel*Deployment, List*Outputs and List*ProvisionedResources operations,
written once for all four.

Cancels: only an IN_PROGRESS deployment can be cancelled (ConflictException
otherwise), and for environments, service instances and pipelines only an update (their
Cancel* documentation speaks only of update actions); components can cancel any
deployment. A cancel whose plan is ``cancelled`` or ``failed`` suspends the
deployment's own ending and lands ``Timings.cancel`` seconds later; a ``too_late``
cancel leaves the deployment to reach its own outcome, showing CANCELLING meanwhile.
Nothing is provisioned for real: the provisioned resources are those the script declared
for the target's deployments (``_script``, ``resources``), empty until one does.

Members the model requires before anything has been deployed: a new resource reports
the version and spec it is being created with, and ``lastDeploymentSucceededAt`` equals
``createdAt`` until the first success (components, where it is optional, omit it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs

from ..errors import ConflictException, ResourceNotFoundException
from . import _arns
from ._engine import Call, Handler
from ._pagination import single_page
from ._records import (
    CANCELLING,
    DELETE_IN_PROGRESS,
    IN_PROGRESS,
    Component,
    Deploy,
    Deployment,
    Environment,
    Pipeline,
    Service,
    ServiceInstance,
)
from ._serde import non_empty, snake_case
from ._world import EventKind, Region

Target = Environment | ServiceInstance | Pipeline | Component
T = TypeVar("T", Environment, ServiceInstance, Pipeline, Component)


# Lookups.


def get_environment(region: Region, name: str) -> Environment:
    env = region.environments.get(name)
    if env is None:
        raise ResourceNotFoundException(f"Environment {name} does not exist.")
    return env


def get_service(region: Region, name: str) -> Service:
    service = region.services.get(name)
    if service is None:
        raise ResourceNotFoundException(f"Service {name} does not exist.")
    return service


def get_instance(region: Region, service_name: str, name: str) -> ServiceInstance:
    service = get_service(region, service_name)
    instance = service.instances.get(name)
    if instance is None:
        raise ResourceNotFoundException(
            f"Service instance {name} of service {service_name} does not exist."
        )
    return instance


def get_pipeline(region: Region, service_name: str) -> Pipeline:
    service = get_service(region, service_name)
    if service.pipeline is None:
        raise ResourceNotFoundException(f"Service {service_name} has no pipeline.")
    return service.pipeline


def get_component(region: Region, name: str) -> Component:
    component = region.components.get(name)
    if component is None:
        raise ResourceNotFoundException(f"Component {name} does not exist.")
    return component


def _drop_instance(region: Region, service_name: str, name: str) -> None:
    service = region.services.get(service_name)
    if service is not None:
        service.instances.pop(name, None)


def _drop_pipeline(region: Region, service_name: str) -> None:
    service = region.services.get(service_name)
    if service is not None:
        service.pipeline = None


# The four kinds.

_NAME = "([^/]+)"  # one name in a resource path


@attrs.frozen
class TargetKind(Generic[T]):
    """One kind of deployable resource; ``names`` are the strings that identify one."""

    type: str  # the deployment's targetResourceType
    output: str  # the output member the Cancel operation answers with
    members: tuple[str, ...]  # the request members naming one, in ``names`` order
    path: Callable[..., str]  # (*names) -> resource path
    label: Callable[..., str]  # (*names) -> how messages name it
    get: Callable[..., T]  # (region, *names), ResourceNotFoundException when missing
    remove: Callable[..., None]  # (region, *names): forget it once deleted
    tombstone: bool = False  # whether a repeated delete of it answers from a tombstone

    @property
    def title(self) -> str:
        """The kind as operation names spell it (``Cancel<title>Deployment``, ...)."""
        return self.type.title().replace("_", "")

    def find(self, region: Region, *names: str) -> T | None:
        """The resource, or ``None`` when it (or the service it belongs to) is gone."""
        try:
            return self.get(region, *names)
        except ResourceNotFoundException:
            return None

    def names_of(self, dep: Deployment) -> tuple[str, ...]:
        """The names a deployment record keeps (its attributes are the members, snake_cased)."""
        return tuple(getattr(dep, snake_case(member)) or "" for member in self.members)

    def match(self, path: str) -> tuple[str, ...] | None:
        """The names in a resource path of this kind, or ``None`` for another path."""
        pattern = self.path(*[_NAME] * len(self.members))
        found = re.fullmatch(pattern, path)
        return None if found is None else found.groups()


ENVIRONMENT: TargetKind[Environment] = TargetKind(
    type="ENVIRONMENT",
    output="environment",
    members=("environmentName",),
    path=_arns.environment,
    label=lambda name: f"Environment {name}",
    get=get_environment,
    remove=lambda region, name: region.environments.pop(name, None),
    tombstone=True,
)
SERVICE_INSTANCE: TargetKind[ServiceInstance] = TargetKind(
    type="SERVICE_INSTANCE",
    output="serviceInstance",
    members=("serviceName", "serviceInstanceName"),
    path=_arns.service_instance,
    label=lambda service_name, name: f"Service instance {name}",
    get=get_instance,
    remove=_drop_instance,
)
SERVICE_PIPELINE: TargetKind[Pipeline] = TargetKind(
    type="SERVICE_PIPELINE",
    output="pipeline",
    members=("serviceName",),
    path=_arns.pipeline,
    label=lambda service_name: f"The pipeline of service {service_name}",
    get=get_pipeline,
    remove=_drop_pipeline,
)
COMPONENT: TargetKind[Component] = TargetKind(
    type="COMPONENT",
    output="component",
    members=("componentName",),
    path=_arns.component,
    label=lambda name: f"Component {name}",
    get=get_component,
    remove=lambda region, name: region.components.pop(name, None),
    tombstone=True,
)

KINDS: dict[str, TargetKind[Any]] = {
    kind.type: kind for kind in (ENVIRONMENT, SERVICE_INSTANCE, SERVICE_PIPELINE, COMPONENT)
}


def path_of(dep: Deployment) -> str:
    """The resource path of a deployment's target."""
    kind = KINDS[dep.target_type]
    return kind.path(*kind.names_of(dep))


def locate(region: Region, dep: Deployment) -> Target | None:
    """The resource a deployment targets, if it still exists."""
    kind = KINDS[dep.target_type]
    found: Target | None = kind.find(region, *kind.names_of(dep))
    return found


def find_by_path(region: Region, path: str) -> Target | None:
    """The deployable resource at a resource path, if there is one."""
    for kind in KINDS.values():
        names = kind.match(path)
        if names is not None:
            found: Target | None = kind.find(region, *names)
            return found
    return None


# Client tokens (creates and updates of components and service instances carry one).

Tokened = TypeVar("Tokened", ServiceInstance, Component)


def token_resolver(
    call: Call, kind: TargetKind[Tokened], render: Callable[[Call, Tokened], dict[str, Any]]
) -> Callable[[str], dict[str, Any] | None]:
    """Renders what a client token remembered (``<names>|<uid>``), if it still exists."""

    def resolve(resource: str) -> dict[str, Any] | None:
        *names, uid = resource.split("|")
        target = kind.find(call.region, *names)
        if target is None or target.uid != uid:
            return None
        return {kind.output: render(call, target)}

    return resolve


# Deployment bookkeeping.


def new_deploy(now: float) -> Deploy:
    return Deploy(status=IN_PROGRESS, attempted_at=now)


def ensure_idle(deploy: Deploy, what: str) -> None:
    if deploy.status in (IN_PROGRESS, CANCELLING, DELETE_IN_PROGRESS):
        raise ConflictException(f"{what} has a deployment in progress ({deploy.status}).")


def render_deploy(deploy: Deploy, out: dict[str, Any], *, succeeded_default: float | None) -> None:
    """Add the deployment bookkeeping members of a deployable resource to ``out``."""
    out["deploymentStatus"] = deploy.status
    out.update(
        non_empty(
            {
                "deploymentStatusMessage": deploy.message,
                "lastAttemptedDeploymentId": deploy.attempted_id,
                "lastSucceededDeploymentId": deploy.succeeded_id,
            }
        )
    )
    out["lastDeploymentAttemptedAt"] = deploy.attempted_at
    succeeded = deploy.succeeded_at if deploy.succeeded_at is not None else succeeded_default
    if succeeded is not None:
        out["lastDeploymentSucceededAt"] = succeeded


def render_deployed(target: Environment | ServiceInstance | Pipeline, out: dict[str, Any]) -> None:
    """Add what a resource deployed from a template renders: the template version it
    runs, when it was created and its deployment bookkeeping."""
    out["templateName"] = target.template_name
    out["templateMajorVersion"] = str(target.major)
    out["templateMinorVersion"] = str(target.minor)
    out["createdAt"] = target.created_at
    render_deploy(target.deploy, out, succeeded_default=target.created_at)


def cancel(call: Call, target: Target, what: str) -> None:
    """Start cancelling the target's active deployment (see the module docstring)."""
    deploy = target.deploy
    if deploy.status != IN_PROGRESS or deploy.active_id is None:
        raise ConflictException(
            f"{what} has no deployment in progress to cancel (status {deploy.status})."
        )
    dep = call.region.deployments[deploy.active_id]
    if dep.action != "update" and dep.target_type != COMPONENT.type:
        raise ConflictException(
            f"Only an update deployment can be cancelled; {what} is being created."
        )
    dep.status = CANCELLING
    dep.last_modified_at = call.now
    deploy.status = CANCELLING
    if dep.cancel_mode != "too_late":
        call.engine.schedule(call.region, call.engine.timings.cancel, EventKind.CANCEL, dep.id)


def outputs_for(
    call: Call, target: Target, path: str, deployment_id: str | None
) -> list[dict[str, str]]:
    """The target's current outputs, or those of one of its deployments."""
    if deployment_id is None:
        return [dict(item) for item in target.deploy.outputs]
    dep = call.region.deployments.get(deployment_id)
    if dep is None or dep.target_arn != call.arn(path):
        raise ResourceNotFoundException(f"Deployment {deployment_id} of {path} does not exist.")
    return [dict(item) for item in dep.outputs]


# The operations every kind has.


def handlers(
    kind: TargetKind[T], render: Callable[[Call, T], dict[str, Any]]
) -> dict[str, Handler]:
    """Cancel<title>Deployment, List<title>Outputs and List<title>ProvisionedResources.

    ``render(call, target)`` is the resource as the Cancel operation answers with it.
    """

    def named(call: Call) -> tuple[T, tuple[str, ...]]:
        names = tuple(call.params[member] for member in kind.members)
        return kind.get(call.region, *names), names

    def cancel_deployment(call: Call) -> dict[str, Any]:
        target, names = named(call)
        cancel(call, target, kind.label(*names))
        return {kind.output: render(call, target)}

    def list_outputs(call: Call) -> dict[str, Any]:
        target, names = named(call)
        path = kind.path(*names)
        outputs = outputs_for(call, target, path, call.params.get("deploymentId"))
        return single_page(call, outputs, dict, "outputs")

    def list_provisioned_resources(call: Call) -> dict[str, Any]:
        target, _names = named(call)
        resources = [dict(item) for item in target.deploy.resources]
        return single_page(call, resources, dict, "provisionedResources")

    return {
        f"Cancel{kind.title}Deployment": cancel_deployment,
        f"List{kind.title}Outputs": list_outputs,
        f"List{kind.title}ProvisionedResources": list_provisioned_resources,
    }
