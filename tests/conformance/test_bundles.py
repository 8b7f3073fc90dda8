"""Real template bundles, registered through boto3, and specs checked against their schema.

One emulator process reads bundles from ``--bundle-root``; the session's emulator gets
one through the control endpoint (``PUT /_emulator/bundles``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from ..emulator.bundles import ENV_SCHEMA, SERVICE_SCHEMA, environment_files, put, service_files
from ..emulator.bundles import tarball as make_tarball
from ._support import (
    COMPONENT_ROLE,
    CONNECTION_ARN,
    DEPLOY_SECONDS,
    FAST,
    PIPELINE_ROLE,
    ROLE,
    Control,
    ControlError,
    ResponseChecker,
    make_client,
    start_emulator,
)

pytestmark = pytest.mark.slow

BUCKET = "proton-bundles"
GOOD_SPEC = (
    "proton: ServiceSpec\npipeline:\n  unit_tests: false\n"
    "instances:\n  - name: i1\n    environment: prod\n    spec:\n      port: 8080\n"
)


@pytest.fixture(scope="module")
def rooted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A boto3 client of an emulator process that reads bundles from a bundle root.

    Its responses are checked by a checker of its own: the session's checker sums up
    the session's emulator (``test_summary``).
    """
    checker = ResponseChecker()
    root = tmp_path_factory.mktemp("bundles")
    put(root, BUCKET, "env/v1.tar.gz", make_tarball(environment_files()))
    put(root, BUCKET, "web/v1.tar.gz", make_tarball(service_files()))
    broken = dict(service_files())
    del broken["instance_infrastructure/manifest.yaml"]
    put(root, BUCKET, "web/broken.tar.gz", make_tarball(broken))
    stderr = tmp_path_factory.mktemp("bundles-emulator") / "stderr"
    with start_emulator(
        stderr,
        "--deploy-seconds",
        str(DEPLOY_SECONDS),
        "--check-responses",
        "--bundle-root",
        str(root),
    ) as child:
        client = make_client(child.url)
        checker.attach(client)
        yield client
        client.close()
        assert child.stop() == 0
    assert checker.exchanges
    assert checker.violations == []
    assert "Traceback" not in stderr.read_text()


def _register(proton: Any, kind: str, name: str, key: str, **extra: Any) -> dict[str, Any]:
    created = getattr(proton, f"create_{kind}_template_version")(
        templateName=name, source={"s3": {"bucket": BUCKET, "key": key}}, **extra
    )[f"{kind}TemplateVersion"]
    number = {"majorVersion": created["majorVersion"], "minorVersion": created["minorVersion"]}
    waiter = proton.get_waiter(f"{kind}_template_version_registered")
    try:
        waiter.wait(templateName=name, **number, WaiterConfig=FAST)
    except WaiterError:  # a failed registration ends the waiter; the version tells why
        pass
    got: dict[str, Any] = getattr(proton, f"get_{kind}_template_version")(
        templateName=name, **number
    )[f"{kind}TemplateVersion"]
    return got


def _world(proton: Any) -> None:
    proton.create_environment_template(name="base")
    env = _register(proton, "environment", "base", "env/v1.tar.gz")
    assert env["status"] == "DRAFT"
    assert env["schema"] == ENV_SCHEMA
    proton.update_environment_template_version(
        templateName="base", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    proton.create_service_template(name="web")
    web = _register(
        proton,
        "service",
        "web",
        "web/v1.tar.gz",
        compatibleEnvironmentTemplates=[{"templateName": "base", "majorVersion": "1"}],
    )
    assert web["schema"] == SERVICE_SCHEMA
    proton.update_service_template_version(
        templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    proton.update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE)
    proton.create_environment(
        name="prod",
        templateName="base",
        templateMajorVersion="1",
        spec="proton: EnvironmentSpec\nspec:\n  size: large\n",
        protonServiceRoleArn=ROLE,
        componentRoleArn=COMPONENT_ROLE,
    )
    proton.get_waiter("environment_deployed").wait(name="prod", WaiterConfig=FAST)


def _create_service(proton: Any, spec: str) -> None:
    proton.create_service(
        name="api",
        templateName="web",
        templateMajorVersion="1",
        spec=spec,
        repositoryConnectionArn=CONNECTION_ARN,
        repositoryId="org/api",
        branchName="main",
    )


def test_a_misspelt_input_is_refused_and_a_correct_spec_deploys(rooted: Any) -> None:
    _world(rooted)
    with pytest.raises(ClientError) as caught:
        _create_service(rooted, GOOD_SPEC.replace("port:", "prot:"))
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "'prot' is not an input of ServiceInputs" in error["Error"]["Message"]
    assert "did you mean 'port'" in error["Error"]["Message"]
    with pytest.raises(rooted.exceptions.ResourceNotFoundException):
        rooted.get_service(name="api")

    _create_service(rooted, GOOD_SPEC)
    rooted.get_waiter("service_created").wait(name="api", WaiterConfig=FAST)
    service = rooted.get_service(name="api")["service"]
    assert service["status"] == "ACTIVE"
    assert service["pipeline"]["deploymentStatus"] == "SUCCEEDED"


def test_a_broken_bundle_ends_in_registration_failed(rooted: Any) -> None:
    broken = _register(
        rooted,
        "service",
        "web",
        "web/broken.tar.gz",
        compatibleEnvironmentTemplates=[{"templateName": "base", "majorVersion": "1"}],
    )
    assert broken["status"] == "REGISTRATION_FAILED"
    assert "no instance_infrastructure/manifest.yaml" in broken["statusMessage"]


def test_a_bundle_registered_through_the_control_endpoint(
    proton: Any, fresh: Control, tmp_path: Path
) -> None:
    data = make_tarball(environment_files())
    answer = fresh.call(
        "PUT",
        "bundles",
        {"bucket": BUCKET, "key": "ctl/env.tar.gz", "content": base64.b64encode(data).decode()},
    )
    assert answer == {"bucket": BUCKET, "key": "ctl/env.tar.gz", "size": len(data)}
    proton.create_environment_template(name="ctl")
    version = _register(proton, "environment", "ctl", "ctl/env.tar.gz")
    assert version["schema"] == ENV_SCHEMA
    for body in ({"bucket": BUCKET}, {"bucket": BUCKET, "key": "k", "content": "%%%"}):
        with pytest.raises(ControlError, match="400"):
            fresh.call("PUT", "bundles", body)
