"""``aioproton wait`` (alias ``watch``): follow something until it reaches a final state.

On a terminal one line is redrawn ten times a second with the state and the time spent
waiting; elsewhere each state change is one timestamped line. The last line says how
it ended, and the exit code says it again (see ``_exit``).
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

import anyio

from ..workflow import (
    DeploymentCancelledError,
    FixedDelay,
    Waiter,
    WaiterError,
    Waiters,
    WaitTimeoutError,
)
from ._connect import open_client
from ._display import SPINNER, Terminal, duration
from ._exit import ExitCode
from ._subjects import KINDS

REDRAW_SECONDS = 0.1


def make_waiters(proton: Any, poll_interval: float | None) -> Waiters:
    """Waiters with the default adaptive schedule, or a fixed ``--poll-interval``."""
    schedule = FixedDelay(poll_interval) if poll_interval is not None else None
    return Waiters(proton, schedule=schedule)


async def run(args: argparse.Namespace) -> ExitCode:
    subject = KINDS[args.kind][2](args)
    terminal = Terminal()
    async with open_client(args) as proton:
        first = await subject.read(proton)
        waiter = subject.waiter(make_waiters(proton, args.poll_interval), first, args.timeout)
        return await follow(waiter, subject.path, terminal, quiet=args.quiet)


async def follow(waiter: Waiter[Any], path: str, terminal: Terminal, *, quiet: bool) -> ExitCode:
    """Drive ``waiter`` to its end, showing its progress; the exit code of the outcome."""
    failure: WaiterError | None = None
    try:
        async with anyio.create_task_group() as group:
            if terminal.interactive and not quiet:
                group.start_soon(_redraw, terminal, waiter, path)
            try:
                async for change in waiter.progress():
                    if not quiet:
                        note = f" ({change.message})" if change.message else ""
                        terminal.log(f"{path}: {change.status}{note}")
            except WaiterError as error:
                failure = error
            finally:
                group.cancel_scope.cancel()
    finally:
        terminal.close()  # an interrupted wait leaves no half-drawn line behind
    return _report(terminal, path, waiter, failure)


async def _redraw(terminal: Terminal, waiter: Waiter[Any], path: str) -> None:
    for frame in itertools.count():
        status = waiter.status or "reading"
        terminal.status(
            f"{SPINNER[frame % len(SPINNER)]} {path}  {status}  {duration(waiter.elapsed)}"
        )
        await anyio.sleep(REDRAW_SECONDS)


def _report(
    terminal: Terminal, path: str, waiter: Waiter[Any], failure: WaiterError | None
) -> ExitCode:
    elapsed = duration(waiter.elapsed)
    if failure is None:
        terminal.line(terminal.paint(f"{path}: {waiter.status} after {elapsed}", "green"))
        return ExitCode.OK
    if isinstance(failure, WaitTimeoutError):
        still = f"still {failure.status}" if failure.status else "no state read"
        terminal.line(terminal.paint(f"{path}: {still} after {elapsed}: timed out", "yellow"))
        return ExitCode.TIMEOUT
    detail = f": {failure.status_message}" if failure.status_message else ""
    terminal.line(terminal.paint(f"{path}: {failure.status} after {elapsed}{detail}", "red"))
    if isinstance(failure, DeploymentCancelledError):
        return ExitCode.CANCELLED
    return ExitCode.FAILED
