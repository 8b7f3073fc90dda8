"""``mock_proton()``: code that names no endpoint nor credentials runs against an emulator.

The scripts below are plain boto3, aiobotocore and aioproton code as a user writes it
for AWS: none mentions an endpoint, a key or a region. They run in-process under the
decorator and the context managers, and the boto3 one also as a child process that
inherits the mocked environment.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import aiobotocore.session
import anyio
import boto3
import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.errors import ConfigurationError
from aioproton.testing import EmulatorThread, mock_proton
from aioproton.testing._mock import REMOVED

SPEC = "proton: EnvironmentSpec\nspec: {}\n"
ROLE = "arn:aws:iam::123456789012:role/proton-service"

BOTO3_SCRIPT = f"""
import boto3

proton = boto3.client("proton")
try:
    proton.create_environment_template(name="base", displayName="Base")
    proton.create_environment_template_version(
        templateName="base", source={{"s3": {{"bucket": "bundles", "key": "base.tar.gz"}}}}
    )
    proton.get_waiter("environment_template_version_registered").wait(
        templateName="base", majorVersion="1", minorVersion="0"
    )
    proton.update_environment_template_version(
        templateName="base", majorVersion="1", minorVersion="0", status="PUBLISHED"
    )
    proton.create_environment(
        name="dev", templateName="base", templateMajorVersion="1",
        spec={SPEC!r}, protonServiceRoleArn={ROLE!r},
    )
    proton.get_waiter("environment_deployed").wait(name="dev")
    environment = proton.get_environment(name="dev")["environment"]
    print(environment["name"], environment["deploymentStatus"], environment["arn"])
finally:
    proton.close()
"""


def boto3_script() -> str:
    """The boto3 script, run in this process; what it printed."""
    namespace: dict[str, object] = {"print": lambda *a: printed.append(" ".join(a))}
    printed: list[str] = []
    exec(compile(BOTO3_SCRIPT, "boto3_script", "exec"), namespace)
    return printed[0]


async def aioproton_script() -> list[str]:
    async with aioproton.ProtonClient() as proton:
        await proton.create_environment_template(name="base", display_name="Base")
        with pytest.raises(aioproton.ResourceNotFoundError):
            await proton.get_environment_template(name="missing")
        return [t.name async for t in proton.paginate.list_environment_templates()]


async def aiobotocore_script() -> list[str]:
    session = aiobotocore.session.get_session()
    async with session.create_client("proton") as proton:
        await proton.create_environment_template(name="base")
        listed = await proton.list_environment_templates()
        return [t["name"] for t in listed["templates"]]


def _assert_deployed(line: str, region: str = "us-east-1") -> None:
    name, status, arn = line.split()
    assert (name, status) == ("dev", "SUCCEEDED")
    assert arn.startswith(f"arn:aws:proton:{region}:")


@mock_proton()
def test_an_unmodified_boto3_script_under_the_decorator() -> None:
    _assert_deployed(boto3_script())


def test_an_unmodified_boto3_script_in_a_child_process() -> None:
    with mock_proton(region="eu-west-1") as server:
        done = subprocess.run(
            [sys.executable, "-c", BOTO3_SCRIPT],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        _assert_deployed(done.stdout.strip(), region="eu-west-1")
        assert server.requests.count(operation="CreateEnvironment") == 1


@mock_proton()
async def test_an_unmodified_aioproton_script_under_the_decorator() -> None:
    assert await aioproton_script() == ["base"]


async def test_an_unmodified_aiobotocore_script_under_async_with() -> None:
    async with mock_proton() as server:
        assert await aiobotocore_script() == ["base"]
        assert [r.operation for r in server.requests] == [
            "CreateEnvironmentTemplate",
            "ListEnvironmentTemplates",
        ]


def test_each_decorated_call_gets_a_fresh_emulator() -> None:
    seen: list[str] = []

    @mock_proton()
    def create() -> None:
        proton = boto3.client("proton")
        try:
            proton.create_environment_template(name="base")
            seen.append(os.environ["AWS_ENDPOINT_URL_PROTON"])
        finally:
            proton.close()

    create()
    create()  # would be a ConflictError on the same emulator
    assert len(set(seen)) == 2


def test_the_settings_reach_the_emulator() -> None:
    with mock_proton(clock="manual", deploy_seconds=600) as server:
        assert isinstance(server, EmulatorThread)
        assert isinstance(server.emulator.clock, ManualClock)


def test_the_environment_is_set_then_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "a-real-session-token")
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL_PROTON", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    before = dict(os.environ)

    def code_under_test() -> None:
        with mock_proton(region="eu-central-1") as server:
            assert os.environ["AWS_ENDPOINT_URL_PROTON"] == server.endpoint_url
            assert os.environ["AWS_DEFAULT_REGION"] == "eu-central-1"
            assert os.environ["AWS_ACCESS_KEY_ID"] != "AKIAREALKEY"
            for name in REMOVED:
                assert name not in os.environ
            raise KeyError("the code under test failed")

    with pytest.raises(KeyError):
        code_under_test()
    assert dict(os.environ) == before


def test_a_second_mock_at_the_same_time_is_refused() -> None:
    with mock_proton(), pytest.raises(RuntimeError, match="already active"), mock_proton():
        pass
    with mock_proton():  # the refusal left nothing behind
        pass


def test_a_mock_that_cannot_start_leaves_the_environment_alone() -> None:
    before = dict(os.environ)
    with pytest.raises(ConfigurationError, match="not a clock"), mock_proton(clock="often"):
        pass
    assert dict(os.environ) == before
    with mock_proton():  # and it released the process-wide slot
        pass


async def test_a_cancelled_async_start_leaves_nothing_behind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = dict(os.environ)
    entered = False
    with caplog.at_level(logging.INFO, "aioproton.testing"), anyio.CancelScope() as scope:
        scope.cancel()
        async with mock_proton():
            entered = True
    assert not entered
    # The start ran to its end (it is shielded), then the cancellation stopped it.
    (started,) = [r for r in caplog.records if r.name == "aioproton.testing"]
    assert started.endpoint_url.startswith("http://127.0.0.1:")  # type: ignore[attr-defined]
    assert dict(os.environ) == before
    async with mock_proton() as server:  # the process-wide slot was released
        assert os.environ["AWS_ENDPOINT_URL_PROTON"] == server.endpoint_url
