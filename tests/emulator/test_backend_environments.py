"""Environments: versions, provisioning modes, the deploymentType matrix, cancels, deletes."""

from __future__ import annotations

from typing import Any

import pytest

import aioproton
from aioproton import models
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Quotas

from ..recipes import (
    CONNECTION_ARN,
    ENV_SPEC,
    SERVICE_ROLE,
    SETTLE,
    env_template,
    environment,
    service,
    service_template,
)


@pytest.fixture
async def base(proton_emulator: Emulator, proton_client: aioproton.ProtonClient) -> None:
    """Template ``base``: 1.0, 1.1 and 2.0 published, 1.2 a draft."""
    await env_template(proton_client, proton_emulator, versions=("1.0", "1.1", "2.0"))
    await proton_client.create_environment_template_version(
        template_name="base", source=_s3(), major_version="1"
    )
    proton_emulator.advance(SETTLE)


def _s3() -> models.TemplateVersionSourceInputS3:
    return models.TemplateVersionSourceInputS3(models.S3ObjectSource(bucket="bkt", key="k"))


async def test_create_defaults_to_recommended_minor_and_deploys(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, base: None
) -> None:
    env = await environment(proton_client, proton_emulator, settle=False)
    assert env.deployment_status == "IN_PROGRESS"
    assert (env.template_major_version, env.template_minor_version) == ("1", "1")
    assert env.last_deployment_attempted_at == env.created_at
    assert env.last_deployment_succeeded_at == env.created_at  # until the first success
    assert env.last_attempted_deployment_id and env.last_succeeded_deployment_id is None
    assert env.spec == ENV_SPEC
    proton_emulator.advance(1.9)
    assert (await proton_client.get_environment(name="prod")).deployment_status == "IN_PROGRESS"
    proton_emulator.advance(0.1)
    done = await proton_client.get_environment(name="prod")
    assert done.deployment_status == "SUCCEEDED"
    assert done.last_succeeded_deployment_id == env.last_attempted_deployment_id
    deployment = await proton_client.get_deployment(id=done.last_succeeded_deployment_id)
    assert deployment.completed_at is not None
    assert deployment.completed_at > deployment.created_at


@pytest.mark.parametrize(
    ("major", "minor", "error", "match"),
    [
        ("1", "2", aioproton.ValidationError, "DRAFT"),
        ("1", "9", aioproton.ResourceNotFoundError, "1.9"),
        ("5", None, aioproton.ResourceNotFoundError, "Major version 5"),
    ],
)
async def test_create_needs_a_published_version(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    base: None,
    major: str,
    minor: str | None,
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        await environment(proton_client, proton_emulator, major=major, minor=minor)


async def test_create_in_a_major_without_published_minor(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, base: None
) -> None:
    await proton_client.create_environment_template_version(template_name="base", source=_s3())
    proton_emulator.advance(SETTLE)
    with pytest.raises(aioproton.ValidationError, match="no PUBLISHED minor"):
        await environment(proton_client, proton_emulator, major="3")
    with pytest.raises(aioproton.ResourceNotFoundError):
        await environment(proton_client, proton_emulator, template="nope")


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"environment_account_connection_id": "0" * 8 + "-0000-4000-8000-" + "0" * 12}, "either"),
        ({"proton_service_role_arn": None}, "Specify"),
        ({"provisioning_repository": "linked"}, "cannot be combined"),
    ],
)
async def test_provisioning_parameter_combinations(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    base: None,
    extra: dict[str, Any],
    match: str,
) -> None:
    if extra.get("provisioning_repository") == "linked":
        extra = {"provisioning_repository": await _linked_repository(proton_client)}
    with pytest.raises(aioproton.ValidationError, match=match):
        await environment(proton_client, proton_emulator, **extra)


async def _linked_repository(proton: aioproton.ProtonClient) -> models.RepositoryBranchInput:
    await proton.create_repository(
        name="org/infra", provider="GITHUB", connection_arn=CONNECTION_ARN
    )
    return models.RepositoryBranchInput(branch="main", name="org/infra", provider="GITHUB")


async def test_provisioning_modes_that_work(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, base: None
) -> None:
    codebuild = await environment(
        proton_client,
        proton_emulator,
        "cb",
        proton_service_role_arn=None,
        codebuild_role_arn=SERVICE_ROLE,
    )
    assert (
        codebuild.codebuild_role_arn == SERVICE_ROLE and codebuild.proton_service_role_arn is None
    )
    repository = await _linked_repository(proton_client)
    self_managed = await environment(
        proton_client,
        proton_emulator,
        "tf",
        proton_service_role_arn=None,
        provisioning_repository=repository,
    )
    assert self_managed.provisioning_repository is not None
    assert self_managed.provisioning_repository.arn.endswith(":repository/github:org/infra")
    missing = models.RepositoryBranchInput(branch="main", name="org/other", provider="GITHUB")
    with pytest.raises(aioproton.ResourceNotFoundError, match="not linked"):
        await environment(
            proton_client,
            proton_emulator,
            "tf2",
            proton_service_role_arn=None,
            provisioning_repository=missing,
        )
    await env_template(proton_client, proton_emulator, "external", provisioning="CUSTOMER_MANAGED")
    external = await environment(
        proton_client, proton_emulator, "ext", template="external", proton_service_role_arn=None
    )
    assert external.provisioning == "CUSTOMER_MANAGED"
    # AWS-managed and self-managed environments refuse each other's parameters.
    with pytest.raises(aioproton.ValidationError, match="AWS-managed"):
        await proton_client.update_environment(
            name="cb", deployment_type="NONE", provisioning_repository=repository
        )
    with pytest.raises(aioproton.ValidationError, match="self-managed"):
        await proton_client.update_environment(
            name="tf", deployment_type="NONE", proton_service_role_arn=SERVICE_ROLE
        )
    with pytest.raises(aioproton.ValidationError, match="cannot be switched"):
        await proton_client.update_environment(
            name="cb",
            deployment_type="NONE",
            environment_account_connection_id="0" * 8 + "-0000-4000-8000-" + "0" * 12,
        )


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("proton: EnvironmentSpec\nspec: [1, 2\n", r"line 3, column 1"),
        ("proton: ServiceSpec\n", "proton: must be 'EnvironmentSpec'"),
        ("- just\n- a list\n", "must be a mapping"),
        ("proton: EnvironmentSpec\nspec: 3\n", "spec.spec: must be a mapping"),
    ],
)
async def test_spec_errors_say_where(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    base: None,
    spec: str,
    match: str,
) -> None:
    with pytest.raises(aioproton.ValidationError, match=match):
        await proton_client.create_environment(
            name="prod",
            template_name="base",
            template_major_version="1",
            spec=spec,
            proton_service_role_arn=SERVICE_ROLE,
        )


@pytest.mark.parametrize(
    ("deployment_type", "params", "error", "match"),
    [
        ("NONE", {"template_major_version": "1"}, aioproton.ValidationError, "NONE"),
        ("NONE", {"spec": ENV_SPEC}, aioproton.ValidationError, "spec"),
        ("CURRENT_VERSION", {"template_minor_version": "1"}, aioproton.ValidationError, "CURRENT"),
        ("MINOR_VERSION", {"template_major_version": "2"}, aioproton.ValidationError, "MAJOR"),
        ("MINOR_VERSION", {"template_minor_version": "9"}, aioproton.ResourceNotFoundError, "1.9"),
        ("MINOR_VERSION", {"template_minor_version": "2"}, aioproton.ValidationError, "DRAFT"),
        ("MAJOR_VERSION", {"template_major_version": "1"}, aioproton.ValidationError, "higher"),
        ("MAJOR_VERSION", {"template_major_version": "4"}, aioproton.ResourceNotFoundError, "4"),
        (
            "MAJOR_VERSION",
            {"template_major_version": "2", "template_minor_version": "5"},
            aioproton.ResourceNotFoundError,
            "2.5",
        ),
    ],
)
async def test_deployment_type_rejections(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    base: None,
    deployment_type: str,
    params: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    await environment(proton_client, proton_emulator, minor="0")
    with pytest.raises(error, match=match):
        await proton_client.update_environment(
            name="prod", deployment_type=deployment_type, **params
        )
    env = await proton_client.get_environment(name="prod")
    assert env.deployment_status == "SUCCEEDED"  # nothing started


async def test_major_version_needs_a_higher_published_major(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, base: None
) -> None:
    await environment(proton_client, proton_emulator, major="2")
    with pytest.raises(aioproton.ValidationError, match="no PUBLISHED major version higher"):
        await proton_client.update_environment(name="prod", deployment_type="MAJOR_VERSION")


async def test_versions_and_spec_switch_only_on_success(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, base: None
) -> None:
    first = await environment(proton_client, proton_emulator, minor="0")
    new_spec = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.1.0.0/16\n"
    update = await proton_client.update_environment(
        name="prod", deployment_type="MINOR_VERSION", spec=new_spec
    )
    assert update.deployment_status == "IN_PROGRESS"
    assert update.template_minor_version == "0" and update.spec == ENV_SPEC
    assert update.last_attempted_deployment_id != first.last_attempted_deployment_id
    proton_emulator.advance(SETTLE)
    done = await proton_client.get_environment(name="prod")
    assert done.template_minor_version == "1" and done.spec == new_spec
    # NONE is metadata only: no deployment.
    none = await proton_client.update_environment(
        name="prod", deployment_type="NONE", description="x"
    )
    assert none.description == "x"
    assert none.last_attempted_deployment_id == done.last_attempted_deployment_id
    # CURRENT_VERSION redeploys the same version; MINOR_VERSION on the recommended redeploys.
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    proton_emulator.advance(SETTLE)
    await proton_client.update_environment(name="prod", deployment_type="MINOR_VERSION")
    proton_emulator.advance(SETTLE)
    same = await proton_client.get_environment(name="prod")
    assert (same.template_major_version, same.template_minor_version) == ("1", "1")
    major = await proton_client.update_environment(name="prod", deployment_type="MAJOR_VERSION")
    assert major.template_major_version == "1"
    proton_emulator.advance(SETTLE)
    moved = await proton_client.get_environment(name="prod")
    assert (moved.template_major_version, moved.template_minor_version) == ("2", "0")
    deployments = await proton_client.list_deployments(environment_name="prod")
    assert len(deployments.deployments) == 5
    last = await proton_client.get_deployment(id=moved.last_succeeded_deployment_id)
    assert last.initial_state is not None and last.target_state is not None
    assert last.initial_state.value.template_major_version == "1"
    assert last.target_state.value.template_major_version == "2"


async def test_busy_environment_refuses_changes(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, base: None
) -> None:
    await environment(proton_client, proton_emulator, settle=False)
    with pytest.raises(aioproton.ConflictError, match="in progress"):
        await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    with pytest.raises(aioproton.ConflictError, match="in progress"):
        await proton_client.delete_environment(name="prod")
    with pytest.raises(aioproton.ConflictError, match="being created"):
        await proton_client.cancel_environment_deployment(environment_name="prod")
    proton_emulator.advance(SETTLE)
    with pytest.raises(aioproton.ConflictError, match="no deployment in progress"):
        await proton_client.cancel_environment_deployment(environment_name="prod")


@pytest.mark.parametrize(
    ("cancel", "status", "message", "minor"),
    [
        ("cancelled", "CANCELLED", "User initiated cancellation.", "0"),
        ("failed", "FAILED", "cancellation attempt failed", "0"),
        ("too_late", "SUCCEEDED", None, "1"),
    ],
)
async def test_cancel_outcomes(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    base: None,
    cancel: str,
    status: str,
    message: str | None,
    minor: str,
) -> None:
    await environment(proton_client, proton_emulator, minor="0")
    proton_emulator.script("environment/prod", action="deploy", cancel=cancel, seconds=10)
    update = await proton_client.update_environment(name="prod", deployment_type="MINOR_VERSION")
    proton_emulator.advance(1)
    cancelling = await proton_client.cancel_environment_deployment(environment_name="prod")
    assert cancelling.deployment_status == "CANCELLING"
    with pytest.raises(aioproton.ConflictError):
        await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    proton_emulator.advance(0.5)  # the cancel lands (or, too late, does not)
    landed = await proton_client.get_environment(name="prod")
    expected_now = "CANCELLING" if cancel == "too_late" else status
    assert landed.deployment_status == expected_now
    proton_emulator.advance(SETTLE)
    final = await proton_client.get_environment(name="prod")
    assert final.deployment_status == status
    assert final.template_minor_version == minor
    if message is None:
        assert final.deployment_status_message is None
    else:
        assert message in (final.deployment_status_message or "")
    record = await proton_client.get_deployment(id=update.last_attempted_deployment_id)
    assert record.deployment_status == status


async def test_failed_deployment_keeps_the_deployed_version(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, base: None
) -> None:
    await environment(proton_client, proton_emulator, minor="0")
    proton_emulator.script(
        "environment/prod", action="deploy", outcome="fail", message="stack broke"
    )
    await proton_client.update_environment(name="prod", deployment_type="MINOR_VERSION")
    proton_emulator.advance(SETTLE)
    env = await proton_client.get_environment(name="prod")
    assert env.deployment_status == "FAILED"
    assert env.deployment_status_message == "stack broke"
    assert env.template_minor_version == "0"
    assert env.last_succeeded_deployment_id != env.last_attempted_deployment_id
    await proton_client.update_environment(name="prod", deployment_type="MINOR_VERSION")
    proton_emulator.advance(SETTLE)
    assert (await proton_client.get_environment(name="prod")).template_minor_version == "1"


async def test_delete_guards_and_repeated_deletes(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, base: None
) -> None:
    await environment(proton_client, proton_emulator)
    await service_template(proton_client, proton_emulator)
    await service(proton_client, proton_emulator)
    with pytest.raises(aioproton.ConflictError, match="service instances"):
        await proton_client.delete_environment(name="prod")
    await proton_client.delete_service(name="api")
    proton_emulator.advance(SETTLE)
    await proton_client.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod"
    )
    proton_emulator.advance(SETTLE)
    with pytest.raises(aioproton.ConflictError, match="components"):
        await proton_client.delete_environment(name="prod")
    await proton_client.delete_component(name="c1")
    proton_emulator.advance(SETTLE)
    proton_emulator.script("environment/prod", action="delete", outcome="fail", message="in use")
    failed = await proton_client.delete_environment(name="prod")
    assert failed is not None and failed.deployment_status == "DELETE_IN_PROGRESS"
    proton_emulator.advance(SETTLE)
    env = await proton_client.get_environment(name="prod")
    assert env.deployment_status == "DELETE_FAILED"
    deleting = await proton_client.delete_environment(name="prod")
    assert deleting is not None
    repeat = await proton_client.delete_environment(name="prod")
    assert repeat is not None
    assert repeat.last_attempted_deployment_id == deleting.last_attempted_deployment_id
    proton_emulator.advance(SETTLE)
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_environment(name="prod")
    assert await proton_client.delete_environment(name="prod") is None
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.delete_environment(name="never")
    record = await proton_client.get_deployment(id=deleting.last_attempted_deployment_id)
    assert record.deployment_status == "DELETE_COMPLETE"


async def test_name_keyed_create(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, base: None
) -> None:
    first = await environment(proton_client, proton_emulator, settle=False)
    repeat = await environment(proton_client, proton_emulator, settle=False)
    assert repeat.last_attempted_deployment_id == first.last_attempted_deployment_id
    with pytest.raises(aioproton.IdempotentParameterMismatchError, match="spec"):
        await proton_client.create_environment(
            name="prod",
            template_name="base",
            template_major_version="1",
            spec="proton: EnvironmentSpec\n",
            proton_service_role_arn=SERVICE_ROLE,
            component_role_arn=first.component_role_arn,
        )
    proton_emulator.advance(SETTLE)
    await proton_client.update_environment(
        name="prod", deployment_type="NONE", description="changed"
    )
    with pytest.raises(aioproton.ConflictError, match="modified"):
        await environment(proton_client, proton_emulator)


async def test_quota_and_listing(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, base: None
) -> None:
    proton_emulator.backend.quotas = Quotas(environments=3)
    for name in ("c", "a", "b"):
        await environment(proton_client, proton_emulator, name, major="2" if name == "b" else "1")
    with pytest.raises(aioproton.ServiceQuotaExceededError):
        await environment(proton_client, proton_emulator, "d")
    listed = await proton_client.list_environments()
    assert [e.name for e in listed.environments] == ["a", "b", "c"]
    filtered = await proton_client.list_environments(
        environment_templates=[
            models.EnvironmentTemplateFilter(template_name="base", major_version="2")
        ]
    )
    assert [e.name for e in filtered.environments] == ["b"]
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.list_environments(
            environment_templates=[
                models.EnvironmentTemplateFilter(template_name="nope", major_version="1")
            ]
        )
    page = await proton_client.list_environments(max_results=2)
    assert [e.name for e in page.environments] == ["a", "b"]
    rest = await proton_client.list_environments(max_results=2, next_token=page.next_token)
    assert [e.name for e in rest.environments] == ["c"] and rest.next_token is None
