"""Health gates: the caller's check between waves that lets a rollout go on, hold, or undo.

A gate is an async callable taking a :class:`GateCheck` (which wave, which items, how
they ended) and answering a :class:`GateDecision`::

    async def healthy(check: GateCheck) -> GateDecision:
        errors = await metrics.error_rate(check.paths, minutes=5)
        return GateDecision.GO if errors < 0.01 else GateDecision.ROLL_BACK

    Rollout(proton, service_template="web", version="1.3", gate=healthy, rollback=True)

``HOLD`` pauses the rollout where it is (run it again to go on); ``ROLL_BACK`` stops it
and, with ``rollback=True``, returns the wave's items to the versions they had before.
A gate that raises counts as ``ROLL_BACK``: an unknown health is not a healthy one.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable

import attrs

from .rollout_results import RolloutResult

__all__ = ["Gate", "GateCheck", "GateDecision"]


class GateDecision(enum.Enum):
    """A gate's answer after a wave: go on, hold where it is, or roll back."""

    GO = "GO"
    #: Stop here, keep everything as it is; running the rollout again goes on.
    HOLD = "HOLD"
    #: Stop, and (``rollback=True``) return the wave's items to their previous versions.
    ROLL_BACK = "ROLL_BACK"


@attrs.frozen(kw_only=True)
class GateCheck:
    """What a gate is asked about: a finished wave (or, per item, one finished item)."""

    #: The wave, counted from 1.
    wave: int
    waves: int
    #: The items of the wave finished so far (one, for a per-item gate).
    results: tuple[RolloutResult, ...]

    @property
    def paths(self) -> list[str]:
        return [result.target.path for result in self.results]


Gate = Callable[[GateCheck], Awaitable[GateDecision]]
