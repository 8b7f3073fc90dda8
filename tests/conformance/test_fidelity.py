"""Three rules of the service, driven by boto3 against the emulator process.

``${Proton::CURRENT_VAL}`` keeps current values and is stored substituted (reference
§11, §7.5); a pipeline needs the account's pipeline role (§7.5); a pipeline deployment
that UpdateService started cannot be cancelled (§5.3, and the model documents
CancelServicePipelineDeployment for "an UpdateServicePipeline action").
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from ._support import (
    CONNECTION_ARN,
    FAST,
    Control,
    env_template,
    environment,
    service,
    service_spec,
    service_template,
    world,
)

pytestmark = pytest.mark.slow

KEEP = "'${Proton::CURRENT_VAL}'"


def _error(proton: Any, code: str, call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert type(caught.value) is getattr(proton.exceptions, code)
    message: str = caught.value.response["Error"]["Message"]
    return message


def _instances(spec: str) -> dict[str, Any]:
    return {item["name"]: item["spec"] for item in yaml.safe_load(spec)["instances"]}


def test_current_value_is_substituted_on_every_update(proton: Any, fresh: Control) -> None:
    world(proton)
    kept = (
        "proton: ServiceSpec\n"
        f"pipeline:\n  unit_tests: {KEEP}\n"
        "instances:\n"
        f"  - name: i1\n    environment: prod\n    spec:\n      port: {KEEP}\n"
        "  - name: i2\n    environment: prod\n    spec:\n      port: 81\n"
    )
    proton.update_service(name="api", spec=kept)
    proton.get_waiter("service_updated").wait(name="api", WaiterConfig=FAST)
    got = proton.get_service(name="api")["service"]
    assert _instances(got["spec"]) == {"i1": {"port": 80}, "i2": {"port": 81}}
    assert yaml.safe_load(got["pipeline"]["spec"])["pipeline"] == {"unit_tests": True}
    assert "CURRENT_VAL" not in got["spec"] + got["pipeline"]["spec"]

    # The values spelled out are what is stored, so this UpdateService keeps them.
    spelled = kept.replace(KEEP, "yes", 1).replace(KEEP, "80")
    proton.update_service(name="api", spec=spelled)
    proton.get_waiter("service_updated").wait(name="api", WaiterConfig=FAST)

    instance_spec = (
        "proton: ServiceSpec\ninstances:\n"
        f"  - name: i1\n    environment: prod\n    spec:\n      port: {KEEP}\n      debug: true\n"
    )
    proton.update_service_instance(
        serviceName="api", name="i1", deploymentType="CURRENT_VERSION", spec=instance_spec
    )
    proton.get_waiter("service_instance_deployed").wait(
        serviceName="api", name="i1", WaiterConfig=FAST
    )
    instance = proton.get_service_instance(serviceName="api", name="i1")["serviceInstance"]
    assert _instances(instance["spec"])["i1"] == {"port": 80, "debug": True}

    pipeline_spec = f"proton: ServiceSpec\npipeline:\n  unit_tests: {KEEP}\n  stage: beta\n"
    proton.update_service_pipeline(
        serviceName="api", deploymentType="CURRENT_VERSION", spec=pipeline_spec
    )
    proton.get_waiter("service_pipeline_deployed").wait(name="api", WaiterConfig=FAST)
    pipeline = proton.get_service(name="api")["service"]["pipeline"]
    assert yaml.safe_load(pipeline["spec"])["pipeline"] == {"unit_tests": True, "stage": "beta"}

    env_spec = f"proton: EnvironmentSpec\nspec:\n  vpc_cidr: {KEEP}\n  size: 2\n"
    proton.update_environment(name="prod", deploymentType="CURRENT_VERSION", spec=env_spec)
    proton.get_waiter("environment_deployed").wait(name="prod", WaiterConfig=FAST)
    env = proton.get_environment(name="prod")["environment"]
    assert yaml.safe_load(env["spec"])["spec"] == {"vpc_cidr": "10.0.0.0/16", "size": 2}


def test_current_value_without_a_current_value_is_refused(proton: Any, fresh: Control) -> None:
    world(proton)
    spec = service_spec(("i1", "prod")) + (
        f"  - name: i9\n    environment: prod\n    spec:\n      port: {KEEP}\n"
    )
    message = _error(proton, "ValidationException", proton.update_service, name="api", spec=spec)
    assert "i9" in message
    assert "spell the value out" in message


def test_a_pipeline_needs_the_accounts_pipeline_role(proton: Any, fresh: Control) -> None:
    env_template(proton)
    service_template(proton)
    environment(proton)
    proton.update_account_settings(pipelineServiceRoleArn="")
    assert proton.get_account_settings()["accountSettings"] == {}
    message = _error(
        proton,
        "ValidationException",
        proton.create_service,
        name="api",
        templateName="web",
        templateMajorVersion="1",
        spec=service_spec(("i1", "prod")),
        repositoryConnectionArn=CONNECTION_ARN,
        repositoryId="org/api",
        branchName="main",
    )
    assert "pipeline roles have been configured" in message
    assert "UpdateAccountSettings" in message
    with pytest.raises(proton.exceptions.ResourceNotFoundException):
        proton.get_service(name="api")

    # A CodeBuild role serves as well, and a template without a pipeline needs none.
    proton.update_account_settings(
        pipelineCodebuildRoleArn="arn:aws:iam::123456789012:role/proton-codebuild"
    )
    service(proton)
    proton.update_account_settings(pipelineCodebuildRoleArn="")
    service_template(proton, "worker", pipelineProvisioning="CUSTOMER_MANAGED")
    proton.update_account_settings(pipelineServiceRoleArn="")
    proton.create_service(
        name="jobs",
        templateName="worker",
        templateMajorVersion="1",
        spec=service_spec(("j1", "prod"), pipeline=False),
    )
    proton.get_waiter("service_created").wait(name="jobs", WaiterConfig=FAST)


def test_cancel_refuses_a_pipeline_deployment_of_update_service(
    proton: Any, fresh: Control
) -> None:
    world(proton)
    fresh.script("service/api/pipeline", action="deploy", seconds=3600)
    proton.update_service(name="api", spec=service_spec(("i1", "prod"), ("i2", "prod")))
    pipeline = proton.get_service(name="api")["service"]["pipeline"]
    assert pipeline["deploymentStatus"] == "IN_PROGRESS"
    with pytest.raises(proton.exceptions.ConflictException) as caught:
        proton.cancel_service_pipeline_deployment(serviceName="api")
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert "UpdateServicePipeline" in response["Error"]["Message"]
    service_now = proton.get_service(name="api")["service"]
    assert service_now["status"] == "UPDATE_IN_PROGRESS"
    assert service_now["pipeline"]["deploymentStatus"] == "IN_PROGRESS"


def test_cancel_accepts_an_update_service_pipeline_deployment(proton: Any, fresh: Control) -> None:
    world(proton)
    fresh.script("service/api/pipeline", action="deploy", seconds=3600)
    proton.update_service_pipeline(
        serviceName="api", deploymentType="CURRENT_VERSION", spec=service_spec(("i1", "prod"))
    )
    cancelled = proton.cancel_service_pipeline_deployment(serviceName="api")["pipeline"]
    assert cancelled["deploymentStatus"] == "CANCELLING"
