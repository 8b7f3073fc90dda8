"""The marker, the factory and ``EmulatorThread`` take a clock as ``--clock`` spells it,
and the threaded emulator's request log has the shape of ``Emulator.requests``."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from aioproton.clock import ManualClock, ScaledClock, SystemClock
from aioproton.emulator import Emulator, RequestLog
from aioproton.errors import ConfigurationError
from aioproton.testing import EmulatorThread
from aioproton.testing._fixtures import emulator_settings


@pytest.mark.proton_emulator(clock="scaled:600")
async def test_the_marker_spelling_reaches_the_emulator(proton_emulator: Emulator) -> None:
    assert isinstance(proton_emulator.clock, ScaledClock)
    assert proton_emulator.clock.speed == 600.0


@pytest.mark.proton_emulator(clock="system")
def test_the_marker_spelling_reaches_the_threaded_emulator(proton_endpoint: EmulatorThread) -> None:
    assert isinstance(proton_endpoint.emulator.clock, SystemClock)


async def test_the_factory_takes_the_spelling_too(proton_emulator_factory: Any) -> None:
    emulator = await proton_emulator_factory(clock="manual")
    assert isinstance(emulator.clock, ManualClock)


BAD_SPELLINGS = ["scaled:fast", "scaled:0", "scaled:inf", "scaled:nan", "hourly", "scaled"]


@pytest.mark.parametrize(
    "spelling",
    [pytest.param(s, marks=pytest.mark.proton_emulator(clock=s)) for s in BAD_SPELLINGS],
)
def test_a_bad_spelling_names_the_ones_accepted(
    request: pytest.FixtureRequest, spelling: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        emulator_settings(request)
    message = str(caught.value)
    assert f"clock={spelling!r}" in message
    assert "system, manual or scaled:SPEED" in message
    assert "@pytest.mark.proton_emulator" in message


@pytest.mark.parametrize("clock", ["every minute", 5, None.__class__])
def test_emulator_thread_refuses_what_is_not_a_clock(clock: object) -> None:
    with pytest.raises(ConfigurationError, match=r"EmulatorThread: clock=.* is not a clock"):
        EmulatorThread(clock=clock)


def test_the_thread_request_log_is_the_emulator_request_log(
    proton_endpoint: EmulatorThread,
) -> None:
    proton = boto3.client("proton", **proton_endpoint.client_settings)
    try:
        proton.create_environment_template(name="base")
        proton.list_environment_templates()
    finally:
        proton.close()
    log = proton_endpoint.requests
    assert isinstance(log, RequestLog)
    assert log is proton_endpoint.emulator.requests
    assert [r.operation for r in log] == [
        "CreateEnvironmentTemplate",
        "ListEnvironmentTemplates",
    ]
    assert log.count(operation="CreateEnvironmentTemplate") == 1
    last = log.last()
    assert last is not None
    assert last.operation == "ListEnvironmentTemplates"
