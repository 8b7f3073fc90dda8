"""``aioproton rollout --output json``: the plan, each finished item and the end as events."""

from __future__ import annotations

from ..workflow import Rollout
from ._events import JsonLines, event, of_rollout_result
from ._exit import ExitCode


async def run_json(rollout: Rollout, out: JsonLines, *, dry_run: bool) -> ExitCode:
    """Run (or with ``dry_run`` only plan) ``rollout``, writing one JSON event per line."""
    version = await rollout.target_version()
    plan = await rollout.plan()
    template = f"{rollout.kind}-template/{rollout.template}"
    out.write(
        event(
            "rollout_plan",
            target=template,
            version=version,
            items=len(plan),
            dry_run=dry_run,
            targets=[item.target.path for item in plan],
        )
    )
    if dry_run:
        report = await rollout.run(dry_run=True)
        for result in report.results:
            out.write(of_rollout_result(result))
    else:
        report = await rollout.run(on_result=lambda result: out.write(of_rollout_result(result)))
    counts = {status.value: report.count(status) for status in {r.status for r in report.results}}
    code = ExitCode.OK if report.ok else ExitCode.FAILED
    out.write(
        event(
            "rollout_end",
            target=template,
            status="succeeded" if report.ok else "failed",
            version=version,
            counts=counts,
            exit_code=int(code),
        )
    )
    return code
