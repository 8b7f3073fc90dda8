"""Directly defined components: attachment rules, deployments and deletes.

A component is attached to a service instance (``serviceName`` + ``serviceInstanceName``,
its environment then being the instance's) or only associated with an environment.
Readings: an instance holds at most one component (ConflictException for a second);
attaching needs the instance's template version to support DIRECTLY_DEFINED sources
and, for AWS-managed environments, a component role on the environment or its
connection (ValidationException otherwise); a component moves between instances only
by detaching first; only detached components can be deleted (ConflictException).
Like versions and specs elsewhere, an UpdateComponent's attachment, ``serviceSpec`` and
``templateFile`` take effect when its deployment succeeds. NONE updates are refused
while the component is busy, like the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConflictException, ValidationException
from . import (
    _arns,
    _connections,
    _deployable,
    _deployment_lifecycle,
    _idempotency,
    _specs,
    _tags,
    _version_rules,
)
from ._deployable import (
    COMPONENT,
    get_component,
    get_environment,
    get_instance,
    render_deploy,
    token_resolver,
)
from ._deployment_lifecycle import component_state
from ._engine import Call
from ._pagination import paginate
from ._records import BUSY, DELETE_IN_PROGRESS, Component, Environment, ServiceInstance
from ._serde import given, members
from ._templates import get as get_template
from ._world import Region

OUTPUT = "component"


def render(region: Region, comp: Component, *, summary: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(_arns.component(comp.name)),
        **members(comp, "name", "environmentName", "createdAt", "lastModifiedAt"),
    }
    render_deploy(comp.deploy, out, succeeded_default=None)
    if comp.service_name:
        out["serviceName"] = comp.service_name
        out["serviceInstanceName"] = comp.service_instance_name
    if not summary:
        out.update(
            given(
                {
                    "description": comp.description,
                    "lastClientRequestToken": comp.last_client_token,
                    "serviceSpec": comp.service_spec,
                }
            )
        )
    return out


def _token_resolver(call: Call) -> Callable[[str], dict[str, Any] | None]:
    return token_resolver(call, COMPONENT, lambda call, comp: render(call.region, comp))


def _attachable(call: Call, instance: ServiceInstance, name: str) -> None:
    template = get_template(call.region, "service", instance.template_name)
    version = _version_rules.find(template, instance.major, instance.minor)
    if "DIRECTLY_DEFINED" not in (version.supported_component_sources or []):
        raise ValidationException(
            f"Version {version.number} of service template {template.name} does not support "
            "directly defined components."
        )
    for other in call.region.components.values():
        if other.name != name and (other.service_name, other.service_instance_name) == (
            instance.service_name,
            instance.name,
        ):
            raise ConflictException(
                f"Service instance {instance.name} already has component {other.name} attached."
            )


def _check_role(call: Call, env: Environment) -> None:
    if env.provisioning == "CUSTOMER_MANAGED" or env.provisioning_repository is not None:
        return
    role = env.component_role_arn
    if role is None and env.connection_id is not None:
        found = _connections.find(call, env.connection_id)
        role = found[1].component_role_arn if found else None
    if role is None:
        raise ValidationException(
            f"Environment {env.name} has no componentRoleArn; set one on the environment "
            "(or its environment account connection) to create components in it."
        )


def _check_spec(text: str | None) -> None:
    if text is not None:
        _specs.load(text, "serviceSpec")


def create(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    replayed = _idempotency.replay(call, _token_resolver(call))
    if replayed is not None:
        return replayed
    name = p["name"]
    if name in region.components:
        raise ConflictException(f"Component {name} already exists.")
    service_name: str | None = p.get("serviceName")
    instance_name: str | None = p.get("serviceInstanceName")
    if bool(service_name) != bool(instance_name):
        raise ValidationException("Pass serviceName and serviceInstanceName together, or neither.")
    if service_name and instance_name:
        instance = get_instance(region, service_name, instance_name)
        if p.get("environmentName") and p["environmentName"] != instance.environment_name:
            raise ValidationException(
                f"Service instance {instance.name} is in environment "
                f"{instance.environment_name}, not {p['environmentName']}."
            )
        _attachable(call, instance, name)
        environment_name = instance.environment_name
    else:
        if p.get("serviceSpec") is not None:
            raise ValidationException("serviceSpec is only allowed for an attached component.")
        if not p.get("environmentName"):
            raise ValidationException("environmentName is required for a detached component.")
        environment_name = p["environmentName"]
    _check_role(call, get_environment(region, environment_name))
    _check_spec(p.get("serviceSpec"))
    call.engine.check_quota(len(region.components), call.quotas.components, "components")
    _tags.check(call, p.get("tags"))
    comp = Component(
        uid=call.engine.new_id(),
        name=name,
        environment_name=environment_name,
        created_at=call.now,
        last_modified_at=call.now,
        manifest=p["manifest"],
        template_file=p["templateFile"],
        deploy=_deployable.new_deploy(call.now),
        service_name=service_name or None,
        service_instance_name=instance_name or None,
        service_spec=p.get("serviceSpec"),
        description=p.get("description"),
        last_client_token=p.get("clientToken") or None,
    )
    region.components[name] = comp
    path = _arns.component(name)
    _idempotency.forget(call, path)
    _tags.store(region, path, p.get("tags"))
    _start(call, comp, "create", None, component_state(comp))
    _idempotency.remember(call, f"{name}|{comp.uid}")
    return {OUTPUT: render(region, comp)}


def _start(
    call: Call,
    comp: Component,
    action: str,
    initial: dict[str, Any] | None,
    target: dict[str, Any] | None,
) -> None:
    _deployment_lifecycle.start(
        call,
        COMPONENT,
        comp,
        action=action,
        environment_name=comp.environment_name,
        service_name=comp.service_name,
        instance_name=comp.service_instance_name,
        component_name=comp.name,
        initial_state=initial,
        target_state=target,
    )


def _instance_busy(call: Call, service_name: str | None, instance_name: str | None) -> None:
    if not service_name:
        return
    service = call.region.services.get(service_name)
    instance = service.instances.get(instance_name or "") if service else None
    if instance is not None and instance.deploy.status in BUSY:
        raise ConflictException(f"Service instance {instance.name} has a deployment in progress.")


def _target_attachment(call: Call, comp: Component) -> tuple[str | None, str | None]:
    p = call.params
    if ("serviceName" in p) != ("serviceInstanceName" in p):
        raise ValidationException("Pass serviceName and serviceInstanceName together, or neither.")
    if "serviceName" not in p:
        return comp.service_name, comp.service_instance_name
    service_name, instance_name = p["serviceName"], p["serviceInstanceName"]
    if (service_name == "") != (instance_name == ""):
        raise ValidationException(
            "To detach, pass empty strings for both serviceName and serviceInstanceName."
        )
    if service_name == "":
        return None, None
    if (service_name, instance_name) == (comp.service_name, comp.service_instance_name):
        return service_name, instance_name
    if comp.service_name:
        raise ValidationException(
            f"Component {comp.name} is attached to {comp.service_name}/"
            f"{comp.service_instance_name}; detach it before attaching it elsewhere."
        )
    instance = get_instance(call.region, service_name, instance_name)
    if instance.environment_name != comp.environment_name:
        raise ValidationException(
            f"Service instance {instance.name} is in environment {instance.environment_name}, "
            f"not in the component's environment {comp.environment_name}."
        )
    _attachable(call, instance, comp.name)
    return service_name, instance_name


def update(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    comp = get_component(region, p["name"])
    replayed = _idempotency.replay(call, _token_resolver(call))
    if replayed is not None:
        return replayed
    if p["deploymentType"] == "NONE":
        extra = [
            key
            for key in ("serviceName", "serviceInstanceName", "serviceSpec", "templateFile")
            if key in p
        ]
        if extra:
            raise ValidationException(
                f"deploymentType NONE only updates the description; don't pass {', '.join(extra)}."
            )
        _deployable.ensure_idle(comp.deploy, f"Component {comp.name}")
    else:
        _deployable.ensure_idle(comp.deploy, f"Component {comp.name}")
        _instance_busy(call, comp.service_name, comp.service_instance_name)
        service_name, instance_name = _target_attachment(call, comp)
        _instance_busy(call, service_name, instance_name)
        spec = p.get("serviceSpec")
        if service_name is None and spec is not None:
            raise ValidationException("serviceSpec is only allowed for an attached component.")
        if spec is None and service_name is not None and service_name == comp.service_name:
            spec = comp.service_spec
        _check_spec(spec)
        target: dict[str, Any] = {
            "serviceName": service_name or "",
            "serviceInstanceName": instance_name or "",
            "templateFile": p.get("templateFile", comp.template_file),
        }
        if spec is not None:
            target["serviceSpec"] = spec
        _start(call, comp, "update", component_state(comp), {"component": target})
    if "description" in p:
        comp.description = p["description"]
    if p.get("clientToken"):
        comp.last_client_token = p["clientToken"]
    comp.last_modified_at = call.now
    _idempotency.remember(call, f"{comp.name}|{comp.uid}")
    return {OUTPUT: render(region, comp)}


def delete(call: Call) -> dict[str, Any]:
    region = call.region
    name = call.params["name"]
    comp = region.components.get(name)
    if comp is None:
        return _idempotency.repeat_delete(
            call, _arns.component(name), f"Component {name} does not exist."
        )
    if comp.deploy.status == DELETE_IN_PROGRESS:
        return {OUTPUT: render(region, comp)}
    _deployable.ensure_idle(comp.deploy, f"Component {name}")
    if comp.service_name:
        raise ConflictException(
            f"Component {name} is attached to service instance {comp.service_name}/"
            f"{comp.service_instance_name}; detach it before deleting it."
        )
    _start(call, comp, "delete", component_state(comp), None)
    comp.last_modified_at = call.now
    return {OUTPUT: render(region, comp)}


def read(call: Call) -> dict[str, Any]:
    return {OUTPUT: render(call.region, get_component(call.region, call.params["name"]))}


def list_all(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    if p.get("serviceInstanceName") and not p.get("serviceName"):
        raise ValidationException("serviceInstanceName needs serviceName.")
    items = list(region.components.values())
    if p.get("environmentName"):
        items = [c for c in items if c.environment_name == p["environmentName"]]
    if p.get("serviceName"):
        items = [c for c in items if c.service_name == p["serviceName"]]
    if p.get("serviceInstanceName"):
        items = [c for c in items if c.service_instance_name == p["serviceInstanceName"]]
    return paginate(
        call,
        items,
        key=lambda c: [c.name],
        render=lambda c: render(region, c, summary=True),
        result_key="components",
    )


HANDLERS = {
    "CreateComponent": create,
    "GetComponent": read,
    "UpdateComponent": update,
    "DeleteComponent": delete,
    "ListComponents": list_all,
    **_deployable.handlers(COMPONENT, lambda call, comp: render(call.region, comp)),
}
