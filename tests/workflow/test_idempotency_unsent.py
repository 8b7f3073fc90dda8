"""A call refused before sending leaves its idempotency key free for the corrected call."""

from __future__ import annotations

from pathlib import Path

import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.workflow import IdempotentCalls, MemoryTokenStore, SqliteTokenStore, TokenStore

from ..recipes import BUNDLE


@pytest.fixture(params=["memory", "sqlite"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    if request.param == "memory":
        shared = MemoryTokenStore()
        return lambda: shared
    return lambda: SqliteTokenStore(tmp_path / "tokens.db")


async def test_a_refused_call_does_not_claim_its_key(
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
    store_factory: object,
) -> None:
    assert callable(store_factory)
    await proton_client.create_environment_template(name="base")
    calls = IdempotentCalls(store=store_factory(), clock=proton_clock)

    async def create(description: str) -> aioproton.models.EnvironmentTemplateVersion:
        return await calls.call(
            "release-1/base",
            proton_client.create_environment_template_version,
            template_name="base",
            source=BUNDLE,
            description=description,
        )

    with pytest.raises(aioproton.ParameterValidationError, match="nothing was sent"):
        await create("x" * 501)
    assert proton_emulator.requests.count(operation="CreateEnvironmentTemplateVersion") == 0
    # The corrected call under the same key, in this process or (durable store) the next.
    calls = IdempotentCalls(store=store_factory(), clock=proton_clock)
    created = await create("fixed")
    assert created.description == "fixed"
    # And the key now stands for the corrected request: a repeat is the same version.
    again = await create("fixed")
    assert (again.major_version, again.minor_version) == (
        created.major_version,
        created.minor_version,
    )
    assert proton_emulator.requests.count(operation="CreateEnvironmentTemplateVersion") == 2
    sent = {
        r.client_token
        for r in proton_emulator.requests.select(operation="CreateEnvironmentTemplateVersion")
    }
    assert len(sent) == 1


async def test_a_refused_call_keeps_an_existing_claim(
    proton_client: aioproton.ProtonClient, proton_clock: ManualClock, tmp_path: Path
) -> None:
    await proton_client.create_environment_template(name="base")
    store: TokenStore = SqliteTokenStore(tmp_path / "tokens.db")
    calls = IdempotentCalls(store=store, clock=proton_clock)
    first = await calls.call(
        "k", proton_client.create_environment_template_version, template_name="base", source=BUNDLE
    )
    with pytest.raises(aioproton.ParameterValidationError):
        await calls.call(
            "k",
            proton_client.create_environment_template_version,
            template_name="base",
            source=BUNDLE,
            description="x" * 501,
        )
    record = await SqliteTokenStore(tmp_path / "tokens.db").get("k")
    assert record is not None
    assert record.result == first.arn


async def test_an_unknown_parameter_is_a_type_error_and_claims_nothing(
    proton_client: aioproton.ProtonClient, proton_clock: ManualClock, tmp_path: Path
) -> None:
    store = SqliteTokenStore(tmp_path / "tokens.db")
    calls = IdempotentCalls(store=store, clock=proton_clock)
    with pytest.raises(TypeError, match="descripton"):
        await calls.call(
            "k",
            proton_client.create_environment_template_version,
            template_name="base",
            source=BUNDLE,
            descripton="typo",
        )
    assert await store.get("k") is None
