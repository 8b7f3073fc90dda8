"""What a rollout plans and reports: items, actions, per-item results, the report."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from .targets import DeploymentTarget

__all__ = [
    "RolloutAction",
    "RolloutItem",
    "RolloutReport",
    "RolloutResult",
    "RolloutStatus",
    "StopReason",
]

Version = tuple[int, int]


class RolloutAction(enum.Enum):
    """What the rollout does to one item."""

    MINOR_VERSION = "MINOR_VERSION"
    MAJOR_VERSION = "MAJOR_VERSION"
    #: Already on the target version.
    SKIP_CURRENT = "SKIP_CURRENT"
    #: On a later version than the target; never downgraded.
    SKIP_NEWER = "SKIP_NEWER"


class RolloutStatus(enum.Enum):
    """How one item ended."""

    UPDATED = "UPDATED"
    ALREADY_CURRENT = "ALREADY_CURRENT"
    SKIPPED_NEWER = "SKIPPED_NEWER"
    #: Dry run: the update that would be made.
    PLANNED = "PLANNED"
    FAILED = "FAILED"
    #: Started, then cancelled (fail-fast, or the run was cancelled).
    CANCELLED = "CANCELLED"
    #: Never started: the rollout stopped or paused first.
    NOT_STARTED = "NOT_STARTED"
    #: Returned to its previous version after a failed gate or a spent failure budget.
    ROLLED_BACK = "ROLLED_BACK"
    #: A roll-back was due and could not be made (see the message).
    ROLLBACK_FAILED = "ROLLBACK_FAILED"


#: Statuses an item keeps: a resumed rollout does not handle it again.
FINAL = frozenset(
    {RolloutStatus.UPDATED, RolloutStatus.ALREADY_CURRENT, RolloutStatus.SKIPPED_NEWER}
)


class StopReason(enum.Enum):
    """Why a rollout stopped before every item had its turn."""

    #: ``pause()``, a signal, or ``pause_after_wave``; run it again to go on.
    PAUSED = "PAUSED"
    #: An approval step: run it again to approve the next wave.
    APPROVAL = "APPROVAL"
    #: The health gate said HOLD.
    HELD = "HELD"
    #: The health gate said ROLL_BACK (or raised).
    GATE_FAILED = "GATE_FAILED"
    FAILURE_BUDGET = "FAILURE_BUDGET"
    FAIL_FAST = "FAIL_FAST"


@attrs.frozen(kw_only=True)
class RolloutItem:
    """One environment or service instance on the template, as planned."""

    target: DeploymentTarget[Any]
    version: str
    deployment_status: str
    action: RolloutAction
    #: The environment the item is in (its own name, for an environment).
    environment: str = ""

    @property
    def path(self) -> str:
        return self.target.path


@attrs.frozen(kw_only=True)
class RolloutResult:
    """What a rollout did to one deployment target.

    Attributes:
        target: The environment, service instance or pipeline rolled.
        status: How its update ended (or would, in a dry run).
        to_version: The version it was moved to.
        action: What the rollout chose: a minor or major version update, or a skip.
        deployment_id: The deployment the update started, if any.
        message: Why it ended so (the service's message or the rollout's reason).
        error: The exception that ended it, if any.
    """

    target: DeploymentTarget[Any]
    status: RolloutStatus
    #: The version the item had before the rollout (kept across pause and resume).
    from_version: str
    to_version: str
    action: RolloutAction
    deployment_id: str | None = None
    message: str | None = None
    error: BaseException | None = attrs.field(default=None, repr=False)
    #: The wave the item is in, from 1 (0: in no wave, nothing to do).
    wave: int = 0

    @property
    def previous_version(self) -> str:
        """The version the target had before the rollout (``from_version``)."""
        return self.from_version

    @property
    def ok(self) -> bool:
        """Whether the target did not fail, get cancelled, go unstarted or get rolled back."""
        return self.status not in (
            RolloutStatus.FAILED,
            RolloutStatus.CANCELLED,
            RolloutStatus.NOT_STARTED,
            RolloutStatus.ROLLED_BACK,
            RolloutStatus.ROLLBACK_FAILED,
        )


@attrs.frozen(kw_only=True)
class RolloutReport:
    """The outcome of a whole rollout: one :class:`RolloutResult` per target.

    ``str(report)`` renders a table of every target, wave by wave, and a count per status.

    Attributes:
        template: The template rolled out.
        version: The version rolled out.
        dry_run: Whether the rollout only planned (nothing was deployed).
        results: One result per target.
        stopped: Why the rollout stopped early, if it did.
        rollout_id: The rollout's id in its state store, if it has one.
    """

    template: str
    version: str
    dry_run: bool
    results: tuple[RolloutResult, ...]
    #: The item paths of every wave, in the order they run.
    waves: tuple[tuple[str, ...], ...] = ()
    #: Waves finished (all of them, unless the rollout stopped).
    waves_done: int = 0
    stopped: StopReason | None = None
    #: Why it stopped, in words.
    reason: str | None = None
    rollout_id: str | None = None

    def count(self, status: RolloutStatus) -> int:
        """How many targets ended with ``status``."""
        return sum(1 for result in self.results if result.status is status)

    @property
    def ok(self) -> bool:
        """Whether the rollout ran to the end and every target's result is ok."""
        return self.stopped is None and all(result.ok for result in self.results)

    @property
    def failed(self) -> list[RolloutResult]:
        """The results that are not ok."""
        return [result for result in self.results if not result.ok]

    def __str__(self) -> str:
        lines = [
            f"{'dry run of ' if self.dry_run else ''}rollout of {self.template} "
            f"{self.version} to {len(self.results)} items in {len(self.waves)} waves:"
        ]
        if self.dry_run:
            for number, paths in enumerate(self.waves, 1):
                lines.append(f"  wave {number}: {', '.join(paths)}")
        for result in sorted(self.results, key=lambda r: r.target.path):
            note = f"  {result.message}" if result.message else ""
            lines.append(
                f"  {result.target.path:<50} {result.from_version:>7} -> {result.to_version:<7} "
                f"{result.status.value}{note}"
            )
        counts = ", ".join(
            f"{self.count(status)} {status.value.lower()}"
            for status in RolloutStatus
            if self.count(status)
        )
        lines.append(f"  ({counts or 'nothing to do'})")
        if self.stopped is not None:
            lines.append(
                f"  stopped after {self.waves_done} of {len(self.waves)} waves "
                f"({self.stopped.value}): {self.reason}"
            )
        return "\n".join(lines)


def parse_version(version: str) -> Version:
    """``"1.3"`` as ``(1, 3)``, so versions compare as numbers."""
    major, _, minor = version.partition(".")
    return int(major), int(minor)


def render_version(version: Version) -> str:
    """``(1, 3)`` as ``"1.3"``."""
    return f"{version[0]}.{version[1]}"


def action_for(current: Version, target: Version) -> RolloutAction:
    """What a rollout does to an item at ``current`` to bring it to ``target``."""
    if current == target:
        return RolloutAction.SKIP_CURRENT
    if current > target:
        return RolloutAction.SKIP_NEWER
    if current[0] == target[0]:
        return RolloutAction.MINOR_VERSION
    return RolloutAction.MAJOR_VERSION
