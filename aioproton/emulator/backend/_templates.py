"""Environment and service templates (the template resource itself).

Name-keyed idempotent creates (§8.2), metadata updates, and deletes that need every
version gone first. Environment and service templates are separate namespaces but
share one quota.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConflictException, ResourceNotFoundException
from . import _arns, _idempotency, _tags, _version_rules
from ._engine import Call
from ._pagination import paginate
from ._records import Template
from ._world import Region

Handler = Callable[[Call], dict[str, Any]]

KINDS = ("environment", "service")


def output_key(kind: str) -> str:
    return f"{kind}Template"


def label(kind: str, name: str) -> str:
    return f"{'Environment' if kind == 'environment' else 'Service'} template {name}"


def get(region: Region, kind: str, name: str) -> Template:
    template = region.templates(kind).get(name)
    if template is None:
        raise ResourceNotFoundException(f"{label(kind, name)} does not exist.")
    return template


def render(region: Region, template: Template, *, summary: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(_arns.template(template.kind, template.name)),
        "name": template.name,
        "createdAt": template.created_at,
        "lastModifiedAt": template.last_modified_at,
    }
    if template.description is not None:
        out["description"] = template.description
    if template.display_name is not None:
        out["displayName"] = template.display_name
    if template.encryption_key is not None and not summary:
        out["encryptionKey"] = template.encryption_key
    if template.provisioning is not None:
        key = "provisioning" if template.kind == "environment" else "pipelineProvisioning"
        out[key] = template.provisioning
    recommended = _version_rules.recommended_text(template)
    if recommended is not None:
        out["recommendedVersion"] = recommended
    return out


def create(call: Call, kind: str) -> dict[str, Any]:
    p = call.params
    name = p["name"]
    region = call.region
    existing = region.templates(kind).get(name)
    if existing is not None:
        _idempotency.repeat_create(
            call,
            what=label(kind, name),
            original=existing.created_with,
            modified=existing.modified,
            deleting=False,
        )
        return {output_key(kind): render(region, existing)}
    used = len(region.environment_templates) + len(region.service_templates)
    call.engine.check_quota(used, call.quotas.templates, "templates")
    _tags.check(call, p.get("tags"))
    template = Template(
        kind=kind,
        name=name,
        created_at=call.now,
        last_modified_at=call.now,
        created_with=_idempotency.created_with(call),
        description=p.get("description"),
        display_name=p.get("displayName"),
        encryption_key=p.get("encryptionKey"),
        provisioning=p.get("provisioning" if kind == "environment" else "pipelineProvisioning"),
    )
    region.templates(kind)[name] = template
    path = _arns.template(kind, name)
    _idempotency.forget(call, path)
    _tags.store(region, path, p.get("tags"))
    return {output_key(kind): render(region, template)}


def read(call: Call, kind: str) -> dict[str, Any]:
    template = get(call.region, kind, call.params["name"])
    return {output_key(kind): render(call.region, template)}


def update(call: Call, kind: str) -> dict[str, Any]:
    p = call.params
    template = get(call.region, kind, p["name"])
    if "description" in p:
        template.description = p["description"]
    if "displayName" in p:
        template.display_name = p["displayName"]
    template.last_modified_at = call.now
    template.modified = True
    return {output_key(kind): render(call.region, template)}


def delete(call: Call, kind: str) -> dict[str, Any]:
    name = call.params["name"]
    region = call.region
    path = _arns.template(kind, name)
    template = region.templates(kind).get(name)
    if template is None:
        previous = _idempotency.exhume(call, path)
        if previous is None:
            raise ResourceNotFoundException(f"{label(kind, name)} does not exist.")
        return previous
    if template.versions:
        raise ConflictException(
            f"{label(kind, name)} still has {len(template.versions)} version(s); delete them first."
        )
    body = {output_key(kind): render(region, template)}
    del region.templates(kind)[name]
    _tags.drop(region, path)
    _idempotency.bury(call, path, body)
    return body


def list_all(call: Call, kind: str) -> dict[str, Any]:
    region = call.region
    return paginate(
        call,
        list(region.templates(kind).values()),
        key=lambda t: [t.name],
        render=lambda t: render(region, t, summary=True),
        result_key="templates",
    )


def _bind(fn: Callable[[Call, str], dict[str, Any]], kind: str) -> Handler:
    def handler(call: Call) -> dict[str, Any]:
        return fn(call, kind)

    return handler


HANDLERS: dict[str, Handler] = {}
for _kind, _title in (("environment", "Environment"), ("service", "Service")):
    HANDLERS[f"Create{_title}Template"] = _bind(create, _kind)
    HANDLERS[f"Get{_title}Template"] = _bind(read, _kind)
    HANDLERS[f"Update{_title}Template"] = _bind(update, _kind)
    HANDLERS[f"Delete{_title}Template"] = _bind(delete, _kind)
    HANDLERS[f"List{_title}Templates"] = _bind(list_all, _kind)
