"""All 10 of botocore's Proton waiters, unmodified, reaching success and failure.

Failures are scripted through the control endpoint (``POST /_emulator/script``): the
next deploy, delete or registration of a resource ends FAILED with our message, and the
waiter must stop with a ``WaiterError`` naming the terminal state it matched.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import WaiterError

from ._support import (
    FAST,
    MANIFEST,
    SOURCE,
    TEMPLATE_FILE,
    Control,
    env_template,
    environment,
    service,
    service_spec,
    service_template,
)

pytestmark = pytest.mark.slow

WHY = "scripted by the conformance suite"


@pytest.fixture(scope="module", autouse=True)
def templates(proton: Any, control: Control) -> None:
    """Published templates ``base`` and ``web`` and environment ``prod``."""
    control.reset()
    env_template(proton)
    service_template(proton)
    environment(proton, "prod")


def _fails(proton: Any, waiter: str, expression: str, state: str, **params: Any) -> Any:
    """Wait for a failure; returns the last response the waiter saw."""
    with pytest.raises(WaiterError) as caught:
        proton.get_waiter(waiter).wait(**params, WaiterConfig=FAST)
    error = caught.value
    reason = (
        "Waiter encountered a terminal failure state: For expression "
        f'"{expression}" we matched expected path: "{state}"'
    )
    assert error.kwargs["reason"] == reason
    assert reason in str(error)
    return error.last_response


def _succeeds(proton: Any, waiter: str, **params: Any) -> None:
    assert proton.get_waiter(waiter).wait(**params, WaiterConfig=FAST) is None


# ---------------------------------------------------------------------- registration


@pytest.mark.parametrize("kind", ["environment", "service"])
def test_template_version_registered(proton: Any, kind: str) -> None:
    name = f"{kind}-registers"
    getattr(proton, f"create_{kind}_template")(name=name)
    extra: dict[str, Any] = {}
    if kind == "service":
        extra["compatibleEnvironmentTemplates"] = [{"templateName": "base", "majorVersion": "1"}]
    getattr(proton, f"create_{kind}_template_version")(templateName=name, source=SOURCE, **extra)
    waiter = f"{kind}_template_version_registered"
    _succeeds(proton, waiter, templateName=name, majorVersion="1", minorVersion="0")
    version = getattr(proton, f"get_{kind}_template_version")(
        templateName=name, majorVersion="1", minorVersion="0"
    )[f"{kind}TemplateVersion"]
    assert version["status"] == "DRAFT"


@pytest.mark.parametrize("kind", ["environment", "service"])
def test_template_version_registration_failed(proton: Any, control: Control, kind: str) -> None:
    name = f"{kind}-never-registers"
    getattr(proton, f"create_{kind}_template")(name=name)
    control.script(f"{kind}-template/{name}:*", action="register", outcome="fail", message=WHY)
    extra: dict[str, Any] = {}
    if kind == "service":
        extra["compatibleEnvironmentTemplates"] = [{"templateName": "base", "majorVersion": "1"}]
    getattr(proton, f"create_{kind}_template_version")(templateName=name, source=SOURCE, **extra)
    last = _fails(
        proton,
        f"{kind}_template_version_registered",
        f"{kind}TemplateVersion.status",
        "REGISTRATION_FAILED",
        templateName=name,
        majorVersion="1",
        minorVersion="0",
    )
    assert last[f"{kind}TemplateVersion"]["statusMessage"] == WHY


# ---------------------------------------------------------------------- environments


def test_environment_deployed(proton: Any) -> None:
    environment(proton, "env-deploys", wait=False)
    _succeeds(proton, "environment_deployed", name="env-deploys")


def test_environment_deployment_failed(proton: Any, control: Control) -> None:
    control.script("environment/env-fails", action="deploy", outcome="fail", message=WHY)
    environment(proton, "env-fails", wait=False)
    last = _fails(
        proton, "environment_deployed", "environment.deploymentStatus", "FAILED", name="env-fails"
    )
    assert last["environment"]["deploymentStatusMessage"] == WHY


def test_a_waiter_that_runs_out_of_attempts(proton: Any, control: Control) -> None:
    control.script("environment/env-slow", action="deploy", seconds=60)
    environment(proton, "env-slow", wait=False)
    with pytest.raises(WaiterError) as caught:
        proton.get_waiter("environment_deployed").wait(
            name="env-slow", WaiterConfig={"Delay": 0.05, "MaxAttempts": 3}
        )
    assert caught.value.kwargs["reason"] == "Max attempts exceeded"
    assert caught.value.last_response["environment"]["deploymentStatus"] == "IN_PROGRESS"


# ---------------------------------------------------------------------- services


def test_service_created_instance_and_pipeline_deployed(proton: Any) -> None:
    service(proton, "svc-creates", (("one", "prod"),), wait=False)
    _succeeds(proton, "service_instance_deployed", serviceName="svc-creates", name="one")
    _succeeds(proton, "service_pipeline_deployed", name="svc-creates")
    _succeeds(proton, "service_created", name="svc-creates")


def test_service_creation_failed(proton: Any, control: Control) -> None:
    control.script("service/svc-fails", action="deploy", outcome="fail", message=WHY)
    service(proton, "svc-fails", (("one", "prod"),), wait=False)
    last = _fails(proton, "service_created", "service.status", "CREATE_FAILED", name="svc-fails")
    assert last["service"]["statusMessage"] == WHY


def test_service_instance_deployment_failed(proton: Any, control: Control) -> None:
    control.script(
        "service/inst-fails/service-instance/one", action="deploy", outcome="fail", message=WHY
    )
    service(proton, "inst-fails", (("one", "prod"),), wait=False)
    last = _fails(
        proton,
        "service_instance_deployed",
        "serviceInstance.deploymentStatus",
        "FAILED",
        serviceName="inst-fails",
        name="one",
    )
    assert last["serviceInstance"]["deploymentStatusMessage"] == WHY
    # The service's creation fails with it.
    _fails(proton, "service_created", "service.status", "CREATE_FAILED", name="inst-fails")


def test_service_pipeline_deployment_failed(proton: Any, control: Control) -> None:
    control.script("service/pipe-fails/pipeline", action="deploy", outcome="fail", message=WHY)
    service(proton, "pipe-fails", (("one", "prod"),), wait=False)
    last = _fails(
        proton,
        "service_pipeline_deployed",
        "service.pipeline.deploymentStatus",
        "FAILED",
        name="pipe-fails",
    )
    assert last["service"]["pipeline"]["deploymentStatusMessage"] == WHY


def test_service_updated(proton: Any) -> None:
    service(proton, "svc-updates", (("one", "prod"),))
    spec = service_spec(("one", "prod"), ("two", "prod"))
    assert proton.update_service(name="svc-updates", spec=spec)["service"]["status"] == (
        "UPDATE_IN_PROGRESS"
    )
    _succeeds(proton, "service_updated", name="svc-updates")
    instances = proton.list_service_instances(serviceName="svc-updates")["serviceInstances"]
    assert [i["name"] for i in instances] == ["one", "two"]


def test_service_update_failed(proton: Any, control: Control) -> None:
    service(proton, "upd-fails", (("one", "prod"),))
    control.script("service/upd-fails", action="deploy", outcome="fail", message=WHY)
    proton.update_service(name="upd-fails", spec=service_spec(("one", "prod"), ("two", "prod")))
    last = _fails(proton, "service_updated", "service.status", "UPDATE_FAILED", name="upd-fails")
    assert last["service"]["statusMessage"] == WHY


def test_service_deleted(proton: Any) -> None:
    service(proton, "svc-deletes", (("one", "prod"),))
    proton.delete_service(name="svc-deletes")
    _succeeds(proton, "service_deleted", name="svc-deletes")
    with pytest.raises(proton.exceptions.ResourceNotFoundException):
        proton.get_service(name="svc-deletes")


def test_service_deletion_failed(proton: Any, control: Control) -> None:
    service(proton, "del-fails", (("one", "prod"),))
    control.script("service/del-fails", action="delete", outcome="fail", message=WHY)
    proton.delete_service(name="del-fails")
    last = _fails(proton, "service_deleted", "service.status", "DELETE_FAILED", name="del-fails")
    assert last["service"]["statusMessage"] == WHY


# ---------------------------------------------------------------------- components


def _component(proton: Any, name: str) -> None:
    created = proton.create_component(
        name=name, environmentName="prod", manifest=MANIFEST, templateFile=TEMPLATE_FILE
    )
    assert created["component"]["deploymentStatus"] == "IN_PROGRESS"


def test_component_deployed_and_deleted(proton: Any) -> None:
    _component(proton, "comp-lives")
    _succeeds(proton, "component_deployed", name="comp-lives")
    proton.delete_component(name="comp-lives")
    _succeeds(proton, "component_deleted", name="comp-lives")
    with pytest.raises(proton.exceptions.ResourceNotFoundException):
        proton.get_component(name="comp-lives")


def test_component_deployment_failed(proton: Any, control: Control) -> None:
    control.script("component/comp-fails", action="deploy", outcome="fail", message=WHY)
    _component(proton, "comp-fails")
    last = _fails(
        proton, "component_deployed", "component.deploymentStatus", "FAILED", name="comp-fails"
    )
    assert last["component"]["deploymentStatusMessage"] == WHY


def test_component_deletion_failed(proton: Any, control: Control) -> None:
    _component(proton, "comp-stays")
    _succeeds(proton, "component_deployed", name="comp-stays")
    control.script("component/comp-stays", action="delete", outcome="fail", message=WHY)
    proton.delete_component(name="comp-stays")
    last = _fails(
        proton,
        "component_deleted",
        "component.deploymentStatus",
        "DELETE_FAILED",
        name="comp-stays",
    )
    assert last["component"]["deploymentStatusMessage"] == WHY


def test_every_waiter_is_exercised(proton: Any) -> None:
    exercised = {
        "component_deleted",
        "component_deployed",
        "environment_deployed",
        "environment_template_version_registered",
        "service_created",
        "service_deleted",
        "service_instance_deployed",
        "service_pipeline_deployed",
        "service_template_version_registered",
        "service_updated",
    }
    assert set(proton.waiter_names) == exercised
