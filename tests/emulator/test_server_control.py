"""The control endpoint, through EmulatorControl and raw HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

import aioproton
from aioproton import models
from aioproton.clock import ManualClock, SystemClock
from aioproton.emulator import (
    Emulator,
    EmulatorControl,
    EmulatorControlError,
    FaultSettings,
)

S3_SOURCE = models.TemplateVersionSourceInputS3(
    models.S3ObjectSource(bucket="templates-bucket", key="env.tar.gz")
)


@pytest.fixture
async def control(proton_emulator: Emulator) -> AsyncIterator[EmulatorControl]:
    async with EmulatorControl(proton_emulator.endpoint_url) as client:
        yield client


async def test_health_reports_the_emulator(
    control: EmulatorControl, proton_emulator: Emulator, proton_clock: ManualClock
) -> None:
    health = await control.health()
    assert health["status"] == "ok"
    assert health["clock"] == "manual"
    assert health["now"] == proton_clock.now()
    assert health["endpoint_url"] == proton_emulator.endpoint_url
    assert health["auth"] == "signed"
    assert health["addresses"] == [f"127.0.0.1:{proton_emulator.endpoint_url.rsplit(':', 1)[1]}"]


async def test_request_log_over_http(
    control: EmulatorControl, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.get_account_settings()
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_environment_template(name="nope")
    records = await control.requests()
    assert [(r.operation, r.status, r.error_code) for r in records] == [
        ("GetAccountSettings", 200, None),
        ("GetEnvironmentTemplate", 404, "ResourceNotFoundException"),
    ]
    assert records[0].committed
    await control.clear_requests()
    assert await control.requests() == []


async def test_faults_over_http(
    control: EmulatorControl, proton_client: aioproton.ProtonClient
) -> None:
    applied = await control.set_faults(throttle_burst=1, operations={"GetAccountSettings"})
    assert applied == FaultSettings(throttle_burst=1, operations={"GetAccountSettings"})
    assert await control.faults() == applied
    with pytest.raises(aioproton.ThrottlingError):
        await proton_client.get_account_settings()
    await proton_client.get_account_settings()
    await control.set_faults(FaultSettings(error_rate=1.0))
    with pytest.raises(aioproton.InternalServerError):
        await proton_client.get_account_settings()
    await control.clear_faults()
    await proton_client.get_account_settings()
    assert await control.faults() == FaultSettings()


async def test_bad_fault_settings_are_a_400(control: EmulatorControl, raw: Any) -> None:
    response = await raw.call(
        None, b'{"throttle_rate": 3}', method="PUT", path="/_emulator/faults", signed=False
    )
    assert response.status == 400
    assert "throttle_rate must be between 0 and 1" in response.json["message"]
    response = await raw.call(None, b"{", method="PUT", path="/_emulator/faults", signed=False)
    assert response.status == 400
    assert response.json["__type"] == "SerializationException"
    assert await control.faults() == FaultSettings()


async def test_clock_control_moves_a_manual_clock(
    control: EmulatorControl, proton_clock: ManualClock
) -> None:
    start = proton_clock.now()
    assert await control.now() == start
    assert await control.advance_clock(90) == start + 90
    assert proton_clock.now() == start + 90
    assert await control.set_clock(start + 1000) == start + 1000
    with pytest.raises(EmulatorControlError) as caught:
        await control.set_clock(start)
    assert caught.value.status == 400
    assert "backwards" in caught.value.message


async def test_clock_control_drives_lifecycles(
    control: EmulatorControl, proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    await proton_client.create_environment_template(name="timed")
    version = await proton_client.create_environment_template_version(
        template_name="timed", source=S3_SOURCE
    )
    assert version.status == "REGISTRATION_IN_PROGRESS"
    revision = proton_emulator.backend.revision
    await control.advance_clock(3600)
    assert proton_emulator.backend.revision > revision
    current = await proton_client.get_environment_template_version(
        template_name="timed", major_version="1", minor_version="0"
    )
    assert current.status == "DRAFT"


async def test_clock_control_refuses_a_real_clock(http: aiohttp.ClientSession) -> None:
    async with (
        Emulator(clock=SystemClock()) as emu,
        EmulatorControl(emu.endpoint_url) as control,
    ):
        with pytest.raises(EmulatorControlError) as caught:
            await control.advance_clock(10)
        assert caught.value.status == 409
        assert "system clock" in caught.value.message
        assert (await control.health())["clock"] == "system"


async def test_script_over_http(control: EmulatorControl, proton_emulator: Emulator) -> None:
    rule = await control.script(
        "environment/*", action="deploy", outcome="fail", message="boom", times=2
    )
    assert rule["target"] == "environment/*"
    assert rule["outcome"] == "fail"
    assert rule["times"] == 2
    assert [r.to_dict() for r in proton_emulator.backend.script.rules] == [rule]
    with pytest.raises(EmulatorControlError) as caught:
        await control.script("environment/*", outcome="maybe")
    assert caught.value.status == 400
    assert "outcome" in caught.value.message
    with pytest.raises(EmulatorControlError):
        await control.script("environment/*", colour="blue")
    await control.clear_script()
    assert proton_emulator.backend.script.rules == []


async def test_reset_forgets_every_resource(
    control: EmulatorControl, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.create_environment_template(name="gone")
    await control.reset()
    assert (await proton_client.list_environment_templates()).templates == ()
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_environment_template(name="gone")


async def test_unknown_control_route_is_a_404(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError) as caught:
        await control._call("GET", "nothing-here")
    assert caught.value.status == 404
    assert caught.value.code == "NotFoundException"


async def test_control_client_must_be_opened(proton_emulator: Emulator) -> None:
    control = EmulatorControl(proton_emulator.endpoint_url)
    with pytest.raises(RuntimeError, match="open the control client"):
        await control.health()
