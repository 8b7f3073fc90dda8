"""``aioproton rollout``: a template version to everything deployed from the template.

It plans first (one line: how many items, how many to update), then updates
``--concurrency`` items at a time, showing a progress bar on a terminal or one line per
finished item elsewhere, and ends with a table of every item. A rollout can be run again
after a failure or an interruption: items already on the version are skipped, and with
``--token-store`` a restarted run resends its own updates instead of starting new ones.

``--plan`` runs the items in waves (the wave in progress is shown), ``--max-failures``
stops starting items once too many fail, and ``--pause-after-wave`` or SIGUSR1 pauses
between items; the progress is kept in ``--token-store``, and ``--resume`` goes on
from where it stopped, with the same waves.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import operator
import signal
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio

from ..clock import SystemClock
from ..workflow import (
    MemoryRolloutStateStore,
    Rollout,
    RolloutAction,
    RolloutItem,
    RolloutReport,
    RolloutResult,
    RolloutStateStore,
    RolloutStatus,
    SqliteRolloutStateStore,
    StopReason,
)
from ._connect import open_client
from ._display import Terminal, duration, progress_bar, table
from ._events import JsonLines
from ._exit import ExitCode
from ._rollout_json import run_json
from ._stores import DATABASE_SCHEMES, open_token_store
from ._wait import REDRAW_SECONDS, make_waiters

_UPDATES = (RolloutAction.MINOR_VERSION, RolloutAction.MAJOR_VERSION)


async def run(args: argparse.Namespace) -> ExitCode:
    terminal = Terminal()
    kind = "environment" if args.environment_template else "service"
    template = args.environment_template or args.service_template
    if args.resume and not args.token_store:
        raise ValueError(
            "--resume needs --token-store: the rollout's progress is kept there; "
            "give the same --token-store as the run that paused"
        )
    # The connection pool must hold every item in flight, and the waiters' polls.
    pool = max(64, args.concurrency * 2)
    async with (
        open_token_store(args.token_store) as store,
        _open_state_store(args.token_store) as state,
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
            plan=args.plan,
            budget=args.max_failures,
            rollback=args.rollback,
            pause_after_wave=args.pause_after_wave,
            state=state,
            shared=args.shared,
            order_by=_item_key(args.order_by),
            group_by=_item_key(args.group_by),
        )
        if getattr(args, "output", "text") == "json":
            return await run_json(rollout, JsonLines(), dry_run=args.dry_run)
        version = await rollout.target_version()
        if args.resume:
            stored = await state.load(await rollout.rollout_id())
            if stored is None:
                raise ValueError(
                    f"there is no rollout of {kind} template {template} {version} to resume "
                    f"in {args.token_store}; run it without --resume to start it"
                )
        elif not (args.dry_run or args.shared):  # a replica joins what the others started
            await rollout.reset()
        plan = await rollout.plan()
        updates = sum(1 for item in plan if item.action in _UPDATES)
        what = f"{kind} template {template} {version}"
        terminal.line(
            f"{'dry run: ' if args.dry_run else ''}{'resuming ' if args.resume else ''}"
            f"rollout of {what}: {len(plan)} items, {updates} to update"
        )
        if args.dry_run:
            report = await rollout.run(dry_run=True)
            for number, paths in enumerate(report.waves, 1):
                terminal.line(f"wave {number}: {len(paths)} items: {', '.join(paths)}")
        else:
            report = await _run(rollout, terminal, what, total=len(plan))
    for line in _summary(report, terminal):
        terminal.line(line)
    if report.stopped is not None:
        terminal.line(
            f"stopped after {report.waves_done} of {len(report.waves)} waves: {report.reason}"
            + ("; go on with --resume" if args.token_store else "")
        )
    return ExitCode.OK if report.ok or _paused_cleanly(report) else ExitCode.FAILED


def _item_key(field: str | None) -> Callable[[RolloutItem], str] | None:
    """``--order-by`` / ``--group-by``: a field of the item (see ``ITEM_FIELDS``)."""
    if field is None:
        return None
    if field == "name":
        return lambda item: item.target.names[-1]
    return operator.attrgetter(field)


def _paused_cleanly(report: RolloutReport) -> bool:
    """Paused as asked (not stopped by failures): nothing went wrong."""
    return report.stopped in (StopReason.PAUSED, StopReason.APPROVAL) and all(
        result.ok or result.status is RolloutStatus.NOT_STARTED for result in report.results
    )


@contextlib.asynccontextmanager
async def _open_state_store(value: str | None) -> AsyncIterator[RolloutStateStore]:
    """Where the progress is kept: beside the tokens, or (no ``--token-store``) in memory."""
    if not value:
        yield MemoryRolloutStateStore()
    elif value.startswith(DATABASE_SCHEMES):
        from ..workflow import PostgresRolloutStateStore  # needs the postgres extra

        async with PostgresRolloutStateStore(value) as store:
            yield store
    else:
        yield SqliteRolloutStateStore(value)


class _Progress:
    """Counts finished items and draws them."""

    def __init__(self, terminal: Terminal, what: str, total: int) -> None:
        self.terminal = terminal
        self.what = what
        self.total = total
        self.counts: collections.Counter[RolloutStatus] = collections.Counter()
        self.clock = SystemClock()
        self.started = self.clock.now()
        self.wave = ""

    def wave_started(self, wave: int, waves: int, items: int) -> None:
        self.wave = f"wave {wave}/{waves}  "
        self.terminal.log(f"wave {wave} of {waves}: {items} items")

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
            f"{self.what} {progress_bar(done, self.total)} {done}/{self.total}  {self.wave}"
            f"{counts}  {elapsed}"
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
            if sys.platform != "win32":
                group.start_soon(_pause_on_signal, rollout, terminal)
            try:
                report = await rollout.run(
                    on_result=progress.finished, on_wave=progress.wave_started
                )
            finally:
                group.cancel_scope.cancel()
    except anyio.get_cancelled_exc_class():
        terminal.close()
        terminal.line("stopped: deployments already started go on; run the same command to resume")
        raise
    finally:
        terminal.close()
    return report


async def _pause_on_signal(rollout: Rollout, terminal: Terminal) -> None:
    """SIGUSR1: stop starting items; those in flight finish, then the run ends paused."""
    with anyio.open_signal_receiver(signal.SIGUSR1) as signals:
        async for _ in signals:
            terminal.log("pausing: the items in flight finish first")
            rollout.pause()


_COLOURS = {
    RolloutStatus.UPDATED: "green",
    RolloutStatus.FAILED: "red",
    RolloutStatus.CANCELLED: "yellow",
    RolloutStatus.ROLLED_BACK: "yellow",
    RolloutStatus.ROLLBACK_FAILED: "red",
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
