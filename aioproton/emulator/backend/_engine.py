"""The engine every handler works through: time, ids, scripted plans and the event queue.

Also the :class:`Call` a handler receives: who asked, in which region, with what.

Lifecycles are lazy: a handler schedules an :class:`Event` of some :class:`EventKind` at
a clock time and the engine applies every due event, in time order, when the backend is
next asked to advance. While an event is applied, ``engine.now`` is the event's own
time, so timestamps read as if the transition had happened exactly on schedule.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from ...clock import Clock
from ..errors import ServiceQuotaExceededException
from . import _arns
from ._bundles import BundleResolver
from ._limits import Quotas, Timings
from ._records import Deployment
from ._script import OutcomeScript
from ._world import Event, EventKind, Region, World, region_key

EventHandler = Callable[["Engine", Region, list[str]], None]
SettledHook = Callable[["Engine", Region, Deployment], None]
Handler = Callable[["Call"], dict[str, Any]]


@attrs.frozen
class RequestContext:
    """Who is calling and where: the server derives it from the signed request."""

    account_id: str
    region: str
    request_id: str
    partition: str = "aws"


@attrs.frozen
class Plan:
    """How one action will end, decided when it starts."""

    outcome: str
    message: str | None
    seconds: float
    cancel: str
    resources: list[dict[str, str]] | None = None


class Engine:
    def __init__(self, *, clock: Clock, timings: Timings, seed: int) -> None:
        self.clock = clock
        self.timings = timings
        self.quotas = Quotas()
        self.script = OutcomeScript()
        self.seed = seed
        self.rng = random.Random(seed)
        self.world = World(now=clock.now())
        self.bundles = BundleResolver()
        self._handlers: dict[EventKind, EventHandler] = {}
        self._settled: list[SettledHook] = []

    @property
    def now(self) -> float:
        return self.world.now

    def on(self, kind: EventKind, handler: EventHandler) -> None:
        self._handlers[kind] = handler

    def on_settled(self, hook: SettledHook) -> None:
        self._settled.append(hook)

    def settled(self, region: Region, dep: Deployment) -> None:
        """A deployment reached a terminal status: let its owners react."""
        for hook in self._settled:
            hook(self, region, dep)

    def changed(self) -> None:
        self.world.revision += 1

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # Regions

    def region_for(self, ctx: RequestContext) -> Region:
        key = region_key(ctx.partition, ctx.account_id, ctx.region)
        region = self.world.regions.get(key)
        if region is None:
            region = Region(ctx.partition, ctx.account_id, ctx.region)
            self.world.regions[key] = region
        return region

    def neighbours(self, region: Region) -> Iterator[Region]:
        """Every account's state in the same partition and region (the caller's first)."""
        yield region
        for other in self.world.regions.values():
            if other is not region and (other.partition, other.region) == (
                region.partition,
                region.region,
            ):
                yield other

    # Time

    def plan(self, path: str, action: str) -> Plan:
        defaults = {
            "deploy": self.timings.deploy_seconds,
            "delete": self.timings.delete,
            "register": self.timings.register,
        }
        rule = self.script.take(path, action)
        if rule is None:
            return Plan("succeed", None, defaults[action], "cancelled")
        seconds = defaults[action] if rule.seconds is None else float(rule.seconds)
        return Plan(rule.outcome, rule.message, seconds, rule.cancel, rule.resources)

    def schedule(self, region: Region, delay: float, kind: EventKind, *ref: str) -> None:
        self.world.seq += 1
        event = Event(self.now + max(0.0, delay), self.world.seq, region.key, kind, list(ref))
        heapq.heappush(self.world.events, event)

    def advance(self) -> None:
        """Apply every event due by the clock's time, then stand at that time."""
        target = max(self.world.now, self.clock.now())
        events = self.world.events
        while events and events[0].at <= target:
            event = heapq.heappop(events)
            self.world.now = max(self.world.now, event.at)
            region = self.world.regions.get(event.region)
            handler = self._handlers.get(event.kind)
            if region is not None and handler is not None:
                handler(self, region, event.ref)
            self.changed()
        self.world.now = target

    def check_quota(self, used: int, limit: int, what: str) -> None:
        if used >= limit:
            raise ServiceQuotaExceededException(f"You have reached the quota of {limit} {what}.")


@attrs.define
class Call:
    """One operation being handled: who asked, where, and with what."""

    engine: Engine
    ctx: RequestContext
    region: Region
    operation: str
    params: dict[str, Any]

    @property
    def now(self) -> float:
        return self.engine.now

    @property
    def quotas(self) -> Quotas:
        return self.engine.quotas

    def arn(self, path: str) -> str:
        return self.region.arn(path)

    def own_path(self, arn: str) -> str | None:
        """The resource path of ``arn`` if it is in the caller's account and region."""
        parsed = _arns.parse(arn)
        ctx = self.ctx
        if parsed is None or (parsed.partition, parsed.region, parsed.account_id) != (
            ctx.partition,
            ctx.region,
            ctx.account_id,
        ):
            return None
        return parsed.path
