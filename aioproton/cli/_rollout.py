"""``aioproton rollout``: a template version to everything deployed from the template.

It plans first (one line: how many items, how many to update), then updates
``--concurrency`` items at a time, showing a progress bar on a terminal or one line per
finished item elsewhere, and ends with a table of every item. A rollout can be run again
after a failure or an interruption: items already on the version are skipped, and with
``--token-store`` a restarted run resends its own updates instead of starting new ones.
"""

from __future__ import annotations

import argparse
import collections
from typing import Any

import anyio

from ..clock import SystemClock
from ..workflow import (
    Rollout,
    RolloutAction,
    RolloutReport,
    RolloutResult,
    RolloutStatus,
)
from ._connect import open_client
from ._display import Terminal, duration, progress_bar, table
from ._events import JsonLines
from ._exit import ExitCode
from ._rollout_json import run_json
from ._stores import open_token_store
from ._wait import REDRAW_SECONDS, make_waiters

_UPDATES = (RolloutAction.MINOR_VERSION, RolloutAction.MAJOR_VERSION)


async def run(args: argparse.Namespace) -> ExitCode:
    terminal = Terminal()
    kind = "environment" if args.environment_template else "service"
    template = args.environment_template or args.service_template
    # The connection pool must hold every item in flight, and the waiters' polls.
    pool = max(64, args.concurrency * 2)
    async with (
        open_token_store(args.token_store) as store,
        open_client(args, max_pool_connections=pool) as proton,
    ):
        rollout = Rollout(
            proton,
            version=args.version,
            environment_template=args.environment_template,
            service_template=args.service_template,
            concurrency=args.concurrency,
            max_rate=args.rate,
            burst=args.burst,
            wait_timeout=args.timeout,
            fail_fast=args.fail_fast,
            store=store,
            waiters=make_waiters(proton, args.poll_interval),
        )
        if getattr(args, "output", "text") == "json":
            return await run_json(rollout, JsonLines(), dry_run=args.dry_run)
        version = await rollout.target_version()
        plan = await rollout.plan()
        updates = sum(1 for item in plan if item.action in _UPDATES)
        what = f"{kind} template {template} {version}"
        terminal.line(
            f"{'dry run: ' if args.dry_run else ''}rollout of {what}: "
            f"{len(plan)} items, {updates} to update"
        )
        if args.dry_run:
            report = await rollout.run(dry_run=True)
        else:
            report = await _run(rollout, terminal, what, total=len(plan))
    for line in _summary(report, terminal):
        terminal.line(line)
    return ExitCode.OK if report.ok else ExitCode.FAILED


class _Progress:
    """Counts finished items and draws them."""

    def __init__(self, terminal: Terminal, what: str, total: int) -> None:
        self.terminal = terminal
        self.what = what
        self.total = total
        self.counts: collections.Counter[RolloutStatus] = collections.Counter()
        self.clock = SystemClock()
        self.started = self.clock.now()

    def finished(self, result: RolloutResult) -> None:
        self.counts[result.status] += 1
        self.total = max(self.total, sum(self.counts.values()))
        note = f": {result.message}" if result.message else ""
        self.terminal.log(
            f"{result.target.path}: {result.status.value} "
            f"{result.from_version} -> {result.to_version}{note}"
        )

    def draw(self) -> None:
        done = sum(self.counts.values())
        counts = "  ".join(
            f"{status.value.lower()} {count}"
            for status, count in sorted(self.counts.items(), key=lambda item: item[0].value)
        )
        elapsed = duration(self.clock.now() - self.started)
        self.terminal.status(
            f"{self.what} {progress_bar(done, self.total)} {done}/{self.total}  {counts}  {elapsed}"
        )

    async def redraw(self) -> None:
        while True:
            self.draw()
            await anyio.sleep(REDRAW_SECONDS)


async def _run(rollout: Rollout, terminal: Terminal, what: str, *, total: int) -> RolloutReport:
    progress = _Progress(terminal, what, total)
    try:
        async with anyio.create_task_group() as group:
            if terminal.interactive:
                group.start_soon(progress.redraw)
            try:
                report = await rollout.run(on_result=progress.finished)
            finally:
                group.cancel_scope.cancel()
    except anyio.get_cancelled_exc_class():
        terminal.close()
        terminal.line("stopped: deployments already started go on; run the same command to resume")
        raise
    finally:
        terminal.close()
    return report


_COLOURS = {
    RolloutStatus.UPDATED: "green",
    RolloutStatus.FAILED: "red",
    RolloutStatus.CANCELLED: "yellow",
}


def _summary(report: RolloutReport, terminal: Terminal) -> list[str]:
    rows: list[list[str]] = []
    for result in sorted(report.results, key=lambda r: r.target.path):
        detail: Any = result.message or result.action.value
        rows.append(
            [
                result.target.path,
                f"{result.from_version} -> {result.to_version}",
                result.status.value,
                str(detail),
            ]
        )
    width = terminal.width if terminal.interactive else None
    lines = table(("TARGET", "VERSION", "STATUS", "DETAIL"), rows, width=width)
    if terminal.colour:
        painted = [lines[0]]
        for line, result in zip(
            lines[1:], sorted(report.results, key=lambda r: r.target.path), strict=True
        ):
            colour = _COLOURS.get(result.status)
            painted.append(terminal.paint(line, colour) if colour else line)
        lines = painted
    counts = ", ".join(
        f"{report.count(status)} {status.value.lower().replace('_', ' ')}"
        for status in RolloutStatus
        if report.count(status)
    )
    lines.append(f"{len(report.results)} items: {counts or 'nothing to do'}")
    return lines
