"""The client's lifecycle: open, use, close, and what happens outside it."""

from __future__ import annotations

import datetime

import anyio
import anyio.lowlevel
import pytest

import aioproton
from aioproton import _service_model
from aioproton.emulator import Emulator

from .conftest import ScriptedServer


async def test_a_closed_client_fails_clearly(proton_emulator: Emulator) -> None:
    async with aioproton.ProtonClient(**proton_emulator.client_settings) as proton:
        await proton.get_account_settings()
    assert proton.closed
    with pytest.raises(aioproton.ClientClosedError, match="closed") as caught:
        await proton.get_account_settings()
    assert caught.value.operation == "GetAccountSettings"
    with pytest.raises(aioproton.ClientClosedError, match="create a new one"):
        async with proton:
            pass
    with pytest.raises(aioproton.ClientClosedError):
        _ = proton.raw


async def test_an_unopened_client_says_how_to_open_it() -> None:
    proton = aioproton.ProtonClient(region_name="us-east-1")
    with pytest.raises(aioproton.ClientClosedError, match="async with"):
        await proton.get_account_settings()


async def test_closing_twice_is_harmless(proton_emulator: Emulator) -> None:
    proton = aioproton.ProtonClient(**proton_emulator.client_settings)
    await proton.__aenter__()
    await proton.aclose()
    await proton.aclose()
    assert proton.closed


async def test_a_second_client_reuses_the_loaded_model(proton_emulator: Emulator) -> None:
    async with aioproton.ProtonClient(**proton_emulator.client_settings) as first:
        await first.get_account_settings()
        await first.raw.get_account_settings()
    loader = _service_model.loader()
    cached = dict(loader._cache)
    async with aioproton.ProtonClient(**proton_emulator.client_settings) as second:
        await second.get_account_settings()
        raw = await second.raw_client()
        assert raw.meta.service_model.service_name == "proton"
        assert raw._loader is loader
    assert dict(loader._cache).keys() == cached.keys()


async def test_concurrency_is_bounded_by_the_pool(proton_emulator: Emulator) -> None:
    peak = 0
    async with aioproton.ProtonClient(
        **proton_emulator.client_settings, max_pool_connections=3
    ) as proton:
        assert proton.max_concurrency == 3

        async def call() -> None:
            nonlocal peak
            await proton.get_account_settings()
            peak = max(peak, proton.in_flight)

        async def watch() -> None:
            nonlocal peak
            while True:
                peak = max(peak, proton.in_flight)
                await anyio.lowlevel.checkpoint()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(watch)
            async with anyio.create_task_group() as calls:
                for _ in range(30):
                    calls.start_soon(call)
            tasks.cancel_scope.cancel()
    assert 1 <= peak <= 3
    assert proton_emulator.requests.count(operation="GetAccountSettings") == 30


def test_configuration_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="max_pool_connections"):
        aioproton.ProtonClient(max_pool_connections=0)
    with pytest.raises(ValueError, match="read_timeout must be positive"):
        aioproton.ProtonClient(read_timeout=0)


async def test_the_raw_client_is_a_stock_aiobotocore_client(proton_emulator: Emulator) -> None:
    async with aioproton.ProtonClient(**proton_emulator.client_settings) as proton:
        with pytest.raises(AttributeError, match="raw_client"):
            _ = proton.raw.meta  # not created yet: says how to create it
        await proton.create_environment_template(name="base")
        raw = await proton.raw.get_environment_template(name="base")
        assert isinstance(proton.raw.meta.service_model.service_name, str)
    assert raw["environmentTemplate"]["name"] == "base"
    # botocore's own parsing: timestamps are datetimes, as from any aiobotocore client.
    assert isinstance(raw["environmentTemplate"]["createdAt"], datetime.datetime)
    assert raw["ResponseMetadata"]["HTTPStatusCode"] == 200


async def test_the_user_agent_is_rendered_once_and_names_aioproton(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(200, {"accountSettings": {}})
    scripted.reply(200, {"environments": []})
    async with scripted.client() as proton:
        await proton.get_account_settings()
        await proton.list_environments()
    agents = {r["user_agent"] for r in scripted.received}
    assert len(agents) == 1
    (agent,) = agents
    assert "aioproton" in agent
    assert "botocore/" in agent
