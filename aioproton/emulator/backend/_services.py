"""Services: the service-level lifecycle over its instances and pipeline.

CreateService, UpdateService (with a spec) and DeleteService start a service
operation: the service's own timer (script target ``service/<name>``) plus one child
deployment per instance created or removed and one for the pipeline. The service
settles when its timer has run and every child has ended:

- create: ACTIVE, or CREATE_FAILED when the service's plan or any child fails;
- update: ACTIVE; UPDATE_FAILED when the service's plan or the pipeline fails;
  UPDATE_FAILED_CLEANUP_COMPLETE when an added instance fails (the added instances are
  torn down and the stored spec reverts; removals already done stay done);
  UPDATE_COMPLETE_CLEANUP_FAILED when only removals fail (those instances stay
  DELETE_FAILED and are retried by the next UpdateService);
- delete: the service disappears, or DELETE_FAILED when the plan or a child fails.

UpdateService re-deploys the pipeline (same version, the new spec). Instances added by
UpdateService deploy the template's recommended version. Kept instances must keep
their environment and inputs, and pipeline inputs must not change
(``${Proton::CURRENT_VAL}`` keeps a value, ``_placeholders``): otherwise a ValidationException.
A pipeline needs the account's pipeline role (``_account``). The CLEANUP_IN_PROGRESS states are
never entered: cleanup is immediate. A description-only UpdateService is accepted in
any state but DELETE_IN_PROGRESS. CreateServiceInstance leaves the service's spec as it
is, so a later UpdateService that does not list the instance removes it.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConflictException, ValidationException
from . import _arns, _idempotency, _placeholders, _schemas, _specs, _tags, _version_rules
from ._account import require_pipeline_role
from ._deployable import get_environment, get_service, new_deploy
from ._engine import Call, Engine
from ._pagination import paginate
from ._pipelines import deploy_pipeline, render_pipeline
from ._records import (
    ACTIVE,
    BUSY,
    CREATE_IN_PROGRESS,
    DELETE_COMPLETE,
    DELETE_IN_PROGRESS,
    SERVICE_BUSY,
    SUCCEEDED,
    UPDATE_IN_PROGRESS,
    Deployment,
    Pipeline,
    Service,
    ServiceOp,
    Tombstone,
)
from ._serde import given, members
from ._service_instances import add_instance, attached_components, remove_instance
from ._sync import block
from ._templates import get as get_template
from ._version_rules import check_compatible
from ._world import EventKind, Region

OUTPUT = "service"


def render(region: Region, service: Service, *, summary: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(_arns.service(service.name)),
        **members(service, "name", "templateName", "status", "createdAt", "lastModifiedAt"),
    }
    out.update(given({"description": service.description}))
    if service.status_message:
        out["statusMessage"] = service.status_message
    if summary:
        return out
    out["spec"] = service.spec
    if service.pipeline is not None:
        out["pipeline"] = render_pipeline(region, service.name, service.pipeline)
    out.update(given(members(service, "branchName", "repositoryConnectionArn", "repositoryId")))
    return out


def _begin(call: Call, service: Service, action: str) -> ServiceOp:
    plan = call.engine.plan(
        _arns.service(service.name), "delete" if action == "delete" else "deploy"
    )
    op = ServiceOp(
        id=call.engine.new_id(),
        action=action,
        outcome=plan.outcome,
        message=plan.message,
        previous_spec=service.spec,
    )
    service.op = op
    call.engine.schedule(call.region, plan.seconds, EventKind.SERVICE, service.name, op.id)
    return op


def create(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    name = p["name"]
    existing = region.services.get(name)
    if existing is not None:
        _idempotency.repeat_create(
            call, f"Service {name}", existing, deleting=existing.status == DELETE_IN_PROGRESS
        )
        return {OUTPUT: render(region, existing)}
    template = get_template(region, "service", p["templateName"])
    version = _version_rules.for_create(
        template, p["templateMajorVersion"], p.get("templateMinorVersion")
    )
    spec = _specs.service_spec(p["spec"])
    if not template.has_pipeline:
        if spec.pipeline is not None:
            raise ValidationException(
                f"Service template {template.name} has no pipeline; remove the pipeline "
                "section from the spec."
            )
        given = [k for k in ("repositoryConnectionArn", "repositoryId", "branchName") if k in p]
        if given:
            raise ValidationException(
                f"Service template {template.name} has no pipeline; don't pass {', '.join(given)}."
            )
    else:
        require_pipeline_role(region, version.pipeline_engine)
    names = [item.name for item in spec.instances]
    _schemas.check_service(version, spec, instances=names, pipeline=template.has_pipeline)
    limit = call.quotas.instances_per_service
    call.engine.check_quota(len(spec.instances) - 1, limit, "service instances per service")
    for item in spec.instances:
        check_compatible(version, get_environment(region, item.environment), template.name)
    call.engine.check_quota(len(region.services), call.quotas.services, "services")
    _tags.check(call, p.get("tags"))
    service = Service(
        uid=call.engine.new_id(),
        name=name,
        template_name=template.name,
        spec=p["spec"],
        status=CREATE_IN_PROGRESS,
        created_at=call.now,
        last_modified_at=call.now,
        created_with=_idempotency.created_with(call),
        description=p.get("description"),
        branch_name=p.get("branchName"),
        repository_connection_arn=p.get("repositoryConnectionArn"),
        repository_id=p.get("repositoryId"),
    )
    region.services[name] = service
    path = _arns.service(name)
    _idempotency.forget(call, path)
    _tags.store(region, path, p.get("tags"))
    op = _begin(call, service, "create")
    for item in spec.instances:
        _, dep = add_instance(call, service, item.name, item.environment, version, p["spec"])
        op.roles[dep.id] = f"create:{item.name}"
    if template.has_pipeline:
        service.pipeline = Pipeline(
            template_name=template.name,
            major=version.major,
            minor=version.minor,
            spec=p["spec"],
            created_at=call.now,
            deploy=new_deploy(call.now),
        )
        dep = deploy_pipeline(
            call, service, service.pipeline, "create", (version.major, version.minor), p["spec"]
        )
        op.roles[dep.id] = "pipeline"
    return {OUTPUT: render(region, service)}


def _check_kept(service: Service, spec: _specs.ServiceSpec) -> None:
    for item in spec.instances:
        instance = service.instances.get(item.name)
        if instance is None:
            continue
        if instance.environment_name != item.environment:
            raise ValidationException(
                f"Service instance {item.name} is deployed in environment "
                f"{instance.environment_name}; UpdateService cannot move it to "
                f"{item.environment}."
            )
        current = _placeholders.current_instance_inputs(service, item.name)
        if current is not None and not _specs.same_inputs(item.inputs, current):
            raise ValidationException(
                f"UpdateService cannot change the inputs of existing service instance "
                f"{item.name}; use UpdateServiceInstance."
            )
    current_pipeline = _placeholders.current_pipeline_inputs(service)
    if (
        spec.pipeline is not None
        and current_pipeline is not None
        and not _specs.same_inputs(spec.pipeline, current_pipeline)
    ):
        raise ValidationException(
            "UpdateService cannot change the pipeline inputs; use UpdateServicePipeline."
        )


def update(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    service = get_service(region, p["name"])
    if "spec" not in p:
        if service.status == DELETE_IN_PROGRESS:
            raise ConflictException(f"Service {service.name} is being deleted.")
        if "description" in p:
            service.description = p["description"]
            service.last_modified_at = call.now
            service.modified = True
        return {OUTPUT: render(region, service)}
    if service.status in SERVICE_BUSY:
        raise ConflictException(f"Service {service.name} is {service.status}.")
    if service.pipeline is not None and service.pipeline.deploy.status in BUSY:
        raise ConflictException(f"The pipeline of service {service.name} is being deployed.")
    template = get_template(region, "service", service.template_name)
    _specs.service_spec(p["spec"])
    text = _placeholders.service_spec(p["spec"], service)
    spec = _specs.service_spec(text)
    if not template.has_pipeline and spec.pipeline is not None:
        raise ValidationException(
            f"Service template {template.name} has no pipeline; remove the pipeline section."
        )
    _check_kept(service, spec)
    wanted = {item.name for item in spec.instances}
    removed = [i for name, i in sorted(service.instances.items()) if name not in wanted]
    added = [item for item in spec.instances if item.name not in service.instances]
    for instance in removed:
        if instance.deploy.status in BUSY:
            raise ConflictException(
                f"Service instance {instance.name} has a deployment in progress."
            )
        components = attached_components(region, service.name, instance.name)
        if components:
            raise ConflictException(
                f"Service instance {instance.name} has component {components[0]} attached; "
                "detach or delete it first."
            )
    call.engine.check_quota(
        len(wanted) - 1, call.quotas.instances_per_service, "service instances per service"
    )
    version = None
    if added:
        best = _version_rules.recommended(template)
        if best is None:
            raise ValidationException(f"Service template {template.name} has no PUBLISHED version.")
        version = _version_rules.usable(template, *best)
        for item in added:
            check_compatible(version, get_environment(region, item.environment), template.name)
        _schemas.check_service(version, spec, instances=[item.name for item in added])
    op = _begin(call, service, "update")
    service.spec = text
    if "description" in p:
        service.description = p["description"]
    service.status = UPDATE_IN_PROGRESS
    service.status_message = None
    service.last_modified_at = call.now
    service.modified = True
    if version is not None:
        for item in added:
            _, dep = add_instance(call, service, item.name, item.environment, version, text)
            op.roles[dep.id] = f"create:{item.name}"
    for instance in removed:
        dep = remove_instance(call, instance)
        op.roles[dep.id] = f"delete:{instance.name}"
    if service.pipeline is not None:
        pipe = service.pipeline
        dep = deploy_pipeline(call, service, pipe, "update", (pipe.major, pipe.minor), text)
        op.roles[dep.id] = "pipeline"
    if removed:
        block(call, service.name, None, "Service instances were removed manually.")
    return {OUTPUT: render(region, service)}


def delete(call: Call) -> dict[str, Any]:
    region = call.region
    name = call.params["name"]
    service = region.services.get(name)
    if service is None:
        return _idempotency.repeat_delete(
            call, _arns.service(name), f"Service {name} does not exist."
        )
    if service.status == DELETE_IN_PROGRESS:
        return {OUTPUT: render(region, service)}
    if service.status in SERVICE_BUSY:
        raise ConflictException(f"Service {name} is {service.status}.")
    busy = [i.name for i in service.instances.values() if i.deploy.status in BUSY]
    if service.pipeline is not None and service.pipeline.deploy.status in BUSY:
        busy.append("pipeline")
    if busy:
        raise ConflictException(f"Service {name} has deployments in progress: {', '.join(busy)}.")
    for instance in service.instances.values():
        components = attached_components(region, name, instance.name)
        if components:
            raise ConflictException(
                f"Service instance {instance.name} has component {components[0]} attached; "
                "detach or delete it first."
            )
    op = _begin(call, service, "delete")
    service.status = DELETE_IN_PROGRESS
    service.status_message = None
    service.last_modified_at = call.now
    for instance in sorted(service.instances.values(), key=lambda i: i.name):
        dep = remove_instance(call, instance)
        op.roles[dep.id] = f"delete:{instance.name}"
    if service.pipeline is not None:
        pipe = service.pipeline
        dep = deploy_pipeline(call, service, pipe, "delete", (pipe.major, pipe.minor), pipe.spec)
        op.roles[dep.id] = "pipeline"
    return {OUTPUT: render(region, service)}


def read(call: Call) -> dict[str, Any]:
    return {OUTPUT: render(call.region, get_service(call.region, call.params["name"]))}


def list_all(call: Call) -> dict[str, Any]:
    region = call.region
    return paginate(
        call,
        list(region.services.values()),
        key=lambda s: [s.name],
        render=lambda s: render(region, s, summary=True),
        result_key="services",
    )


# Settling a service operation.


def on_timer(engine: Engine, region: Region, ref: list[str]) -> None:
    name, op_id = ref
    service = region.services.get(name)
    if service is None or service.op is None or service.op.id != op_id:
        return
    service.op.timer_done = True
    _settle(engine, region, service)


def on_child_settled(engine: Engine, region: Region, dep: Deployment) -> None:
    service = region.services.get(dep.service_name or "")
    if service is None or service.op is None or dep.id not in service.op.roles:
        return
    service.op.results[dep.id] = dep.status
    _settle(engine, region, service)


def _failures(op: ServiceOp, prefix: str, good: str) -> list[str]:
    return [
        role.split(":", 1)[-1]
        for dep_id, role in op.roles.items()
        if role.startswith(prefix) and op.results.get(dep_id) != good
    ]


def _settle(engine: Engine, region: Region, service: Service) -> None:
    op = service.op
    if op is None or not op.timer_done or len(op.results) < len(op.roles):
        return
    service.op = None
    service.last_modified_at = engine.now
    failed_creates = _failures(op, "create:", SUCCEEDED)
    failed_deletes = _failures(op, "delete:", DELETE_COMPLETE)
    pipeline_failed = bool(
        _failures(op, "pipeline", SUCCEEDED if op.action != "delete" else DELETE_COMPLETE)
    )
    status, message = ACTIVE, None
    if op.action == "create":
        if op.outcome == "fail":
            status, message = (
                "CREATE_FAILED",
                op.message or f"Creating service {service.name} failed.",
            )
        elif failed_creates or pipeline_failed:
            parts = [f"service instance {n}" for n in failed_creates]
            parts += ["the pipeline"] if pipeline_failed else []
            status, message = "CREATE_FAILED", f"Deployment failed for {', '.join(parts)}."
    elif op.action == "update":
        if op.outcome == "fail":
            status, message = (
                "UPDATE_FAILED",
                op.message or f"Updating service {service.name} failed.",
            )
        elif failed_creates:
            for role in op.roles.values():
                if role.startswith("create:"):
                    _drop_instance(region, service, role.split(":", 1)[1])
            service.spec = op.previous_spec or service.spec
            status = "UPDATE_FAILED_CLEANUP_COMPLETE"
            message = (
                f"Service instance(s) {', '.join(failed_creates)} failed to deploy; "
                "the new instances were removed."
            )
        elif failed_deletes:
            status = "UPDATE_COMPLETE_CLEANUP_FAILED"
            message = f"Service instance(s) {', '.join(failed_deletes)} could not be deleted."
        elif pipeline_failed:
            status, message = "UPDATE_FAILED", "The pipeline failed to deploy."
    else:
        if op.outcome == "fail" or failed_deletes or pipeline_failed:
            status = "DELETE_FAILED"
            message = (
                op.message
                if op.outcome == "fail" and op.message
                else (f"Deleting service {service.name} failed.")
            )
        else:
            _remove_service(engine, region, service)
            return
    service.status = status
    service.status_message = message


def _drop_instance(region: Region, service: Service, name: str) -> None:
    if service.instances.pop(name, None) is not None:
        _tags.drop(region, _arns.service_instance(service.name, name))


def _remove_service(engine: Engine, region: Region, service: Service) -> None:
    path = _arns.service(service.name)
    del region.services[service.name]
    _tags.drop(region, path)
    region.service_sync_configs.pop(service.name, None)
    for blocker_id in [b.id for b in region.blockers.values() if b.service_name == service.name]:
        del region.blockers[blocker_id]
    region.tombstones[path] = Tombstone({}, engine.now)


HANDLERS = {
    "CreateService": create,
    "GetService": read,
    "UpdateService": update,
    "DeleteService": delete,
    "ListServices": list_all,
}
