"""Template sync round trip, set up through boto3: a commit to a local git repository
registers a new template version, which a rollout deploys to the service instances.

It runs against an emulator process started with ``--git-root`` and against an
in-process emulator (``EmulatorThread(git_root=...)``); the git repository is made in
the test with ``git init`` and committed to by the ``git`` command.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from aioproton import ProtonClient
from aioproton.testing import EmulatorThread
from aioproton.workflow import Rollout, RolloutStatus

from ..emulator.gitrepo import (
    SERVICE_SCHEMA_V11,
    commit,
    environment_template,
    init,
    service_template,
)
from ._support import (
    ACCESS_KEY,
    CONNECTION_ARN,
    DEPLOY_SECONDS,
    FAST,
    REGION,
    ROLE,
    SECRET_KEY,
    Control,
    ResponseChecker,
    make_client,
    service_spec,
    start_emulator,
)

pytestmark = pytest.mark.slow

REPO = "org/templates"


@pytest.fixture(params=["process", "in-process"])
def endpoint(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An emulator reading linked repositories from a git root: (URL, repository)."""
    root = tmp_path / "git"
    repo = init(root / "github" / "org" / "templates")
    if request.param == "process":
        with start_emulator(
            tmp_path / "stderr",
            "--deploy-seconds",
            str(DEPLOY_SECONDS),
            "--check-responses",
            "--git-root",
            str(root),
        ) as child:
            yield child.url, repo
            assert child.stop() == 0
        assert "Traceback" not in (tmp_path / "stderr").read_text()
    else:
        with EmulatorThread(
            git_root=root, deploy_seconds=DEPLOY_SECONDS, check_responses=True
        ) as thread:
            yield thread.emulator.endpoint_url, repo


def synced_version(proton: Any, template: str, kind: str, sha: str) -> dict[str, Any]:
    """Wait until the sync of commit ``sha`` has ended; its latest attempt."""
    deadline = time.monotonic() + 30
    while True:
        status = proton.get_template_sync_status(
            templateName=template, templateType=kind, templateVersion="1"
        )
        latest = status.get("latestSync")
        if latest and latest["targetRevision"]["sha"] == sha and latest["status"] != "IN_PROGRESS":
            result: dict[str, Any] = latest
            return result
        assert time.monotonic() < deadline, status
        time.sleep(0.1)


def publish(proton: Any, kind: str, template: str, minor: str) -> None:
    getattr(proton, f"update_{kind}_template_version")(
        templateName=template, majorVersion="1", minorVersion=minor, status="PUBLISHED"
    )


async def rollout(url: str, template: str, version: str) -> Any:
    async with ProtonClient(
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    ) as client:
        return await Rollout(client, service_template=template, version=version).run()


def test_a_commit_registers_a_version_that_a_rollout_deploys(endpoint: tuple[str, Path]) -> None:
    url, repo = endpoint
    checker = ResponseChecker()
    proton = make_client(url)
    checker.attach(proton)
    first = commit(
        repo,
        {**environment_template("base/v1"), **service_template("web/v1")},
        "templates",
    )
    proton.create_repository(name=REPO, provider="GITHUB", connectionArn=CONNECTION_ARN)
    proton.create_environment_template(name="base")
    proton.create_service_template(name="web", pipelineProvisioning="CUSTOMER_MANAGED")
    for template, kind in (("base", "ENVIRONMENT"), ("web", "SERVICE")):
        proton.create_template_sync_config(
            templateName=template,
            templateType=kind,
            repositoryName=REPO,
            repositoryProvider="GITHUB",
            branch="main",
        )
        assert synced_version(proton, template, kind, first)["status"] == "SUCCEEDED"
    publish(proton, "environment", "base", "0")
    publish(proton, "service", "web", "0")
    proton.create_environment(
        name="prod",
        templateName="base",
        templateMajorVersion="1",
        spec="proton: EnvironmentSpec\nspec:\n  size: large\n",
        protonServiceRoleArn=ROLE,
    )
    proton.get_waiter("environment_deployed").wait(name="prod", WaiterConfig=FAST)
    proton.create_service(
        name="api",
        templateName="web",
        templateMajorVersion="1",
        spec=service_spec(("i1", "prod"), ("i2", "prod"), pipeline=False),
    )
    proton.get_waiter("service_created").wait(name="api", WaiterConfig=FAST)

    second = commit(repo, service_template("web/v1", SERVICE_SCHEMA_V11), "web: an image input")
    Control(url).call("POST", "sync")
    attempt = synced_version(proton, "web", "SERVICE", second)
    assert attempt["status"] == "SUCCEEDED"
    assert attempt["initialRevision"]["sha"] == first
    assert attempt["targetRevision"] == {
        "repositoryName": REPO,
        "repositoryProvider": "GITHUB",
        "branch": "main",
        "directory": "web/v1",
        "sha": second,
    }
    version = proton.get_service_template_version(
        templateName="web", majorVersion="1", minorVersion="1"
    )["serviceTemplateVersion"]
    assert version["status"] == "DRAFT"
    assert "image" in version["schema"]
    publish(proton, "service", "web", "1")

    report = anyio.run(rollout, url, "web", "1.1")
    assert report.count(RolloutStatus.UPDATED) == 2, report
    for name in ("i1", "i2"):
        instance = proton.get_service_instance(serviceName="api", name=name)["serviceInstance"]
        assert (instance["templateMajorVersion"], instance["templateMinorVersion"]) == ("1", "1")
        assert instance["deploymentStatus"] == "SUCCEEDED"

    repository = proton.get_repository_sync_status(
        repositoryName=REPO, repositoryProvider="GITHUB", branch="main", syncType="TEMPLATE_SYNC"
    )["latestSync"]
    assert repository["status"] == "SUCCEEDED"
    assert [e["type"] for e in repository["events"]] == ["CLONE_STARTED", "STARTING_SYNC"]

    third = commit(repo, {"web/v1/instance_infrastructure/manifest.yaml": None}, "web: broken")
    Control(url).call("POST", "sync")
    failed = synced_version(proton, "web", "SERVICE", third)
    assert failed["status"] == "FAILED"
    assert "no instance_infrastructure/manifest.yaml" in failed["events"][-1]["event"]
    status = proton.get_template_sync_status(
        templateName="web", templateType="SERVICE", templateVersion="1"
    )
    assert status["latestSuccessfulSync"]["targetRevision"]["sha"] == second
    proton.close()
    assert checker.violations == []
