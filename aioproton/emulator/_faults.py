"""Injected faults: what the network and the service do to a client on a bad day.

Each API request (never a control request) gets a :class:`FaultPlan` from the
:class:`FaultInjector` before it is processed:

- ``latency``: the request waits a uniform ``latency_min_ms..latency_max_ms`` first
  (real time, whatever the emulator's clock);
- ``reset``: the connection is closed before processing; nothing happened;
- ``throttle`` (``throttle_burst`` next requests, then ``throttle_rate``): 429
  ThrottlingException before processing;
- ``error``: 500 InternalServerException before processing;
- ``drop``: the request is processed and committed, then the connection is aborted
  before any response byte is written: the client cannot tell whether it happened.

Decisions come from one ``random.Random`` seeded by the emulator's seed (or the
settings' own ``seed``) and re-seeded by every :meth:`FaultInjector.configure`, so the
same settings and the same sequence of requests give the same faults. Every request
that the settings cover draws the same numbers whatever the outcome, so one rate
never shifts the faults chosen by another.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from ._protocol import operation_names
from .backend._serde import checked_keys

FaultKind = Literal["reset", "throttle", "error", "drop"]


def _rate(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1, got {value!r}")


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{attribute.name} must be a non-negative number, got {value!r}")


def _operations(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError("operations must be a collection of operation names, not a string")
    names = frozenset(value)
    unknown = sorted(names - operation_names())
    if unknown:
        raise ValueError(f"unknown operations: {', '.join(unknown)}")
    return names


@attrs.frozen(kw_only=True)
class FaultSettings:
    """How often each fault happens; all zero (the default) means none.

    ``operations`` limits the faults to those operation names (``None``: all).
    ``seed`` overrides the emulator's seed for the fault decisions.
    """

    throttle_rate: float = attrs.field(default=0.0, converter=float, validator=_rate)
    error_rate: float = attrs.field(default=0.0, converter=float, validator=_rate)
    drop_rate: float = attrs.field(default=0.0, converter=float, validator=_rate)
    reset_rate: float = attrs.field(default=0.0, converter=float, validator=_rate)
    latency_min_ms: float = attrs.field(default=0.0, converter=float, validator=_non_negative)
    latency_max_ms: float = attrs.field(default=0.0, converter=float, validator=_non_negative)
    throttle_burst: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    operations: frozenset[str] | None = attrs.field(default=None, converter=_operations)
    seed: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.latency_max_ms and self.latency_max_ms < self.latency_min_ms:
            raise ValueError("latency_max_ms must not be below latency_min_ms")

    @property
    def active(self) -> bool:
        return bool(
            self.throttle_rate
            or self.error_rate
            or self.drop_rate
            or self.reset_rate
            or self.latency_min_ms
            or self.latency_max_ms
            or self.throttle_burst
        )

    def applies_to(self, operation: str | None) -> bool:
        """Whether the faults apply to ``operation`` (all do unless ``operations`` is set)."""
        return self.operations is None or operation in self.operations

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data (the control API's form)."""
        data = attrs.asdict(self, recurse=False)
        data["operations"] = None if self.operations is None else sorted(self.operations)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultSettings:
        """Settings from JSON; unknown keys and wrong types raise ValueError."""
        known = checked_keys(cls, data, what="fault settings", unknown="unknown fault settings")
        for key in ("throttle_burst", "seed"):
            value = data.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{key} must be an integer")
        for key in known - {"throttle_burst", "seed", "operations"}:
            value = data.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float))
            ):
                raise ValueError(f"{key} must be a number")
        try:
            return cls(**{k: v for k, v in data.items() if v is not None or k == "operations"})
        except TypeError as exc:
            raise ValueError(str(exc)) from None


@attrs.frozen
class FaultPlan:
    """What happens to one request: ``fault`` None means it is served normally."""

    latency: float = 0.0
    fault: FaultKind | None = None


NO_FAULT = FaultPlan()


class FaultInjector:
    """Draws a :class:`FaultPlan` per request from the current :class:`FaultSettings`."""

    def __init__(self, settings: FaultSettings | None = None, *, seed: int = 0) -> None:
        self._seed = seed
        self._settings = FaultSettings()
        self._random = random.Random(seed)
        self._burst = 0
        self.configure(settings or FaultSettings())

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    @property
    def burst_remaining(self) -> int:
        """How many of the next covered requests will still be throttled by the burst."""
        return self._burst

    def configure(self, settings: FaultSettings) -> None:
        """Replace the settings, restart the burst and re-seed the decisions."""
        self._settings = settings
        self._burst = settings.throttle_burst
        self._random = random.Random(self._seed if settings.seed is None else settings.seed)

    def clear(self) -> None:
        """No more faults."""
        self.configure(FaultSettings())

    def plan(self, operation: str | None) -> FaultPlan:
        """Draw what happens to one request of ``operation``: latency, and which fault if any."""
        settings = self._settings
        if not settings.active or not settings.applies_to(operation):
            return NO_FAULT
        rng = self._random
        latency = 0.0
        if settings.latency_max_ms or settings.latency_min_ms:
            high = max(settings.latency_max_ms, settings.latency_min_ms)
            latency = rng.uniform(settings.latency_min_ms, high) / 1000.0
        # Draw every number first, so the outcome of one never changes the next draws.
        rates: tuple[tuple[FaultKind, float], ...] = (
            ("reset", settings.reset_rate),
            ("throttle", settings.throttle_rate),
            ("error", settings.error_rate),
            ("drop", settings.drop_rate),
        )
        draws = {kind: rate > 0 and rng.random() < rate for kind, rate in rates}
        fault: FaultKind | None = None
        if self._burst > 0:
            self._burst -= 1
            fault = "throttle"
        else:
            fault = next((kind for kind, hit in draws.items() if hit), None)
        return FaultPlan(latency, fault)
