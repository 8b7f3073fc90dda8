"""Every one of the 87 operations, through the typed client, against the emulator.

One realistic story (templates, environments, services, components, connections,
repositories, sync, tags, deployments, clean-up) drives each operation at least once and
checks the typed result; the last test proves from the emulator's request log that no
operation was left out.
"""

from __future__ import annotations

import datetime

import attrs
import pytest

import aioproton
from aioproton import _service_model
from aioproton import models as m
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Timings

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/proton-service"
CONNECTION = "arn:aws:codestar-connections:us-east-1:123456789012:connection/abc"
SOURCE = m.TemplateVersionSourceInputS3(m.S3ObjectSource(bucket="bundles", key="b.tar.gz"))
ENV_SPEC = "proton: EnvironmentSpec\nspec:\n  size: small\n"
SERVICE_SPEC = """proton: ServiceSpec
pipeline:
  unit_tests: yes
instances:
  - name: api-one
    environment: prod
    spec:
      port: 80
"""
MORE_INSTANCES = (
    SERVICE_SPEC
    + """  - name: api-two
    environment: prod
    spec:
      port: 81
"""
)
INSTANCE_SPEC = "proton: ServiceSpec\ninstances:\n  - name: api-three\n    environment: prod\n"


async def settle(emulator: Emulator, seconds: float = 120) -> None:
    emulator.advance(seconds)


async def publish_templates(proton: aioproton.ProtonClient, emulator: Emulator) -> None:
    env_template = await proton.create_environment_template(
        name="base", display_name="Base", tags=[m.Tag(key="team", value="platform")]
    )
    assert isinstance(env_template, m.EnvironmentTemplate)
    version = await proton.create_environment_template_version(
        template_name="base", source=SOURCE, description="first"
    )
    assert version.status is m.TemplateVersionStatus.REGISTRATION_IN_PROGRESS
    assert (version.major_version, version.minor_version) == ("1", "0")
    await settle(emulator)
    draft = await proton.get_environment_template_version(
        template_name="base", major_version="1", minor_version="0"
    )
    assert draft.status is m.TemplateVersionStatus.DRAFT
    published = await proton.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
    )
    assert published.status is m.TemplateVersionStatus.PUBLISHED

    await proton.create_service_template(name="web", display_name="Web")
    await proton.create_service_template_version(
        template_name="web",
        source=SOURCE,
        compatible_environment_templates=[
            m.CompatibleEnvironmentTemplateInput(template_name="base", major_version="1")
        ],
        supported_component_sources=[
            m.ServiceTemplateSupportedComponentSourceType.DIRECTLY_DEFINED
        ],
    )
    await settle(emulator)
    await proton.update_service_template_version(
        template_name="web", major_version="1", minor_version="0", status="PUBLISHED"
    )
    service_version = await proton.get_service_template_version(
        template_name="web", major_version="1", minor_version="0"
    )
    assert service_version.compatible_environment_templates[0].template_name == "base"


async def test_templates_and_versions(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    await publish_templates(proton_client, proton_emulator)
    template = await proton_client.get_environment_template(name="base")
    assert template.recommended_version == "1.0"
    updated = await proton_client.update_environment_template(
        name="base", description="shared infra"
    )
    assert updated.description == "shared infra"
    listed = await proton_client.list_environment_templates()
    assert [t.name for t in listed.templates] == ["base"]
    versions = await proton_client.list_environment_template_versions(template_name="base")
    assert [(v.major_version, v.minor_version) for v in versions.template_versions] == [("1", "0")]

    service_template = await proton_client.get_service_template(name="web")
    assert service_template.recommended_version == "1.0"
    await proton_client.update_service_template(name="web", description="web services")
    assert [t.name for t in (await proton_client.list_service_templates()).templates] == ["web"]
    service_versions = await proton_client.list_service_template_versions(template_name="web")
    assert len(service_versions.template_versions) == 1

    # A second minor version, then the version and template deletes.
    await proton_client.create_environment_template_version(
        template_name="base", source=SOURCE, major_version="1"
    )
    await proton_client.create_service_template_version(
        template_name="web",
        source=SOURCE,
        major_version="1",
        compatible_environment_templates=[
            m.CompatibleEnvironmentTemplateInput(template_name="base", major_version="1")
        ],
    )
    await settle(proton_emulator)
    deleted = await proton_client.delete_environment_template_version(
        template_name="base", major_version="1", minor_version="1"
    )
    assert deleted is not None
    assert deleted.minor_version == "1"
    deleted_service_version = await proton_client.delete_service_template_version(
        template_name="web", major_version="1", minor_version="1"
    )
    assert deleted_service_version is not None
    await proton_client.create_environment_template(name="scratch")
    assert (await proton_client.delete_environment_template(name="scratch")) is not None
    await proton_client.create_service_template(name="scratch")
    assert (await proton_client.delete_service_template(name="scratch")) is not None


async def make_environment(proton: aioproton.ProtonClient, emulator: Emulator) -> m.Environment:
    await publish_templates(proton, emulator)
    env = await proton.create_environment(
        name="prod",
        template_name="base",
        template_major_version="1",
        spec=ENV_SPEC,
        proton_service_role_arn=ROLE,
        component_role_arn=ROLE,
    )
    assert env.deployment_status is m.DeploymentStatus.IN_PROGRESS
    await settle(emulator)
    env = await proton.get_environment(name="prod")
    assert env.deployment_status is m.DeploymentStatus.SUCCEEDED
    return env


async def test_environments_and_deployments(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    env = await make_environment(proton_client, proton_emulator)
    assert isinstance(env.created_at, datetime.datetime)
    assert env.created_at.tzinfo is datetime.timezone.utc
    assert [e.name for e in (await proton_client.list_environments()).environments] == ["prod"]
    described = await proton_client.update_environment(
        name="prod", deployment_type="NONE", description="production"
    )
    assert described.description == "production"

    redeploy = await proton_client.update_environment(
        name="prod", deployment_type="CURRENT_VERSION"
    )
    assert redeploy.deployment_status is m.DeploymentStatus.IN_PROGRESS
    cancelling = await proton_client.cancel_environment_deployment(environment_name="prod")
    assert cancelling.deployment_status is m.DeploymentStatus.CANCELLING
    await settle(proton_emulator)
    assert (await proton_client.get_environment(name="prod")).deployment_status in (
        m.DeploymentStatus.CANCELLED,
        m.DeploymentStatus.SUCCEEDED,
    )

    outputs = await proton_client.list_environment_outputs(environment_name="prod")
    assert isinstance(outputs.outputs, tuple)
    resources = await proton_client.list_environment_provisioned_resources(environment_name="prod")
    assert isinstance(resources.provisioned_resources, tuple)

    deployments = (await proton_client.list_deployments(environment_name="prod")).deployments
    assert len(deployments) >= 2
    first = await proton_client.get_deployment(id=deployments[-1].id)
    assert first.target_resource_type is m.DeploymentTargetResourceType.ENVIRONMENT
    assert isinstance(first.target_state, m.DeploymentStateEnvironment)
    removed = await proton_client.delete_deployment(id=first.id)
    assert removed is not None
    assert removed.id == first.id

    # Self-managed style notification on a deployment in progress.
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    await proton_client.notify_resource_deployment_status_change(
        resource_arn=env.arn,
        status="SUCCEEDED",
        outputs=[m.Output(key="vpc", value_string="vpc-1")],
    )
    notified = await proton_client.get_environment(name="prod")
    assert notified.deployment_status is m.DeploymentStatus.SUCCEEDED

    gone = await proton_client.delete_environment(name="prod")
    assert gone is not None
    assert gone.deployment_status is m.DeploymentStatus.DELETE_IN_PROGRESS


async def test_services_instances_pipelines_and_components(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    await make_environment(proton_client, proton_emulator)
    await proton_client.update_account_settings(pipeline_service_role_arn=ROLE)
    service = await proton_client.create_service(
        name="api",
        template_name="web",
        template_major_version="1",
        spec=SERVICE_SPEC,
        repository_connection_arn=CONNECTION,
        repository_id="org/api",
        branch_name="main",
    )
    assert service.status is m.ServiceStatus.CREATE_IN_PROGRESS
    await settle(proton_emulator)
    service = await proton_client.get_service(name="api")
    assert service.status is m.ServiceStatus.ACTIVE
    assert service.pipeline is not None
    assert [s.name for s in (await proton_client.list_services()).services] == ["api"]

    instance = await proton_client.get_service_instance(service_name="api", name="api-one")
    assert instance.environment_name == "prod"
    listed = await proton_client.list_service_instances(service_name="api")
    assert [i.name for i in listed.service_instances] == ["api-one"]

    updated = await proton_client.update_service(name="api", spec=MORE_INSTANCES)
    assert updated.status is m.ServiceStatus.UPDATE_IN_PROGRESS
    await settle(proton_emulator)
    await proton_client.update_service(name="api", description="the api")

    added = await proton_client.create_service_instance(
        service_name="api", name="api-three", spec=INSTANCE_SPEC
    )
    assert added.deployment_status is m.DeploymentStatus.IN_PROGRESS
    await settle(proton_emulator)

    redeploy = await proton_client.update_service_instance(
        service_name="api", name="api-one", deployment_type="CURRENT_VERSION"
    )
    assert redeploy.last_client_request_token
    cancelled = await proton_client.cancel_service_instance_deployment(
        service_name="api", service_instance_name="api-one"
    )
    assert cancelled.deployment_status is m.DeploymentStatus.CANCELLING
    pipeline = await proton_client.update_service_pipeline(
        service_name="api", deployment_type="CURRENT_VERSION", spec=SERVICE_SPEC
    )
    assert pipeline.deployment_status is m.DeploymentStatus.IN_PROGRESS
    stopping = await proton_client.cancel_service_pipeline_deployment(service_name="api")
    assert stopping.deployment_status is m.DeploymentStatus.CANCELLING
    await settle(proton_emulator)

    for call in (
        proton_client.list_service_instance_outputs(
            service_name="api", service_instance_name="api-one"
        ),
        proton_client.list_service_pipeline_outputs(service_name="api"),
    ):
        assert isinstance((await call).outputs, tuple)
    for call in (
        proton_client.list_service_instance_provisioned_resources(
            service_name="api", service_instance_name="api-one"
        ),
        proton_client.list_service_pipeline_provisioned_resources(service_name="api"),
    ):
        assert isinstance((await call).provisioned_resources, tuple)

    component = await proton_client.create_component(
        name="cache",
        service_name="api",
        service_instance_name="api-two",
        manifest="infrastructure:\n  templates:\n    - file: cfn.yaml\n",
        template_file="Resources: {}\n",
    )
    assert component.environment_name == "prod"
    await settle(proton_emulator)
    assert (await proton_client.get_component(name="cache")).deployment_status is (
        m.DeploymentStatus.SUCCEEDED
    )
    assert [c.name for c in (await proton_client.list_components()).components] == ["cache"]
    await proton_client.update_component(name="cache", deployment_type="NONE", description="redis")
    await proton_client.update_component(name="cache", deployment_type="CURRENT_VERSION")
    cancel = await proton_client.cancel_component_deployment(component_name="cache")
    assert cancel.deployment_status is m.DeploymentStatus.CANCELLING
    await settle(proton_emulator)
    assert isinstance(
        (await proton_client.list_component_outputs(component_name="cache")).outputs, tuple
    )
    resources = await proton_client.list_component_provisioned_resources(component_name="cache")
    assert isinstance(resources.provisioned_resources, tuple)
    await proton_client.update_component(
        name="cache", deployment_type="CURRENT_VERSION", service_name="", service_instance_name=""
    )
    await settle(proton_emulator)
    deleting = await proton_client.delete_component(name="cache")
    assert deleting is not None
    await settle(proton_emulator)
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_component(name="cache")

    summary = await proton_client.get_resources_summary()
    assert summary.services.total == 1
    assert summary.service_instances.total == 3

    deleting_service = await proton_client.delete_service(name="api")
    assert deleting_service is not None
    assert deleting_service.status is m.ServiceStatus.DELETE_IN_PROGRESS
    await settle(proton_emulator)
    assert await proton_client.delete_service(name="api") is None  # already gone: an empty answer


async def test_account_connections_tags_and_settings(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    settings = await proton_client.get_account_settings()
    assert isinstance(settings, m.AccountSettings)
    changed = await proton_client.update_account_settings(pipeline_service_role_arn=ROLE)
    assert changed.pipeline_service_role_arn == ROLE

    connection = await proton_client.create_environment_account_connection(
        environment_name="staging", management_account_id=ACCOUNT, role_arn=ROLE
    )
    assert connection.status is m.EnvironmentAccountConnectionStatus.PENDING
    fetched = await proton_client.get_environment_account_connection(id=connection.id)
    assert fetched.environment_name == "staging"
    listed = await proton_client.list_environment_account_connections(
        requested_by="MANAGEMENT_ACCOUNT"
    )
    assert [c.id for c in listed.environment_account_connections] == [connection.id]
    accepted = await proton_client.accept_environment_account_connection(id=connection.id)
    assert accepted.status is m.EnvironmentAccountConnectionStatus.CONNECTED
    updated = await proton_client.update_environment_account_connection(
        id=connection.id, component_role_arn=ROLE
    )
    assert updated.component_role_arn == ROLE
    rejected = await proton_client.reject_environment_account_connection(id=connection.id)
    assert rejected.status is m.EnvironmentAccountConnectionStatus.REJECTED
    deleted = await proton_client.delete_environment_account_connection(id=connection.id)
    assert deleted is not None

    template = await proton_client.create_environment_template(name="tagged")
    await proton_client.tag_resource(resource_arn=template.arn, tags=[m.Tag(key="tier", value="1")])
    tags = await proton_client.list_tags_for_resource(resource_arn=template.arn)
    assert {(t.key, t.value) for t in tags.tags} == {("tier", "1")}
    await proton_client.untag_resource(resource_arn=template.arn, tag_keys=["tier"])
    assert (await proton_client.list_tags_for_resource(resource_arn=template.arn)).tags == ()


async def test_repositories_and_sync(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    repository = await proton_client.create_repository(
        name="org/templates", provider="GITHUB", connection_arn=CONNECTION
    )
    assert repository.arn.endswith(":repository/github:org/templates")
    assert (await proton_client.get_repository(name="org/templates", provider="GITHUB")).name == (
        "org/templates"
    )
    assert len((await proton_client.list_repositories()).repositories) == 1

    await make_environment(proton_client, proton_emulator)
    sync = await proton_client.create_template_sync_config(
        template_name="base",
        template_type="ENVIRONMENT",
        repository_name="org/templates",
        repository_provider="GITHUB",
        branch="main",
    )
    assert sync.branch == "main"
    assert (
        await proton_client.get_template_sync_config(
            template_name="base", template_type="ENVIRONMENT"
        )
    ).repository_name == "org/templates"
    moved = await proton_client.update_template_sync_config(
        template_name="base",
        template_type="ENVIRONMENT",
        repository_name="org/templates",
        repository_provider="GITHUB",
        branch="release",
        subdirectory="base",
    )
    assert moved.branch == "release"
    status = await proton_client.get_template_sync_status(
        template_name="base", template_type="ENVIRONMENT", template_version="1"
    )
    assert isinstance(status, m.GetTemplateSyncStatusOutput)
    definitions = await proton_client.list_repository_sync_definitions(
        repository_name="org/templates", repository_provider="GITHUB", sync_type="TEMPLATE_SYNC"
    )
    assert [d.target for d in definitions.sync_definitions] == ["base"]
    repo_status = await proton_client.get_repository_sync_status(
        repository_name="org/templates",
        repository_provider="GITHUB",
        branch="release",
        sync_type="TEMPLATE_SYNC",
    )
    assert repo_status is None or isinstance(repo_status, m.RepositorySyncAttempt)

    await proton_client.update_account_settings(pipeline_service_role_arn=ROLE)
    await proton_client.create_service(
        name="api",
        template_name="web",
        template_major_version="1",
        spec=SERVICE_SPEC,
        repository_connection_arn=CONNECTION,
        repository_id="org/api",
        branch_name="main",
    )
    await settle(proton_emulator)
    service_sync = await proton_client.create_service_sync_config(
        service_name="api",
        repository_name="org/templates",
        repository_provider="GITHUB",
        branch="main",
        file_path="proton/api.yaml",
    )
    assert service_sync.file_path == "proton/api.yaml"
    assert (await proton_client.get_service_sync_config(service_name="api")).branch == "main"
    await proton_client.update_service_sync_config(
        service_name="api",
        repository_name="org/templates",
        repository_provider="GITHUB",
        branch="release",
        file_path="proton/api.yaml",
    )
    instance_status = await proton_client.get_service_instance_sync_status(
        service_name="api", service_instance_name="api-one"
    )
    assert isinstance(instance_status, m.GetServiceInstanceSyncStatusOutput)
    # A manual change to a synced instance raises a sync blocker, which can be resolved.
    await proton_client.update_service_instance(
        service_name="api", name="api-one", deployment_type="CURRENT_VERSION"
    )
    summary = await proton_client.get_service_sync_blocker_summary(
        service_name="api", service_instance_name="api-one"
    )
    assert summary is not None
    assert summary.latest_blockers
    blocker = summary.latest_blockers[0]
    resolved = await proton_client.update_service_sync_blocker(
        id=blocker.id, resolved_reason="fixed"
    )
    assert resolved.service_sync_blocker.status is m.BlockerStatus.RESOLVED
    assert await proton_client.delete_service_sync_config(service_name="api") is not None
    assert (
        await proton_client.delete_template_sync_config(
            template_name="base", template_type="ENVIRONMENT"
        )
        is not None
    )
    await settle(proton_emulator)
    assert (
        await proton_client.delete_repository(name="org/templates", provider="GITHUB")
    ) is not None


async def test_the_suite_above_calls_every_operation() -> None:
    """Run the whole story once more on a fresh emulator and read its request log."""
    stories = (
        test_templates_and_versions,
        test_environments_and_deployments,
        test_services_instances_pipelines_and_components,
        test_account_connections_tags_and_settings,
        test_repositories_and_sync,
    )
    async with Emulator(
        check_responses=True, clock=ManualClock(), timings=Timings(deploy_seconds=60)
    ) as emulator:
        async with aioproton.ProtonClient(**emulator.client_settings) as proton:
            for story in stories:
                emulator.reset()
                await story(proton, emulator)
        called = {record.operation for record in emulator.requests.records}
    assert called >= set(_service_model.service_model().operation_names)
    records = emulator.requests.records
    failures = [attrs.asdict(r) for r in records if isinstance(r.status, int) and r.status >= 500]
    assert failures == []
