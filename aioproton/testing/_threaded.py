"""``EmulatorThread``: an emulator for synchronous code, served from a thread of its own.

Async tests share their event loop with the in-process emulator. Synchronous code (boto3,
the AWS CLI, a sync wrapper) blocks the thread it runs on, so its emulator needs a loop
that keeps running meanwhile: this one runs in a background thread, and every change to
its state is made on that thread, never racing a request being served.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, TypeVar

import anyio.from_thread

from ..emulator import ClientSettings, Emulator, FaultSettings, RequestLog
from ..emulator.backend import ScriptRule
from ._settings import resolve_settings

__all__ = ["EmulatorThread"]

T = TypeVar("T")


class EmulatorThread:
    """An :class:`Emulator` on its own thread; use it as a (sync) context manager.

    ``settings`` are the ``Emulator`` keyword arguments; ``clock`` may also be spelled
    as on the command line (``"scaled:600"``).
    """

    def __init__(self, **settings: Any) -> None:
        self.emulator: Emulator = Emulator(**resolve_settings(settings, where="EmulatorThread"))
        self._portal_context: AbstractContextManager[anyio.from_thread.BlockingPortal] | None
        self._portal_context = None
        self._portal: anyio.from_thread.BlockingPortal | None = None

    def __enter__(self) -> EmulatorThread:
        context = anyio.from_thread.start_blocking_portal()
        portal = context.__enter__()
        try:
            portal.call(self.emulator.start)
        except BaseException as error:
            context.__exit__(type(error), error, error.__traceback__)
            raise
        self._portal_context, self._portal = context, portal
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        context, portal = self._portal_context, self._portal
        self._portal_context = self._portal = None
        if context is None or portal is None:
            return
        try:
            portal.call(self.emulator.aclose)
        finally:
            context.__exit__(exc_type, exc, tb)

    def call(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``func(*args, **kwargs)`` (sync) on the emulator's thread and return its result."""
        if self._portal is None:
            raise RuntimeError("the emulator thread is not running: use `with EmulatorThread():`")

        async def run() -> T:
            return func(*args, **kwargs)

        return self._portal.call(run)

    # ------------------------------------------------------------------ conveniences

    @property
    def endpoint_url(self) -> str:
        return self.emulator.endpoint_url

    @property
    def client_settings(self) -> ClientSettings:
        """Keyword arguments for ``boto3.client("proton", **s)`` or ``ProtonClient(**s)``."""
        return self.emulator.client_settings

    def advance(self, seconds: float) -> float:
        """Move the emulator's ManualClock forward and apply what came due."""
        return self.call(self.emulator.advance, seconds)

    def script(self, target: str, **rule: Any) -> ScriptRule:
        """Script the outcome of ``target``'s next lifecycle (see ``Emulator.script``)."""
        return self.call(functools.partial(self.emulator.script, target, **rule))

    def configure_faults(
        self, settings: FaultSettings | None = None, **fields: Any
    ) -> FaultSettings:
        """Replace the transport fault settings (``FaultSettings`` or its fields)."""
        chosen = settings if settings is not None else FaultSettings(**fields)
        if settings is not None and fields:
            raise TypeError("pass either a FaultSettings or its fields, not both")
        self.call(self.emulator.faults.configure, chosen)
        return chosen

    @property
    def requests(self) -> RequestLog:
        """The emulator's request log, as ``Emulator.requests``: records, select, count.

        A request is logged before its response is written, so a call that returned is
        in it.
        """
        return self.emulator.requests

    def reset(self) -> None:
        """Forget every resource and script rule."""
        self.call(self.emulator.reset)
