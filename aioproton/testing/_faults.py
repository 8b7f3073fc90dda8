"""``ProtonFaults``: the emulator's bad days, in the words a test uses.

An :class:`~aioproton.emulator.Emulator` takes one :class:`FaultSettings` for the
transport (throttling, 500s, commit-then-drop, resets, latency) and an outcome script
for deployments. Tests rarely want to build either by hand; they want "throttle the next
two creates" or "make this deployment fail". Each transport helper changes only its
own fields of the current settings, so faults add up; ``operations`` scopes all of them
at once (the emulator has one scope) and stays as it is when not given.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs

from ..emulator import Emulator, FaultSettings, RequestRecord
from ..emulator.backend import ScriptRule

__all__ = ["ProtonFaults"]


class _Unchanged(enum.Enum):
    """The default of a fault setting that the call leaves as it is."""

    UNCHANGED = "unchanged"


#: ``operations`` left as it is.
_KEEP = _Unchanged.UNCHANGED
Scope = Iterable[str] | _Unchanged | None


class ProtonFaults:
    """Fault injection and scripted outcomes for one emulator.

    Scripted outcomes take a ``target``: a glob (``*`` also crosses ``/``) over the
    resource path, the resource part of the ARN::

        environment/NAME                          deployments, deletes
        service/NAME                              deployments, deletes
        service/NAME/service-instance/NAME        deployments, deletes
        service/NAME/pipeline                     deployments
        component/NAME                            deployments, deletes
        environment-template/NAME:MAJOR.MINOR     registrations
        service-template/NAME:MAJOR.MINOR         registrations

    so a template's registrations are ``environment-template/base:*``, not ``base``.
    Helpers on one target combine on its next action (``slow_deployment`` then
    ``cancel_too_late``: a slow deployment whose cancel loses the race); two that set
    the same thing (two ``fail_deployment``) apply to successive actions. A rule that
    matched nothing is logged as a warning when the emulator closes.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator: Emulator = emulator

    # ------------------------------------------------------------------ transport faults

    @property
    def settings(self) -> FaultSettings:
        """The fault settings in force."""
        return self.emulator.faults.settings

    def configure(self, settings: FaultSettings | None = None, **fields: Any) -> FaultSettings:
        """Replace the settings outright, from a ``FaultSettings`` or its fields."""
        if settings is None:
            settings = FaultSettings(**fields)
        elif fields:
            raise TypeError("pass either a FaultSettings or its fields, not both")
        self.emulator.faults.configure(settings)
        return settings

    def _merge(self, operations: Scope, **fields: Any) -> FaultSettings:
        if not isinstance(operations, _Unchanged):
            fields["operations"] = operations
        # Reconfiguring restarts the throttle burst: carry over only what is left of it.
        fields.setdefault("throttle_burst", self.emulator.faults.burst_remaining)
        return self.configure(attrs.evolve(self.settings, **fields))

    def throttle(
        self,
        times: int | None = None,
        *,
        rate: float | None = None,
        operations: Scope = _KEEP,
    ) -> FaultSettings:
        """Answer 429 ThrottlingException to the next ``times`` requests, or at ``rate``."""
        if times is None and rate is None:
            times = 1
        fields: dict[str, Any] = {}
        if times is not None:
            fields["throttle_burst"] = times
        if rate is not None:
            fields["throttle_rate"] = rate
        return self._merge(operations, **fields)

    def server_errors(self, rate: float = 1.0, *, operations: Scope = _KEEP) -> FaultSettings:
        """Answer 500 InternalServerException before processing, at ``rate``."""
        return self._merge(operations, error_rate=rate)

    def drop_after_commit(self, rate: float = 1.0, *, operations: Scope = _KEEP) -> FaultSettings:
        """Perform the request, then drop the connection: the client cannot know it worked."""
        return self._merge(operations, drop_rate=rate)

    def reset_connections(self, rate: float = 1.0, *, operations: Scope = _KEEP) -> FaultSettings:
        """Close the connection before processing: the request never happened."""
        return self._merge(operations, reset_rate=rate)

    def latency(
        self,
        min_ms: float,
        max_ms: float | None = None,
        *,
        operations: Scope = _KEEP,
    ) -> FaultSettings:
        """Delay each request by ``min_ms..max_ms`` milliseconds of real time."""
        return self._merge(
            operations, latency_min_ms=min_ms, latency_max_ms=min_ms if max_ms is None else max_ms
        )

    def clear(self) -> None:
        """No transport faults and no scripted outcomes any more."""
        self.emulator.faults.clear()
        self.emulator.backend.script.clear()

    # ------------------------------------------------------------------ scripted outcomes

    def script(self, target: str, **rule: Any) -> ScriptRule:
        """Add an outcome rule (``Emulator.script``): ``target`` is a glob over resource
        paths such as ``environment/dev`` or ``service/api/service-instance/*``."""
        return self.emulator.script(target, **rule)

    def fail_deployment(
        self,
        target: str = "*",
        *,
        message: str = "deployment failed (scripted)",
        times: int | None = 1,
    ) -> ScriptRule:
        """The next deployment of ``target`` ends FAILED with ``message``."""
        return self.script(target, action="deploy", outcome="fail", message=message, times=times)

    def provision(
        self, target: str, resources: list[dict[str, str]], *, times: int | None = 1
    ) -> ScriptRule:
        """The next deployment of ``target`` provisions ``resources`` ({name, identifier,
        provisioningEngine}); ``List*ProvisionedResources`` shows them once it succeeds."""
        return self.script(target, action="deploy", resources=resources, times=times)

    def slow_deployment(
        self, target: str = "*", *, seconds: float, times: int | None = 1
    ) -> ScriptRule:
        """The next deployment of ``target`` takes ``seconds`` of emulator clock time."""
        return self.script(target, action="deploy", seconds=seconds, times=times)

    def cancel_too_late(self, target: str = "*", *, times: int | None = 1) -> ScriptRule:
        """A cancel of ``target``'s deployment loses the race: the deployment ends on its own."""
        return self.script(target, action="deploy", cancel="too_late", times=times)

    def fail_registration(
        self, target: str = "*", *, message: str = "bad template bundle (scripted)"
    ) -> ScriptRule:
        """The next template version registered under ``target`` ends REGISTRATION_FAILED;
        ``target`` is a version path such as ``environment-template/base:*``."""
        return self.script(target, action="register", outcome="fail", message=message)

    # ------------------------------------------------------------------ what happened

    def injected(self, kind: str | None = None, *, operation: str | None = None) -> int:
        """How many requests got an injected fault (of ``kind``, for ``operation``)."""
        return sum(
            1
            for record in self.emulator.requests
            if record.fault is not None
            and (kind is None or record.fault == kind)
            and (operation is None or record.operation == operation)
        )

    def committed(self, operation: str) -> list[RequestRecord]:
        """The requests for ``operation`` the emulator carried out (dropped ones included)."""
        return self.emulator.requests.select(operation=operation, committed=True)

    def __repr__(self) -> str:
        return f"ProtonFaults({self.settings!r}, rules={len(self.emulator.backend.script.rules)})"
