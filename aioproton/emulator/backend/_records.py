"""The stored resources: one attrs record per kind, with JSON-shaped fields only.

Version numbers are kept as integers and rendered as strings. Deployed values
(template version, spec, component attachment) live on the resource; the values a
deployment is moving to live on its :class:`Deployment` until it succeeds.
"""

from __future__ import annotations

from typing import Any

import attrs

# Deployment statuses.
IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
CANCELLING = "CANCELLING"
CANCELLED = "CANCELLED"
DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
DELETE_FAILED = "DELETE_FAILED"
DELETE_COMPLETE = "DELETE_COMPLETE"

BUSY = frozenset({IN_PROGRESS, CANCELLING, DELETE_IN_PROGRESS})
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED, DELETE_FAILED, DELETE_COMPLETE})

# Service statuses (a service's own lifecycle, over its instances and pipeline).
CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
ACTIVE = "ACTIVE"
SERVICE_BUSY = frozenset(
    {
        CREATE_IN_PROGRESS,
        UPDATE_IN_PROGRESS,
        DELETE_IN_PROGRESS,
        "CREATE_FAILED_CLEANUP_IN_PROGRESS",
        "UPDATE_FAILED_CLEANUP_IN_PROGRESS",
    }
)

# Template version statuses.
REGISTRATION_IN_PROGRESS = "REGISTRATION_IN_PROGRESS"
REGISTRATION_FAILED = "REGISTRATION_FAILED"
DRAFT = "DRAFT"
PUBLISHED = "PUBLISHED"


@attrs.define
class TemplateVersion:
    major: int
    minor: int
    status: str
    created_at: float
    last_modified_at: float
    registration_id: str
    source: dict[str, Any]
    description: str | None = None
    status_message: str | None = None
    schema: str | None = None
    compatible_environment_templates: list[dict[str, str]] = attrs.field(factory=list)
    supported_component_sources: list[str] | None = None
    planned_outcome: str = "succeed"
    planned_message: str | None = None
    # Set when the schema was read from a real bundle (``_bundles``): specs are then
    # checked against it, and the pipeline's rendering engine decides its account role.
    schema_from_bundle: bool = False
    pipeline_engine: str | None = None

    @property
    def number(self) -> str:
        return f"{self.major}.{self.minor}"


@attrs.define
class Template:
    kind: str  # "environment" or "service"
    name: str
    created_at: float
    last_modified_at: float
    created_with: dict[str, Any]
    description: str | None = None
    display_name: str | None = None
    encryption_key: str | None = None
    provisioning: str | None = None  # provisioning / pipelineProvisioning
    modified: bool = False
    versions: dict[str, TemplateVersion] = attrs.field(factory=dict)

    @property
    def has_pipeline(self) -> bool:
        return self.kind == "service" and self.provisioning != "CUSTOMER_MANAGED"


@attrs.define
class Deploy:
    """The deployment bookkeeping shared by environments, instances, pipelines, components."""

    status: str
    attempted_at: float
    message: str | None = None
    attempted_id: str | None = None
    succeeded_id: str | None = None
    succeeded_at: float | None = None
    active_id: str | None = None
    outputs: list[dict[str, str]] = attrs.field(factory=list)
    resources: list[dict[str, str]] = attrs.field(factory=list)  # provisioned resources


@attrs.define
class Environment:
    uid: str
    name: str
    created_at: float
    template_name: str
    major: int
    minor: int
    spec: str
    deploy: Deploy
    created_with: dict[str, Any]
    description: str | None = None
    proton_service_role_arn: str | None = None
    connection_id: str | None = None
    environment_account_id: str | None = None
    provisioning_repository: dict[str, str] | None = None
    codebuild_role_arn: str | None = None
    component_role_arn: str | None = None
    provisioning: str | None = None
    modified: bool = False


@attrs.define
class ServiceInstance:
    uid: str
    name: str
    service_name: str
    environment_name: str
    template_name: str
    major: int
    minor: int
    spec: str
    created_at: float
    deploy: Deploy
    last_client_token: str | None = None


@attrs.define
class Pipeline:
    template_name: str
    major: int
    minor: int
    spec: str
    created_at: float
    deploy: Deploy


@attrs.define
class ServiceOp:
    """A service-level create, update or delete and the child deployments it waits for.

    ``roles`` maps each child deployment id to ``create:<instance>``,
    ``delete:<instance>`` or ``pipeline``; ``results`` collects their final statuses.
    """

    id: str
    action: str  # "create", "update" or "delete"
    roles: dict[str, str] = attrs.field(factory=dict)
    results: dict[str, str] = attrs.field(factory=dict)
    timer_done: bool = False
    outcome: str = "succeed"
    message: str | None = None
    previous_spec: str | None = None


@attrs.define
class Service:
    uid: str
    name: str
    template_name: str
    spec: str
    status: str
    created_at: float
    last_modified_at: float
    created_with: dict[str, Any]
    description: str | None = None
    status_message: str | None = None
    branch_name: str | None = None
    repository_connection_arn: str | None = None
    repository_id: str | None = None
    modified: bool = False
    instances: dict[str, ServiceInstance] = attrs.field(factory=dict)
    pipeline: Pipeline | None = None
    op: ServiceOp | None = None


@attrs.define
class Component:
    uid: str
    name: str
    environment_name: str
    created_at: float
    last_modified_at: float
    manifest: str
    template_file: str
    deploy: Deploy
    service_name: str | None = None
    service_instance_name: str | None = None
    service_spec: str | None = None
    description: str | None = None
    last_client_token: str | None = None


@attrs.define
class Connection:
    id: str
    environment_name: str
    environment_account_id: str
    management_account_id: str
    role_arn: str
    status: str
    requested_at: float
    last_modified_at: float
    codebuild_role_arn: str | None = None
    component_role_arn: str | None = None


@attrs.define
class Deployment:
    id: str
    target_type: str
    target_arn: str
    target_created_at: float
    environment_name: str
    action: str  # "create", "update" or "delete"
    status: str
    created_at: float
    last_modified_at: float
    service_name: str | None = None
    service_instance_name: str | None = None
    component_name: str | None = None
    message: str | None = None
    initial_state: dict[str, Any] | None = None
    target_state: dict[str, Any] | None = None
    completed_at: float | None = None
    last_attempted_id: str | None = None
    last_succeeded_id: str | None = None
    outputs: list[dict[str, str]] = attrs.field(factory=list)
    planned_outcome: str = "succeed"
    planned_message: str | None = None
    cancel_mode: str = "cancelled"
    planned_resources: list[dict[str, str]] | None = None


@attrs.define
class Repository:
    provider: str
    name: str
    connection_arn: str
    created_with: dict[str, Any]
    encryption_key: str | None = None
    # latest RepositorySyncAttempt (as rendered) by "<branch>|<syncType>"
    sync_attempts: dict[str, dict[str, Any]] = attrs.field(factory=dict)


@attrs.define
class TemplateSyncConfig:
    template_name: str
    template_type: str
    repository_name: str
    repository_provider: str
    branch: str
    subdirectory: str | None = None
    # sync state (see _template_sync): not part of what the configuration is
    checked_at: float | None = attrs.field(default=None, eq=False)
    synced: dict[str, str] = attrs.field(factory=dict, eq=False)  # directory -> tree id
    attempts: list[dict[str, Any]] = attrs.field(factory=list, eq=False)


@attrs.define
class ServiceSyncConfig:
    service_name: str
    repository_name: str
    repository_provider: str
    branch: str
    file_path: str
    # sync state (see _service_sync): not part of what the configuration is
    checked_at: float | None = attrs.field(default=None, eq=False)
    synced_spec: str | None = attrs.field(default=None, eq=False)
    attempts: dict[str, list[dict[str, Any]]] = attrs.field(factory=dict, eq=False)


@attrs.define
class SyncBlocker:
    id: str
    service_name: str
    created_reason: str
    created_at: float
    status: str = "ACTIVE"
    service_instance_name: str | None = None
    contexts: list[dict[str, str]] = attrs.field(factory=list)
    resolved_reason: str | None = None
    resolved_at: float | None = None


@attrs.define
class AccountSettings:
    pipeline_service_role_arn: str | None = None
    pipeline_codebuild_role_arn: str | None = None
    pipeline_provisioning_repository: dict[str, str] | None = None


@attrs.frozen
class TokenRecord:
    """A client token seen on an operation: what it asked, what it touched, and when."""

    fingerprint: str
    resource: str
    created_at: float


@attrs.frozen
class Tombstone:
    """What a repeated delete returns once the resource is gone."""

    body: dict[str, Any]
    deleted_at: float
