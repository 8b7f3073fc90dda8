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
from ._engine import Call, Handler
from ._pagination import paginate
from ._records import Template
from ._serde import given, members
from ._world import Region

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
        **members(template, "name", "createdAt", "lastModifiedAt"),
    }
    provisioning = "provisioning" if template.kind == "environment" else "pipelineProvisioning"
    optional = {
        "description": template.description,
        "displayName": template.display_name,
        provisioning: template.provisioning,
        "recommendedVersion": _version_rules.recommended_text(template),
    }
    if not summary:
        optional["encryptionKey"] = template.encryption_key
    out.update(given(optional))
    return out


def create(call: Call, kind: str) -> dict[str, Any]:
    p = call.params
    name = p["name"]
    region = call.region
    existing = region.templates(kind).get(name)
    if existing is not None:
        _idempotency.repeat_create(call, label(kind, name), existing)
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
        return _idempotency.repeat_delete(call, path, f"{label(kind, name)} does not exist.")
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


def per_kind(table: dict[str, Callable[[Call, str], dict[str, Any]]]) -> dict[str, Handler]:
    """One handler per template kind and entry; ``{}`` in a name stands for the kind's title."""

    def bind(fn: Callable[[Call, str], dict[str, Any]], kind: str) -> Handler:
        return lambda call: fn(call, kind)

    return {
        name.format(title): bind(fn, kind)
        for kind, title in (("environment", "Environment"), ("service", "Service"))
        for name, fn in table.items()
    }


HANDLERS = per_kind(
    {
        "Create{}Template": create,
        "Get{}Template": read,
        "Update{}Template": update,
        "Delete{}Template": delete,
        "List{}Templates": list_all,
    }
)
