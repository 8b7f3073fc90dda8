"""``aioproton wait`` (alias ``watch``): follow something until it reaches a final state.

On a terminal one line is redrawn ten times a second with the state and the time spent
waiting; elsewhere each state change is one timestamped line. The last line says how
it ended, and the exit code says it again (see ``_exit``). ``--output json`` prints one
JSON object per state change and one for the end instead (see ``_events``);
``--deployment-id`` follows that one deployment of the target, not whatever runs on it.
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

import anyio

from ..errors import ConfigurationError
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
from ._events import JsonLines, LastRequest, event, of_change
from ._exit import ExitCode
from ._subjects import KINDS

REDRAW_SECONDS = 0.1


def make_waiters(proton: Any, poll_interval: float | None) -> Waiters:
    """Waiters with the default adaptive schedule, or a fixed ``--poll-interval``."""
    schedule = FixedDelay(poll_interval) if poll_interval is not None else None
    return Waiters(proton, schedule=schedule)


async def run(args: argparse.Namespace) -> ExitCode:
    subject = KINDS[args.kind][2](args)
    requests = LastRequest()
    async with open_client(args, observers=[requests]) as proton:
        first = await subject.read(proton)
        waiters = make_waiters(proton, args.poll_interval)
        deployment_id = getattr(args, "deployment_id", None)
        if deployment_id:
            await _check_deployment(proton, subject.path, first, deployment_id)
            waiter = waiters.deployment_finished(deployment_id, timeout=args.timeout)
        else:
            waiter = subject.waiter(waiters, first, args.timeout)
        if getattr(args, "output", "text") == "json":
            return await follow_json(waiter, subject.path, JsonLines(), requests)
        return await follow(waiter, subject.path, Terminal(), quiet=args.quiet)


async def _check_deployment(proton: Any, path: str, first: Any, deployment_id: str) -> None:
    """Refuse a deployment id of another resource: following it would say nothing of this one."""
    deployment = await proton.get_deployment(id=deployment_id)
    arn = getattr(first, "arn", None)
    if isinstance(arn, str) and deployment.target_arn != arn:
        raise ConfigurationError(
            f"deployment {deployment_id} is a deployment of {deployment.target_arn}, not of "
            f"{path}; give the id of one of {path}'s deployments (its "
            "lastAttemptedDeploymentId, or one from ListDeployments)"
        )


async def follow_json(
    waiter: Waiter[Any], path: str, out: JsonLines, requests: LastRequest
) -> ExitCode:
    """Drive ``waiter`` to its end, one JSON event per state change and one for the end."""
    failure: WaiterError | None = None
    try:
        async for change in waiter.progress():
            out.write(of_change(change, requests.request_id))
    except WaiterError as error:
        failure = error
    code = _exit_code(failure)
    last = waiter.history[-1] if waiter.history else None
    out.write(
        event(
            "wait_end",
            target=path,
            target_arn=last.arn if last else None,
            deployment_id=last.deployment_id if last else None,
            request_id=requests.request_id,
            status=waiter.status,
            outcome=code.name.lower(),
            exit_code=int(code),
            message=failure.status_message if failure is not None else None,
            polls=waiter.attempts,
            elapsed=round(waiter.elapsed, 3),
        )
    )
    return code


def _exit_code(failure: WaiterError | None) -> ExitCode:
    if failure is None:
        return ExitCode.OK
    if isinstance(failure, WaitTimeoutError):
        return ExitCode.TIMEOUT
    if isinstance(failure, DeploymentCancelledError):
        return ExitCode.CANCELLED
    return ExitCode.FAILED


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
