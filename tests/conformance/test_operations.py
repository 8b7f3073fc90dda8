"""Every one of the 87 operations through an unmodified boto3 client.

Each test tells one part of a realistic story (templates, environments, services and
their parts, account connections across two accounts, tags, repositories and sync,
deployments) and checks what boto3 parsed; ``test_summary.py`` proves from the
emulator's request log that, together, they called every operation successfully.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ._support import (
    ACCOUNT,
    COMPONENT_ROLE,
    CONNECTION_ARN,
    FAST,
    MANIFEST,
    OTHER_ACCOUNT,
    OTHER_ROLE,
    ROLE,
    SOURCE,
    TEMPLATE_FILE,
    Control,
    env_template,
    environment,
    service,
    service_spec,
    service_template,
    world,
)

pytestmark = pytest.mark.slow


def _error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_environment_templates_and_versions(proton: Any, fresh: Control) -> None:
    created = proton.create_environment_template(
        name="base",
        displayName="Base",
        description="shared infrastructure",
        tags=[{"key": "team", "value": "platform"}],
    )["environmentTemplate"]
    assert created["arn"] == f"arn:aws:proton:us-east-1:{ACCOUNT}:environment-template/base"
    assert isinstance(created["createdAt"], datetime.datetime)
    assert created["createdAt"].tzinfo is not None

    version = proton.create_environment_template_version(
        templateName="base", source=SOURCE, description="first"
    )["environmentTemplateVersion"]
    assert version["status"] == "REGISTRATION_IN_PROGRESS"
    assert (version["majorVersion"], version["minorVersion"]) == ("1", "0")
    proton.get_waiter("environment_template_version_registered").wait(
        templateName="base", majorVersion="1", minorVersion="0", WaiterConfig=FAST
    )
    draft = proton.get_environment_template_version(
        templateName="base", majorVersion="1", minorVersion="0"
    )["environmentTemplateVersion"]
    assert draft["status"] == "DRAFT"
    published = proton.update_environment_template_version(
        templateName="base", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )["environmentTemplateVersion"]
    assert published["status"] == "PUBLISHED"

    template = proton.get_environment_template(name="base")["environmentTemplate"]
    assert template["recommendedVersion"] == "1.0"
    updated = proton.update_environment_template(name="base", description="the base")
    assert updated["environmentTemplate"]["description"] == "the base"
    listed = proton.list_environment_templates()["templates"]
    assert [t["name"] for t in listed] == ["base"]

    proton.create_environment_template_version(templateName="base", source=SOURCE, majorVersion="1")
    proton.get_waiter("environment_template_version_registered").wait(
        templateName="base", majorVersion="1", minorVersion="1", WaiterConfig=FAST
    )
    # Without a major version the list holds one version per major: its recommended one.
    majors = proton.list_environment_template_versions(templateName="base")["templateVersions"]
    assert [(v["majorVersion"], v["minorVersion"]) for v in majors] == [("1", "0")]
    minors = proton.list_environment_template_versions(templateName="base", majorVersion="1")
    pairs = [(v["majorVersion"], v["minorVersion"]) for v in minors["templateVersions"]]
    assert pairs == [("1", "0"), ("1", "1")]
    deleted = proton.delete_environment_template_version(
        templateName="base", majorVersion="1", minorVersion="1"
    )
    assert deleted["environmentTemplateVersion"]["minorVersion"] == "1"

    proton.create_environment_template(name="scratch")
    gone = proton.delete_environment_template(name="scratch")
    assert gone["environmentTemplate"]["name"] == "scratch"
    with pytest.raises(proton.exceptions.ResourceNotFoundException):
        proton.get_environment_template(name="scratch")


def test_service_templates_and_versions(proton: Any, fresh: Control) -> None:
    env_template(proton)
    created = proton.create_service_template(name="web", displayName="Web")["serviceTemplate"]
    assert created["name"] == "web"
    version = proton.create_service_template_version(
        templateName="web",
        source=SOURCE,
        compatibleEnvironmentTemplates=[{"templateName": "base", "majorVersion": "1"}],
        supportedComponentSources=["DIRECTLY_DEFINED"],
    )["serviceTemplateVersion"]
    assert version["status"] == "REGISTRATION_IN_PROGRESS"
    proton.get_waiter("service_template_version_registered").wait(
        templateName="web", majorVersion="1", minorVersion="0", WaiterConfig=FAST
    )
    published = proton.update_service_template_version(
        templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )["serviceTemplateVersion"]
    assert published["status"] == "PUBLISHED"
    fetched = proton.get_service_template_version(
        templateName="web", majorVersion="1", minorVersion="0"
    )["serviceTemplateVersion"]
    assert fetched["compatibleEnvironmentTemplates"] == [
        {"templateName": "base", "majorVersion": "1"}
    ]
    assert fetched["supportedComponentSources"] == ["DIRECTLY_DEFINED"]

    template = proton.get_service_template(name="web")["serviceTemplate"]
    assert template["recommendedVersion"] == "1.0"
    described = proton.update_service_template(name="web", description="web services")
    assert described["serviceTemplate"]["description"] == "web services"
    assert [t["name"] for t in proton.list_service_templates()["templates"]] == ["web"]
    versions = proton.list_service_template_versions(templateName="web")["templateVersions"]
    assert [v["status"] for v in versions] == ["PUBLISHED"]

    proton.create_service_template_version(
        templateName="web",
        source=SOURCE,
        majorVersion="1",
        compatibleEnvironmentTemplates=[{"templateName": "base", "majorVersion": "1"}],
    )
    proton.get_waiter("service_template_version_registered").wait(
        templateName="web", majorVersion="1", minorVersion="1", WaiterConfig=FAST
    )
    deleted = proton.delete_service_template_version(
        templateName="web", majorVersion="1", minorVersion="1"
    )
    assert deleted["serviceTemplateVersion"]["minorVersion"] == "1"
    proton.create_service_template(name="scratch")
    assert proton.delete_service_template(name="scratch")["serviceTemplate"]["name"] == "scratch"


def test_environments_outputs_and_deployments(proton: Any, fresh: Control) -> None:
    env_template(proton)
    env = environment(proton, "prod", wait=False)
    assert env["deploymentStatus"] == "IN_PROGRESS"
    proton.get_waiter("environment_deployed").wait(name="prod", WaiterConfig=FAST)
    env = proton.get_environment(name="prod")["environment"]
    assert env["deploymentStatus"] == "SUCCEEDED"
    assert env["templateMajorVersion"] == "1"
    assert [e["name"] for e in proton.list_environments()["environments"]] == ["prod"]
    described = proton.update_environment(
        name="prod", deploymentType="NONE", description="production"
    )
    assert described["environment"]["description"] == "production"

    # An update, cancelled while it runs (the cancel is scripted to take a while).
    fresh.script("environment/prod", action="deploy", seconds=30)
    redeploy = proton.update_environment(name="prod", deploymentType="CURRENT_VERSION")
    assert redeploy["environment"]["deploymentStatus"] == "IN_PROGRESS"
    cancelling = proton.cancel_environment_deployment(environmentName="prod")
    assert cancelling["environment"]["deploymentStatus"] == "CANCELLING"

    # A self-managed style notification with outputs ends the next update.
    _wait_until(lambda: proton.get_environment(name="prod")["environment"], "CANCELLED")
    fresh.script("environment/prod", action="deploy", seconds=30)
    proton.update_environment(name="prod", deploymentType="CURRENT_VERSION")
    proton.notify_resource_deployment_status_change(
        resourceArn=env["arn"],
        status="SUCCEEDED",
        outputs=[{"key": "vpc", "valueString": "vpc-1"}],
    )
    assert proton.get_environment(name="prod")["environment"]["deploymentStatus"] == "SUCCEEDED"
    outputs = proton.list_environment_outputs(environmentName="prod")["outputs"]
    assert outputs == [{"key": "vpc", "valueString": "vpc-1"}]
    resources = proton.list_environment_provisioned_resources(environmentName="prod")
    assert resources["provisionedResources"] == []

    deployments = proton.list_deployments(environmentName="prod")["deployments"]
    assert [d["deploymentStatus"] for d in deployments] == ["SUCCEEDED", "CANCELLED", "SUCCEEDED"]
    first = proton.get_deployment(id=deployments[-1]["id"])["deployment"]
    assert first["targetResourceType"] == "ENVIRONMENT"
    assert first["targetState"]["environment"]["templateName"] == "base"
    removed = proton.delete_deployment(id=first["id"])["deployment"]
    assert removed["id"] == first["id"]
    with pytest.raises(proton.exceptions.ResourceNotFoundException):
        proton.get_deployment(id=first["id"])

    gone = proton.delete_environment(name="prod")["environment"]
    assert gone["deploymentStatus"] == "DELETE_IN_PROGRESS"


def _wait_until(get: Callable[[], dict[str, Any]], status: str) -> None:
    """Poll until a resource's deploymentStatus is ``status`` (no waiter waits for it)."""
    for _ in range(100):
        if get()["deploymentStatus"] == status:
            return
        time.sleep(FAST["Delay"])
    raise AssertionError(f"never reached {status}: {get()}")


def test_services_instances_and_pipelines(proton: Any, fresh: Control) -> None:
    env_template(proton)
    service_template(proton)
    environment(proton)
    settings = proton.update_account_settings(pipelineServiceRoleArn=ROLE)["accountSettings"]
    assert settings["pipelineServiceRoleArn"] == ROLE
    created = service(proton, "api", (("api-one", "prod"),), wait=False)
    assert created["status"] == "CREATE_IN_PROGRESS"
    proton.get_waiter("service_created").wait(name="api", WaiterConfig=FAST)
    api = proton.get_service(name="api")["service"]
    assert api["status"] == "ACTIVE"
    assert api["pipeline"]["deploymentStatus"] == "SUCCEEDED"
    assert [s["name"] for s in proton.list_services()["services"]] == ["api"]

    instance = proton.get_service_instance(serviceName="api", name="api-one")["serviceInstance"]
    assert instance["environmentName"] == "prod"
    listed = proton.list_service_instances(serviceName="api")["serviceInstances"]
    assert [i["name"] for i in listed] == ["api-one"]

    both = service_spec(("api-one", "prod"), ("api-two", "prod"))
    updating = proton.update_service(name="api", spec=both)["service"]
    assert updating["status"] == "UPDATE_IN_PROGRESS"
    proton.get_waiter("service_updated").wait(name="api", WaiterConfig=FAST)
    described = proton.update_service(name="api", description="the api")["service"]
    assert described["description"] == "the api"

    added = proton.create_service_instance(
        serviceName="api",
        name="api-three",
        spec="proton: ServiceSpec\ninstances:\n  - name: api-three\n    environment: prod\n",
    )["serviceInstance"]
    assert added["deploymentStatus"] == "IN_PROGRESS"
    proton.get_waiter("service_instance_deployed").wait(
        serviceName="api", name="api-three", WaiterConfig=FAST
    )

    fresh.script("service/api/service-instance/api-one", action="deploy", seconds=30)
    redeploy = proton.update_service_instance(
        serviceName="api", name="api-one", deploymentType="CURRENT_VERSION"
    )["serviceInstance"]
    assert redeploy["deploymentStatus"] == "IN_PROGRESS"
    cancelled = proton.cancel_service_instance_deployment(
        serviceName="api", serviceInstanceName="api-one"
    )["serviceInstance"]
    assert cancelled["deploymentStatus"] == "CANCELLING"

    fresh.script("service/api/pipeline", action="deploy", seconds=30)
    pipeline = proton.update_service_pipeline(
        serviceName="api", deploymentType="CURRENT_VERSION", spec=both
    )["pipeline"]
    assert pipeline["deploymentStatus"] == "IN_PROGRESS"
    stopping = proton.cancel_service_pipeline_deployment(serviceName="api")["pipeline"]
    assert stopping["deploymentStatus"] == "CANCELLING"

    outputs = proton.list_service_instance_outputs(
        serviceName="api", serviceInstanceName="api-one"
    )["outputs"]
    assert outputs == []
    assert proton.list_service_pipeline_outputs(serviceName="api")["outputs"] == []
    instance_resources = proton.list_service_instance_provisioned_resources(
        serviceName="api", serviceInstanceName="api-one"
    )
    assert instance_resources["provisionedResources"] == []
    pipeline_resources = proton.list_service_pipeline_provisioned_resources(serviceName="api")
    assert pipeline_resources["provisionedResources"] == []

    summary = proton.get_resources_summary()["counts"]
    assert summary["services"]["total"] == 1
    assert summary["serviceInstances"]["total"] == 3
    assert summary["environments"]["total"] == 1


def test_components(proton: Any, fresh: Control) -> None:
    world(proton)
    proton.update_service(name="api", spec=service_spec(("i1", "prod"), ("i2", "prod")))
    proton.get_waiter("service_updated").wait(name="api", WaiterConfig=FAST)
    component = proton.create_component(
        name="cache",
        serviceName="api",
        serviceInstanceName="i2",
        manifest=MANIFEST,
        templateFile=TEMPLATE_FILE,
    )["component"]
    assert component["environmentName"] == "prod"
    assert component["deploymentStatus"] == "IN_PROGRESS"
    proton.get_waiter("component_deployed").wait(name="cache", WaiterConfig=FAST)
    assert proton.get_component(name="cache")["component"]["deploymentStatus"] == "SUCCEEDED"
    assert [c["name"] for c in proton.list_components()["components"]] == ["cache"]
    described = proton.update_component(name="cache", deploymentType="NONE", description="redis")
    assert described["component"]["description"] == "redis"

    fresh.script("component/cache", action="deploy", seconds=30)
    proton.update_component(name="cache", deploymentType="CURRENT_VERSION")
    cancelling = proton.cancel_component_deployment(componentName="cache")["component"]
    assert cancelling["deploymentStatus"] == "CANCELLING"
    _wait_until(lambda: proton.get_component(name="cache")["component"], "CANCELLED")
    assert proton.list_component_outputs(componentName="cache")["outputs"] == []
    resources = proton.list_component_provisioned_resources(componentName="cache")
    assert resources["provisionedResources"] == []

    # Only a detached component can be deleted: detach it first.
    proton.update_component(
        name="cache", deploymentType="CURRENT_VERSION", serviceName="", serviceInstanceName=""
    )
    proton.get_waiter("component_deployed").wait(name="cache", WaiterConfig=FAST)
    assert "serviceName" not in proton.get_component(name="cache")["component"]
    deleting = proton.delete_component(name="cache")
    assert deleting["component"]["deploymentStatus"] == "DELETE_IN_PROGRESS"
    proton.get_waiter("component_deleted").wait(name="cache", WaiterConfig=FAST)
    with pytest.raises(proton.exceptions.ResourceNotFoundException):
        proton.get_component(name="cache")

    deleting_service = proton.delete_service(name="api")["service"]
    assert deleting_service["status"] == "DELETE_IN_PROGRESS"
    proton.get_waiter("service_deleted").wait(name="api", WaiterConfig=FAST)
    assert proton.list_services()["services"] == []


def test_account_settings_and_tags(proton: Any, fresh: Control) -> None:
    settings = proton.get_account_settings()["accountSettings"]
    assert "pipelineServiceRoleArn" not in settings
    changed = proton.update_account_settings(pipelineServiceRoleArn=ROLE)["accountSettings"]
    assert changed["pipelineServiceRoleArn"] == ROLE
    assert proton.get_account_settings()["accountSettings"]["pipelineServiceRoleArn"] == ROLE

    template = proton.create_environment_template(name="tagged")["environmentTemplate"]
    tagged = proton.tag_resource(resourceArn=template["arn"], tags=[{"key": "tier", "value": "1"}])
    assert tagged["ResponseMetadata"]["HTTPStatusCode"] == 200
    tags = proton.list_tags_for_resource(resourceArn=template["arn"])["tags"]
    assert tags == [{"key": "tier", "value": "1"}]
    proton.untag_resource(resourceArn=template["arn"], tagKeys=["tier"])
    assert proton.list_tags_for_resource(resourceArn=template["arn"])["tags"] == []


def test_environment_account_connections_across_accounts(
    proton: Any, other_account: Any, fresh: Control
) -> None:
    """The environment account asks; the management account (``proton``) decides."""
    requested = other_account.create_environment_account_connection(
        environmentName="staging",
        managementAccountId=ACCOUNT,
        roleArn=OTHER_ROLE,
    )["environmentAccountConnection"]
    assert requested["status"] == "PENDING"
    assert requested["environmentAccountId"] == OTHER_ACCOUNT
    assert requested["arn"].startswith(f"arn:aws:proton:us-east-1:{OTHER_ACCOUNT}:")
    connection_id = requested["id"]

    fetched = proton.get_environment_account_connection(id=connection_id)
    assert fetched["environmentAccountConnection"]["environmentName"] == "staging"
    listed = proton.list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT")
    assert [c["id"] for c in listed["environmentAccountConnections"]] == [connection_id]
    with pytest.raises(other_account.exceptions.AccessDeniedException) as denied:
        other_account.accept_environment_account_connection(id=connection_id)
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    accepted = proton.accept_environment_account_connection(id=connection_id)
    assert accepted["environmentAccountConnection"]["status"] == "CONNECTED"
    updated = other_account.update_environment_account_connection(
        id=connection_id, componentRoleArn=COMPONENT_ROLE
    )
    assert updated["environmentAccountConnection"]["componentRoleArn"] == COMPONENT_ROLE
    rejected = proton.reject_environment_account_connection(id=connection_id)
    assert rejected["environmentAccountConnection"]["status"] == "REJECTED"
    deleted = other_account.delete_environment_account_connection(id=connection_id)
    assert deleted["environmentAccountConnection"]["id"] == connection_id


def test_repositories_and_template_sync(proton: Any, fresh: Control) -> None:
    repository = proton.create_repository(
        name="org/templates", provider="GITHUB", connectionArn=CONNECTION_ARN
    )["repository"]
    assert repository["arn"].endswith(":repository/github:org/templates")
    fetched = proton.get_repository(name="org/templates", provider="GITHUB")["repository"]
    assert fetched["connectionArn"] == CONNECTION_ARN
    assert [r["name"] for r in proton.list_repositories()["repositories"]] == ["org/templates"]

    env_template(proton)
    sync = proton.create_template_sync_config(
        templateName="base",
        templateType="ENVIRONMENT",
        repositoryName="org/templates",
        repositoryProvider="GITHUB",
        branch="main",
    )["templateSyncConfig"]
    assert sync["branch"] == "main"
    got = proton.get_template_sync_config(templateName="base", templateType="ENVIRONMENT")
    assert got["templateSyncConfig"]["repositoryName"] == "org/templates"
    moved = proton.update_template_sync_config(
        templateName="base",
        templateType="ENVIRONMENT",
        repositoryName="org/templates",
        repositoryProvider="GITHUB",
        branch="release",
        subdirectory="base",
    )["templateSyncConfig"]
    assert moved["branch"] == "release"
    status = proton.get_template_sync_status(
        templateName="base", templateType="ENVIRONMENT", templateVersion="1"
    )
    assert status["ResponseMetadata"]["HTTPStatusCode"] == 200
    definitions = proton.list_repository_sync_definitions(
        repositoryName="org/templates", repositoryProvider="GITHUB", syncType="TEMPLATE_SYNC"
    )["syncDefinitions"]
    assert [(d["target"], d["branch"], d["directory"]) for d in definitions] == [
        ("base", "release", "base")
    ]
    repo_status = proton.get_repository_sync_status(
        repositoryName="org/templates",
        repositoryProvider="GITHUB",
        branch="release",
        syncType="TEMPLATE_SYNC",
    )
    assert repo_status["ResponseMetadata"]["HTTPStatusCode"] == 200
    removed = proton.delete_template_sync_config(templateName="base", templateType="ENVIRONMENT")
    assert removed["templateSyncConfig"]["templateName"] == "base"
    deleted = proton.delete_repository(name="org/templates", provider="GITHUB")
    assert deleted["repository"]["name"] == "org/templates"


def test_service_sync_and_blockers(proton: Any, fresh: Control) -> None:
    world(proton)
    proton.create_repository(name="org/api", provider="GITHUB", connectionArn=CONNECTION_ARN)
    created = proton.create_service_sync_config(
        serviceName="api",
        repositoryName="org/api",
        repositoryProvider="GITHUB",
        branch="main",
        filePath="proton/api.yaml",
    )["serviceSyncConfig"]
    assert created["filePath"] == "proton/api.yaml"
    assert proton.get_service_sync_config(serviceName="api")["serviceSyncConfig"]["branch"] == (
        "main"
    )
    moved = proton.update_service_sync_config(
        serviceName="api",
        repositoryName="org/api",
        repositoryProvider="GITHUB",
        branch="release",
        filePath="proton/api.yaml",
    )["serviceSyncConfig"]
    assert moved["branch"] == "release"
    status = proton.get_service_instance_sync_status(serviceName="api", serviceInstanceName="i1")
    assert status["ResponseMetadata"]["HTTPStatusCode"] == 200

    # A manual change to a synced service instance raises a sync blocker.
    proton.update_service_instance(serviceName="api", name="i1", deploymentType="CURRENT_VERSION")
    summary = proton.get_service_sync_blocker_summary(serviceName="api", serviceInstanceName="i1")
    blockers = summary["serviceSyncBlockerSummary"]["latestBlockers"]
    assert [b["status"] for b in blockers] == ["ACTIVE"]
    resolved = proton.update_service_sync_blocker(id=blockers[0]["id"], resolvedReason="fixed")
    assert resolved["serviceSyncBlocker"]["status"] == "RESOLVED"
    assert resolved["serviceName"] == "api"
    removed = proton.delete_service_sync_config(serviceName="api")["serviceSyncConfig"]
    assert removed["serviceName"] == "api"


def test_the_service_deletes_what_is_gone_idempotently(proton: Any, fresh: Control) -> None:
    """A second DeleteService of a finished delete answers an empty body, as Proton does."""
    world(proton)
    proton.delete_service(name="api")
    proton.get_waiter("service_deleted").wait(name="api", WaiterConfig=FAST)
    again = proton.delete_service(name="api")
    assert "service" not in again
    with pytest.raises(ClientError) as error:
        proton.delete_service(name="never-existed")
    assert _error_code(error) == "ResourceNotFoundException"
