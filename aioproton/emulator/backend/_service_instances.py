"""Service instances and service pipelines: create, update, cancel, outputs, listing.

CreateServiceInstance reads the instance's environment from its ``instances`` entry in
the spec; its version defaults to the template's recommended version (or the
recommended minor of the given major). The instance quota is a ValidationException
here (the operation does not list ServiceQuotaExceededException). A ``spec`` with
deploymentType NONE is a ValidationException for instances and is accepted and ignored
for pipelines (where the model requires it). ``deployedTemplateVersionStatus`` filters
accept UP_TO_DATE, BEHIND_MINOR and BEHIND_MAJOR.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import Any

from ..errors import ConflictException, ValidationException
from . import _arns, _deployment_lifecycle, _idempotency, _specs, _tags, _version_rules
from ._deployment_lifecycle import SERVICE_INSTANCE, instance_state
from ._engine import Call
from ._pagination import paginate, single_page
from ._pipelines import (
    SERVICE_BUSY,
    add_instance,
    block,
    check_compatible,
    deploy_pipeline,
    environment_for,
    get_instance,
    get_pipeline,
    get_service,
    render_instance,
    render_pipeline,
)
from ._records import BUSY, ServiceInstance
from ._templates import get as get_template
from ._world import Region

OUTPUT = "serviceInstance"


def _token_resolver(call: Call) -> Callable[[str], dict[str, Any] | None]:
    def resolve(resource: str) -> dict[str, Any] | None:
        service_name, name, uid = resource.split("|")
        service = call.region.services.get(service_name)
        instance = service.instances.get(name) if service else None
        if instance is None or instance.uid != uid:
            return None
        return {OUTPUT: render_instance(call.region, instance)}

    return resolve


def _remember(call: Call, instance: ServiceInstance) -> None:
    _idempotency.remember(call, f"{instance.service_name}|{instance.name}|{instance.uid}")


def create(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    service = get_service(region, p["serviceName"])
    replayed = _idempotency.replay(call, _token_resolver(call))
    if replayed is not None:
        return replayed
    name = p["name"]
    if service.status in SERVICE_BUSY:
        raise ConflictException(f"Service {service.name} is {service.status}.")
    if name in service.instances:
        raise ConflictException(f"Service {service.name} already has an instance named {name}.")
    limit = call.quotas.instances_per_service
    if len(service.instances) >= limit:
        raise ValidationException(f"A service can have at most {limit} service instances.")
    spec = _specs.service_spec(p["spec"], need_instances=False)
    entry = spec.instance(name)
    if entry is None:
        raise ValidationException(
            f"Invalid spec: spec.instances: must list instance {name!r} with its environment."
        )
    env = environment_for(region, entry.environment)
    template = get_template(region, "service", service.template_name)
    version = _version_rules.for_create(
        template, p.get("templateMajorVersion"), p.get("templateMinorVersion")
    )
    check_compatible(version, env, template.name)
    _tags.check(call, p.get("tags"), _tags.of(region, _arns.service(service.name)))
    instance, _ = add_instance(
        call,
        service,
        name,
        env.name,
        version,
        p["spec"],
        tags=p.get("tags"),
        client_token=p.get("clientToken") or None,
    )
    block(call, service.name, name, f"Service instance {name} was created manually.")
    _remember(call, instance)
    return {OUTPUT: render_instance(region, instance)}


def update(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    instance = get_instance(region, p["serviceName"], p["name"])
    replayed = _idempotency.replay(call, _token_resolver(call))
    if replayed is not None:
        return replayed
    what = f"Service instance {instance.name}"
    _deployment_lifecycle.ensure_idle(instance.deploy, what)
    for comp in region.components.values():
        attached = (comp.service_name, comp.service_instance_name)
        if attached == (instance.service_name, instance.name) and comp.deploy.status in BUSY:
            raise ConflictException(
                f"Component {comp.name} attached to {what.lower()} has a deployment in progress."
            )
    template = get_template(region, "service", instance.template_name)
    deployment_type = p["deploymentType"]
    target = _version_rules.for_update(
        template,
        (instance.major, instance.minor),
        deployment_type,
        p.get("templateMajorVersion"),
        p.get("templateMinorVersion"),
    )
    spec = p.get("spec")
    if deployment_type == "NONE" and spec is not None:
        raise ValidationException("deploymentType NONE does not take a spec.")
    if spec is not None:
        _specs.service_spec(spec, need_instances=False)
    if target is not None and target[0] != instance.major:
        env = environment_for(region, instance.environment_name)
        check_compatible(_version_rules.find(template, *target), env, template.name)
    if p.get("clientToken"):
        instance.last_client_token = p["clientToken"]
    if target is not None:
        new_spec = spec if spec is not None else instance.spec
        _deployment_lifecycle.start(
            call,
            instance,
            target_type=SERVICE_INSTANCE,
            action="update",
            environment_name=instance.environment_name,
            service_name=instance.service_name,
            instance_name=instance.name,
            initial_state=instance_state(
                region, instance, instance.major, instance.minor, instance.spec
            ),
            target_state=instance_state(region, instance, target[0], target[1], new_spec),
        )
        block(
            call, instance.service_name, instance.name,
            f"Service instance {instance.name} was updated manually.",
        )  # fmt: skip
    _remember(call, instance)
    return {OUTPUT: render_instance(region, instance)}


def cancel(call: Call) -> dict[str, Any]:
    p = call.params
    instance = get_instance(call.region, p["serviceName"], p["serviceInstanceName"])
    _deployment_lifecycle.cancel(call, instance, f"Service instance {instance.name}")
    return {OUTPUT: render_instance(call.region, instance)}


def read(call: Call) -> dict[str, Any]:
    p = call.params
    instance = get_instance(call.region, p["serviceName"], p["name"])
    return {OUTPUT: render_instance(call.region, instance)}


# Listing and filtering.

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_STALENESS = (_version_rules.UP_TO_DATE, _version_rules.BEHIND_MINOR, _version_rules.BEHIND_MAJOR)


def parse_time(value: str) -> float:
    """An RFC 3339 date-time as epoch seconds."""
    match = _RFC3339.match(value)
    if match is None:
        raise ValidationException(f"{value!r} is not an RFC 3339 date-time.")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = float(match.group(7) or 0)
    zone = match.group(8)
    offset = 0
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    try:
        stamp = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except ValueError as exc:
        raise ValidationException(f"{value!r} is not a valid date-time.") from exc
    return stamp + fraction - offset


def _matcher(region: Region, key: str, value: str) -> Callable[[ServiceInstance], bool]:
    if key == "deployedTemplateVersionStatus":
        if value not in _STALENESS:
            raise ValidationException(
                f"deployedTemplateVersionStatus must be one of {', '.join(_STALENESS)}."
            )

        def stale(i: ServiceInstance) -> bool:
            template = region.service_templates.get(i.template_name)
            return _version_rules.staleness(template, i.major, i.minor) == value

        return stale
    if key.endswith(("Before", "After")):
        moment = parse_time(value)
        field = "createdAt" if key.startswith("createdAt") else "lastDeploymentAttemptedAt"
        before = key.endswith("Before")

        def timed(i: ServiceInstance) -> bool:
            stamp = i.created_at if field == "createdAt" else i.deploy.attempted_at
            return stamp < moment if before else stamp > moment

        return timed
    getters: dict[str, Callable[[ServiceInstance], str]] = {
        "name": lambda i: i.name,
        "deploymentStatus": lambda i: i.deploy.status,
        "templateName": lambda i: i.template_name,
        "serviceName": lambda i: i.service_name,
        "environmentName": lambda i: i.environment_name,
    }
    getter = getters[key]
    return lambda i: getter(i) == value


def _sort_key(sort_by: str) -> Callable[[ServiceInstance], list[Any]]:
    fields: dict[str, Callable[[ServiceInstance], Any]] = {
        "name": lambda i: i.name,
        "deploymentStatus": lambda i: i.deploy.status,
        "templateName": lambda i: i.template_name,
        "environmentName": lambda i: i.environment_name,
        "lastDeploymentAttemptedAt": lambda i: i.deploy.attempted_at,
        "createdAt": lambda i: i.created_at,
    }
    if sort_by == "serviceName":
        return lambda i: [i.service_name, i.name]
    field = fields[sort_by]
    return lambda i: [field(i), i.service_name, i.name]


def list_all(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    if p.get("serviceName") is not None:
        services = [get_service(region, p["serviceName"])]
    else:
        services = list(region.services.values())
    items = [i for s in services for i in s.instances.values()]
    for item in p.get("filters") or []:
        if item.get("key") is None or item.get("value") is None:
            raise ValidationException("Each filter needs both a key and a value.")
        match = _matcher(region, item["key"], item["value"])
        items = [i for i in items if match(i)]
    return paginate(
        call,
        items,
        key=_sort_key(p.get("sortBy") or "serviceName"),
        render=lambda i: render_instance(region, i, summary=True),
        result_key="serviceInstances",
        descending=p.get("sortOrder") == "DESCENDING",
    )


def list_outputs(call: Call) -> dict[str, Any]:
    p = call.params
    instance = get_instance(call.region, p["serviceName"], p["serviceInstanceName"])
    path = _arns.service_instance(instance.service_name, instance.name)
    outputs = _deployment_lifecycle.outputs_for(call, instance, path, p.get("deploymentId"))
    return single_page(call, outputs, dict, "outputs")


def list_provisioned_resources(call: Call) -> dict[str, Any]:
    p = call.params
    get_instance(call.region, p["serviceName"], p["serviceInstanceName"])
    return single_page(call, [], dict, "provisionedResources")


def sync_status(call: Call) -> dict[str, Any]:
    p = call.params
    get_instance(call.region, p["serviceName"], p["serviceInstanceName"])
    return {}


# Pipelines.


def update_pipeline(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    service = get_service(region, p["serviceName"])
    pipeline = get_pipeline(region, service.name)
    _deployment_lifecycle.ensure_idle(pipeline.deploy, f"The pipeline of service {service.name}")
    if service.status in SERVICE_BUSY:
        raise ConflictException(f"Service {service.name} is {service.status}.")
    template = get_template(region, "service", pipeline.template_name)
    target = _version_rules.for_update(
        template,
        (pipeline.major, pipeline.minor),
        p["deploymentType"],
        p.get("templateMajorVersion"),
        p.get("templateMinorVersion"),
    )
    if target is not None:
        _specs.service_spec(p["spec"], need_instances=False)
        deploy_pipeline(call, service, pipeline, "update", target, p["spec"])
    return {"pipeline": render_pipeline(region, service.name, pipeline)}


def cancel_pipeline(call: Call) -> dict[str, Any]:
    service = get_service(call.region, call.params["serviceName"])
    pipeline = get_pipeline(call.region, service.name)
    _deployment_lifecycle.cancel(call, pipeline, f"The pipeline of service {service.name}")
    return {"pipeline": render_pipeline(call.region, service.name, pipeline)}


def list_pipeline_outputs(call: Call) -> dict[str, Any]:
    name = call.params["serviceName"]
    pipeline = get_pipeline(call.region, name)
    outputs = _deployment_lifecycle.outputs_for(
        call, pipeline, _arns.pipeline(name), call.params.get("deploymentId")
    )
    return single_page(call, outputs, dict, "outputs")


def list_pipeline_provisioned_resources(call: Call) -> dict[str, Any]:
    get_pipeline(call.region, call.params["serviceName"])
    return single_page(call, [], dict, "provisionedResources")


HANDLERS = {
    "CreateServiceInstance": create,
    "GetServiceInstance": read,
    "UpdateServiceInstance": update,
    "CancelServiceInstanceDeployment": cancel,
    "ListServiceInstances": list_all,
    "ListServiceInstanceOutputs": list_outputs,
    "ListServiceInstanceProvisionedResources": list_provisioned_resources,
    "GetServiceInstanceSyncStatus": sync_status,
    "UpdateServicePipeline": update_pipeline,
    "CancelServicePipelineDeployment": cancel_pipeline,
    "ListServicePipelineOutputs": list_pipeline_outputs,
    "ListServicePipelineProvisionedResources": list_pipeline_provisioned_resources,
}
