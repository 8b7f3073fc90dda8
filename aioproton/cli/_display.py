"""What the command line draws: one live line on a terminal, plain lines anywhere else.

On a TTY a status line is redrawn in place (carriage return, erase line) and final
states are coloured; piped or redirected output gets one timestamped line per event,
which logs and CI read well. ``NO_COLOR`` turns colour off; ``TERM=dumb`` turns the
live line off.
"""

from __future__ import annotations

import datetime
import os
import shutil
import sys
from collections.abc import Sequence
from typing import TextIO

_ERASE = "\r\x1b[2K"
_COLOURS = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2"}
SPINNER = "|/-\\"


def duration(seconds: float) -> str:
    """``4.2s``, ``3m05s``, ``1h02m``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Terminal:
    """One output stream and how to draw on it."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        interactive: bool | None = None,
        colour: bool | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        if interactive is None:
            interactive = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.interactive = interactive
        if colour is None:
            colour = interactive and "NO_COLOR" not in os.environ
        self.colour = colour
        self._live = False

    @property
    def width(self) -> int:
        columns = shutil.get_terminal_size((100, 24)).columns
        # A terminal that reports no size (0 columns, as some ptys do) gets the fallback.
        return max(20, columns if columns > 0 else 100)

    def paint(self, text: str, colour: str) -> str:
        if not self.colour:
            return text
        return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"

    def status(self, text: str) -> None:
        """Redraw the live line (terminals only; elsewhere nothing is drawn)."""
        if not self.interactive:
            return
        self.stream.write(_ERASE + _fit(text, self.width - 1))
        self.stream.flush()
        self._live = True

    def line(self, text: str) -> None:
        """A permanent line (it replaces the live line, which comes back on the next redraw)."""
        if self._live:
            self.stream.write(_ERASE)
            self._live = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def log(self, text: str) -> None:
        """A timestamped line for non-interactive output; nothing on a terminal."""
        if self.interactive:
            return
        stamp = datetime.datetime.now().astimezone().strftime("%H:%M:%S")
        self.line(f"{stamp} {text}")

    def close(self) -> None:
        """Leave the terminal clean: erase the live line."""
        if self._live:
            self.stream.write(_ERASE)
            self.stream.flush()
            self._live = False


def _fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` visible characters (it holds no escape sequences)."""
    return text if len(text) <= width else text[: max(0, width - 3)] + "..."


def progress_bar(done: int, total: int, width: int = 24) -> str:
    filled = width if total == 0 else (width * done) // total
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int | None = None
) -> list[str]:
    """Rows in aligned columns; the last column is cut to ``width`` when given."""
    widths = [len(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row[:-1]):
            widths[index] = max(widths[index], len(cell))
    lines = []
    for row in [list(headers), *rows]:
        cells = [cell.ljust(widths[index]) for index, cell in enumerate(row[:-1])]
        text = "  ".join([*cells, row[-1]]).rstrip()
        lines.append(_fit(text, width) if width is not None else text)
    return lines
