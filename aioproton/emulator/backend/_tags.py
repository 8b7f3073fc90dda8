"""Tags: kept per resource path in the owning region, plus the three tagging operations.

Taggable: templates and their versions, environments, services, service instances,
components, repositories and environment account connections. Pipelines and
deployments are not taggable (ResourceNotFoundException), nor is an ARN of another
account or region. Tag keys beginning with ``aws:`` are reserved; a resource holds at
most ``Quotas.tags_per_resource`` tags (ValidationException beyond). Tagging a resource
that is being deleted is a ConflictException. A parent's tags are copied onto children
created later (template -> version, service -> instance), the child's own tags winning.
Only customer tags exist: no ``aws:proton:*`` managed tags are synthesized.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ConflictException, ResourceNotFoundException, ValidationException
from ._engine import Call
from ._pagination import paginate
from ._records import DELETE_IN_PROGRESS
from ._world import Region

_VERSION = re.compile(r"^(environment|service)-template/([^:/]+):(\d+)\.(\d+)$")
_TEMPLATE = re.compile(r"^(environment|service)-template/([^:/]+)$")
_SIMPLE = re.compile(r"^(environment|service|component|environment-account-connection)/([^/]+)$")
_INSTANCE = re.compile(r"^service/([^/]+)/service-instance/([^/]+)$")
_REPOSITORY = re.compile(r"^repository/([a-z_]+):(.+)$")


def check(
    call: Call, tags: list[dict[str, str]] | None, inherited: dict[str, str] | None = None
) -> None:
    """Reject reserved keys and too many tags before anything is created."""
    merged = dict(inherited or {})
    for tag in tags or []:
        if tag["key"].startswith("aws:"):
            raise ValidationException(f"Tag keys beginning with 'aws:' are reserved: {tag['key']}")
        merged[tag["key"]] = tag["value"]
    limit = call.quotas.tags_per_resource
    if len(merged) > limit:
        raise ValidationException(f"A resource can have at most {limit} tags.")


def store(
    region: Region,
    path: str,
    tags: list[dict[str, str]] | None,
    inherited: dict[str, str] | None = None,
) -> None:
    merged = dict(inherited or {})
    merged.update({tag["key"]: tag["value"] for tag in tags or []})
    if merged:
        region.tags[path] = merged
    else:
        region.tags.pop(path, None)


def of(region: Region, path: str) -> dict[str, str]:
    return dict(region.tags.get(path, {}))


def drop(region: Region, path: str) -> None:
    """Forget the tags of ``path`` and of everything beneath it."""
    for key in [k for k in region.tags if k == path or k.startswith(path + "/")]:
        del region.tags[key]


def _find(region: Region, path: str) -> tuple[bool, bool]:
    """(exists, being deleted) for a taggable resource path."""
    if match := _VERSION.match(path):
        kind, name, major, minor = match.groups()
        template = region.templates(kind).get(name)
        return (template is not None and f"{int(major)}.{int(minor)}" in template.versions, False)
    if match := _TEMPLATE.match(path):
        kind, name = match.groups()
        return name in region.templates(kind), False
    if match := _INSTANCE.match(path):
        service = region.services.get(match.group(1))
        instance = service.instances.get(match.group(2)) if service else None
        if instance is None:
            return False, False
        return True, instance.deploy.status == DELETE_IN_PROGRESS
    if match := _SIMPLE.match(path):
        kind, name = match.groups()
        if kind == "environment":
            env = region.environments.get(name)
            return env is not None, env is not None and env.deploy.status == DELETE_IN_PROGRESS
        if kind == "service":
            service = region.services.get(name)
            return service is not None, service is not None and service.status == DELETE_IN_PROGRESS
        if kind == "component":
            comp = region.components.get(name)
            return comp is not None, comp is not None and comp.deploy.status == DELETE_IN_PROGRESS
        return name in region.connections, False
    if match := _REPOSITORY.match(path):
        provider, name = match.groups()
        return f"{provider.upper()}:{name}" in region.repositories, False
    return False, False


def resolve(call: Call, arn: str) -> tuple[Region, str, bool]:
    """The region and path of a taggable ARN, and whether it is being deleted."""
    path = call.own_path(arn)
    exists, deleting = (False, False) if path is None else _find(call.region, path)
    if path is None or not exists:
        raise ResourceNotFoundException(f"Resource {arn} not found.")
    return call.region, path, deleting


def tag_resource(call: Call) -> dict[str, Any]:
    region, path, deleting = resolve(call, call.params["resourceArn"])
    if deleting:
        raise ConflictException(f"Resource {call.params['resourceArn']} is being deleted.")
    check(call, call.params["tags"], of(region, path))
    store(region, path, call.params["tags"], of(region, path))
    return {}


def untag_resource(call: Call) -> dict[str, Any]:
    region, path, deleting = resolve(call, call.params["resourceArn"])
    if deleting:
        raise ConflictException(f"Resource {call.params['resourceArn']} is being deleted.")
    current = of(region, path)
    for key in call.params["tagKeys"]:
        current.pop(key, None)
    store(region, path, None, current)
    return {}


def list_tags_for_resource(call: Call) -> dict[str, Any]:
    region, path, _ = resolve(call, call.params["resourceArn"])
    items = sorted(of(region, path).items())
    return paginate(
        call,
        items,
        key=lambda item: [item[0]],
        render=lambda item: {"key": item[0], "value": item[1]},
        result_key="tags",
    )


HANDLERS = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
