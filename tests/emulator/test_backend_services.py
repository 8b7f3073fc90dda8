"""Services: spec documents, the service status machine, instances and pipelines with it."""

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
    """Templates ``base``/``web`` published and environment ``prod`` deployed."""
    await env_template(proton_client, proton_emulator)
    await service_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator)


async def test_create_deploys_instances_and_pipeline(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    created = await service(
        proton_client, proton_emulator, instances=[("i1", "prod"), ("i2", "prod")], settle=False
    )
    assert created.status == "CREATE_IN_PROGRESS"
    assert created.arn == arn("service/api")
    assert created.pipeline is not None
    assert created.pipeline.arn == arn("service/api/pipeline")
    assert created.pipeline.deployment_status == "IN_PROGRESS"
    instance = await proton_client.get_service_instance(service_name="api", name="i2")
    assert instance.arn == arn("service/api/service-instance/i2")
    assert instance.deployment_status == "IN_PROGRESS"
    assert instance.spec == created.spec
    assert (instance.template_major_version, instance.template_minor_version) == ("1", "0")
    proton_emulator.advance(SETTLE)
    done = await proton_client.get_service(name="api")
    assert done.status == "ACTIVE"
    assert done.pipeline is not None and done.pipeline.deployment_status == "SUCCEEDED"
    listed = await proton_client.list_services()
    assert [s.name for s in listed.services] == ["api"]
    assert not hasattr(listed.services[0], "pipeline")


async def test_customer_managed_pipeline(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await service_template(proton_client, proton_emulator, "nopipe", pipeline=False)
    with pytest.raises(aioproton.ValidationError, match="no pipeline"):
        await service(proton_client, proton_emulator, template="nopipe")
    with pytest.raises(aioproton.ValidationError, match="repositoryId"):
        await service(
            proton_client,
            proton_emulator,
            template="nopipe",
            pipeline=False,
            repository_id="org/app",
        )
    created = await service(proton_client, proton_emulator, template="nopipe", pipeline=False)
    assert created.pipeline is None
    assert (await proton_client.get_service(name="api")).status == "ACTIVE"
    with pytest.raises(aioproton.ResourceNotFoundError, match="no pipeline"):
        await proton_client.update_service_pipeline(
            service_name="api", deployment_type="CURRENT_VERSION", spec=created.spec
        )


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("proton: ServiceSpec\ninstances: []\n", "instances: at least one"),
        ("proton: ServiceSpec\ninstances:\n  - name: i1\n", r"instances\[0\]\.environment"),
        ("proton: ServiceSpec\ninstances:\n  - {name: i1, environment: prod\n", "line 4, column 1"),
        (
            "proton: ServiceSpec\ninstances:\n  - {name: i1, environment: prod}\n"
            "  - {name: i1, environment: prod}\n",
            "duplicate instance name",
        ),
        (
            "proton: ServiceSpec\ninstances:\n  - {name: -bad, environment: prod}\n",
            "valid resource",
        ),
        ("proton: EnvironmentSpec\n", "must be 'ServiceSpec'"),
        ("proton: ServiceSpec\ninstances: {name: i1}\n", "instances: must be a list"),
    ],
)
async def test_spec_errors_say_where(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    ready: None,
    spec: str,
    match: str,
) -> None:
    with pytest.raises(aioproton.ValidationError, match=match):
        await proton_client.create_service(
            name="api", template_name="web", template_major_version="1", spec=spec
        )


async def test_environment_must_exist_and_be_compatible(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    with pytest.raises(aioproton.ResourceNotFoundError, match="ghost"):
        await service(proton_client, proton_emulator, instances=[("i1", "ghost")])
    await env_template(proton_client, proton_emulator, "other")
    await environment(proton_client, proton_emulator, "elsewhere", template="other")
    with pytest.raises(aioproton.ValidationError, match="not compatible"):
        await service(proton_client, proton_emulator, instances=[("i1", "elsewhere")])


async def test_create_failures(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    proton_emulator.script("service/api/service-instance/i2", outcome="fail", message="no capacity")
    await service(proton_client, proton_emulator, instances=[("i1", "prod"), ("i2", "prod")])
    failed = await proton_client.get_service(name="api")
    assert failed.status == "CREATE_FAILED"
    assert "i2" in (failed.status_message or "")
    instance = await proton_client.get_service_instance(service_name="api", name="i2")
    assert instance.deployment_status == "FAILED"
    assert instance.deployment_status_message == "no capacity"
    proton_emulator.script("service/web2", outcome="fail", message="quota of something")
    await service(proton_client, proton_emulator, "web2")
    own = await proton_client.get_service(name="web2")
    assert (own.status, own.status_message) == ("CREATE_FAILED", "quota of something")


async def test_service_waits_for_its_slowest_part(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    proton_emulator.script("service/api/pipeline", seconds=20)
    await service(proton_client, proton_emulator, settle=False)
    proton_emulator.advance(10)
    assert (await proton_client.get_service(name="api")).status == "CREATE_IN_PROGRESS"
    proton_emulator.advance(10)
    assert (await proton_client.get_service(name="api")).status == "ACTIVE"


async def test_update_adds_and_removes_instances(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await service(proton_client, proton_emulator, instances=[("i1", "prod"), ("i2", "prod")])
    before = await proton_client.get_service(name="api")
    spec = service_spec(("i1", "prod"), ("i3", "prod"), pipeline={"runtime": "python"})
    updating = await proton_client.update_service(name="api", spec=spec)
    assert updating.status == "UPDATE_IN_PROGRESS"
    assert updating.pipeline is not None and updating.pipeline.deployment_status == "IN_PROGRESS"
    removed = await proton_client.get_service_instance(service_name="api", name="i2")
    added = await proton_client.get_service_instance(service_name="api", name="i3")
    assert removed.deployment_status == "DELETE_IN_PROGRESS"
    assert added.deployment_status == "IN_PROGRESS"
    with pytest.raises(aioproton.ConflictError, match="UPDATE_IN_PROGRESS"):
        await proton_client.update_service(name="api", spec=spec)
    proton_emulator.advance(SETTLE)
    after = await proton_client.get_service(name="api")
    assert after.status == "ACTIVE" and after.spec == spec
    assert after.last_modified_at > before.last_modified_at
    names = await proton_client.list_service_instances(service_name="api")
    assert [i.name for i in names.service_instances] == ["i1", "i3"]
    described = await proton_client.update_service(name="api", description="payments")
    assert described.status == "ACTIVE" and described.description == "payments"


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (service_spec(("i1", "staging"), pipeline={"runtime": "python"}), "cannot move"),
        (service_spec(("i1", "prod"), pipeline={"runtime": "python"}, inputs="2"), "inputs"),
        (service_spec(("i1", "prod"), pipeline={"runtime": "go"}), "pipeline inputs"),
    ],
)
async def test_update_cannot_modify_kept_parts(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    ready: None,
    spec: str,
    match: str,
) -> None:
    await environment(proton_client, proton_emulator, "staging")
    await service(proton_client, proton_emulator)
    with pytest.raises(aioproton.ValidationError, match=match):
        await proton_client.update_service(name="api", spec=spec)


async def test_current_value_placeholder_keeps_inputs(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await service(proton_client, proton_emulator)
    spec = service_spec(
        ("i1", "prod"), pipeline={"runtime": "python"}, inputs="'${Proton::CURRENT_VAL}'"
    )
    updated = await proton_client.update_service(name="api", spec=spec)
    assert updated.status == "UPDATE_IN_PROGRESS"


async def test_update_guards_and_quota(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    proton_emulator.backend.quotas = Quotas(instances_per_service=2)
    await service(proton_client, proton_emulator, instances=[("i1", "prod"), ("i2", "prod")])
    three = service_spec(
        ("i1", "prod"), ("i2", "prod"), ("i3", "prod"), pipeline={"runtime": "python"}
    )
    with pytest.raises(aioproton.ServiceQuotaExceededError):
        await proton_client.update_service(name="api", spec=three)
    await proton_client.create_component(
        name="c1", manifest="m", template_file="t", service_name="api", service_instance_name="i2"
    )
    proton_emulator.advance(SETTLE)
    with pytest.raises(aioproton.ConflictError, match="component c1"):
        await proton_client.update_service(
            name="api", spec=service_spec(("i1", "prod"), pipeline={"runtime": "python"})
        )
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION"
    )
    with pytest.raises(aioproton.ConflictError, match="in progress"):
        await proton_client.update_service(
            name="api", spec=service_spec(("i2", "prod"), pipeline={"runtime": "python"})
        )
    with pytest.raises(aioproton.ServiceQuotaExceededError):
        await service(
            proton_client,
            proton_emulator,
            "big",
            instances=[("a", "prod"), ("b", "prod"), ("c", "prod")],
        )


@pytest.mark.parametrize(
    ("rule", "status", "instances"),
    [
        ({"target": "service/api/service-instance/i3"}, "UPDATE_FAILED_CLEANUP_COMPLETE", ["i1"]),
        (
            {"target": "service/api/service-instance/i2", "action": "delete"},
            "UPDATE_COMPLETE_CLEANUP_FAILED",
            ["i1", "i2", "i3"],
        ),
        ({"target": "service/api/pipeline"}, "UPDATE_FAILED", ["i1", "i3"]),
        ({"target": "service/api"}, "UPDATE_FAILED", ["i1", "i3"]),
    ],
)
async def test_update_failure_modes(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    ready: None,
    rule: dict[str, str],
    status: str,
    instances: list[str],
) -> None:
    await service(proton_client, proton_emulator, instances=[("i1", "prod"), ("i2", "prod")])
    original = (await proton_client.get_service(name="api")).spec
    proton_emulator.script(outcome="fail", message="scripted failure", **rule)
    spec = service_spec(("i1", "prod"), ("i3", "prod"), pipeline={"runtime": "python"})
    await proton_client.update_service(name="api", spec=spec)
    proton_emulator.advance(SETTLE)
    after = await proton_client.get_service(name="api")
    assert after.status == status
    assert after.status_message
    listed = await proton_client.list_service_instances(service_name="api")
    assert [i.name for i in listed.service_instances] == instances
    if status == "UPDATE_FAILED_CLEANUP_COMPLETE":
        assert after.spec == original
    if status == "UPDATE_COMPLETE_CLEANUP_FAILED":
        stuck = await proton_client.get_service_instance(service_name="api", name="i2")
        assert stuck.deployment_status == "DELETE_FAILED"
        await proton_client.update_service(name="api", spec=spec)  # retries the removal
        proton_emulator.advance(SETTLE)
        assert (await proton_client.get_service(name="api")).status == "ACTIVE"
        listed = await proton_client.list_service_instances(service_name="api")
        assert [i.name for i in listed.service_instances] == ["i1", "i3"]


async def test_delete_service(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    await proton_client.create_component(
        name="c1", manifest="m", template_file="t", service_name="api", service_instance_name="i1"
    )
    proton_emulator.advance(SETTLE)
    with pytest.raises(aioproton.ConflictError, match="component c1"):
        await proton_client.delete_service(name="api")
    await proton_client.update_component(
        name="c1", deployment_type="CURRENT_VERSION", service_name="", service_instance_name=""
    )
    proton_emulator.advance(SETTLE)
    proton_emulator.script("service/api/service-instance/i1", action="delete", outcome="fail")
    first = await proton_client.delete_service(name="api")
    assert first is not None and first.status == "DELETE_IN_PROGRESS"
    repeat = await proton_client.delete_service(name="api")
    assert repeat is not None and repeat.status == "DELETE_IN_PROGRESS"
    proton_emulator.advance(SETTLE)
    failed = await proton_client.get_service(name="api")
    assert failed.status == "DELETE_FAILED"
    assert failed.pipeline is None  # the pipeline was deleted; the instance was not
    stuck = await proton_client.get_service_instance(service_name="api", name="i1")
    assert stuck.deployment_status == "DELETE_FAILED"
    await proton_client.delete_service(name="api")
    proton_emulator.advance(SETTLE)
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_service(name="api")
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_service_instance(service_name="api", name="i1")
    assert await proton_client.delete_service(name="api") is None
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.delete_service(name="never")


async def test_delete_refused_while_busy(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    await service(proton_client, proton_emulator, settle=False)
    with pytest.raises(aioproton.ConflictError, match="CREATE_IN_PROGRESS"):
        await proton_client.delete_service(name="api")


async def test_name_keyed_create_and_quota(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, ready: None
) -> None:
    proton_emulator.backend.quotas = Quotas(services=1)
    first = await service(proton_client, proton_emulator, settle=False)
    repeat = await service(proton_client, proton_emulator, settle=False)
    assert repeat.created_at == first.created_at
    with pytest.raises(aioproton.IdempotentParameterMismatchError, match="description"):
        await service(proton_client, proton_emulator, description="other")
    with pytest.raises(aioproton.ServiceQuotaExceededError):
        await service(proton_client, proton_emulator, "second")
    proton_emulator.advance(SETTLE)
    await proton_client.update_service(name="api", description="changed")
    with pytest.raises(aioproton.ConflictError, match="modified"):
        await service(proton_client, proton_emulator)
