"""The whole emulated world: one :class:`Region` per (partition, account, region).

Everything lives in these attrs records so a snapshot is a single
``unstructure(world)`` and a restore a single ``structure(World, data)``. Pending
transitions are :class:`Event` records in the same world, so they survive a snapshot.
Every dict of a region (and the world's regions) is a
:class:`~._record_map.RecordMap`, which notes the keys a request reached, so the
state file writes only those (``aioproton.emulator._persistence``).
"""

from __future__ import annotations

import enum

import attrs

from . import _arns
from ._record_map import record_maps
from ._records import (
    AccountSettings,
    Component,
    Connection,
    Deployment,
    Environment,
    Repository,
    Service,
    ServiceSyncConfig,
    SyncBlocker,
    Template,
    TemplateSyncConfig,
    TokenRecord,
    Tombstone,
)


@attrs.define(field_transformer=record_maps)
class Region:
    partition: str
    account_id: str
    region: str
    environment_templates: dict[str, Template] = attrs.field(factory=dict)
    service_templates: dict[str, Template] = attrs.field(factory=dict)
    environments: dict[str, Environment] = attrs.field(factory=dict)
    services: dict[str, Service] = attrs.field(factory=dict)
    components: dict[str, Component] = attrs.field(factory=dict)
    connections: dict[str, Connection] = attrs.field(factory=dict)
    deployments: dict[str, Deployment] = attrs.field(factory=dict)
    repositories: dict[str, Repository] = attrs.field(factory=dict)
    template_sync_configs: dict[str, TemplateSyncConfig] = attrs.field(factory=dict)
    service_sync_configs: dict[str, ServiceSyncConfig] = attrs.field(factory=dict)
    blockers: dict[str, SyncBlocker] = attrs.field(factory=dict)
    settings: AccountSettings = attrs.field(factory=AccountSettings)
    tags: dict[str, dict[str, str]] = attrs.field(factory=dict)
    tokens: dict[str, TokenRecord] = attrs.field(factory=dict)
    tombstones: dict[str, Tombstone] = attrs.field(factory=dict)

    @property
    def key(self) -> str:
        return region_key(self.partition, self.account_id, self.region)

    def arn(self, path: str) -> str:
        return _arns.build(self.partition, self.region, self.account_id, path)

    def templates(self, kind: str) -> dict[str, Template]:
        return self.environment_templates if kind == "environment" else self.service_templates


def region_key(partition: str, account_id: str, region: str) -> str:
    return f"{partition}:{account_id}:{region}"


class EventKind(str, enum.Enum):
    """What a pending transition does when it comes due; the value is what snapshots keep."""

    REGISTER = "register"  # a template version's registration ends
    DEPLOY = "deploy"  # a deployment (or a deletion) reaches its planned outcome
    CANCEL = "cancel"  # a cancelled deployment lands
    SERVICE = "service"  # a service operation's own timer runs out


@attrs.define(order=True)
class Event:
    """A transition due at ``at``; ``seq`` keeps events at the same time in order."""

    at: float
    seq: int
    region: str = attrs.field(order=False)
    kind: EventKind = attrs.field(order=False)
    ref: list[str] = attrs.field(order=False, factory=list)


@attrs.define(field_transformer=record_maps)
class World:
    """Everything the backend holds: each region's resources and the transitions due."""

    regions: dict[str, Region] = attrs.field(factory=dict)
    events: list[Event] = attrs.field(factory=list)
    seq: int = 0
    revision: int = 0
    token_serial: int = 0
    now: float = 0.0
