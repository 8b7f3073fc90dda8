"""Template and service sync configurations, sync blockers and sync statuses.

Readings: the create operations list no ResourceNotFoundException, so a missing
template, service or unlinked repository is a ValidationException there (and a
ResourceNotFoundException for the update operations, which list it); a second create
for the same key answers with the existing configuration when identical and is a
ConflictException otherwise; resolving a RESOLVED blocker is a ConflictException.
Template sync itself (reading the branch, registering versions, the attempts that
``GetTemplateSyncStatus`` and ``GetRepositorySyncStatus`` report) is ``_template_sync``;
the status operations read the branch at once. Service sync and
``GetServiceInstanceSyncStatus`` are ``_service_sync``.
A manual change to a service that has a service sync configuration raises a sync
blocker: creating or updating an instance blocks that instance, removing instances
blocks the whole service.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConflictException, ResourceNotFoundException, ValidationException
from . import _idempotency, _template_sync
from ._account import repository_key
from ._deployable import get_instance, get_service
from ._engine import Call
from ._records import ServiceSyncConfig, SyncBlocker, TemplateSyncConfig
from ._repositories import get as get_repository
from ._serde import given


def _template_key(name: str, kind: str) -> str:
    return f"{kind}:{name}"


def _linked(call: Call, provider: str, name: str, missing: type[Exception]) -> None:
    if repository_key(provider, name) not in call.region.repositories:
        raise missing(f"Repository {provider}:{name} is not linked.")


def render_template_config(c: TemplateSyncConfig) -> dict[str, Any]:
    out = {
        "templateName": c.template_name,
        "templateType": c.template_type,
        "repositoryName": c.repository_name,
        "repositoryProvider": c.repository_provider,
        "branch": c.branch,
    }
    out.update(given({"subdirectory": c.subdirectory}))
    return out


def create_template_config(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    kind = p["templateType"]
    key = _template_key(p["templateName"], kind)
    wanted = TemplateSyncConfig(
        template_name=p["templateName"],
        template_type=kind,
        repository_name=p["repositoryName"],
        repository_provider=p["repositoryProvider"],
        branch=p["branch"],
        subdirectory=p.get("subdirectory"),
    )
    existing = region.template_sync_configs.get(key)
    if existing is not None:
        if existing != wanted:
            raise ConflictException(
                f"Template {p['templateName']} already has a different sync configuration."
            )
        return {"templateSyncConfig": render_template_config(existing)}
    if p["templateName"] not in region.templates(kind.lower()):
        raise ValidationException(f"{kind.title()} template {p['templateName']} does not exist.")
    _linked(call, p["repositoryProvider"], p["repositoryName"], ValidationException)
    region.template_sync_configs[key] = wanted
    _idempotency.forget(call, f"template-sync/{key}")
    return {"templateSyncConfig": render_template_config(wanted)}


def _template_config(call: Call) -> TemplateSyncConfig:
    p = call.params
    config = call.region.template_sync_configs.get(
        _template_key(p["templateName"], p["templateType"])
    )
    if config is None:
        raise ResourceNotFoundException(
            f"Template {p['templateName']} has no {p['templateType']} sync configuration."
        )
    return config


def get_template_config(call: Call) -> dict[str, Any]:
    return {"templateSyncConfig": render_template_config(_template_config(call))}


def _repoint(call: Call, config: TemplateSyncConfig | ServiceSyncConfig) -> None:
    """What both Update*SyncConfig operations do: read from the repository and branch given."""
    p = call.params
    _linked(call, p["repositoryProvider"], p["repositoryName"], ResourceNotFoundException)
    config.repository_name = p["repositoryName"]
    config.repository_provider = p["repositoryProvider"]
    config.branch = p["branch"]


def update_template_config(call: Call) -> dict[str, Any]:
    config = _template_config(call)
    _repoint(call, config)
    config.subdirectory = call.params.get("subdirectory")
    return {"templateSyncConfig": render_template_config(config)}


def delete_template_config(call: Call) -> dict[str, Any]:
    p = call.params
    key = _template_key(p["templateName"], p["templateType"])
    config = call.region.template_sync_configs.get(key)
    if config is None:
        return _idempotency.repeat_delete(
            call,
            f"template-sync/{key}",
            f"Template {p['templateName']} has no {p['templateType']} sync configuration.",
        )
    body = {"templateSyncConfig": render_template_config(config)}
    del call.region.template_sync_configs[key]
    _idempotency.bury(call, f"template-sync/{key}", body)
    return body


def render_service_config(c: ServiceSyncConfig) -> dict[str, Any]:
    return {
        "serviceName": c.service_name,
        "repositoryName": c.repository_name,
        "repositoryProvider": c.repository_provider,
        "branch": c.branch,
        "filePath": c.file_path,
    }


def create_service_config(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    wanted = ServiceSyncConfig(
        service_name=p["serviceName"],
        repository_name=p["repositoryName"],
        repository_provider=p["repositoryProvider"],
        branch=p["branch"],
        file_path=p["filePath"],
    )
    existing = region.service_sync_configs.get(p["serviceName"])
    if existing is not None:
        if existing != wanted:
            raise ConflictException(
                f"Service {p['serviceName']} already has a different sync configuration."
            )
        return {"serviceSyncConfig": render_service_config(existing)}
    if p["serviceName"] not in region.services:
        raise ValidationException(f"Service {p['serviceName']} does not exist.")
    _linked(call, p["repositoryProvider"], p["repositoryName"], ValidationException)
    region.service_sync_configs[wanted.service_name] = wanted
    _idempotency.forget(call, f"service-sync/{wanted.service_name}")
    return {"serviceSyncConfig": render_service_config(wanted)}


def _service_config(call: Call) -> ServiceSyncConfig:
    name = call.params["serviceName"]
    config = call.region.service_sync_configs.get(name)
    if config is None:
        raise ResourceNotFoundException(f"Service {name} has no sync configuration.")
    return config


def get_service_config(call: Call) -> dict[str, Any]:
    return {"serviceSyncConfig": render_service_config(_service_config(call))}


def update_service_config(call: Call) -> dict[str, Any]:
    config = _service_config(call)
    _repoint(call, config)
    config.file_path = call.params["filePath"]
    return {"serviceSyncConfig": render_service_config(config)}


def delete_service_config(call: Call) -> dict[str, Any]:
    name = call.params["serviceName"]
    config = call.region.service_sync_configs.get(name)
    if config is None:
        return _idempotency.repeat_delete(
            call, f"service-sync/{name}", f"Service {name} has no sync configuration."
        )
    body = {"serviceSyncConfig": render_service_config(config)}
    del call.region.service_sync_configs[name]
    _idempotency.bury(call, f"service-sync/{name}", body)
    return body


#: The request id of the calls service sync makes itself: they raise no blocker.
SYNC_REQUEST_ID = "service-sync"


def block(call: Call, service_name: str, instance_name: str | None, reason: str) -> None:
    """Raise a sync blocker if the service is synced from a repository (and this call
    is a manual change, not service sync's own)."""
    if service_name not in call.region.service_sync_configs:
        return
    if call.ctx.request_id == SYNC_REQUEST_ID:
        return
    contexts = [{"key": "serviceName", "value": service_name}]
    if instance_name is not None:
        contexts.append({"key": "serviceInstanceName", "value": instance_name})
    blocker = SyncBlocker(
        id=call.engine.new_id(),
        service_name=service_name,
        created_reason=reason,
        created_at=call.now,
        service_instance_name=instance_name,
        contexts=contexts,
    )
    call.region.blockers[blocker.id] = blocker


def render_blocker(b: SyncBlocker) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": b.id,
        "type": "AUTOMATED",
        "status": b.status,
        "createdReason": b.created_reason,
        "createdAt": b.created_at,
    }
    if b.contexts:
        out["contexts"] = [dict(c) for c in b.contexts]
    if b.resolved_reason is not None:
        out["resolvedReason"] = b.resolved_reason
    if b.resolved_at is not None:
        out["resolvedAt"] = b.resolved_at
    return out


def blocker_summary(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    service = get_service(region, p["serviceName"])
    instance_name = p.get("serviceInstanceName")
    if instance_name is not None:
        get_instance(region, service.name, instance_name)
    blockers = sorted(
        (
            b
            for b in region.blockers.values()
            if b.service_name == service.name
            and b.service_instance_name == instance_name
            and b.status == "ACTIVE"
        ),
        key=lambda b: (b.created_at, b.id),
        reverse=True,
    )
    summary: dict[str, Any] = {
        "serviceName": service.name,
        "latestBlockers": [render_blocker(b) for b in blockers],
    }
    if instance_name is not None:
        summary["serviceInstanceName"] = instance_name
    return {"serviceSyncBlockerSummary": summary}


def template_status(call: Call) -> dict[str, Any]:
    config = _template_config(call)
    _template_sync.poll(call.engine, call.region, force=True)
    return _template_sync.template_status(config, str(int(call.params["templateVersion"])))


def repository_status(call: Call) -> dict[str, Any]:
    p = call.params
    get_repository(call.region, p["repositoryProvider"], p["repositoryName"])
    _template_sync.poll(call.engine, call.region, force=True)
    return _template_sync.repository_status(
        call.region, p["repositoryProvider"], p["repositoryName"], p["branch"], p["syncType"]
    )


def resolve_blocker(call: Call) -> dict[str, Any]:
    p = call.params
    blocker = call.region.blockers.get(p["id"])
    if blocker is None:
        raise ResourceNotFoundException(f"Sync blocker {p['id']} does not exist.")
    if blocker.status == "RESOLVED":
        raise ConflictException(f"Sync blocker {blocker.id} is already resolved.")
    blocker.status = "RESOLVED"
    blocker.resolved_reason = p["resolvedReason"]
    blocker.resolved_at = call.now
    out: dict[str, Any] = {
        "serviceName": blocker.service_name,
        "serviceSyncBlocker": render_blocker(blocker),
    }
    if blocker.service_instance_name is not None:
        out["serviceInstanceName"] = blocker.service_instance_name
    return out


HANDLERS = {
    "CreateTemplateSyncConfig": create_template_config,
    "GetTemplateSyncConfig": get_template_config,
    "UpdateTemplateSyncConfig": update_template_config,
    "DeleteTemplateSyncConfig": delete_template_config,
    "GetTemplateSyncStatus": template_status,
    "CreateServiceSyncConfig": create_service_config,
    "GetServiceSyncConfig": get_service_config,
    "UpdateServiceSyncConfig": update_service_config,
    "DeleteServiceSyncConfig": delete_service_config,
    "GetServiceSyncBlockerSummary": blocker_summary,
    "UpdateServiceSyncBlocker": resolve_blocker,
    "GetRepositorySyncStatus": repository_status,
}
