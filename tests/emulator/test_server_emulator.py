"""The Emulator object: lifecycle, settings for clients, conveniences, exports."""

from __future__ import annotations

import gc
from typing import Any

import anyio.to_thread
import boto3
import pytest

import aioproton
import aioproton.emulator
from aioproton import models
from aioproton.clock import ManualClock, SystemClock
from aioproton.emulator import Emulator, Timings

S3_SOURCE = models.TemplateVersionSourceInputS3(
    models.S3ObjectSource(bucket="templates-bucket", key="env.tar.gz")
)


async def test_endpoint_and_client_settings(proton_emulator: Emulator) -> None:
    assert proton_emulator.endpoint_url.startswith("http://127.0.0.1:")
    settings = proton_emulator.client_settings
    assert set(settings) == {
        "endpoint_url",
        "region_name",
        "aws_access_key_id",
        "aws_secret_access_key",
    }
    client = boto3.client("proton", **settings)
    try:
        answer = await anyio.to_thread.run_sync(client.get_account_settings)
    finally:
        client.close()
    assert "accountSettings" in answer
    async with proton_emulator.client(retry=aioproton.RetryPolicy.never()) as proton:
        await proton.get_account_settings()
    assert proton_emulator.requests.count(operation="GetAccountSettings") == 2


async def test_binds_loopback_by_default(proton_emulator: Emulator) -> None:
    assert proton_emulator.addresses
    assert all(host == "127.0.0.1" for host, _ in proton_emulator.addresses)


async def test_lifecycle_errors_are_clear() -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.endpoint_url

    async def serve_once() -> None:
        async with emu:
            assert emu.running
            with pytest.raises(RuntimeError, match="running"):
                await emu.start()

    await serve_once()
    assert not emu.running
    await emu.aclose()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await emu.start()
    gc.collect()


async def test_stopping_closes_the_port() -> None:
    async with Emulator() as emu:
        host, port = emu.addresses[0]
    with pytest.raises(OSError):
        await anyio.connect_tcp(host, port)


def test_constructor_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="timings or deploy_seconds"):
        Emulator(timings=Timings(), deploy_seconds=3)
    with pytest.raises(ValueError, match="auth must be one of"):
        Emulator(auth="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="12 digits"):
        Emulator(accounts={"AKID": "42"})
    with pytest.raises(ValueError, match="at least one access key"):
        Emulator(credentials={})
    assert isinstance(Emulator().clock, SystemClock)
    assert Emulator(deploy_seconds=7).backend is not None


async def test_advance_and_script_conveniences(
    proton_emulator: Emulator, proton_clock: ManualClock, proton_client: aioproton.ProtonClient
) -> None:
    rule = proton_emulator.script("environment-template/*", action="register", seconds=5)
    assert rule.to_dict()["seconds"] == 5
    await proton_client.create_environment_template(name="fast")
    version = await proton_client.create_environment_template_version(
        template_name="fast", source=S3_SOURCE
    )
    assert version.status == "REGISTRATION_IN_PROGRESS"
    before = proton_clock.now()
    assert proton_emulator.advance(5) == before + 5
    current = await proton_client.get_environment_template_version(
        template_name="fast", major_version="1", minor_version="0"
    )
    assert current.status == "DRAFT"
    with pytest.raises(TypeError, match="ManualClock"):
        Emulator(clock=SystemClock()).advance(1)


def test_exports_match_all() -> None:
    exported: list[Any] = [getattr(aioproton.emulator, name) for name in aioproton.emulator.__all__]
    assert all(item is not None for item in exported)
    assert set(aioproton.emulator.__all__) <= set(dir(aioproton.emulator))
    with pytest.raises(AttributeError):
        _ = aioproton.emulator.NoSuchThing
