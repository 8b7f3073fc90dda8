"""The deployment engine shared by environments, service instances, pipelines and components.

Every create, update and delete of a deployable resource is a :class:`Deployment`
record. Starting one consults the outcome script for its plan and schedules its end;
the resource keeps its deployed template version and spec until the deployment
SUCCEEDS, when the target state is applied and the outputs are kept.

Cancels: only an IN_PROGRESS deployment can be cancelled (ConflictException
otherwise), and for environments, service instances and pipelines only an update (their
Cancel* documentation speaks only of update actions); components can cancel any
deployment. A cancel whose plan is ``cancelled`` or ``failed`` suspends the
deployment's own ending and lands ``Timings.cancel`` seconds later; a ``too_late``
cancel leaves the deployment to reach its own outcome, showing CANCELLING meanwhile.

Members the model requires before anything has been deployed: a new resource reports
the version and spec it is being created with, and ``lastDeploymentSucceededAt`` equals
``createdAt`` until the first success (components, where it is optional, omit it).
Finished deletions leave their record with status DELETE_COMPLETE.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConflictException, ResourceNotFoundException
from . import _arns, _tags
from ._engine import Call, Engine
from ._records import (
    CANCELLED,
    CANCELLING,
    DELETE_COMPLETE,
    DELETE_FAILED,
    DELETE_IN_PROGRESS,
    FAILED,
    IN_PROGRESS,
    SUCCEEDED,
    Component,
    Deploy,
    Deployment,
    Environment,
    Pipeline,
    ServiceInstance,
    Tombstone,
)
from ._world import Region

ENVIRONMENT = "ENVIRONMENT"
SERVICE_INSTANCE = "SERVICE_INSTANCE"
SERVICE_PIPELINE = "SERVICE_PIPELINE"
COMPONENT = "COMPONENT"

CANCELLED_MESSAGE = "User initiated cancellation."
CANCEL_FAILED_MESSAGE = "The cancellation attempt failed; the deployment was stopped."

Target = Environment | ServiceInstance | Pipeline | Component


def path_of(dep: Deployment) -> str:
    if dep.target_type == ENVIRONMENT:
        return _arns.environment(dep.environment_name)
    if dep.target_type == SERVICE_INSTANCE:
        return _arns.service_instance(dep.service_name or "", dep.service_instance_name or "")
    if dep.target_type == SERVICE_PIPELINE:
        return _arns.pipeline(dep.service_name or "")
    return _arns.component(dep.component_name or "")


def locate(region: Region, dep: Deployment) -> Target | None:
    """The resource a deployment targets, if it still exists."""
    if dep.target_type == ENVIRONMENT:
        return region.environments.get(dep.environment_name)
    if dep.target_type == COMPONENT:
        return region.components.get(dep.component_name or "")
    service = region.services.get(dep.service_name or "")
    if service is None:
        return None
    if dep.target_type == SERVICE_PIPELINE:
        return service.pipeline
    return service.instances.get(dep.service_instance_name or "")


def new_deploy(now: float) -> Deploy:
    return Deploy(status=IN_PROGRESS, attempted_at=now)


def start(
    call: Call,
    target: Target,
    *,
    target_type: str,
    action: str,
    environment_name: str,
    service_name: str | None = None,
    instance_name: str | None = None,
    component_name: str | None = None,
    initial_state: dict[str, Any] | None = None,
    target_state: dict[str, Any] | None = None,
) -> Deployment:
    engine = call.engine
    deployment_id = engine.new_id()
    status = DELETE_IN_PROGRESS if action == "delete" else IN_PROGRESS
    dep = Deployment(
        id=deployment_id,
        target_type=target_type,
        target_arn="",
        target_created_at=target.created_at,
        environment_name=environment_name,
        action=action,
        status=status,
        created_at=call.now,
        last_modified_at=call.now,
        service_name=service_name,
        service_instance_name=instance_name,
        component_name=component_name,
        initial_state=initial_state,
        target_state=target_state,
        last_attempted_id=deployment_id,
        last_succeeded_id=target.deploy.succeeded_id,
    )
    path = path_of(dep)
    dep.target_arn = call.arn(path)
    plan = engine.plan(path, "delete" if action == "delete" else "deploy")
    dep.planned_outcome = plan.outcome
    dep.planned_message = plan.message
    dep.cancel_mode = plan.cancel
    call.region.deployments[deployment_id] = dep
    deploy = target.deploy
    deploy.status = status
    deploy.message = None
    deploy.attempted_id = deployment_id
    deploy.attempted_at = call.now
    deploy.active_id = deployment_id
    engine.schedule(call.region, plan.seconds, "deploy", deployment_id)
    return dep


def _apply(target: Target, state: dict[str, Any] | None) -> None:
    if not state:
        return
    member = next(iter(state.values()))
    if isinstance(target, Component):
        target.service_name = member.get("serviceName") or None
        target.service_instance_name = member.get("serviceInstanceName") or None
        target.service_spec = member.get("serviceSpec")
        if member.get("templateFile") is not None:
            target.template_file = member["templateFile"]
        return
    target.major = int(member["templateMajorVersion"])
    target.minor = int(member["templateMinorVersion"])
    if member.get("spec") is not None:
        target.spec = member["spec"]


def _remove(engine: Engine, region: Region, dep: Deployment) -> None:
    path = path_of(dep)
    _tags.drop(region, path)
    if dep.target_type == ENVIRONMENT:
        region.environments.pop(dep.environment_name, None)
        region.tombstones[path] = Tombstone({}, engine.now)
    elif dep.target_type == COMPONENT:
        region.components.pop(dep.component_name or "", None)
        region.tombstones[path] = Tombstone({}, engine.now)
    else:
        service = region.services.get(dep.service_name or "")
        if service is None:
            return
        if dep.target_type == SERVICE_PIPELINE:
            service.pipeline = None
        else:
            service.instances.pop(dep.service_instance_name or "", None)


def complete(
    engine: Engine, region: Region, dep: Deployment, *, ok: bool, message: str | None
) -> None:
    """End a deployment with its outcome and update its target."""
    now = engine.now
    target = locate(region, dep)
    dep.completed_at = now
    dep.last_modified_at = now
    if dep.action == "delete":
        dep.status = DELETE_COMPLETE if ok else DELETE_FAILED
    else:
        dep.status = SUCCEEDED if ok else FAILED
    if ok:
        dep.last_succeeded_id = dep.id
    else:
        dep.message = message or f"The {dep.action} deployment failed."
    if target is not None and target.deploy.active_id == dep.id:
        deploy = target.deploy
        deploy.active_id = None
        if dep.action == "delete" and ok:
            _remove(engine, region, dep)
        else:
            deploy.status = dep.status
            deploy.message = None if ok else dep.message
            if ok:
                _apply(target, dep.target_state)
                deploy.succeeded_id = dep.id
                deploy.succeeded_at = dep.created_at
                deploy.outputs = [dict(item) for item in dep.outputs]
    engine.settled(region, dep)


def on_finish(engine: Engine, region: Region, ref: list[str]) -> None:
    dep = region.deployments.get(ref[0])
    if dep is None or dep.status not in (IN_PROGRESS, DELETE_IN_PROGRESS, CANCELLING):
        return
    if dep.status == CANCELLING and dep.cancel_mode != "too_late":
        return
    complete(engine, region, dep, ok=dep.planned_outcome == "succeed", message=dep.planned_message)


def on_cancel(engine: Engine, region: Region, ref: list[str]) -> None:
    dep = region.deployments.get(ref[0])
    if dep is None or dep.status != CANCELLING:
        return
    now = engine.now
    dep.status = CANCELLED if dep.cancel_mode == "cancelled" else FAILED
    dep.message = CANCELLED_MESSAGE if dep.status == CANCELLED else CANCEL_FAILED_MESSAGE
    dep.completed_at = now
    dep.last_modified_at = now
    target = locate(region, dep)
    if target is not None and target.deploy.active_id == dep.id:
        target.deploy.active_id = None
        target.deploy.status = dep.status
        target.deploy.message = dep.message
    engine.settled(region, dep)


def cancel(call: Call, target: Target, what: str) -> None:
    deploy = target.deploy
    if deploy.status != IN_PROGRESS or deploy.active_id is None:
        raise ConflictException(
            f"{what} has no deployment in progress to cancel (status {deploy.status})."
        )
    dep = call.region.deployments[deploy.active_id]
    if dep.action != "update" and dep.target_type != COMPONENT:
        raise ConflictException(
            f"Only an update deployment can be cancelled; {what} is being created."
        )
    dep.status = CANCELLING
    dep.last_modified_at = call.now
    deploy.status = CANCELLING
    if dep.cancel_mode != "too_late":
        call.engine.schedule(call.region, call.engine.timings.cancel, "cancel", dep.id)


def ensure_idle(deploy: Deploy, what: str) -> None:
    if deploy.status in (IN_PROGRESS, CANCELLING, DELETE_IN_PROGRESS):
        raise ConflictException(f"{what} has a deployment in progress ({deploy.status}).")


# Deployment states (the DeploymentState union, wire format).


def environment_state(template: str, major: int, minor: int, spec: str) -> dict[str, Any]:
    return {
        "environment": {
            "templateName": template,
            "templateMajorVersion": str(major),
            "templateMinorVersion": str(minor),
            "spec": spec,
        }
    }


def pipeline_state(template: str, major: int, minor: int, spec: str) -> dict[str, Any]:
    return {
        "servicePipeline": {
            "templateName": template,
            "templateMajorVersion": str(major),
            "templateMinorVersion": str(minor),
            "spec": spec,
        }
    }


def instance_state(
    region: Region,
    instance: ServiceInstance,
    major: int,
    minor: int,
    spec: str,
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "templateName": instance.template_name,
        "templateMajorVersion": str(major),
        "templateMinorVersion": str(minor),
        "spec": spec,
    }
    env = region.environments.get(instance.environment_name)
    if env is not None and env.deploy.succeeded_id:
        state["lastSuccessfulEnvironmentDeploymentId"] = env.deploy.succeeded_id
    service = region.services.get(instance.service_name)
    if (
        service is not None
        and service.pipeline is not None
        and service.pipeline.deploy.succeeded_id
    ):
        state["lastSuccessfulServicePipelineDeploymentId"] = service.pipeline.deploy.succeeded_id
    attached = [
        comp.deploy.succeeded_id
        for comp in region.components.values()
        if (comp.service_name, comp.service_instance_name) == (instance.service_name, instance.name)
        and comp.deploy.succeeded_id
    ]
    if attached:
        state["lastSuccessfulComponentDeploymentIds"] = attached[:1]
    return {"serviceInstance": state}


def component_state(component: Component) -> dict[str, Any]:
    state: dict[str, Any] = {"templateFile": component.template_file}
    if component.service_name:
        state["serviceName"] = component.service_name
        state["serviceInstanceName"] = component.service_instance_name or ""
    if component.service_spec is not None:
        state["serviceSpec"] = component.service_spec
    return {"component": state}


def render_deploy(deploy: Deploy, out: dict[str, Any], *, succeeded_default: float | None) -> None:
    """Add the deployment bookkeeping members of a deployable resource to ``out``."""
    out["deploymentStatus"] = deploy.status
    if deploy.message:
        out["deploymentStatusMessage"] = deploy.message
    if deploy.attempted_id:
        out["lastAttemptedDeploymentId"] = deploy.attempted_id
    if deploy.succeeded_id:
        out["lastSucceededDeploymentId"] = deploy.succeeded_id
    out["lastDeploymentAttemptedAt"] = deploy.attempted_at
    succeeded = deploy.succeeded_at if deploy.succeeded_at is not None else succeeded_default
    if succeeded is not None:
        out["lastDeploymentSucceededAt"] = succeeded


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
