"""ProtonBackend: the operation table, dispatch, revisions and snapshots.

``handle`` first applies every transition that has come due on the clock and lets
template and service sync notice new commits (``_template_sync``, ``_service_sync``),
then runs the operation's handler against the caller's account and region. Each resource
family lives in its own module with a ``HANDLERS`` table; this module only joins them,
dispatches, counts revisions (operations the model marks read-only count none) and
takes and restores snapshots.
"""

from __future__ import annotations

import heapq
from typing import Any

from ..._generated.facts import OPERATIONS
from ...clock import Clock
from ..errors import UnknownOperationException
from . import (
    _account,
    _components,
    _connections,
    _deployment_lifecycle,
    _deployment_records,
    _environments,
    _pipelines,
    _repositories,
    _service_instances,
    _service_sync,
    _services,
    _summary,
    _sync,
    _tags,
    _template_sync,
    _template_versions,
    _templates,
)
from ._bundles import BundleResolver
from ._engine import Call, Engine, Handler, RequestContext
from ._limits import Quotas, Timings
from ._script import OutcomeScript
from ._serde import structure, unstructure
from ._world import EventKind, World

SNAPSHOT_FORMAT = 1
DEFAULT_TIMINGS = Timings()

HANDLERS: dict[str, Handler] = {
    **_templates.HANDLERS,
    **_template_versions.HANDLERS,
    **_account.HANDLERS,
    **_tags.HANDLERS,
    **_environments.HANDLERS,
    **_connections.HANDLERS,
    **_services.HANDLERS,
    **_service_instances.HANDLERS,
    **_pipelines.HANDLERS,
    **_components.HANDLERS,
    **_deployment_records.HANDLERS,
    **_repositories.HANDLERS,
    **_summary.HANDLERS,
    **_sync.HANDLERS,
    **_service_sync.HANDLERS,
}


class ProtonBackend:
    """All Proton state, for every account and region, driven by one clock."""

    def __init__(self, *, clock: Clock, timings: Timings = DEFAULT_TIMINGS, seed: int = 0) -> None:
        self._engine = Engine(clock=clock, timings=timings, seed=seed)
        self._engine.on(EventKind.REGISTER, _template_versions.on_registered)
        self._engine.on(EventKind.DEPLOY, _deployment_lifecycle.on_finish)
        self._engine.on(EventKind.CANCEL, _deployment_lifecycle.on_cancel)
        self._engine.on(EventKind.SERVICE, _services.on_timer)
        self._engine.on_settled(_services.on_child_settled)

    @property
    def clock(self) -> Clock:
        return self._engine.clock

    @property
    def timings(self) -> Timings:
        return self._engine.timings

    @property
    def script(self) -> OutcomeScript:
        return self._engine.script

    @property
    def bundles(self) -> BundleResolver:
        """Where template bundles are read from (see ``_bundles``)."""
        return self._engine.bundles

    @property
    def quotas(self) -> Quotas:
        return self._engine.quotas

    @quotas.setter
    def quotas(self, value: Quotas) -> None:
        self._engine.quotas = value

    @property
    def revision(self) -> int:
        """Increments on every state change, including time-driven transitions."""
        return self._engine.world.revision

    def handle(self, ctx: RequestContext, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run one operation; ``params`` has already passed the model validator."""
        self.advance()
        handler = HANDLERS.get(operation)
        if handler is None:
            raise UnknownOperationException(f"Unknown operation {operation}.")
        engine = self._engine
        call = Call(engine, ctx, engine.region_for(ctx), operation, params)
        _template_sync.poll(engine, call.region)
        _service_sync.poll(engine, call.region)
        result = handler(call)
        if not OPERATIONS[operation].read_only:
            engine.changed()
        return result

    def advance(self) -> None:
        """Apply every transition that is due at ``clock.now()``."""
        self._engine.advance()

    @property
    def world(self) -> World:
        """The live state records (the state file reads what changed from here)."""
        return self._engine.world

    def sync(self) -> None:
        """Read every template and service sync configuration's branch now."""
        self.advance()
        _template_sync.poll_all(self._engine)
        _service_sync.poll_all(self._engine)

    def snapshot(self) -> dict[str, Any]:
        """The full state as JSON-ready data."""
        return {**self.snapshot_extras(), "world": unstructure(self._engine.world)}

    def snapshot_extras(self) -> dict[str, Any]:
        """Everything of :meth:`snapshot` but the world."""
        version, internal, gauss = self._engine.rng.getstate()
        return {
            "format": SNAPSHOT_FORMAT,
            "seed": self._engine.seed,
            "rng": [version, list(internal), gauss],
            "script": self._engine.script.to_list(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot taken by :meth:`snapshot`."""
        if data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"unsupported snapshot format {data.get('format')!r}")
        world = structure(World, data["world"])
        heapq.heapify(world.events)
        version, internal, gauss = data["rng"]
        engine = self._engine
        engine.rng.setstate((version, tuple(internal), gauss))
        engine.script.load(data["script"])
        engine.seed = data.get("seed", engine.seed)
        engine.world = world

    def reset(self) -> None:
        """Drop all state: resources, pending transitions, tokens and script rules."""
        engine = self._engine
        revision = engine.world.revision
        engine.world = World(now=max(engine.world.now, engine.clock.now()), revision=revision + 1)
        engine.rng.seed(engine.seed)
        engine.script.clear()
