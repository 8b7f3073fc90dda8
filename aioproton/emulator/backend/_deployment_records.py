"""Deployment records (list, get, delete) and NotifyResourceDeploymentStatusChange.

Readings: deleting a deployment that is still running is a ValidationException (the
operation lists no ConflictException); ListDeployments filters by name without
requiring the named resources to exist still (their records outlive them) and lists
the most recent first. A notification updates the target's active deployment: outputs
are merged by key and kept with the deployment (they become the resource's outputs when
it succeeds), SUCCEEDED or FAILED ends it at once, and a resource with no deployment in
progress, or a ``deploymentId`` that is not the active one, is a ConflictException.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConflictException, ResourceNotFoundException, ValidationException
from . import _arns, _deployment_lifecycle, _idempotency
from ._deployable import Target, find_by_path
from ._engine import Call
from ._pagination import paginate
from ._records import BUSY, Deployment
from ._serde import given, members, non_empty
from ._world import Region

OUTPUT = "deployment"


def render(region: Region, dep: Deployment, *, summary: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(_arns.deployment(dep.id)),
        **members(dep, "id", "targetArn"),
        "targetResourceType": dep.target_type,
        "targetResourceCreatedAt": dep.target_created_at,
        "environmentName": dep.environment_name,
        "deploymentStatus": dep.status,
        **members(dep, "createdAt", "lastModifiedAt"),
    }
    optional = members(dep, "completedAt", "serviceName", "serviceInstanceName", "componentName")
    optional["lastAttemptedDeploymentId"] = dep.last_attempted_id
    optional["lastSucceededDeploymentId"] = dep.last_succeeded_id
    out.update(given(optional))
    if not summary:
        out.update(
            non_empty(
                {
                    "deploymentStatusMessage": dep.message,
                    "initialState": dep.initial_state,
                    "targetState": dep.target_state,
                }
            )
        )
    return out


_SCOPES = (
    ("environmentName", "environment_name"),
    ("serviceName", "service_name"),
    ("serviceInstanceName", "service_instance_name"),
    ("componentName", "component_name"),
)


def _in_scope(call: Call, dep: Deployment) -> bool:
    p = call.params
    return all(
        p.get(member) is None or getattr(dep, attribute) == p[member]
        for member, attribute in _SCOPES
    )


def _check_scope(call: Call) -> None:
    if call.params.get("serviceInstanceName") and not call.params.get("serviceName"):
        raise ValidationException("serviceInstanceName needs serviceName.")


def get_deployment(call: Call) -> dict[str, Any]:
    _check_scope(call)
    dep = call.region.deployments.get(call.params["id"])
    if dep is None or not _in_scope(call, dep):
        raise ResourceNotFoundException(f"Deployment {call.params['id']} does not exist.")
    return {OUTPUT: render(call.region, dep)}


def list_deployments(call: Call) -> dict[str, Any]:
    _check_scope(call)
    region = call.region
    items = [dep for dep in region.deployments.values() if _in_scope(call, dep)]
    return paginate(
        call,
        items,
        key=lambda dep: [dep.created_at, dep.id],
        render=lambda dep: render(region, dep, summary=True),
        result_key="deployments",
        descending=True,
    )


def delete_deployment(call: Call) -> dict[str, Any]:
    region = call.region
    deployment_id = call.params["id"]
    path = _arns.deployment(deployment_id)
    dep = region.deployments.get(deployment_id)
    if dep is None:
        return _idempotency.repeat_delete(call, path, f"Deployment {deployment_id} does not exist.")
    if dep.status in BUSY:
        raise ValidationException(
            f"Deployment {deployment_id} is {dep.status}; only finished deployments can be deleted."
        )
    body = {OUTPUT: render(region, dep)}
    del region.deployments[deployment_id]
    _idempotency.bury(call, path, body)
    return body


def _target(call: Call, arn: str) -> Target | None:
    path = call.own_path(arn)
    return None if path is None else find_by_path(call.region, path)


def notify(call: Call) -> dict[str, Any]:
    p = call.params
    target = _target(call, p["resourceArn"])
    if target is None:
        raise ResourceNotFoundException(f"Resource {p['resourceArn']} not found.")
    active = target.deploy.active_id
    if active is None:
        raise ConflictException(f"Resource {p['resourceArn']} has no deployment in progress.")
    if p.get("deploymentId") and p["deploymentId"] != active:
        raise ConflictException(
            f"Deployment {p['deploymentId']} is not the active deployment of "
            f"{p['resourceArn']} ({active})."
        )
    dep = call.region.deployments[active]
    if p.get("outputs"):
        merged = {item["key"]: item for item in dep.outputs}
        for item in p["outputs"]:
            merged[item.get("key", "")] = {k: v for k, v in item.items() if v is not None}
        dep.outputs = list(merged.values())
    if p.get("statusMessage"):
        dep.message = p["statusMessage"]
    dep.last_modified_at = call.now
    status = p.get("status")
    if status in ("SUCCEEDED", "FAILED"):
        _deployment_lifecycle.complete(
            call.engine,
            call.region,
            dep,
            ok=status == "SUCCEEDED",
            message=p.get("statusMessage") or dep.planned_message,
        )
    return {}


HANDLERS = {
    "GetDeployment": get_deployment,
    "ListDeployments": list_deployments,
    "DeleteDeployment": delete_deployment,
    "NotifyResourceDeploymentStatusChange": notify,
}
