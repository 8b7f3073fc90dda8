"""Service instances and pipelines: create, update matrix, client tokens, cancels, listing."""

from __future__ import annotations

from typing import Any

import pytest

import aioproton
from aioproton import models
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Quotas

from ..recipes import (
    BUNDLE,
    SETTLE,
    compatible,
    env_template,
    environment,
    service,
    service_spec,
    service_template,
)

PIPELINE = {"runtime": "python"}


@pytest.fixture
async def ready(proton_emulator: Emulator, proton_client: aioproton.ProtonClient) -> None:
    """``web`` 1.0, 1.1 and 2.0 published; ``prod`` deployed; service ``api`` with ``i1`` on 1.0."""
    await env_template(proton_client, proton_emulator)
    await service_template(proton_client, proton_emulator, versions=("1.0", "1.1", "2.0"))
    await environment(proton_client, proton_emulator)
    await proton_client.create_service(
        name="api",
        template_name="web",
        template_major_version="1",
        template_minor_version="0",
        spec=service_spec(("i1", "prod"), pipeline=PIPELINE),
    )
    proton_emulator.advance(SETTLE)


async def _deployment_count(proton: aioproton.ProtonClient, instance: str) -> int:
    listed = await proton.list_deployments(service_name="api", service_instance_name=instance)
    return len(listed.deployments)


async def test_create_service_instance(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    spec = service_spec(("i2", "prod"))
    created = await proton_client.create_service_instance(
        service_name="api", name="i2", spec=spec, client_token="tok"
    )
    assert created.deployment_status == "IN_PROGRESS"
    assert created.environment_name == "prod"
    assert created.last_client_request_token == "tok"
    assert (created.template_major_version, created.template_minor_version) == ("2", "0")
    replay = await proton_client.create_service_instance(
        service_name="api", name="i2", spec=spec, client_token="tok"
    )
    assert replay.last_attempted_deployment_id == created.last_attempted_deployment_id
    with pytest.raises(aioproton.IdempotentParameterMismatchError):
        await proton_client.create_service_instance(
            service_name="api", name="i2", spec=spec, client_token="tok", template_major_version="1"
        )
    with pytest.raises(aioproton.ConflictError, match="already has an instance"):
        await proton_client.create_service_instance(service_name="api", name="i2", spec=spec)
    with pytest.raises(aioproton.ValidationError, match="must list instance 'i9'"):
        await proton_client.create_service_instance(service_name="api", name="i9", spec=spec)
    with pytest.raises(aioproton.ResourceNotFoundError, match="ghost"):
        await proton_client.create_service_instance(
            service_name="api", name="i3", spec=service_spec(("i3", "ghost"))
        )
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.create_service_instance(service_name="nope", name="i3", spec=spec)
    pinned = await proton_client.create_service_instance(
        service_name="api",
        name="i4",
        spec=service_spec(("i4", "prod")),
        template_major_version="1",
    )
    assert (pinned.template_major_version, pinned.template_minor_version) == ("1", "1")
    proton_emulator.backend.quotas = Quotas(instances_per_service=3)
    with pytest.raises(aioproton.ValidationError, match="at most 3"):
        await proton_client.create_service_instance(
            service_name="api", name="i5", spec=service_spec(("i5", "prod"))
        )


@pytest.mark.parametrize(
    ("deployment_type", "params", "error", "match"),
    [
        ("NONE", {"template_minor_version": "1"}, aioproton.ValidationError, "NONE"),
        ("NONE", {"spec": service_spec(("i1", "prod"))}, aioproton.ValidationError, "spec"),
        ("CURRENT_VERSION", {"template_major_version": "1"}, aioproton.ValidationError, "CURRENT"),
        ("MINOR_VERSION", {"template_major_version": "2"}, aioproton.ValidationError, "MAJOR"),
        ("MINOR_VERSION", {"template_minor_version": "7"}, aioproton.ResourceNotFoundError, "1.7"),
        ("MAJOR_VERSION", {"template_major_version": "1"}, aioproton.ValidationError, "higher"),
        ("MAJOR_VERSION", {"template_major_version": "3"}, aioproton.ResourceNotFoundError, "3"),
        (
            "CURRENT_VERSION",
            {"spec": "proton: ServiceSpec\n  bad: [\n"},
            aioproton.ValidationError,
            "line",
        ),
    ],
)
async def test_update_rejections(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    ready: None,
    deployment_type: str,
    params: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        await proton_client.update_service_instance(
            service_name="api", name="i1", deployment_type=deployment_type, **params
        )
    assert await _deployment_count(proton_client, "i1") == 1


async def test_update_switches_version_on_success(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    update = await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="MINOR_VERSION"
    )
    assert (update.template_major_version, update.template_minor_version) == ("1", "0")
    proton_emulator.advance(SETTLE)
    minor = await proton_client.get_service_instance(service_name="api", name="i1")
    assert minor.template_minor_version == "1"
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="MAJOR_VERSION"
    )
    proton_emulator.advance(SETTLE)
    major = await proton_client.get_service_instance(service_name="api", name="i1")
    assert (major.template_major_version, major.template_minor_version) == ("2", "0")
    record = await proton_client.get_deployment(id=major.last_succeeded_deployment_id)
    assert record.target_resource_type == "SERVICE_INSTANCE"
    assert record.service_instance_name == "i1" and record.service_name == "api"
    state = record.target_state
    assert state is not None and state.value.template_major_version == "2"
    assert state.value.last_successful_environment_deployment_id is not None


async def test_major_update_checks_environment_compatibility(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await env_template(proton_client, proton_emulator, "other")
    await proton_client.create_service_template_version(
        template_name="web", source=BUNDLE, compatible_environment_templates=compatible("other")
    )
    proton_emulator.advance(SETTLE)
    await proton_client.update_service_template_version(
        template_name="web", major_version="3", minor_version="0", status="PUBLISHED"
    )
    with pytest.raises(aioproton.ValidationError, match="not compatible"):
        await proton_client.update_service_instance(
            service_name="api", name="i1", deployment_type="MAJOR_VERSION"
        )


async def test_update_client_token_never_deploys_twice(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    first = await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION", client_token="u1"
    )
    assert first.last_client_request_token == "u1"
    replay = await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION", client_token="u1"
    )
    assert replay.deployment_status == "IN_PROGRESS"
    assert replay.last_attempted_deployment_id == first.last_attempted_deployment_id
    proton_emulator.advance(SETTLE)
    settled = await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION", client_token="u1"
    )
    assert settled.deployment_status == "SUCCEEDED"
    assert await _deployment_count(proton_client, "i1") == 2
    with pytest.raises(aioproton.IdempotentParameterMismatchError):
        await proton_client.update_service_instance(
            service_name="api", name="i1", deployment_type="MINOR_VERSION", client_token="u1"
        )
    proton_emulator.advance(8 * 3600)
    again = await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION", client_token="u1"
    )
    assert again.deployment_status == "IN_PROGRESS"
    assert await _deployment_count(proton_client, "i1") == 3


async def test_update_refused_while_busy(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await proton_client.create_component(
        name="c1", manifest="m", template_file="t", service_name="api", service_instance_name="i1"
    )
    with pytest.raises(aioproton.ConflictError, match="Component c1"):
        await proton_client.update_service_instance(
            service_name="api", name="i1", deployment_type="CURRENT_VERSION"
        )
    proton_emulator.advance(SETTLE)
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION"
    )
    with pytest.raises(aioproton.ConflictError, match="in progress"):
        await proton_client.update_service_instance(
            service_name="api", name="i1", deployment_type="CURRENT_VERSION"
        )


async def test_cancel_instance_deployment(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    created = await proton_client.create_service_instance(
        service_name="api", name="i2", spec=service_spec(("i2", "prod"))
    )
    assert created.deployment_status == "IN_PROGRESS"
    with pytest.raises(aioproton.ConflictError, match="being created"):
        await proton_client.cancel_service_instance_deployment(
            service_name="api", service_instance_name="i2"
        )
    proton_emulator.advance(SETTLE)
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="MINOR_VERSION"
    )
    cancelling = await proton_client.cancel_service_instance_deployment(
        service_name="api", service_instance_name="i1"
    )
    assert cancelling.deployment_status == "CANCELLING"
    proton_emulator.advance(SETTLE)
    cancelled = await proton_client.get_service_instance(service_name="api", name="i1")
    assert cancelled.deployment_status == "CANCELLED"
    assert cancelled.template_minor_version == "0"


async def test_list_filters_and_sorting(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await environment(proton_client, proton_emulator, "dev")
    proton_emulator.advance(100)
    await service(
        proton_client, proton_emulator, "billing", [("b1", "dev"), ("b2", "prod")], major="2"
    )
    proton_emulator.script("service/api/service-instance/i1", outcome="fail")
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION"
    )
    proton_emulator.advance(SETTLE)

    async def names(*filters: tuple[str, str], **kwargs: Any) -> list[str]:
        result = await proton_client.list_service_instances(
            filters=[models.ListServiceInstancesFilter(key=k, value=v) for k, v in filters],
            **kwargs,
        )
        return [f"{i.service_name}/{i.name}" for i in result.service_instances]

    assert await names() == ["api/i1", "billing/b1", "billing/b2"]
    assert await names(sort_order="DESCENDING") == ["billing/b2", "billing/b1", "api/i1"]
    assert await names(sort_by="environmentName") == ["billing/b1", "api/i1", "billing/b2"]
    assert await names(sort_by="createdAt", sort_order="DESCENDING") == [
        "billing/b2",
        "billing/b1",
        "api/i1",
    ]
    assert await names(("environmentName", "prod")) == ["api/i1", "billing/b2"]
    assert await names(("environmentName", "prod"), ("serviceName", "billing")) == ["billing/b2"]
    assert await names(("deploymentStatus", "FAILED")) == ["api/i1"]
    assert await names(("name", "b1")) == ["billing/b1"]
    assert await names(("templateName", "web")) == ["api/i1", "billing/b1", "billing/b2"]
    assert await names(("deployedTemplateVersionStatus", "BEHIND_MAJOR")) == ["api/i1"]
    assert await names(("deployedTemplateVersionStatus", "UP_TO_DATE")) == [
        "billing/b1",
        "billing/b2",
    ]
    assert await names(("createdAtAfter", "2026-01-01T00:02:00Z")) == ["billing/b1", "billing/b2"]
    assert await names(("createdAtBefore", "2026-01-01T01:02:00.5+01:00")) == ["api/i1"]
    with pytest.raises(aioproton.ValidationError, match="RFC 3339"):
        await names(("createdAtAfter", "yesterday"))
    with pytest.raises(aioproton.ValidationError, match="deployedTemplateVersionStatus"):
        await names(("deployedTemplateVersionStatus", "STALE"))
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.list_service_instances(service_name="ghost")
    first = await proton_client.list_service_instances(max_results=2)
    rest = await proton_client.list_service_instances(max_results=2, next_token=first.next_token)
    assert [i.name for i in [*first.service_instances, *rest.service_instances]] == [
        "i1",
        "b1",
        "b2",
    ]
    assert rest.next_token is None


async def test_pipeline_updates_and_cancels(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    spec = service_spec(("i1", "prod"), pipeline={"runtime": "go"})
    update = await proton_client.update_service_pipeline(
        service_name="api", deployment_type="MINOR_VERSION", spec=spec
    )
    assert update.deployment_status == "IN_PROGRESS"
    assert update.template_minor_version == "0"
    with pytest.raises(aioproton.ConflictError, match="pipeline"):
        await proton_client.update_service_pipeline(
            service_name="api", deployment_type="CURRENT_VERSION", spec=spec
        )
    proton_emulator.advance(SETTLE)
    service_view = await proton_client.get_service(name="api")
    assert service_view.pipeline is not None
    assert service_view.pipeline.template_minor_version == "1"
    assert service_view.pipeline.spec == spec
    none = await proton_client.update_service_pipeline(
        service_name="api", deployment_type="NONE", spec="ignored: true"
    )
    assert none.last_attempted_deployment_id == service_view.pipeline.last_attempted_deployment_id
    with pytest.raises(aioproton.ValidationError, match="NONE"):
        await proton_client.update_service_pipeline(
            service_name="api", deployment_type="NONE", spec=spec, template_major_version="2"
        )
    await proton_client.update_service_pipeline(
        service_name="api", deployment_type="MAJOR_VERSION", spec=spec
    )
    cancelling = await proton_client.cancel_service_pipeline_deployment(service_name="api")
    assert cancelling.deployment_status == "CANCELLING"
    proton_emulator.advance(SETTLE)
    pipeline = (await proton_client.get_service(name="api")).pipeline
    assert pipeline is not None
    assert pipeline.deployment_status == "CANCELLED"
    assert pipeline.template_major_version == "1"
    with pytest.raises(aioproton.ConflictError, match="no deployment in progress"):
        await proton_client.cancel_service_pipeline_deployment(service_name="api")


async def test_pipeline_refused_while_the_service_updates(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await proton_client.update_service(
        name="api", spec=service_spec(("i1", "prod"), ("i2", "prod"), pipeline=PIPELINE)
    )
    with pytest.raises(aioproton.ConflictError):
        await proton_client.update_service_pipeline(
            service_name="api",
            deployment_type="CURRENT_VERSION",
            spec=service_spec(("i1", "prod"), pipeline=PIPELINE),
        )
    sync = await proton_client.get_service_instance_sync_status(
        service_name="api", service_instance_name="i1"
    )
    assert sync.latest_sync is None and sync.desired_state is None
