"""Exit codes, shared by every command, and the one-line account of an error."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    #: The command could not do its work: not found, connection refused, access denied.
    ERROR = 1
    #: Bad flags or arguments.
    USAGE = 2
    #: What was followed ended in a failed state (deployment, delete or registration).
    FAILED = 3
    #: The deployment was cancelled.
    CANCELLED = 4
    #: ``--timeout`` passed while it was still running.
    TIMEOUT = 5
    #: Ctrl-C or SIGTERM.
    INTERRUPTED = 130


EPILOG = """\
exit codes: 0 success, 1 error (not found, unreachable, denied), 2 bad usage,
3 failed, 4 cancelled, 5 timed out, 130 interrupted"""


def describe(error: BaseException) -> str:
    """One line that says what went wrong, without a traceback."""
    import botocore.exceptions  # here, not at import: `aioproton --help` stays fast

    from ..errors import ProtonError

    inner = getattr(error, "exceptions", None)
    if inner and len(inner) == 1:
        return describe(inner[0])
    if isinstance(error, ProtonError):
        return " ".join(str(error).split())
    if isinstance(error, (OSError, ValueError, botocore.exceptions.BotoCoreError)):
        return " ".join(str(error).split()) or type(error).__name__
    return f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)"
