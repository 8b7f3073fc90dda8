"""How long a resource's earlier deployments took, read from Proton's deployment records.

Proton keeps a ``Deployment`` record per deployment with ``createdAt`` and
``completedAt``. Those durations tell a waiter when the current deployment is likely to
end, so it can poll rarely at first and often near the expected end
(:class:`~aioproton.workflow.schedule.HistoryAwareSchedule`).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

import attrs

from .._client import ProtonClient
from .._generated import models
from .targets import DeploymentTarget

__all__ = ["DeploymentHistory", "DurationEstimate"]


def _as_floats(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(float(value) for value in values)


@attrs.frozen
class DurationEstimate:
    """Durations (clock seconds) of a target's earlier successful deployments, newest first."""

    samples: tuple[float, ...] = attrs.field(converter=_as_floats)

    @samples.validator
    def _check(self, attribute: object, value: tuple[float, ...]) -> None:
        if not value:
            raise ValueError("an estimate needs at least one sample")
        if any(sample < 0 for sample in value):
            raise ValueError("durations cannot be negative")

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    @property
    def typical(self) -> float:
        return float(statistics.median(self.samples))

    def windows(self, *, margin: float) -> list[tuple[float, float]]:
        """The spans in which this deployment will most likely end, earliest first.

        Samples within half their size of each other form one cluster (a resource's
        creates and updates often take very different times); each cluster's range is
        widened on each side by half its own width, and by at least ``margin`` (a
        fraction of its typical duration), since a few samples understate the spread.
        """
        clusters: list[list[float]] = []
        for sample in sorted(self.samples):
            if clusters and sample <= clusters[-1][-1] * _CLUSTER_RATIO:
                clusters[-1].append(sample)
            else:
                clusters.append([sample])
        spans: list[tuple[float, float]] = []
        for cluster in clusters:
            low, high = cluster[0], cluster[-1]
            pad = max((high - low) / 2, margin * float(statistics.median(cluster)))
            start, end = max(0.0, low - pad), high + pad
            if spans and start <= spans[-1][1]:
                start = spans.pop()[0]
            spans.append((start, end))
        return spans


#: Samples closer than this ratio belong to one cluster.
_CLUSTER_RATIO = 1.5


class DeploymentHistory:
    """Looks up and caches deployment durations per target ARN.

    Share one instance between waiters (a rollout does) so each target's history is
    read once; :meth:`record` adds the durations the waiters observe themselves.
    """

    def __init__(self, *, max_samples: int = 5, page_size: int = 100, max_pages: int = 1) -> None:
        if max_samples < 1 or page_size < 1 or max_pages < 1:
            raise ValueError("max_samples, page_size and max_pages must be at least 1")
        self.max_samples = max_samples
        self.page_size = page_size
        self.max_pages = max_pages
        self._samples: dict[str, list[float]] = {}

    def estimate_for(self, target_arn: str) -> DurationEstimate | None:
        """The cached estimate, without any request."""
        samples = self._samples.get(target_arn)
        return DurationEstimate(samples) if samples else None

    def record(self, target_arn: str, seconds: float) -> None:
        """Remember a duration observed for ``target_arn`` (newest first)."""
        samples = self._samples.setdefault(target_arn, [])
        samples.insert(0, max(0.0, seconds))
        del samples[self.max_samples :]

    async def estimate(
        self,
        proton: ProtonClient,
        target: DeploymentTarget[Any],
        target_arn: str,
        *,
        exclude_id: str | None = None,
    ) -> DurationEstimate | None:
        """The estimate for ``target``, reading ListDeployments once if not cached.

        Records of other targets on those pages (an environment's listing includes its
        instances and components) are ignored; so is ``exclude_id``, the deployment
        being waited for.
        """
        if target_arn in self._samples:
            return self.estimate_for(target_arn)
        listing = target.deployments(
            proton, page_size=self.page_size, max_items=self.page_size * self.max_pages
        )
        summaries = [summary async for summary in listing]
        samples = _durations(summaries, target_arn, exclude_id)[: self.max_samples]
        if samples:
            # Nothing found is not cached: the next wait may find this one's record.
            self._samples[target_arn] = samples
        return self.estimate_for(target_arn)


def _durations(
    summaries: Iterable[models.DeploymentSummary], target_arn: str, exclude_id: str | None
) -> list[float]:
    finished = [
        summary
        for summary in summaries
        if summary.target_arn == target_arn
        and summary.id != exclude_id
        and summary.deployment_status == models.DeploymentStatus.SUCCEEDED
        and summary.completed_at is not None
    ]
    finished.sort(key=lambda summary: summary.created_at, reverse=True)
    return [
        (summary.completed_at - summary.created_at).total_seconds()
        for summary in finished
        if summary.completed_at is not None
    ]
