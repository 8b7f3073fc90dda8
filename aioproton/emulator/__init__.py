"""A local AWS Proton: the real wire protocol over HTTP, backed by an in-memory service.

- :class:`Emulator`: the server, in process (``async with Emulator() as emu``).
- ``python -m aioproton.emulator``: the same server as a process; prints its URL.
- :class:`EmulatorControl`: drives a running emulator through ``/_emulator/``.
- :class:`FaultSettings`, :class:`FaultInjector`: throttling, errors, latency,
  connection resets and commit-then-drop, deterministic under a seed.
- :class:`RequestLog`, :class:`RequestRecord`, :class:`RecordFilter`: what the server saw
  and answered; :func:`read_recording` reads a session recorded with ``record_to``.
- :class:`Quotas`: the service quotas the emulator enforces (HTTP 402 past one).

The names load on first use, so importing :mod:`aioproton.emulator.errors` or the
backend does not pull in the HTTP server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._auth import AuthMode as AuthMode
    from ._control_client import EmulatorControl as EmulatorControl
    from ._control_client import EmulatorControlError as EmulatorControlError
    from ._emulator import ClientSettings as ClientSettings
    from ._emulator import Emulator as Emulator
    from ._faults import FaultInjector as FaultInjector
    from ._faults import FaultPlan as FaultPlan
    from ._faults import FaultSettings as FaultSettings
    from ._request_log import RecordFilter as RecordFilter
    from ._request_log import RequestLog as RequestLog
    from ._request_log import RequestRecord as RequestRecord
    from ._request_log import read_recording as read_recording
    from .backend import Quotas as Quotas
    from .backend import Timings as Timings

_EXPORTS = {
    "AuthMode": "._auth",
    "ClientSettings": "._emulator",
    "Emulator": "._emulator",
    "EmulatorControl": "._control_client",
    "EmulatorControlError": "._control_client",
    "FaultInjector": "._faults",
    "FaultPlan": "._faults",
    "FaultSettings": "._faults",
    "RecordFilter": "._request_log",
    "RequestLog": "._request_log",
    "RequestRecord": "._request_log",
    "read_recording": "._request_log",
    "Quotas": ".backend",
    "Timings": ".backend",
}

__getattr__: Callable[[str], Any]
__dir__: Callable[[], list[str]]
__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
