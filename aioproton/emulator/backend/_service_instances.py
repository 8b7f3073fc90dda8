"""Service instances: create, update, read, list (with filters), and their deployments.

An instance stores the whole service spec document it was deployed with, as the
service does. CreateServiceInstance reads the instance's environment from its
``instances`` entry in the spec; its version defaults to the template's recommended
version (or the recommended minor of the given major). The instance quota is a
ValidationException here (the operation does not list ServiceQuotaExceededException).
A ``spec`` with deploymentType NONE is a ValidationException.
``deployedTemplateVersionStatus`` filters accept UP_TO_DATE, BEHIND_MINOR and
BEHIND_MAJOR. Creating or updating an instance of a service synced from a repository
raises a sync blocker (``_sync``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import Any

from ..errors import ConflictException, ValidationException
from . import (
    _arns,
    _deployable,
    _deployment_lifecycle,
    _idempotency,
    _placeholders,
    _schemas,
    _specs,
    _tags,
    _version_rules,
)
from ._deployable import (
    SERVICE_INSTANCE,
    get_environment,
    get_instance,
    get_service,
    render_deployed,
    token_resolver,
)
from ._deployment_lifecycle import instance_state
from ._engine import Call
from ._pagination import paginate
from ._records import BUSY, SERVICE_BUSY, Deployment, Service, ServiceInstance, TemplateVersion
from ._serde import given
from ._sync import block
from ._templates import get as get_template
from ._version_rules import check_compatible
from ._world import Region

OUTPUT = "serviceInstance"


def _token_resolver(call: Call) -> Callable[[str], dict[str, Any] | None]:
    return token_resolver(
        call, SERVICE_INSTANCE, lambda call, instance: render_instance(call.region, instance)
    )


def _remember(call: Call, instance: ServiceInstance) -> None:
    _idempotency.remember(call, f"{instance.service_name}|{instance.name}|{instance.uid}")


def render_instance(
    region: Region, instance: ServiceInstance, *, summary: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(_arns.service_instance(instance.service_name, instance.name)),
        "name": instance.name,
        "serviceName": instance.service_name,
        "environmentName": instance.environment_name,
    }
    render_deployed(instance, out)
    if not summary:
        out["spec"] = instance.spec
        out.update(given({"lastClientRequestToken": instance.last_client_token}))
    return out


def add_instance(
    call: Call,
    service: Service,
    name: str,
    environment_name: str,
    version: TemplateVersion,
    spec: str,
    *,
    tags: list[dict[str, str]] | None = None,
    client_token: str | None = None,
) -> tuple[ServiceInstance, Deployment]:
    """Create an instance record and start its create deployment."""
    instance = ServiceInstance(
        uid=call.engine.new_id(),
        name=name,
        service_name=service.name,
        environment_name=environment_name,
        template_name=service.template_name,
        major=version.major,
        minor=version.minor,
        spec=spec,
        created_at=call.now,
        deploy=_deployable.new_deploy(call.now),
        last_client_token=client_token,
    )
    service.instances[name] = instance
    _tags.store(
        call.region,
        _arns.service_instance(service.name, name),
        tags,
        _tags.of(call.region, _arns.service(service.name)),
    )
    dep = _start(call, instance, "create", None, (version.major, version.minor, spec))
    return instance, dep


def remove_instance(call: Call, instance: ServiceInstance) -> Deployment:
    """Start deleting an instance (UpdateService or DeleteService dropped it)."""
    return _start(call, instance, "delete", (instance.major, instance.minor, instance.spec), None)


def _start(
    call: Call,
    instance: ServiceInstance,
    action: str,
    initial: tuple[int, int, str] | None,
    target: tuple[int, int, str] | None,
) -> Deployment:
    """Start a deployment of ``instance`` from and to ``(major, minor, spec)``."""
    region = call.region
    return _deployment_lifecycle.start(
        call,
        SERVICE_INSTANCE,
        instance,
        action=action,
        environment_name=instance.environment_name,
        service_name=instance.service_name,
        instance_name=instance.name,
        initial_state=None if initial is None else instance_state(region, instance, *initial),
        target_state=None if target is None else instance_state(region, instance, *target),
    )


def attached_components(region: Region, service_name: str, instance_name: str) -> list[str]:
    return [
        c.name
        for c in region.components.values()
        if c.service_name == service_name and c.service_instance_name == instance_name
    ]


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
    env = get_environment(region, entry.environment)
    template = get_template(region, "service", service.template_name)
    version = _version_rules.for_create(
        template, p.get("templateMajorVersion"), p.get("templateMinorVersion")
    )
    check_compatible(version, env, template.name)
    _schemas.check_service(version, spec, instances=[name])
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
    _deployable.ensure_idle(instance.deploy, what)
    for comp in region.components.values():
        attached = (comp.service_name, comp.service_instance_name)
        if attached == (instance.service_name, instance.name) and comp.deploy.status in BUSY:
            raise ConflictException(
                f"Component {comp.name} attached to {what.lower()} has a deployment in progress."
            )
    template = get_template(region, "service", instance.template_name)
    target = _version_rules.for_update(template, (instance.major, instance.minor), p)
    spec = p.get("spec")
    if spec is not None:
        _specs.service_spec(spec, need_instances=False)
        spec = _placeholders.service_spec(spec, get_service(region, instance.service_name))
    if target is not None and target[0] != instance.major:
        env = get_environment(region, instance.environment_name)
        check_compatible(_version_rules.find(template, *target), env, template.name)
    if target is not None:
        deployed = _specs.service_spec(
            spec if spec is not None else instance.spec, need_instances=False
        )
        _schemas.check_service(
            _version_rules.find(template, *target), deployed, instances=[instance.name]
        )
    if p.get("clientToken"):
        instance.last_client_token = p["clientToken"]
    if target is not None:
        new_spec = spec if spec is not None else instance.spec
        current = (instance.major, instance.minor, instance.spec)
        _start(call, instance, "update", current, (*target, new_spec))
        block(
            call, instance.service_name, instance.name,
            f"Service instance {instance.name} was updated manually.",
        )  # fmt: skip
    _remember(call, instance)
    return {OUTPUT: render_instance(region, instance)}


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


def _render(call: Call, instance: ServiceInstance) -> dict[str, Any]:
    return render_instance(call.region, instance)


HANDLERS = {
    "CreateServiceInstance": create,
    "GetServiceInstance": read,
    "UpdateServiceInstance": update,
    "ListServiceInstances": list_all,
    **_deployable.handlers(SERVICE_INSTANCE, _render),
}
