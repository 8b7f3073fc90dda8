"""Scripted outcomes: tell the emulator how, and how fast, a given action ends.

A rule matches an action when its ``target`` glob (``fnmatch``; ``*`` also crosses
``/``) matches the resource path, the resource part of the ARN, and its ``action`` is
the action's kind or ``any``. :data:`PATH_SHAPES` lists the paths and the actions
each one goes through.

Rules on one action combine, field by field, in the order they were added: a rule that
sets only ``seconds`` and one that sets only ``cancel`` both apply to the next
deployment. A rule whose fields are already decided by an earlier live rule waits for
the next matching action, so two ``fail`` rules fail two actions in turn. What a rule
decides is what it sets apart from the defaults (``outcome="fail"``, ``message``,
``seconds``, a ``cancel`` other than ``cancelled``, ``resources``); a rule that sets
none of them decides the outcome: a plain success.

``resources`` declares what a deployment provisions: ``[{"name", "identifier",
"provisioningEngine"}]`` (engine ``CLOUDFORMATION`` or ``TERRAFORM``). When the
deployment succeeds they become the target's provisioned resources, which
``List*ProvisionedResources`` lists; a successful deployment that declares none keeps
the earlier list (its infrastructure is unchanged).

Each rule applies to ``times`` actions (``None``: all of them); ``unused`` lists the
rules that have matched nothing so far.
"""

from __future__ import annotations

import fnmatch
import math
from typing import Any, Literal, get_args

import attrs

from ._serde import checked_keys

Action = Literal["deploy", "delete", "register", "any"]
Outcome = Literal["succeed", "fail"]
CancelMode = Literal["cancelled", "failed", "too_late"]

_ACTIONS: tuple[str, ...] = get_args(Action)
_OUTCOMES: tuple[str, ...] = get_args(Outcome)
_CANCEL_MODES: tuple[str, ...] = get_args(CancelMode)
_ENGINES = ("CLOUDFORMATION", "TERRAFORM")

#: The resource paths script targets match, with the actions each one goes through.
PATH_SHAPES: dict[str, tuple[str, ...]] = {
    "environment/NAME": ("deploy", "delete"),
    "service/NAME": ("deploy", "delete"),
    "service/NAME/service-instance/NAME": ("deploy", "delete"),
    "service/NAME/pipeline": ("deploy",),
    "component/NAME": ("deploy", "delete"),
    "environment-template/NAME:MAJOR.MINOR": ("register",),
    "service-template/NAME:MAJOR.MINOR": ("register",),
}

#: The fields that make up a decision, with the value that means "not set".
_DECISION: dict[str, object] = {
    "outcome": "succeed",
    "message": None,
    "seconds": None,
    "cancel": "cancelled",
    "resources": None,
}


def _check_resources(resources: object) -> None:
    if not isinstance(resources, list):
        raise ValueError("resources must be a list of {name, identifier, provisioningEngine}")
    for index, item in enumerate(resources):
        where = f"resources[{index}]"
        if not isinstance(item, dict) or set(item) != {"name", "identifier", "provisioningEngine"}:
            raise ValueError(f"{where} must have exactly name, identifier and provisioningEngine")
        if not all(isinstance(item[key], str) and item[key] for key in ("name", "identifier")):
            raise ValueError(f"{where}: name and identifier must be non-empty strings")
        _check_choice(f"{where}.provisioningEngine", item["provisioningEngine"], _ENGINES)


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


@attrs.define
class ScriptRule:
    """One scripted outcome; ``used`` counts the actions it has already decided."""

    target: str
    action: Action = "any"
    outcome: Outcome = "succeed"
    message: str | None = None
    seconds: float | None = None
    cancel: CancelMode = "cancelled"
    times: int | None = 1
    used: int = 0
    resources: list[dict[str, str]] | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.target, str) or not self.target:
            raise ValueError("target must be a non-empty glob")
        _check_choice("action", self.action, _ACTIONS)
        _check_choice("outcome", self.outcome, _OUTCOMES)
        _check_choice("cancel", self.cancel, _CANCEL_MODES)
        if self.message is not None and not isinstance(self.message, str):
            raise ValueError("message must be a string")
        if self.seconds is not None:
            if isinstance(self.seconds, bool) or not isinstance(self.seconds, (int, float)):
                raise ValueError("seconds must be a number")
            if not math.isfinite(self.seconds) or self.seconds < 0:
                raise ValueError("seconds must be a non-negative number")
        if self.resources is not None:
            _check_resources(self.resources)
        if self.times is not None and (
            isinstance(self.times, bool) or not isinstance(self.times, int) or self.times < 1
        ):
            raise ValueError("times must be a positive integer or None")

    @property
    def decides(self) -> frozenset[str]:
        """The parts of an action's ending this rule sets (a plain rule: the outcome)."""
        fields = {name for name, unset in _DECISION.items() if getattr(self, name) != unset}
        return frozenset(fields or {"outcome"})

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.used >= self.times

    def matches(self, path: str, action: str) -> bool:
        """Whether the rule still applies to ``action`` on the resource at ``path``."""
        return (
            not self.exhausted
            and self.action in ("any", action)
            and fnmatch.fnmatchcase(path, self.target)
        )

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data (the control API's form)."""
        data: dict[str, Any] = {
            "target": self.target,
            "action": self.action,
            "outcome": self.outcome,
            "cancel": self.cancel,
            "times": self.times,
            "used": self.used,
        }
        if self.message is not None:
            data["message"] = self.message
        if self.seconds is not None:
            data["seconds"] = self.seconds
        if self.resources is not None:
            data["resources"] = [dict(item) for item in self.resources]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScriptRule:
        """Build a rule from JSON; raises ``ValueError`` on unknown keys or bad values."""
        checked_keys(cls, data, what="a rule", unknown="unknown rule keys")
        if "target" not in data:
            raise ValueError("a rule needs a target")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(str(exc)) from exc


class OutcomeScript:
    """The ordered rules; the lifecycles ask it how each action ends."""

    def __init__(self) -> None:
        self._rules: list[ScriptRule] = []

    def add(
        self,
        target: str,
        *,
        action: Action = "any",
        outcome: Outcome = "succeed",
        message: str | None = None,
        seconds: float | None = None,
        cancel: CancelMode = "cancelled",
        times: int | None = 1,
        resources: list[dict[str, str]] | None = None,
    ) -> ScriptRule:
        """Add a rule; ``target`` is a glob over resource paths, one of::

            environment/NAME
            service/NAME
            service/NAME/service-instance/NAME
            service/NAME/pipeline
            component/NAME
            environment-template/NAME:MAJOR.MINOR   (registrations)
            service-template/NAME:MAJOR.MINOR       (registrations)

        Rules that set different fields combine on one action (see the module).
        """
        rule = ScriptRule(
            target,
            action=action,
            outcome=outcome,
            message=message,
            seconds=seconds,
            cancel=cancel,
            times=times,
            resources=resources,
        )
        self._rules.append(rule)
        return rule

    def append(self, rule: ScriptRule) -> ScriptRule:
        """Add a rule after the others; returns it."""
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        self._rules.clear()

    @property
    def rules(self) -> list[ScriptRule]:
        return list(self._rules)

    @property
    def unused(self) -> list[ScriptRule]:
        """The rules that have not matched a single action yet."""
        return [rule for rule in self._rules if rule.used == 0]

    def take(self, path: str, action: str) -> ScriptRule | None:
        """How this action ends: the live rules for it combined, one use of each taken.

        Rules are read in order; each one whose fields are not decided yet joins. One
        rule is returned as it is; several as a new rule for ``path`` and ``action``.
        """
        taken: list[ScriptRule] = []
        decided: set[str] = set()
        for rule in self._rules:
            if rule.matches(path, action) and not rule.decides & decided:
                rule.used += 1
                taken.append(rule)
                decided |= rule.decides
        if len(taken) <= 1:
            return taken[0] if taken else None
        fields: dict[str, Any] = {}
        for rule in reversed(taken):  # the earliest rule wins a field
            fields.update({name: getattr(rule, name) for name in rule.decides})
        return ScriptRule(path, action=action, times=1, used=1, **fields)  # type: ignore[arg-type]

    def to_list(self) -> list[dict[str, Any]]:
        """Every rule as JSON-ready data, in order."""
        return [rule.to_dict() for rule in self._rules]

    def load(self, data: list[dict[str, Any]]) -> None:
        """Replace the rules with ``data`` (a ``to_list`` result)."""
        self._rules = [ScriptRule.from_dict(item) for item in data]
