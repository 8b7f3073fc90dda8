"""argparse ``type=`` converters for numbers, shared by the CLI and the emulator's command.

A bad value becomes one line naming the value and what is wrong with it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

_N = TypeVar("_N", int, float)


def number_type(
    kind: Callable[[str], _N], rejects: Callable[[_N], bool], complaint: str
) -> Callable[[str], _N]:
    """A converter that parses with ``kind`` and refuses a value ``rejects`` with ``complaint``."""
    noun = "an integer" if kind is int else "a number"

    def convert(text: str) -> _N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        if rejects(value):
            raise argparse.ArgumentTypeError(f"{text!r} {complaint}")
        return value

    return convert
