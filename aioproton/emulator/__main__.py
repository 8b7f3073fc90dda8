"""``python -m aioproton.emulator``: run the emulator as a process.

Prints exactly one line, the endpoint URL, once the server accepts connections, then
serves until SIGINT or SIGTERM and exits 0. A bad flag is reported in one line on
stderr with exit code 2; a failure to start (port taken, unreadable state file) in one
line with exit code 1. Logs go to stderr, so stdout carries only the URL.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

import anyio

from .._argtypes import number_type
from ..clock import Clock, ManualClock, ScaledClock, SystemClock
from ..errors import ConfigurationError
from ._auth import ClockSkew
from ._emulator import Emulator
from ._faults import FaultSettings
from ._persistence import StateFileError
from .backend._limits import Quotas, parse_quota

PROG = "python -m aioproton.emulator"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


_rate = number_type(float, lambda value: not 0.0 <= value <= 1.0, "is not between 0 and 1")
_non_negative_float = number_type(float, lambda value: value < 0, "is negative")
_non_negative_int = number_type(int, lambda value: value < 0, "is negative")


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not positive")
    return value


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number")
    return value


def _latency(text: str) -> tuple[float, float]:
    low_text, _, high_text = text.partition(":")
    low = _non_negative_float(low_text)
    high = _non_negative_float(high_text) if high_text else low
    if high < low:
        raise argparse.ArgumentTypeError(f"{text!r}: MAX is below MIN")
    return low, high


def _pair(what: str) -> Callable[[str], tuple[str, str]]:
    def parse(text: str) -> tuple[str, str]:
        key, sep, value = text.partition(":")
        if not sep or not key or not value:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return key, value

    parse.__name__ = what
    return parse


def _clock_skew(text: str) -> ClockSkew:
    if text in ("auto", "off"):
        return None if text == "off" else "auto"
    value = _non_negative_float(text)
    if value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


#: The spellings ``parse_clock`` (and ``--clock``) accept.
CLOCK_SPELLINGS = "system, manual or scaled:SPEED"


def parse_clock(text: str) -> Clock:
    """The clock that ``--clock TEXT`` names; ValueError for any other spelling."""
    if text == "system":
        return SystemClock()
    if text == "manual":
        return ManualClock()
    kind, sep, speed = text.partition(":")
    if kind == "scaled" and sep:
        try:
            if math.isfinite(float(speed)):
                return ScaledClock(float(speed))
        except ValueError:
            pass
    raise ValueError(f"expected {CLOCK_SPELLINGS}, got {text!r}")


def _clock(text: str) -> Clock:
    try:
        return parse_clock(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each flag's default, unless it has none worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or action.default == []:
            return action.help
        return super()._get_help_string(action)


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The emulator's command line (``aioproton emulator`` and ``python -m aioproton.emulator``)."""
    parser = _Parser(
        prog=prog, description="Serve a local AWS Proton endpoint.", formatter_class=_Help
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to bind")
    add("--port", type=_port, default=0, help="port to bind; 0 picks a free port")
    add("--region", default="us-east-1", help="region when requests are not signed")
    add("--deploy-seconds", type=_non_negative_float, help="how long deployments take")
    add("--seed", type=int, default=0, help="seed for ids and fault decisions")
    add("--state-file", help="SQLite file that keeps the state across restarts")
    add(
        "--bundle-root", metavar="DIR", help="template bundles: DIR/<bucket>/<key> stands in for S3"
    )
    add("--git-root", metavar="DIR", help="linked repositories: DIR/<provider>/<owner>/<name>")
    add(
        "--auth",
        choices=("signed", "strict", "none"),
        default="signed",
        help="signed: any well-formed SigV4 signature; strict: signatures verified "
        "against --credentials; none: no signature needed",
    )
    add(
        "--auth-clock-skew",
        type=_clock_skew,
        default="auto",
        metavar="SECONDS|auto|off",
        help="strict auth refuses an X-Amz-Date more than SECONDS from the emulator's clock "
        "(AWS: 900 = 15 min); auto checks 15 min with the system clock only, since a "
        "manual or scaled clock is not the time SDKs sign with; off never checks "
        "(default auto)",
    )
    for flag, value, more in (
        ("--credentials", "AKID:SECRET", "its secret (repeatable; strict auth)"),
        (
            "--account",
            "AKID:ACCOUNT_ID",
            "the account it acts as (repeatable; default 123456789012)",
        ),
    ):
        add(
            flag,
            action="append",
            type=_pair(value),
            default=[],
            metavar=value,
            help=f"an access key and {more}",
        )
    add("--clock", type=_clock, default="system", help=CLOCK_SPELLINGS)
    add("--check-responses", action="store_true", help="answer 500 to invalid responses")
    add(
        "--max-body-bytes",
        type=_positive_int,
        default=1_048_576,
        help="refuse request bodies larger than this",
    )
    add(
        "--quota",
        action="append",
        default=[],
        metavar="NAME=N",
        help="raise (or lower) a service quota, as AWS does on request (repeatable; e.g. "
        "environments=20000); names: " + ", ".join(Quotas.names()),
    )
    add(
        "--record",
        metavar="FILE",
        help="write each request's and response's body to FILE as JSON lines (no headers)",
    )
    faults = parser.add_argument_group("faults")
    for flag, help in (
        ("--throttle-rate", "share of requests answered 429"),
        ("--error-rate", "share of requests answered 500"),
        ("--drop-rate", "commit, then drop the connection"),
        ("--reset-rate", "close the connection before processing"),
    ):
        faults.add_argument(flag, type=_rate, default=0.0, help=help)
    faults.add_argument(
        "--latency-ms",
        type=_latency,
        metavar="MIN[:MAX]",
        default="0",
        help="delay each request by MIN, or uniformly between MIN and MAX, milliseconds",
    )
    faults.add_argument(
        "--throttle-burst",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="answer the next N requests 429, then follow --throttle-rate",
    )
    faults.add_argument(
        "--fault-operation",
        action="append",
        metavar="OPERATION",
        help="apply faults only to this operation (repeatable)",
    )
    parser.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="WARNING",
        help="server log level on stderr",
    )
    return parser


#: The flags that are Emulator(...) keywords of the same name, passed as they are.
_EMULATOR_FLAGS = (
    "host",
    "port",
    "clock",
    "deploy_seconds",
    "seed",
    "auth",
    "state_file",
    "bundle_root",
    "git_root",
    "check_responses",
    "max_body_bytes",
    "region",
    "auth_clock_skew",
)
#: The flags that are FaultSettings(...) fields of the same name.
_FAULT_FLAGS = ("throttle_rate", "error_rate", "drop_rate", "reset_rate", "throttle_burst")


def _emulator(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Emulator:
    try:
        faults = FaultSettings(
            latency_min_ms=args.latency_ms[0],
            latency_max_ms=args.latency_ms[1],
            operations=args.fault_operation,
            **{name: getattr(args, name) for name in _FAULT_FLAGS},
        )
        return Emulator(
            credentials=dict(args.credentials) or None,
            accounts=dict(args.account),
            faults=faults,
            quotas=dict(parse_quota(text) for text in args.quota),
            record_to=args.record,
            **{name: getattr(args, name) for name in _EMULATOR_FLAGS},
        )
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))


async def serve(emulator: Emulator) -> None:
    """Serve until SIGINT or SIGTERM; the URL line means the server is ready."""
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with emulator:
            print(emulator.endpoint_url, flush=True)
            async for _ in signals:
                return


def main(argv: Sequence[str] | None = None, *, prog: str = PROG) -> int:
    """Serve until SIGINT/SIGTERM; ``prog`` names the command in messages."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    emulator = _emulator(parser, args)
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        anyio.run(serve, emulator)
    except KeyboardInterrupt:
        pass
    except (OSError, StateFileError, ConfigurationError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message holds
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
