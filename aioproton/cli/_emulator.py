"""``aioproton emulator``: ``python -m aioproton.emulator`` under the main command.

Every argument after ``emulator`` goes to the emulator's own command line unchanged,
so both spellings take the same flags and print the same URL line.
"""

from __future__ import annotations

from collections.abc import Sequence


def run(argv: Sequence[str], *, debug: bool) -> int:
    from ..emulator.__main__ import main

    arguments = list(argv)
    if debug and not any(arg.startswith("--log-level") for arg in arguments):
        arguments += ["--log-level", "DEBUG"]
    return main(arguments, prog="aioproton emulator")
