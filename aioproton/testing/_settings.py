"""Emulator settings as tests spell them: a clock may be named as on the command line."""

from __future__ import annotations

from typing import Any

from ..clock import Clock
from ..emulator.__main__ import CLOCK_SPELLINGS, parse_clock
from ..errors import ConfigurationError

__all__ = ["emulator_clock", "resolve_settings"]


def emulator_clock(clock: object, *, where: str) -> Clock:
    """``clock`` itself, or the clock that ``aioproton emulator --clock`` would build from it.

    ``where`` names the setting in the message of the ConfigurationError raised for
    anything else.
    """
    if isinstance(clock, str):
        try:
            return parse_clock(clock)
        except ValueError:
            pass
    elif isinstance(clock, Clock):
        return clock
    raise ConfigurationError(
        f"{where}: clock={clock!r} is not a clock; give a Clock (e.g. ManualClock()) "
        f"or its command-line spelling: {CLOCK_SPELLINGS} (as in aioproton emulator --clock)"
    )


def resolve_settings(settings: dict[str, Any], *, where: str) -> dict[str, Any]:
    """``settings`` (Emulator keywords) with a spelled clock turned into a Clock."""
    if "clock" in settings and settings["clock"] is not None:
        settings = {**settings, "clock": emulator_clock(settings["clock"], where=where)}
    return settings
