"""The fixture functions, undecorated: ``plugin`` declares them for pytest.

They are plain async generator functions so that whichever async plugin runs the test
(pytest-asyncio or anyio's) drives them on the test's own event loop; ``_strict``
declares copies for pytest-asyncio's strict mode. The SDK is imported on first use: an
installed plugin costs nothing to pytest runs that never ask for a fixture.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .._client import ProtonClient
    from ..clock import ManualClock
    from ..emulator import Emulator
    from ..workflow import Waiters
    from ._faults import ProtonFaults
    from ._threaded import EmulatorThread

MARKER = "proton_emulator"

EmulatorFactory = Callable[..., Awaitable["Emulator"]]


def emulator_settings(request: pytest.FixtureRequest, **overrides: Any) -> dict[str, Any]:
    """What a test's emulator is built with: a fresh ManualClock, response checking,
    then the ``proton_emulator`` marker's keywords, then ``overrides``; a clock may be
    spelled as ``aioproton emulator --clock`` takes it (``clock="scaled:600"``)."""
    from ..clock import ManualClock
    from ._settings import resolve_settings

    settings: dict[str, Any] = {"clock": ManualClock(), "check_responses": True}
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args:
            raise TypeError(f"@pytest.mark.{MARKER} takes keyword arguments only")
        settings.update(marker.kwargs)
    settings.update(overrides)
    return resolve_settings(settings, where=f"@pytest.mark.{MARKER} or proton_emulator_factory")


async def proton_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    from ..emulator import Emulator

    async with Emulator(**emulator_settings(request)) as emulator:
        yield emulator


def proton_client_settings() -> dict[str, Any]:
    return {}


async def proton_client(
    proton_emulator: Emulator, proton_client_settings: dict[str, Any]
) -> AsyncIterator[ProtonClient]:
    # Retries back off on the emulator's clock, so a throttled call costs no real time.
    settings = {"clock": proton_emulator.clock, **proton_client_settings}
    async with proton_emulator.client(**settings) as client:
        yield client


async def proton_emulator_factory(
    request: pytest.FixtureRequest,
) -> AsyncIterator[EmulatorFactory]:
    from ..emulator import Emulator

    async with contextlib.AsyncExitStack() as stack:

        async def make(**settings: Any) -> Emulator:
            emulator = Emulator(**emulator_settings(request, **settings))
            return await stack.enter_async_context(emulator)

        yield make


def proton_clock(proton_emulator: Emulator) -> ManualClock:
    from ..clock import ManualClock

    clock = proton_emulator.clock
    if not isinstance(clock, ManualClock):
        raise TypeError(
            f"proton_clock needs the emulator to run on a ManualClock, not {clock!r} "
            f"(drop clock= from @pytest.mark.{MARKER})"
        )
    return clock


def proton_faults(proton_emulator: Emulator) -> ProtonFaults:
    from ._faults import ProtonFaults

    return ProtonFaults(proton_emulator)


def proton_waiters(proton_client: ProtonClient, proton_emulator: Emulator) -> Waiters:
    from ..workflow import Waiters

    return Waiters(proton_client, clock=proton_emulator.clock)


def proton_endpoint(request: pytest.FixtureRequest) -> Iterator[EmulatorThread]:
    from ._threaded import EmulatorThread

    with EmulatorThread(**emulator_settings(request)) as server:
        yield server
