"""``main``: parse, run one command on an event loop, turn the outcome into an exit code.

Any error becomes one line on stderr and a non-zero exit code; ``--debug`` adds the
traceback and request logging. Ctrl-C and SIGTERM end the command with code 130.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence

from ..redaction import install_redaction
from . import _emulator
from ._exit import ExitCode, describe
from ._parser import PROG, build_parser
from ._subjects import DEPLOYABLE

Command = Callable[[argparse.Namespace], Awaitable[ExitCode]]

#: The module whose ``run`` each command is, imported when the command runs (so that
#: ``--help`` imports neither the client nor the workflow layer).
COMMANDS: dict[str, str] = {
    "wait": "._wait",
    "watch": "._wait",
    "rollout": "._rollout",
}


def main(argv: Sequence[str] | None = None) -> int:
    """The ``aioproton`` command; returns the exit code."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "emulator":
        return _emulator.run(rest, debug=args.debug)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if getattr(args, "burst", None) is not None and args.rate is None:
        parser.error("--burst goes with --rate")
    if getattr(args, "shared", False) and not args.token_store:
        parser.error(
            "--shared needs --token-store: the replicas split the items through it; give "
            "each replica the same one, e.g. --token-store postgresql://..."
        )
    if getattr(args, "deployment_id", None) and args.kind not in DEPLOYABLE:
        parser.error(
            f"--deployment-id follows a deployment of {', '.join(sorted(DEPLOYABLE))}; "
            f"{args.kind} has none (use: aioproton wait deployment ID)"
        )
    _logging(args.debug)
    import anyio

    try:
        command: Command = importlib.import_module(COMMANDS[args.command], __package__).run
        return int(anyio.run(_until_signal, command, args))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as error:
        if args.debug:
            traceback.print_exc()
        print(f"{PROG}: error: {describe(error)}", file=sys.stderr)
        return ExitCode.ERROR


async def _until_signal(command: Command, args: argparse.Namespace) -> ExitCode:
    """Run ``command``; SIGTERM cancels it like Ctrl-C (cleanup runs, exit code 130)."""
    import anyio

    outcome = ExitCode.INTERRUPTED
    async with anyio.create_task_group() as group:

        async def watch_signals() -> None:
            with anyio.open_signal_receiver(signal.SIGTERM) as signals:
                async for _ in signals:
                    print(f"{PROG}: terminated", file=sys.stderr)
                    group.cancel_scope.cancel()
                    return

        async def work() -> None:
            nonlocal outcome
            try:
                outcome = await command(args)
            finally:
                group.cancel_scope.cancel()

        if sys.platform != "win32":  # no signal receivers there; Ctrl-C still works
            group.start_soon(watch_signals)
        group.start_soon(work)
    return outcome


def _logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_redaction()  # botocore logs session tokens and signatures at DEBUG
    if debug:
        logging.getLogger("aioproton").setLevel(logging.DEBUG)
        logging.getLogger("botocore").setLevel(logging.INFO)
