"""Exactly-once creates and updates: tokens, expiry, reconcile after unclear outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, FaultSettings
from aioproton.workflow import (
    TOKEN_LIFETIME,
    DurableRetry,
    IdempotentCalls,
    MemoryTokenStore,
    SqliteTokenStore,
    StateConflictError,
    TokenExpiredError,
    TokenStore,
)

from ..recipes import BUNDLE, ENV_SPEC, MANIFEST, SERVICE_ROLE, TEMPLATE_FILE, World

EXPIRED = TOKEN_LIFETIME + 60


def calls_for(
    clock: ManualClock, store: TokenStore | None = None, retry: DurableRetry | None = None
) -> IdempotentCalls:
    return IdempotentCalls(store=store, clock=clock, retry=retry)


async def create_component(
    calls: IdempotentCalls, proton: aioproton.ProtonClient, key: str, name: str
) -> aioproton.models.Component:
    return await calls.call(
        key,
        proton.create_component,
        name=name,
        environment_name="prod",
        manifest=MANIFEST,
        template_file=TEMPLATE_FILE,
    )


async def component_names(proton: aioproton.ProtonClient) -> list[str]:
    return sorted([c.name async for c in proton.paginate.list_components()])


# ---------------------------------------------------------------------- tokens


async def test_one_key_one_token_across_calls_and_restarts(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
    tmp_path: Path,
) -> None:
    path = tmp_path / "tokens.db"
    first = await create_component(
        calls_for(proton_clock, SqliteTokenStore(path)), proton_client, "k1", "web"
    )
    # A new process: a new store instance on the same file, a new IdempotentCalls.
    again = await create_component(
        calls_for(proton_clock, SqliteTokenStore(path)), proton_client, "k1", "web"
    )
    assert again.arn == first.arn
    assert await component_names(proton_client) == ["web"]
    sent = {r.client_token for r in proton_emulator.requests.select(operation="CreateComponent")}
    assert len(sent) == 1
    assert first.last_client_request_token in sent
    record = await SqliteTokenStore(path).get("k1")
    assert record is not None
    assert record.result == first.arn


async def test_a_key_reused_with_other_parameters_is_refused_before_sending(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    calls = calls_for(proton_clock)
    await create_component(calls, proton_client, "k1", "web")
    sent = proton_emulator.requests.count(operation="CreateComponent")
    with pytest.raises(aioproton.IdempotentParameterMismatchError, match=r"'k1'.*nothing was sent"):
        await create_component(calls, proton_client, "k1", "api")
    assert proton_emulator.requests.count(operation="CreateComponent") == sent


async def test_the_services_mismatch_stays_distinct_and_is_explained(
    base: World, proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    calls = calls_for(proton_clock)
    await calls.call(
        None,
        proton_client.create_component,
        client_token="tok-1",
        name="web",
        environment_name="prod",
        manifest=MANIFEST,
        template_file=TEMPLATE_FILE,
    )
    with pytest.raises(aioproton.IdempotentParameterMismatchError) as caught:
        await calls.call(
            None,
            proton_client.create_component,
            client_token="tok-1",
            name="web",
            environment_name="prod",
            manifest=MANIFEST,
            template_file="Resources: {Other: 1}\n",
        )
    assert "client token 'tok-1'" in caught.value.message
    assert "Service said" in caught.value.message
    assert caught.value.http_status == 400

    with pytest.raises(aioproton.IdempotentParameterMismatchError, match="already exists"):
        await calls.call(
            None,
            proton_client.create_environment,
            name="prod",
            template_name="base",
            template_major_version="1",
            spec="proton: EnvironmentSpec\nspec: {x: 1}\n",
            proton_service_role_arn=SERVICE_ROLE,
        )


# ---------------------------------------------------------------------- token expiry


async def test_an_expired_token_is_reconciled_from_the_resource(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    calls = calls_for(proton_clock)
    first = await create_component(calls, proton_client, "k1", "web")
    sent = proton_emulator.requests.count(operation="CreateComponent")
    base.settle(EXPIRED)
    found = await create_component(calls, proton_client, "k1", "web")
    assert found.arn == first.arn
    assert proton_emulator.requests.count(operation="CreateComponent") == sent, "nothing resent"

    await proton_client.delete_component(name="web")
    base.settle()
    base.settle(EXPIRED)
    remade = await create_component(calls, proton_client, "k1", "web")
    assert remade.last_client_request_token != first.last_client_request_token
    assert await component_names(proton_client) == ["web"]


async def test_an_expired_token_is_refused_when_the_resource_cannot_tell(
    base: World, proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    calls = calls_for(proton_clock)
    await calls.call(
        "v1", proton_client.create_environment_template_version, template_name="base", source=BUNDLE
    )
    base.settle(EXPIRED)
    with pytest.raises(TokenExpiredError, match="8-hour") as caught:
        await calls.call(
            "v1",
            proton_client.create_environment_template_version,
            template_name="base",
            source=BUNDLE,
        )
    assert caught.value.key == "v1"
    assert caught.value.age >= TOKEN_LIFETIME

    await create_component(calls, proton_client, "k2", "api")
    base.settle()
    await proton_client.update_component(
        name="api",
        deployment_type="CURRENT_VERSION",
        template_file=TEMPLATE_FILE,
        client_token="someone-else",
    )
    base.settle(EXPIRED)
    with pytest.raises(TokenExpiredError, match="someone-else"):
        await create_component(calls, proton_client, "k2", "api")


# ---------------------------------------------------------------------- unclear outcomes


async def test_dropped_token_creates_make_each_resource_once(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    proton_emulator.faults.configure(
        FaultSettings(drop_rate=0.5, operations={"CreateComponent"}, seed=4)
    )
    calls = calls_for(proton_clock)
    for index in range(8):
        await create_component(calls, proton_client, f"key-{index}", f"c{index}")
    assert await component_names(proton_client) == [f"c{index}" for index in range(8)]
    assert proton_emulator.requests.count(operation="CreateComponent", status="dropped") >= 1
    for index in range(8):
        component = await proton_client.get_component(name=f"c{index}")
        tokens = {
            r.client_token
            for r in proton_emulator.requests.select(operation="CreateComponent")
            if r.client_token == component.last_client_request_token
        }
        assert len(tokens) == 1


async def test_dropped_name_keyed_creates_make_each_resource_once(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    proton_emulator.faults.configure(
        FaultSettings(drop_rate=0.5, operations={"CreateEnvironment"}, seed=2)
    )
    calls = calls_for(proton_clock)
    for index in range(6):
        env = await calls.call(
            None,
            proton_client.create_environment,
            name=f"env{index}",
            template_name="base",
            template_major_version="1",
            spec=ENV_SPEC,
            proton_service_role_arn=SERVICE_ROLE,
        )
        assert env.name == f"env{index}"
    names = sorted([e.name async for e in proton_client.paginate.list_environments()])
    assert names == sorted(["prod", *(f"env{index}" for index in range(6))])
    assert proton_emulator.requests.count(operation="CreateEnvironment", status="dropped") >= 1


async def test_a_create_whose_answers_all_were_lost_is_read_back(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    await proton_client.create_environment(
        name="taken", template_name="base", template_major_version="1",
        spec="proton: EnvironmentSpec\nspec: {owner: someone-else}\n",
        proton_service_role_arn=SERVICE_ROLE,
    )  # fmt: skip
    proton_emulator.faults.configure(FaultSettings(drop_rate=1.0, operations={"CreateEnvironment"}))
    calls = calls_for(proton_clock)
    mine = {
        "template_name": "base", "template_major_version": "1", "spec": ENV_SPEC,
        "proton_service_role_arn": SERVICE_ROLE,
    }  # fmt: skip
    env = await calls.call(None, proton_client.create_environment, name="mine", **mine)  # type: ignore[arg-type]
    assert env.name == "mine"
    assert proton_emulator.requests.count(operation="CreateEnvironment", status="dropped") == 4
    with pytest.raises(StateConflictError, match="spec") as caught:
        await calls.call(None, proton_client.create_environment, name="taken", **mine)  # type: ignore[arg-type]
    assert isinstance(caught.value.__cause__, aioproton.ProtonConnectionError)
    proton_emulator.faults.configure(FaultSettings())
    names = sorted([e.name async for e in proton_client.paginate.list_environments()])
    assert names == ["mine", "prod", "taken"]


async def test_an_update_whose_answer_was_lost_is_read_back_not_resent(
    world: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    await world.environment_template("base", ("1.0", "1.1"))
    await world.environment("prod", minor="0")
    proton_emulator.faults.configure(FaultSettings(drop_rate=1.0, operations={"UpdateEnvironment"}))
    env = await calls_for(proton_clock).call(
        None,
        proton_client.update_environment,
        name="prod",
        deployment_type="MINOR_VERSION",
        template_major_version="1",
        template_minor_version="1",
    )
    assert env.deployment_status == "IN_PROGRESS"
    assert proton_emulator.requests.count(operation="UpdateEnvironment", committed=True) == 1
    proton_emulator.faults.configure(FaultSettings())
    world.settle()
    settled = await proton_client.get_environment(name="prod")
    assert (settled.template_major_version, settled.template_minor_version) == ("1", "1")


async def test_an_update_that_never_landed_is_sent_again(
    world: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    await world.environment_template("base", ("1.0", "1.1"))
    await world.environment("prod", minor="0")
    proton_emulator.faults.configure(
        FaultSettings(reset_rate=0.7, operations={"UpdateEnvironment"}, seed=1)
    )
    await calls_for(proton_clock).call(
        None,
        proton_client.update_environment,
        name="prod",
        deployment_type="MINOR_VERSION",
        template_major_version="1",
        template_minor_version="1",
    )
    assert proton_emulator.requests.count(operation="UpdateEnvironment", fault="reset") >= 1
    assert proton_emulator.requests.count(operation="UpdateEnvironment", committed=True) == 1


async def test_a_different_state_after_an_unclear_outcome_is_a_conflict(
    world: World, proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    await world.environment_template("base", ("1.0", "1.1"))
    calls = calls_for(proton_clock)
    create = {
        "template_name": "base",
        "template_major_version": "1",
        "template_minor_version": "0",
        "spec": ENV_SPEC,
        "proton_service_role_arn": SERVICE_ROLE,
    }
    await calls.call(None, proton_client.create_environment, name="moved", **create)  # type: ignore[arg-type]
    await calls.call(None, proton_client.create_environment, name="same", **create)  # type: ignore[arg-type]
    world.settle()
    await proton_client.update_environment(
        name="moved", deployment_type="MINOR_VERSION", template_minor_version="1"
    )
    await proton_client.update_environment(name="same", deployment_type="CURRENT_VERSION")
    world.settle()
    # Both were modified since creation: the service answers a repeat with a conflict.
    with pytest.raises(StateConflictError) as caught:
        await calls.call(None, proton_client.create_environment, name="moved", **create)  # type: ignore[arg-type]
    assert any("template_minor_version" in d for d in caught.value.differences)
    assert isinstance(caught.value.__cause__, aioproton.ConflictError)
    same = await calls.call(None, proton_client.create_environment, name="same", **create)  # type: ignore[arg-type]
    assert same.name == "same"


async def test_deleting_what_is_already_gone_succeeds(
    base: World, proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    calls = calls_for(proton_clock)
    assert await calls.call(None, proton_client.delete_component, name="ghost") is None
    await base.environment("dev")
    first = await calls.call(None, proton_client.delete_environment, name="dev")
    assert first is not None
    base.settle()
    assert await calls.call(None, proton_client.delete_environment, name="dev") is None


# ---------------------------------------------------------------------- durable retries


async def test_durable_retries_outlast_the_clients_own_with_one_token(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    proton_emulator.faults.configure(
        FaultSettings(throttle_burst=10, operations={"CreateComponent"})
    )
    made = await create_component(
        calls_for(proton_clock, MemoryTokenStore()), proton_client, "k", "web"
    )
    attempts = proton_emulator.requests.select(operation="CreateComponent")
    assert len(attempts) == 11
    assert {r.client_token for r in attempts} == {made.last_client_request_token}
    assert await component_names(proton_client) == ["web"]


async def test_durable_retries_stop_at_their_deadline(
    base: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    proton_emulator.faults.configure(
        FaultSettings(throttle_rate=1.0, operations={"CreateComponent"})
    )
    calls = calls_for(proton_clock, retry=DurableRetry(deadline=120, initial_delay=5, max_delay=30))
    with pytest.raises(aioproton.ThrottlingError):
        await create_component(calls, proton_client, "k", "web")
    assert proton_emulator.requests.count(operation="CreateComponent") > 4
    assert await component_names(proton_client) == []


async def test_call_checks_its_arguments(
    proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    calls = calls_for(proton_clock)

    async def not_an_operation(**kwargs: object) -> None:
        return None

    with pytest.raises(TypeError, match="not an operation"):
        await calls.call(None, not_an_operation)
    with pytest.raises(ValueError, match="either"):
        await calls.call(
            "k",
            proton_client.create_component,
            client_token="t",
            name="n",
            manifest="m",
            template_file="t",
            environment_name="prod",
        )
