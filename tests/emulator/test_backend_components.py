"""Directly defined components: attachment rules, deployments, tokens, deletes."""

from __future__ import annotations

import pytest

import aioproton
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Quotas

from ..recipes import (
    SETTLE,
    arn,
    env_template,
    environment,
    service,
    service_spec,
    service_template,
    world,
)


@pytest.fixture
async def ready(proton_emulator: Emulator, proton_client: aioproton.ProtonClient) -> None:
    await world(proton_client, proton_emulator)


async def _create(proton: aioproton.ProtonClient, name: str = "c1", **kwargs: str) -> object:
    return await proton.create_component(name=name, manifest="m", template_file="t", **kwargs)


async def test_attached_component(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    component = await proton_client.create_component(
        name="c1",
        manifest="m",
        template_file="t",
        service_name="api",
        service_instance_name="i1",
        service_spec=service_spec(("i1", "prod")),
        description="sidecar",
    )
    assert component.arn == arn("component/c1")
    assert component.environment_name == "prod"
    assert component.deployment_status == "IN_PROGRESS"
    assert component.last_deployment_succeeded_at is None
    proton_emulator.advance(SETTLE)
    done = await proton_client.get_component(name="c1")
    assert done.deployment_status == "SUCCEEDED"
    assert done.last_deployment_succeeded_at == done.last_deployment_attempted_at
    assert (done.service_name, done.service_instance_name) == ("api", "i1")
    listed = await proton_client.list_components(service_name="api", service_instance_name="i1")
    assert [c.name for c in listed.components] == ["c1"]
    assert not hasattr(listed.components[0], "service_spec")
    with pytest.raises(aioproton.ConflictError, match="already has component c1"):
        await _create(proton_client, "c2", service_name="api", service_instance_name="i1")
    with pytest.raises(aioproton.ConflictError, match="already exists"):
        await _create(proton_client, "c1", environment_name="prod")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"service_name": "api"}, aioproton.ValidationError, "together"),
        ({}, aioproton.ValidationError, "environmentName is required"),
        (
            {"environment_name": "prod", "service_spec": "proton: ServiceSpec\n"},
            aioproton.ValidationError,
            "serviceSpec",
        ),
        (
            {"service_name": "api", "service_instance_name": "i1", "environment_name": "other"},
            aioproton.ValidationError,
            "not other",
        ),
        (
            {"service_name": "api", "service_instance_name": "i9"},
            aioproton.ResourceNotFoundError,
            "i9",
        ),
        ({"environment_name": "ghost"}, aioproton.ResourceNotFoundError, "ghost"),
        ({"environment_name": "bare"}, aioproton.ValidationError, "componentRoleArn"),
        (
            {"environment_name": "prod", "service_spec": None, "template_file": "x"},
            None,
            None,
        ),
    ],
)
async def test_create_rules(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    ready: None,
    kwargs: dict[str, str | None],
    error: type[Exception] | None,
    match: str | None,
) -> None:
    await environment(proton_client, proton_emulator, "bare", component_role_arn=None)
    args = {"name": "c1", "manifest": "m", "template_file": "t", **kwargs}
    if error is None:
        assert (await proton_client.create_component(**args)).name == "c1"
        return
    with pytest.raises(error, match=match):
        await proton_client.create_component(**args)


async def test_template_must_support_components(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await env_template(proton_client, proton_emulator)
    await service_template(proton_client, proton_emulator, components=False)
    await environment(proton_client, proton_emulator)
    await service(proton_client, proton_emulator)
    with pytest.raises(aioproton.ValidationError, match="directly defined"):
        await _create(proton_client, service_name="api", service_instance_name="i1")


async def test_update_rules(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await service(proton_client, proton_emulator, "other", [("o1", "prod")])
    await _create(proton_client, service_name="api", service_instance_name="i1")
    with pytest.raises(aioproton.ConflictError, match="in progress"):
        await proton_client.update_component(name="c1", deployment_type="CURRENT_VERSION")
    proton_emulator.advance(SETTLE)
    first = await proton_client.get_component(name="c1")
    with pytest.raises(aioproton.ValidationError, match="only updates the description"):
        await proton_client.update_component(name="c1", deployment_type="NONE", template_file="new")
    described = await proton_client.update_component(
        name="c1", deployment_type="NONE", description="d"
    )
    assert described.description == "d"
    assert described.last_attempted_deployment_id == first.last_attempted_deployment_id
    with pytest.raises(aioproton.ValidationError, match="detach it before"):
        await proton_client.update_component(
            name="c1",
            deployment_type="CURRENT_VERSION",
            service_name="other",
            service_instance_name="o1",
        )
    with pytest.raises(aioproton.ValidationError, match="empty strings for both"):
        await proton_client.update_component(
            name="c1",
            deployment_type="CURRENT_VERSION",
            service_name="",
            service_instance_name="o1",
        )
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION"
    )
    with pytest.raises(aioproton.ConflictError, match="Service instance i1"):
        await proton_client.update_component(name="c1", deployment_type="CURRENT_VERSION")
    proton_emulator.advance(SETTLE)
    detaching = await proton_client.update_component(
        name="c1", deployment_type="CURRENT_VERSION", service_name="", service_instance_name=""
    )
    assert detaching.service_name == "api"  # attachment changes when the deployment succeeds
    proton_emulator.advance(SETTLE)
    detached = await proton_client.get_component(name="c1")
    assert detached.service_name is None and detached.service_instance_name is None
    record = await proton_client.get_deployment(id=detached.last_succeeded_deployment_id)
    assert record.target_state is not None
    assert record.target_state.value.service_name == ""
    assert record.initial_state is not None
    assert record.initial_state.value.service_name == "api"
    attached = await proton_client.update_component(
        name="c1",
        deployment_type="CURRENT_VERSION",
        service_name="other",
        service_instance_name="o1",
        template_file="v2",
    )
    assert attached.deployment_status == "IN_PROGRESS"
    proton_emulator.advance(SETTLE)
    moved = await proton_client.get_component(name="c1")
    assert (moved.service_name, moved.service_instance_name) == ("other", "o1")


async def test_client_tokens(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    first = await proton_client.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod", client_token="a"
    )
    replay = await proton_client.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod", client_token="a"
    )
    assert replay.last_attempted_deployment_id == first.last_attempted_deployment_id
    assert replay.last_client_request_token == "a"
    with pytest.raises(aioproton.IdempotentParameterMismatchError):
        await proton_client.create_component(
            name="c1",
            manifest="other",
            template_file="t",
            environment_name="prod",
            client_token="a",
        )
    proton_emulator.advance(SETTLE)
    update = await proton_client.update_component(
        name="c1", deployment_type="CURRENT_VERSION", template_file="t2", client_token="b"
    )
    again = await proton_client.update_component(
        name="c1", deployment_type="CURRENT_VERSION", template_file="t2", client_token="b"
    )
    assert again.last_attempted_deployment_id == update.last_attempted_deployment_id
    assert again.last_client_request_token == "b"
    deployments = await proton_client.list_deployments(component_name="c1")
    assert len(deployments.deployments) == 2


async def test_cancel_and_delete(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await _create(proton_client, environment_name="prod")
    cancelling = await proton_client.cancel_component_deployment(component_name="c1")
    assert cancelling.deployment_status == "CANCELLING"
    proton_emulator.advance(SETTLE)
    assert (await proton_client.get_component(name="c1")).deployment_status == "CANCELLED"
    proton_emulator.script("component/c1", action="delete", outcome="fail", message="stuck")
    deleting = await proton_client.delete_component(name="c1")
    assert deleting is not None and deleting.deployment_status == "DELETE_IN_PROGRESS"
    proton_emulator.advance(SETTLE)
    failed = await proton_client.get_component(name="c1")
    assert (failed.deployment_status, failed.deployment_status_message) == (
        "DELETE_FAILED",
        "stuck",
    )
    first = await proton_client.delete_component(name="c1")
    repeat = await proton_client.delete_component(name="c1")
    assert first is not None and repeat is not None
    assert repeat.last_attempted_deployment_id == first.last_attempted_deployment_id
    proton_emulator.advance(SETTLE)
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_component(name="c1")
    assert await proton_client.delete_component(name="c1") is None
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.delete_component(name="never")
    await _create(proton_client, "c2", service_name="api", service_instance_name="i1")
    proton_emulator.advance(SETTLE)
    with pytest.raises(aioproton.ConflictError, match="detach it"):
        await proton_client.delete_component(name="c2")


async def test_listing_and_quota(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    proton_emulator.backend.quotas = Quotas(components=2)
    await _create(proton_client, "z", environment_name="prod")
    await _create(proton_client, "a", service_name="api", service_instance_name="i1")
    with pytest.raises(aioproton.ServiceQuotaExceededError):
        await _create(proton_client, "m", environment_name="prod")
    everything = await proton_client.list_components()
    assert [c.name for c in everything.components] == ["a", "z"]
    by_env = await proton_client.list_components(environment_name="prod")
    assert [c.name for c in by_env.components] == ["a", "z"]
    by_service = await proton_client.list_components(service_name="api")
    assert [c.name for c in by_service.components] == ["a"]
    with pytest.raises(aioproton.ValidationError, match="needs serviceName"):
        await proton_client.list_components(service_instance_name="i1")
