"""The AWS CLI, unmodified, against the emulator: a handful of real ``aws proton`` runs.

Each run is a subprocess with ``--endpoint-url``, dummy credentials in its environment
and empty config and credentials files, so nothing from the user's ``~/.aws`` leaks in.
The emulator checks its own responses (``--check-responses``), so a CLI run that gets
a 200 got a response that matches the model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ._support import ACCOUNT, REGION, Control, EmulatorProcess

AWS = Path(sys.executable).parent / "aws"
BUNDLE = '{"s3": {"bucket": "proton-bundles", "key": "bundle.tar.gz"}}'

Aws = Callable[..., subprocess.CompletedProcess[str]]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cli_environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("aws-cli")
    config = home / "config"
    credentials = home / "credentials"
    config.write_text("")
    credentials.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        AWS_ACCESS_KEY_ID="AKIDAWSCLI0000000000",
        AWS_SECRET_ACCESS_KEY="aws-cli-secret",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@pytest.fixture
def aws(emulator: EmulatorProcess, cli_environment: dict[str, str], fresh: Control) -> Aws:
    """``aws proton ARGS --endpoint-url URL --output json`` on a fresh emulator."""
    assert AWS.is_file(), f"the AWS CLI is not installed next to {sys.executable}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(AWS), "proton", *args]
        command += ["--endpoint-url", emulator.url, "--output", "json"]
        return subprocess.run(
            command, env=cli_environment, capture_output=True, text=True, timeout=60, check=False
        )

    return run


def _ok(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.fixture(autouse=True)
def _every_cli_request_answered(control: Control) -> Iterator[None]:
    """No CLI request may meet a 5xx: with --check-responses, a bad response is a 500."""
    start = max((r.sequence for r in control.requests()), default=0)
    yield
    statuses = [r.status for r in control.requests() if r.sequence > start]
    assert statuses
    assert [s for s in statuses if not isinstance(s, int) or s >= 500] == []


@pytest.fixture
def cli_requests(control: Control) -> Callable[[str], list[int | str]]:
    """The statuses of the requests for an operation made since the test started."""
    start = max((r.sequence for r in control.requests()), default=0)

    def statuses(operation: str) -> list[int | str]:
        return [
            r.status for r in control.requests() if r.sequence > start and r.operation == operation
        ]

    return statuses


def test_create_get_and_list(aws: Aws, proton: Any) -> None:
    created = _ok(
        aws(
            "create-environment-template",
            "--name",
            "cli-base",
            "--display-name",
            "From the CLI",
            "--tags",
            "key=team,value=cli",
        )
    )["environmentTemplate"]
    assert created["arn"] == f"arn:aws:proton:{REGION}:{ACCOUNT}:environment-template/cli-base"
    assert created["displayName"] == "From the CLI"
    assert isinstance(created["createdAt"], float)

    fetched = _ok(aws("get-environment-template", "--name", "cli-base"))["environmentTemplate"]
    assert fetched == created
    listed = _ok(aws("list-environment-templates"))["templates"]
    assert [t["name"] for t in listed] == ["cli-base"]
    # What the CLI made, boto3 sees.
    tags = proton.list_tags_for_resource(resourceArn=created["arn"])["tags"]
    assert tags == [{"key": "team", "value": "cli"}]


def test_a_service_error(aws: Aws, cli_requests: Callable[[str], list[int | str]]) -> None:
    done = aws("get-environment-template", "--name", "missing")
    # AWS CLI v1 exits 255 on a service error (v2 exits 254).
    assert done.returncode == 255
    assert done.stdout == ""
    assert "An error occurred (ResourceNotFoundException) when calling the " in done.stderr
    assert "GetEnvironmentTemplate operation" in done.stderr
    assert cli_requests("GetEnvironmentTemplate") == [404]


def test_auto_pagination_and_resumption(
    aws: Aws, proton: Any, cli_requests: Callable[[str], list[int | str]]
) -> None:
    names = [f"tpl-{n}" for n in range(5)]
    for name in names:
        proton.create_environment_template(name=name)

    everything = _ok(aws("list-environment-templates", "--page-size", "2"))
    assert [t["name"] for t in everything["templates"]] == names
    assert "nextToken" not in everything
    assert cli_requests("ListEnvironmentTemplates") == [200, 200, 200]

    first = _ok(aws("list-environment-templates", "--page-size", "2", "--max-items", "3"))
    assert [t["name"] for t in first["templates"]] == names[:3]
    rest = _ok(
        aws(
            "list-environment-templates",
            "--page-size",
            "2",
            "--starting-token",
            first["NextToken"],
        )
    )
    assert [t["name"] for t in rest["templates"]] == names[3:]
    assert "NextToken" not in rest


def test_waiting_for_a_registration(
    aws: Aws, control: Control, cli_requests: Callable[[str], list[int | str]]
) -> None:
    _ok(aws("create-environment-template", "--name", "cli-waits"))
    # Longer than the CLI takes to start, even on a loaded machine, so its waiter (2 s
    # between polls, from the model) finds the version still registering and polls again.
    control.script("environment-template/cli-waits:1.0", action="register", seconds=8.0)
    version = _ok(
        aws(
            "create-environment-template-version",
            "--template-name",
            "cli-waits",
            "--source",
            BUNDLE,
        )
    )["environmentTemplateVersion"]
    assert version["status"] == "REGISTRATION_IN_PROGRESS"
    done = aws(
        "wait",
        "environment-template-version-registered",
        "--template-name",
        "cli-waits",
        "--major-version",
        "1",
        "--minor-version",
        "0",
    )
    assert _ok(done) is None
    polls = cli_requests("GetEnvironmentTemplateVersion")
    assert len(polls) >= 2
    assert set(polls) == {200}
    got = _ok(
        aws(
            "get-environment-template-version",
            "--template-name",
            "cli-waits",
            "--major-version",
            "1",
            "--minor-version",
            "0",
        )
    )
    assert got["environmentTemplateVersion"]["status"] == "DRAFT"


def test_a_waiter_failure(aws: Aws, control: Control) -> None:
    _ok(aws("create-environment-template", "--name", "cli-fails"))
    control.script(
        "environment-template/cli-fails:*", action="register", outcome="fail", message="no schema"
    )
    _ok(
        aws(
            "create-environment-template-version",
            "--template-name",
            "cli-fails",
            "--source",
            BUNDLE,
        )
    )
    done = aws(
        "wait",
        "environment-template-version-registered",
        "--template-name",
        "cli-fails",
        "--major-version",
        "1",
        "--minor-version",
        "0",
    )
    assert done.returncode == 255
    assert "Waiter EnvironmentTemplateVersionRegistered failed: Waiter encountered a terminal" in (
        done.stderr
    )
    assert '"REGISTRATION_FAILED"' in done.stderr
