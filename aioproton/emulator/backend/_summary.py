"""GetResourcesSummary: totals, failures and staleness per resource type.

Templates and environments report only ``total`` and components ``total`` and
``failed``, as the model documents. A service counts as behind when any of its
instances or its pipeline is (major before minor), and as failed when its status is a
failure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import _version_rules
from ._engine import Call
from ._records import DELETE_FAILED, FAILED
from ._world import Region

_FAILED_DEPLOYMENTS = (FAILED, DELETE_FAILED)


def _staleness_counts(total: int, failed: int, states: Iterable[str]) -> dict[str, int]:
    counts = {"total": total, "failed": failed, "upToDate": 0, "behindMajor": 0, "behindMinor": 0}
    names = {
        _version_rules.UP_TO_DATE: "upToDate",
        _version_rules.BEHIND_MAJOR: "behindMajor",
        _version_rules.BEHIND_MINOR: "behindMinor",
    }
    for state in states:
        counts[names[state]] += 1
    return counts


def summarize(region: Region) -> dict[str, Any]:
    templates = region.service_templates
    instances = [i for s in region.services.values() for i in s.instances.values()]
    pipelines = [(s, s.pipeline) for s in region.services.values() if s.pipeline is not None]

    def stale(template_name: str, major: int, minor: int) -> str:
        return _version_rules.staleness(templates.get(template_name), major, minor)

    instance_states = [stale(i.template_name, i.major, i.minor) for i in instances]
    pipeline_states = [stale(p.template_name, p.major, p.minor) for _, p in pipelines if p]
    service_states = []
    for service in region.services.values():
        parts = [stale(i.template_name, i.major, i.minor) for i in service.instances.values()]
        if service.pipeline is not None:
            pipe = service.pipeline
            parts.append(stale(pipe.template_name, pipe.major, pipe.minor))
        if _version_rules.BEHIND_MAJOR in parts:
            service_states.append(_version_rules.BEHIND_MAJOR)
        elif _version_rules.BEHIND_MINOR in parts:
            service_states.append(_version_rules.BEHIND_MINOR)
        else:
            service_states.append(_version_rules.UP_TO_DATE)
    return {
        "environmentTemplates": {"total": len(region.environment_templates)},
        "serviceTemplates": {"total": len(region.service_templates)},
        "environments": {"total": len(region.environments)},
        "components": {
            "total": len(region.components),
            "failed": sum(
                c.deploy.status in _FAILED_DEPLOYMENTS for c in region.components.values()
            ),
        },
        "serviceInstances": _staleness_counts(
            len(instances),
            sum(i.deploy.status in _FAILED_DEPLOYMENTS for i in instances),
            instance_states,
        ),
        "pipelines": _staleness_counts(
            len(pipelines),
            sum(p.deploy.status in _FAILED_DEPLOYMENTS for _, p in pipelines if p),
            pipeline_states,
        ),
        "services": _staleness_counts(
            len(region.services),
            sum("FAILED" in s.status for s in region.services.values()),
            service_states,
        ),
    }


def get_resources_summary(call: Call) -> dict[str, Any]:
    return {"counts": summarize(call.region)}


HANDLERS = {"GetResourcesSummary": get_resources_summary}
