"""Rollout plans: the waves a rollout moves in, and when it stops starting items.

A :class:`Plan` is a list of :class:`Step`; each step is one wave of a count of items
(``5``) or a percentage (``"10%"``), optionally followed by a pause (clock seconds) or
a wait for approval. The last step repeats until every item has had its wave::

    canary(first=1, then="10%")    # 1 item, then waves of 10 % of the rest
    Plan.parse("1,10%:pause=300,50%:approve,100%")

A percentage is of the items left when the plan reaches its first percentage step, so
``canary(first=1, then="10%")`` over 101 items runs 1 and then ten waves of 10 (not
ever smaller waves); a step never takes fewer than one item.

Items may be grouped: each group runs the whole plan in turn, so one wave never spans
two groups (say the environments ``dev``, ``staging``, ``prod``, in that order).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import attrs

from ..errors import ProtonError

__all__ = [
    "FailureBudget",
    "Plan",
    "PlanError",
    "Step",
    "all_at_once",
    "canary",
    "one_at_a_time",
]

T = TypeVar("T")

_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")


class PlanError(ProtonError, ValueError):
    """A rollout plan, step or failure budget that cannot be used."""

    default_code = "InvalidRolloutPlan"


def _check_size(step: Step, attribute: Any, size: int | str) -> None:
    if isinstance(size, bool) or not isinstance(size, int | str):
        raise PlanError(f"a step's size is a count or a percentage such as '10%', not {size!r}")
    if isinstance(size, int) and size < 1:
        raise PlanError(f"a step takes at least one item, not {size}")
    if isinstance(size, str):
        match = _PERCENT.match(size.strip())
        if match is None or not 0 < float(match.group(1)) <= 100:
            raise PlanError(
                f"a step's percentage is written like '10%' (above 0, at most 100), not {size!r}"
            )


@attrs.frozen
class Step:
    """One wave: ``size`` items (a count, or a percentage such as ``"10%"``).

    After the wave, ``pause`` clock seconds pass before the next one; ``approve``
    pauses the rollout (resumed by running it again) until someone approves.
    """

    size: int | str = attrs.field(validator=_check_size)
    pause: float = attrs.field(default=0.0, kw_only=True)
    approve: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not math.isfinite(self.pause) or self.pause < 0:
            raise PlanError(f"a step's pause is non-negative seconds, not {self.pause!r}")

    @property
    def percent(self) -> float | None:
        if isinstance(self.size, str):
            return float(self.size.strip().rstrip("%"))
        return None

    def take(self, left: int, base: int) -> int:
        """How many of ``left`` items this wave takes (``base``: the percentage's basis)."""
        percent = self.percent
        wanted = self.size if percent is None else math.ceil(base * percent / 100)
        assert isinstance(wanted, int | float)
        return max(1, min(left, int(wanted)))

    def __str__(self) -> str:
        extra = f":pause={self.pause:g}" if self.pause else ""
        return f"{self.size}{extra}{':approve' if self.approve else ''}"


def _steps(steps: Iterable[Step]) -> tuple[Step, ...]:
    return tuple(steps)


@attrs.frozen
class Plan:
    """The steps of a rollout (see the module docs); the last one repeats."""

    steps: tuple[Step, ...] = attrs.field(converter=_steps)
    name: str = attrs.field(default="", kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not self.steps:
            raise PlanError("a plan needs at least one step")

    @classmethod
    def parse(cls, text: str) -> Plan:
        """A plan from the CLI's words: a built-in name, or steps joined by commas.

        Built-ins: ``all-at-once``, ``one-at-a-time``, ``canary`` (1, then 10 %). A
        step is ``N`` or ``P%``, optionally with ``:pause=SECONDS`` and ``:approve``.
        """
        named = {"all-at-once": all_at_once, "one-at-a-time": one_at_a_time, "canary": canary}
        key = text.strip().lower().replace("_", "-")
        if key in named:
            return named[key]()
        steps = []
        for part in text.split(","):
            size, *options = [word.strip() for word in part.split(":")]
            pause, approve = 0.0, False
            for option in options:
                if option == "approve":
                    approve = True
                elif option.startswith("pause="):
                    try:
                        pause = float(option.removeprefix("pause="))
                    except ValueError:
                        raise PlanError(f"pause= takes seconds, not {option!r}") from None
                else:
                    raise PlanError(
                        f"unknown step option {option!r}: use :pause=SECONDS or :approve"
                    )
            steps.append(Step(int(size) if size.isdigit() else size, pause=pause, approve=approve))
        return cls(steps, name=text.strip())

    def split(self, items: Sequence[T]) -> list[list[T]]:
        """``items`` (in order) cut into waves."""
        waves: list[list[T]] = []
        start, base = 0, None
        for index in range(len(items)):
            if start >= len(items):
                break
            step = self.steps[min(index, len(self.steps) - 1)]
            left = len(items) - start
            if step.percent is not None and base is None:
                base = left
            count = step.take(left, base if base is not None else left)
            waves.append(list(items[start : start + count]))
            start += count
        return waves

    def step(self, wave: int) -> Step:
        """The step that wave ``wave`` (from 0, within its group) follows."""
        return self.steps[min(wave, len(self.steps) - 1)]

    def waves(
        self,
        items: Sequence[T],
        *,
        order_by: Callable[[T], Any] | None = None,
        group_by: Callable[[T], Hashable] | None = None,
    ) -> list[tuple[list[T], Step]]:
        """Every wave in the order it runs, with the step it follows.

        Items are sorted by ``order_by`` (stable); groups run in the order their first
        item comes, each through the whole plan.
        """
        ordered = sorted(items, key=order_by) if order_by is not None else list(items)
        groups: dict[Hashable, list[T]] = {}
        for item in ordered:
            groups.setdefault(group_by(item) if group_by is not None else None, []).append(item)
        return [
            (wave, self.step(index))
            for members in groups.values()
            for index, wave in enumerate(self.split(members))
        ]

    def __str__(self) -> str:
        return self.name or ",".join(str(step) for step in self.steps)


def all_at_once() -> Plan:
    """One wave of everything."""
    return Plan([Step("100%")], name="all-at-once")


def one_at_a_time() -> Plan:
    """A wave per item."""
    return Plan([Step(1)], name="one-at-a-time")


def canary(first: int = 1, then: int | str = "10%", *, pause: float = 0.0) -> Plan:
    """``first`` items, then waves of ``then`` (``pause`` seconds after the canary)."""
    return Plan([Step(first, pause=pause), Step(then)], name=f"canary({first}, then {then})")


@attrs.frozen
class FailureBudget:
    """When a rollout stops starting items: failures above a count or a ratio.

    ``max_failures``: more failed items than this stops it (``0``: the first failure).
    ``max_ratio``: failed items over items finished so far above this (``0.02`` is
    2 %) stops it.
    """

    max_failures: int | None = None
    max_ratio: float | None = None

    def __attrs_post_init__(self) -> None:
        if self.max_failures is not None and self.max_failures < 0:
            raise PlanError(f"max_failures is a count of 0 or more, not {self.max_failures}")
        if self.max_ratio is not None and not 0 <= self.max_ratio < 1:
            raise PlanError(
                f"max_ratio is a fraction from 0 up to 1 (0.02 for 2 %), not {self.max_ratio}"
            )

    @classmethod
    def parse(cls, text: str) -> FailureBudget:
        """``"3"`` (a count) or ``"2%"`` (a ratio), as the CLI takes them."""
        match = _PERCENT.match(text.strip())
        if match is not None:
            return cls(max_ratio=float(match.group(1)) / 100)
        if text.strip().isdigit():
            return cls(max_failures=int(text))
        raise PlanError(
            f"a failure budget is a count such as 3 or a percentage such as 2%, not {text!r}"
        )

    def exceeded(self, failed: int, done: int) -> str | None:
        """Why the budget is spent after ``failed`` of ``done`` items, or ``None``."""
        if self.max_failures is not None and failed > self.max_failures:
            return f"{failed} items failed, more than the budget of {self.max_failures}"
        if self.max_ratio is not None and done and failed / done > self.max_ratio:
            return (
                f"{failed} of {done} finished items failed ({failed / done:.1%}), more than the "
                f"budget of {self.max_ratio:.1%}"
            )
        return None
