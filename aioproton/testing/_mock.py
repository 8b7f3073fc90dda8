"""``mock_proton()``: every AWS SDK in the process talks to a local emulator, as with moto.

The emulator runs on a thread of its own (:class:`EmulatorThread`), so synchronous code
(boto3) and async code on any event loop (aiobotocore, aioproton) reach it alike. The
process environment points them there: botocore reads ``AWS_ENDPOINT_URL_PROTON`` for
the Proton endpoint, the emulator's fake credentials and the region from the usual
variables, and the variables that would send a client elsewhere are removed. Everything
is put back as it was on exit.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import anyio
import anyio.lowlevel
import anyio.to_thread

from ..emulator import defaults
from ._threaded import EmulatorThread

__all__ = ["mock_proton", "mocked_environment"]

logger = logging.getLogger("aioproton.testing")

F = TypeVar("F", bound=Callable[..., Any])

#: Variables removed while mocking: they would send a client elsewhere (a session
#: token the emulator never issued, a profile that may not exist or may name another
#: endpoint, or the switch that makes botocore ignore the endpoint variable).
REMOVED = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


def mocked_environment(endpoint_url: str, region: str) -> dict[str, str]:
    """The variables set while mocking, for an emulator at ``endpoint_url``."""
    return {
        "AWS_ENDPOINT_URL_PROTON": endpoint_url,
        "AWS_ACCESS_KEY_ID": defaults.DEFAULT_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": defaults.DEFAULT_SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


#: One mock at a time: the environment is the whole process's.
_ACTIVE = threading.Lock()


class mock_proton:
    """Point every AWS SDK in the process at a fresh local emulator; restore on exit.

    Use it as a context manager (``with`` or ``async with``; either gives the running
    :class:`EmulatorThread`) or as a decorator of a sync or async function, which gets
    a fresh emulator on each call. ``settings`` are ``Emulator`` keywords; the clock
    may be spelled as ``aioproton emulator --clock`` takes it and defaults to
    ``"scaled:600"``, so a two-second deployment finishes in milliseconds and boto3's
    own waiters see it end. Only one mock is active at a time in a process.
    """

    def __init__(self, **settings: Any) -> None:
        self._settings: dict[str, Any] = {"clock": "scaled:600", **settings}
        self._server: EmulatorThread | None = None
        self._saved: dict[str, str | None] = {}

    # ------------------------------------------------------------------ sync

    def __enter__(self) -> EmulatorThread:
        if not _ACTIVE.acquire(blocking=False):
            raise RuntimeError(
                "mock_proton() is already active in this process: the environment it "
                "sets is process-wide, so nest nothing and run mocked tests one at a time"
            )
        try:
            server = EmulatorThread(**self._settings)
            server.__enter__()
        except BaseException:
            _ACTIVE.release()
            raise
        self._server = server
        region = server.emulator.region
        self._saved = _apply(mocked_environment(server.endpoint_url, region), REMOVED)
        logger.info(
            "AWS SDKs in this process now talk to the Proton emulator",
            extra={"endpoint_url": server.endpoint_url, "region": region},
        )
        return server

    def __exit__(self, *exc_info: Any) -> None:
        server, saved = self._server, self._saved
        self._server, self._saved = None, {}
        if server is None:
            return
        try:
            _restore(saved)
            server.__exit__(*exc_info)
        finally:
            _ACTIVE.release()

    # ------------------------------------------------------------------ async

    async def __aenter__(self) -> EmulatorThread:
        # Starting the thread blocks briefly: off the event loop, and whole, so that a
        # cancellation meanwhile stops the mock it started instead of leaking it.
        with anyio.CancelScope(shield=True):
            server = await anyio.to_thread.run_sync(self.__enter__)
        try:
            await anyio.lowlevel.checkpoint_if_cancelled()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.__exit__, None, None, None)
            raise
        return server

    async def __aexit__(self, *exc_info: Any) -> None:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self.__exit__, *exc_info)

    # ------------------------------------------------------------------ decorator

    def __call__(self, func: F) -> F:
        """Decorate ``func``: each call runs inside a fresh ``mock_proton(**settings)``."""
        settings = self._settings
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with mock_proton(**settings):
                    return await func(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with mock_proton(**settings):
                return func(*args, **kwargs)

        return cast(F, run)


def _apply(values: Mapping[str, str], removed: tuple[str, ...]) -> dict[str, str | None]:
    """Set ``values``, unset ``removed``; return what each touched variable was before."""
    saved = {name: os.environ.get(name) for name in (*values, *removed)}
    for name in removed:
        os.environ.pop(name, None)
    os.environ.update(values)
    return saved


def _restore(saved: Mapping[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
