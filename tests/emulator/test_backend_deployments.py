"""Deployment records, outputs, provisioned resources and status notifications."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import aioproton
from aioproton import models
from aioproton.emulator import Emulator

from ..recipes import SETTLE, arn, env_template, environment, service, service_template


@pytest.fixture
async def ready(proton_emulator: Emulator, proton_client: aioproton.ProtonClient) -> None:
    await env_template(proton_client, proton_emulator)
    await service_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator)


@pytest.fixture
async def lenient(proton_emulator: Emulator) -> AsyncIterator[aioproton.ProtonClient]:
    """A client that sends what its own validator would refuse."""
    async with proton_emulator.client(
        validate=False, retry=aioproton.RetryPolicy.never()
    ) as client:
        yield client


async def test_records_filters_and_scoping(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await service(proton_client, proton_emulator)
    await proton_client.create_component(
        name="c1", manifest="m", template_file="t", service_name="api", service_instance_name="i1"
    )
    proton_emulator.advance(SETTLE)
    everything = await proton_client.list_deployments()
    kinds = [d.target_resource_type for d in everything.deployments]
    assert kinds[0] == "COMPONENT"  # the most recent first
    assert sorted(kinds) == ["COMPONENT", "ENVIRONMENT", "SERVICE_INSTANCE", "SERVICE_PIPELINE"]
    by_env = await proton_client.list_deployments(environment_name="prod")
    assert len(by_env.deployments) == 4  # the pipeline is filed under its instance's environment
    by_service = await proton_client.list_deployments(service_name="api")
    assert {d.target_resource_type for d in by_service.deployments} == {
        "SERVICE_INSTANCE",
        "SERVICE_PIPELINE",
        "COMPONENT",
    }
    by_instance = await proton_client.list_deployments(
        service_name="api", service_instance_name="i1"
    )
    assert {d.target_resource_type for d in by_instance.deployments} == {
        "SERVICE_INSTANCE",
        "COMPONENT",
    }
    by_component = await proton_client.list_deployments(component_name="c1")
    (component_deployment,) = by_component.deployments
    assert component_deployment.target_arn == arn("component/c1")
    assert component_deployment.deployment_status == "SUCCEEDED"
    assert component_deployment.completed_at is not None
    with pytest.raises(aioproton.ValidationError, match="needs serviceName"):
        await proton_client.list_deployments(service_instance_name="i1")
    record = await proton_client.get_deployment(id=component_deployment.id, component_name="c1")
    assert record.arn == arn(f"deployment/{record.id}")
    assert record.initial_state is None  # a create has no initial state
    assert record.target_state is not None and record.target_state.value.service_name == "api"
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_deployment(id=component_deployment.id, environment_name="staging")
    with pytest.raises(aioproton.ValidationError):
        await proton_client.get_deployment(id=component_deployment.id, service_instance_name="i1")
    pages = await proton_client.list_deployments(max_results=3)
    rest = await proton_client.list_deployments(max_results=3, next_token=pages.next_token)
    ids = [d.id for d in [*pages.deployments, *rest.deployments]]
    assert ids == [d.id for d in everything.deployments]


async def test_delete_deployment(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    first = (await proton_client.get_environment(name="prod")).last_succeeded_deployment_id
    assert first is not None
    update = await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    running = update.last_attempted_deployment_id
    assert running is not None
    with pytest.raises(aioproton.ValidationError, match="IN_PROGRESS"):
        await proton_client.delete_deployment(id=running)
    deleted = await proton_client.delete_deployment(id=first)
    assert deleted is not None and deleted.id == first
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_deployment(id=first)
    repeat = await proton_client.delete_deployment(id=first)
    assert repeat is not None and repeat.id == first
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.delete_deployment(id="0" * 8 + "-0000-4000-8000-" + "0" * 12)
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.list_environment_outputs(environment_name="prod", deployment_id=first)


async def test_notify_outputs_and_completion(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    env_arn = arn("environment/prod")
    with pytest.raises(aioproton.ConflictError, match="no deployment in progress"):
        await proton_client.notify_resource_deployment_status_change(resource_arn=env_arn)
    first = (await proton_client.get_environment(name="prod")).last_succeeded_deployment_id
    update = await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    running = update.last_attempted_deployment_id
    with pytest.raises(aioproton.ConflictError, match="not the active deployment"):
        await proton_client.notify_resource_deployment_status_change(
            resource_arn=env_arn, deployment_id=first
        )
    await proton_client.notify_resource_deployment_status_change(
        resource_arn=env_arn,
        status="IN_PROGRESS",
        outputs=[models.Output(key="vpc_id", value_string="vpc-1")],
    )
    still = await proton_client.list_environment_outputs(environment_name="prod")
    assert list(still.outputs) == []  # outputs apply when the deployment succeeds
    await proton_client.notify_resource_deployment_status_change(
        resource_arn=env_arn,
        deployment_id=running,
        status="SUCCEEDED",
        outputs=[
            models.Output(key="vpc_id", value_string="vpc-2"),
            models.Output(key="subnet", value_string="s-1"),
        ],
    )
    env = await proton_client.get_environment(name="prod")
    assert env.deployment_status == "SUCCEEDED"  # at once, before the timer
    outputs = await proton_client.list_environment_outputs(environment_name="prod")
    assert {(o.key, o.value_string) for o in outputs.outputs} == {
        ("vpc_id", "vpc-2"),
        ("subnet", "s-1"),
    }
    older = await proton_client.list_environment_outputs(
        environment_name="prod", deployment_id=first
    )
    assert list(older.outputs) == []
    proton_emulator.advance(SETTLE)  # the scheduled end finds the deployment already over
    assert (await proton_client.get_environment(name="prod")).deployment_status == "SUCCEEDED"
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    await proton_client.notify_resource_deployment_status_change(
        resource_arn=env_arn, status="FAILED", status_message="terraform apply failed"
    )
    failed = await proton_client.get_environment(name="prod")
    assert failed.deployment_status == "FAILED"
    assert failed.deployment_status_message == "terraform apply failed"
    assert len((await proton_client.list_environment_outputs(environment_name="prod")).outputs) == 2
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.notify_resource_deployment_status_change(
            resource_arn=arn("environment/ghost"), status="SUCCEEDED"
        )


async def test_notify_every_target_type(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await service(proton_client, proton_emulator, settle=False)
    await proton_client.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod"
    )
    for path in ("service/api/service-instance/i1", "service/api/pipeline", "component/c1"):
        await proton_client.notify_resource_deployment_status_change(
            resource_arn=arn(path),
            status="SUCCEEDED",
            outputs=[models.Output(key="url", value_string=path)],
        )
    instance = await proton_client.list_service_instance_outputs(
        service_name="api", service_instance_name="i1"
    )
    pipeline = await proton_client.list_service_pipeline_outputs(service_name="api")
    component = await proton_client.list_component_outputs(component_name="c1")
    assert [o.value_string for o in instance.outputs] == ["service/api/service-instance/i1"]
    assert [o.value_string for o in pipeline.outputs] == ["service/api/pipeline"]
    assert [o.value_string for o in component.outputs] == ["component/c1"]
    proton_emulator.advance(SETTLE)
    assert (await proton_client.get_service(name="api")).status == "ACTIVE"
    await proton_client.delete_component(name="c1")
    await proton_client.notify_resource_deployment_status_change(
        resource_arn=arn("component/c1"), status="SUCCEEDED"
    )
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_component(name="c1")


async def test_single_page_lists(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    lenient: aioproton.ProtonClient,
    ready: None,
) -> None:
    await service(proton_client, proton_emulator)
    resources = await proton_client.list_environment_provisioned_resources(environment_name="prod")
    assert list(resources.provisioned_resources) == [] and resources.next_token is None
    assert not (
        await proton_client.list_service_instance_provisioned_resources(
            service_name="api", service_instance_name="i1"
        )
    ).provisioned_resources
    assert not (
        await proton_client.list_service_pipeline_provisioned_resources(service_name="api")
    ).provisioned_resources
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.list_component_provisioned_resources(component_name="ghost")
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.list_service_instance_outputs(
            service_name="api", service_instance_name="i9"
        )
    with pytest.raises(aioproton.ValidationError) as caught:
        await lenient.list_environment_outputs(environment_name="prod", next_token="abc")
    assert not isinstance(caught.value, aioproton.ParameterValidationError)
