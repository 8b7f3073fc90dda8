"""A deployment's lifecycle: how it starts, ends, lands a cancel and changes its target.

Every create, update and delete of a deployable resource (see ``_deployable``) is a
:class:`Deployment` record. Starting one consults the outcome script for its plan and
schedules its end; the resource keeps its deployed template version and spec until the
deployment SUCCEEDS, when the target state is applied and the outputs are kept. A
cancel (requested in ``_deployable``) lands here when its event comes due. Finished
deletions leave their record with status DELETE_COMPLETE. The states a deployment
moves from and to are rendered here in the DeploymentState wire format.
"""

from __future__ import annotations

from typing import Any

from . import _tags
from ._deployable import KINDS, Target, TargetKind, locate, path_of
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
    Deployment,
    ServiceInstance,
    Tombstone,
)
from ._world import EventKind, Region

CANCELLED_MESSAGE = "User initiated cancellation."
CANCEL_FAILED_MESSAGE = "The cancellation attempt failed; the deployment was stopped."


def start(
    call: Call,
    kind: TargetKind[Any],
    target: Target,
    *,
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
        target_type=kind.type,
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
    dep.planned_resources = plan.resources
    call.region.deployments[deployment_id] = dep
    deploy = target.deploy
    deploy.status = status
    deploy.message = None
    deploy.attempted_id = deployment_id
    deploy.attempted_at = call.now
    deploy.active_id = deployment_id
    engine.schedule(call.region, plan.seconds, EventKind.DEPLOY, deployment_id)
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
    kind = KINDS[dep.target_type]
    path = path_of(dep)
    _tags.drop(region, path)
    kind.remove(region, *kind.names_of(dep))
    if kind.tombstone:
        region.tombstones[path] = Tombstone({}, engine.now)


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
                if dep.planned_resources is not None:
                    deploy.resources = [dict(item) for item in dep.planned_resources]
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


# Deployment states (the DeploymentState union, wire format).


def _version_and_spec(template: str, major: int, minor: int, spec: str) -> dict[str, Any]:
    return {
        "templateName": template,
        "templateMajorVersion": str(major),
        "templateMinorVersion": str(minor),
        "spec": spec,
    }


def environment_state(template: str, major: int, minor: int, spec: str) -> dict[str, Any]:
    return {"environment": _version_and_spec(template, major, minor, spec)}


def pipeline_state(template: str, major: int, minor: int, spec: str) -> dict[str, Any]:
    return {"servicePipeline": _version_and_spec(template, major, minor, spec)}


def instance_state(
    region: Region,
    instance: ServiceInstance,
    major: int,
    minor: int,
    spec: str,
) -> dict[str, Any]:
    state = _version_and_spec(instance.template_name, major, minor, spec)
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
