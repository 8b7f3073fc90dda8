"""The argument parser of ``aioproton``: global options, then one subcommand.

Global options are accepted before and after the subcommand; a usage error is one line
on stderr (exit code 2) that points at the subcommand's ``--help``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, NoReturn

from .. import __version__
from .._argtypes import number_type
from ._connect import add_global_options
from ._exit import EPILOG, ExitCode
from ._subjects import CONVERTERS, DEPLOYABLE, KINDS

if TYPE_CHECKING:  # the workflow layer loads when a flag needs it, not for `--help`
    from ..workflow.waves import FailureBudget, Plan

PROG = "aioproton"
#: The fields of a rollout item that ``--order-by`` and ``--group-by`` take.
ITEM_FIELDS = ("environment", "name", "path")
_FIELDS = ", ".join(ITEM_FIELDS)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_positive_float = number_type(float, lambda value: not value > 0, "is not positive")
_positive_int = number_type(int, lambda value: value < 1, "is not positive")


def _plan(text: str) -> Plan:
    from ..workflow.waves import Plan, PlanError

    try:
        return Plan.parse(text)
    except PlanError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _budget(text: str) -> FailureBudget:
    from ..workflow.waves import FailureBudget, PlanError

    try:
        return FailureBudget.parse(text)
    except PlanError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _template_version(text: str) -> str:
    major, dot, minor = text.partition(".")
    if not (major.isdigit() and (not dot or minor.isdigit())):
        raise argparse.ArgumentTypeError(
            f"expected MAJOR.MINOR (e.g. 1.2) or MAJOR (e.g. 2), got {text!r}"
        )
    return text


def _poll_options(
    parser: argparse.ArgumentParser,
    *,
    suppress: bool,
    timeout_help: str = "give up after this long (default 3600)",
) -> None:
    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=default(3600.0),
        metavar="SECONDS",
        help=timeout_help,
    )
    parser.add_argument(
        "--poll-interval",
        type=_positive_float,
        default=default(None),
        metavar="SECONDS",
        help="poll at this fixed interval (default: adaptive, from earlier deployments)",
    )


def _wait_parser(commands: argparse._SubParsersAction[Parser]) -> None:
    wait = commands.add_parser(
        "wait",
        aliases=["watch"],
        help="follow a deployment, deletion or registration until it ends",
        description=(
            "Follow a deployment, deletion or registration until it ends, showing its "
            "state. Exit code 0 when it succeeded."
        ),
        epilog=EPILOG,
    )
    add_global_options(wait, suppress=True)
    _poll_options(wait, suppress=False)
    wait.add_argument("--quiet", "-q", action="store_true", help="print only the final line")
    _event_options(wait, suppress=False, deployment=True)
    kinds = wait.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, (help_text, positionals, _) in KINDS.items():
        parser = kinds.add_parser(kind, help=help_text, description=f"Follow {help_text}.")
        for name, metavar_help in positionals:
            parser.add_argument(
                name, type=CONVERTERS.get(name, str), metavar=name.upper(), help=metavar_help
            )
        add_global_options(parser, suppress=True)
        _poll_options(parser, suppress=True)
        parser.add_argument(
            "--quiet",
            "-q",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print only the final line",
        )
        _event_options(parser, suppress=True, deployment=kind in DEPLOYABLE)


def _event_options(parser: argparse.ArgumentParser, *, suppress: bool, deployment: bool) -> None:
    """``--output`` (and, where there are deployments, ``--deployment-id``)."""
    parser.add_argument(
        "--output",
        choices=("text", "json"),
        default=argparse.SUPPRESS if suppress else "text",
        help="json: one JSON object per line per event, for log shippers (default: text)",
    )
    if deployment:
        parser.add_argument(
            "--deployment-id",
            metavar="ID",
            default=argparse.SUPPRESS if suppress else None,
            help="follow this deployment of the target (not whichever runs on it now)",
        )


def _rollout_parser(commands: argparse._SubParsersAction[Parser]) -> None:
    rollout = commands.add_parser(
        "rollout",
        help="roll a template version out to everything deployed from the template",
        description=(
            "Update every environment (environment template) or service instance (service "
            "template) to a published template version, a bounded number at a time, and "
            "wait for each deployment. Safe to run again: what is already on the version is "
            "skipped."
        ),
        epilog=EPILOG,
    )
    add_global_options(rollout, suppress=True)
    which = rollout.add_mutually_exclusive_group(required=True)
    which.add_argument("--environment-template", metavar="NAME")
    which.add_argument("--service-template", metavar="NAME")
    rollout.add_argument(
        "--version",
        required=True,
        type=_template_version,
        help="MAJOR.MINOR, or MAJOR for that major version's recommended minor",
    )
    rollout.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    _event_options(rollout, suppress=False, deployment=False)
    rollout.add_argument(
        "--concurrency",
        type=_positive_int,
        default=8,
        metavar="N",
        help="items updated at once (default 8)",
    )
    rollout.add_argument(
        "--rate",
        type=_positive_float,
        metavar="PER_SECOND",
        help="most update requests started per second, over any second; slows down when throttled",
    )
    rollout.add_argument(
        "--burst",
        type=_positive_int,
        metavar="N",
        help="update requests that may start at once under --rate (default 1: --rate holds "
        "over every second)",
    )
    rollout.add_argument(
        "--fail-fast", action="store_true", help="stop at the first item that fails"
    )
    rollout.add_argument(
        "--token-store",
        metavar="PATH_OR_URL",
        help="SQLite file, or postgresql:// URL, keeping update tokens and the rollout's "
        "progress, so a rerun after a crash never updates twice and --resume can go on",
    )
    rollout.add_argument(
        "--plan",
        type=_plan,
        metavar="PLAN",
        help="the waves: all-at-once (default), one-at-a-time, canary (1, then 10%%), or "
        "steps such as 1,10%%:pause=300,50%%:approve,100%%",
    )
    rollout.add_argument(
        "--max-failures",
        type=_budget,
        metavar="N_OR_PERCENT",
        help="stop starting items once more than N items, or more than PERCENT%% of the "
        "items finished so far, have failed",
    )
    rollout.add_argument(
        "--rollback",
        action="store_true",
        help="when --max-failures stops the rollout, return the wave's items to their "
        "previous versions",
    )
    rollout.add_argument(
        "--pause-after-wave",
        type=_positive_int,
        metavar="N",
        help="pause once N waves are done (go on later with --resume); SIGUSR1 pauses "
        "between items too",
    )
    rollout.add_argument(
        "--resume",
        action="store_true",
        help="go on with the paused or stopped rollout kept in --token-store, with its "
        "plan, instead of starting afresh",
    )
    rollout.add_argument(
        "--shared",
        action="store_true",
        help="run as one of several replicas of this command that split the items between "
        "them (each item updated by one); needs a --token-store every replica shares, such "
        "as postgresql://... (a SQLite file serves replicas on one host); a replica joins "
        "the stored rollout instead of starting afresh",
    )
    rollout.add_argument(
        "--order-by",
        choices=ITEM_FIELDS,
        metavar="FIELD",
        help=f"start the items in the order of this field of each ({_FIELDS})",
    )
    rollout.add_argument(
        "--group-by",
        choices=ITEM_FIELDS,
        metavar="FIELD",
        help=f"keep the items with the same value of this field ({_FIELDS}) in waves of "
        "their own: a wave never spans two groups",
    )
    _poll_options(
        rollout,
        suppress=False,
        timeout_help="give up on an item whose deployment takes longer (default 3600)",
    )


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Follow and roll out AWS Proton deployments, or serve a local emulator.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_global_options(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=Parser
    )
    commands.add_parser(
        "emulator",
        help="serve a local Proton emulator (the flags of python -m aioproton.emulator)",
        add_help=False,
    )
    _wait_parser(commands)
    _rollout_parser(commands)
    return parser
