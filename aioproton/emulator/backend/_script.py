"""Scripted outcomes: tell the emulator how, and how fast, a given action ends.

A rule matches an action when its ``target`` glob matches the resource path (the
resource part of the ARN, e.g. ``service/api/service-instance/i1``) and its ``action``
is the action's kind or ``any``. Rules are consulted in the order they were added; each
applies to ``times`` matching actions (``None``: all of them).
"""

from __future__ import annotations

import fnmatch
from typing import Any, Literal, get_args

import attrs

Action = Literal["deploy", "delete", "register", "any"]
Outcome = Literal["succeed", "fail"]
CancelMode = Literal["cancelled", "failed", "too_late"]

_ACTIONS: tuple[str, ...] = get_args(Action)
_OUTCOMES: tuple[str, ...] = get_args(Outcome)
_CANCEL_MODES: tuple[str, ...] = get_args(CancelMode)


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
            if self.seconds < 0:
                raise ValueError("seconds cannot be negative")
        if self.times is not None and (
            isinstance(self.times, bool) or not isinstance(self.times, int) or self.times < 1
        ):
            raise ValueError("times must be a positive integer or None")

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.used >= self.times

    def matches(self, path: str, action: str) -> bool:
        return (
            not self.exhausted
            and self.action in ("any", action)
            and fnmatch.fnmatchcase(path, self.target)
        )

    def to_dict(self) -> dict[str, Any]:
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
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScriptRule:
        """Build a rule from JSON; raises ``ValueError`` on unknown keys or bad values."""
        if not isinstance(data, dict):
            raise ValueError("a rule must be a JSON object")
        known = {field.name for field in attrs.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown rule keys: {', '.join(unknown)}")
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
    ) -> ScriptRule:
        rule = ScriptRule(
            target,
            action=action,
            outcome=outcome,
            message=message,
            seconds=seconds,
            cancel=cancel,
            times=times,
        )
        self._rules.append(rule)
        return rule

    def append(self, rule: ScriptRule) -> ScriptRule:
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        self._rules.clear()

    @property
    def rules(self) -> list[ScriptRule]:
        return list(self._rules)

    def take(self, path: str, action: str) -> ScriptRule | None:
        """The first live rule for this action, consuming one of its uses."""
        for rule in self._rules:
            if rule.matches(path, action):
                rule.used += 1
                return rule
        return None

    def to_list(self) -> list[dict[str, Any]]:
        return [rule.to_dict() for rule in self._rules]

    def load(self, data: list[dict[str, Any]]) -> None:
        self._rules = [ScriptRule.from_dict(item) for item in data]
