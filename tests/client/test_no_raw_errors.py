"""No botocore, aiohttp or builtin exception escapes a public call.

One real call per kind of problem: a credential problem (no credentials anywhere), a
network problem (a closed port) and response problems (bodies a real local server
answers with that do not fit the model).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

import aioproton
from aioproton.emulator import Emulator

from .conftest import ScriptedServer


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An environment where the credential chain finds nothing: no AWS_* variables, an
    empty home (no ~/.aws) and no instance metadata service."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_aws_credentials")
async def test_no_credentials_is_a_typed_error_and_nothing_is_sent(
    proton_emulator: Emulator,
) -> None:
    async with aioproton.ProtonClient(
        endpoint_url=proton_emulator.endpoint_url,
        region_name="us-east-1",
        retry=aioproton.RetryPolicy.never(),
    ) as proton:
        with pytest.raises(aioproton.CredentialsNotFoundError) as caught:
            await proton.list_environments()
    assert "no AWS credentials found" in str(caught.value)
    assert caught.value.operation == "ListEnvironments"
    assert isinstance(caught.value.__cause__, Exception)
    assert proton_emulator.requests.count() == 0


@pytest.mark.usefixtures("no_aws_credentials")
async def test_an_sso_profile_without_a_login_says_to_sign_in(
    proton_emulator: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "config").write_text(
        "[profile sso-without-login]\n"
        "sso_session = corp\n"
        "sso_account_id = 123456789012\n"
        "sso_role_name = Admin\n"
        "[sso-session corp]\n"
        "sso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    async with aioproton.ProtonClient(
        endpoint_url=proton_emulator.endpoint_url,
        region_name="us-east-1",
        profile_name="sso-without-login",
        retry=aioproton.RetryPolicy.never(),
    ) as proton:
        with pytest.raises(aioproton.LoginRequiredError) as caught:
            await proton.list_environments()
    assert "aws sso login" in str(caught.value)
    assert proton_emulator.requests.count() == 0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_is_a_typed_error() -> None:
    async with aioproton.ProtonClient(
        endpoint_url=f"http://127.0.0.1:{closed_port()}",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        retry=aioproton.RetryPolicy.never(),
    ) as proton:
        with pytest.raises(aioproton.ProtonConnectionError):
            await proton.list_environments()


_ENVIRONMENT = {
    "arn": "arn:aws:proton:us-east-1:123456789012:environment/prod",
    "name": "prod",
    "templateName": "base",
    "templateMajorVersion": "1",
    "templateMinorVersion": "0",
    "deploymentStatus": "SUCCEEDED",
    "createdAt": 0,
    "lastDeploymentAttemptedAt": 0,
    "lastDeploymentSucceededAt": 0,
}


def environment(**changes: object) -> str:
    return json.dumps({"environment": {**_ENVIRONMENT, **changes}})


GARBAGE = {
    "not JSON": (200, "<html>502 Bad Gateway</html>"),
    "a JSON list": (200, "[1, 2]"),
    "a JSON string": (200, '"ok"'),
    "JSON null": (200, "null"),
    "a number for the resource": (200, '{"environment": 5}'),
    "a list for the resource": (200, '{"environment": []}'),
    "a word for a timestamp": (200, environment(createdAt="soon")),
    "an impossible date": (200, environment(createdAt="2020-99-99")),
    "a number for an enum": (200, environment(deploymentStatus=5)),
    "an error body that is a list": (400, "[1]"),
    "an error body that is null": (400, "null"),
    "a number for the error code": (400, '{"__type": 5}'),
    "an object for the error code": (400, '{"__type": {"a": 1}}'),
}


@pytest.mark.parametrize(("status", "body"), GARBAGE.values(), ids=GARBAGE.keys())
async def test_a_garbage_response_is_a_typed_error(
    scripted: ScriptedServer, status: int, body: str
) -> None:
    scripted.reply(status, body)
    async with scripted.client(retry=aioproton.RetryPolicy.never()) as proton:
        with pytest.raises(aioproton.ProtonError) as caught:
            await proton.get_environment(name="prod")
    assert type(caught.value).__module__ == "aioproton.errors"
    assert caught.value.operation == "GetEnvironment"


async def test_a_list_result_of_the_wrong_type_is_a_response_error(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(200, '{"environments": 5}')
    scripted.reply(200, "<html>502 Bad Gateway</html>")
    scripted.reply(200, '{"environments": [], "nextToken": 5}')
    async with scripted.client(retry=aioproton.RetryPolicy.never()) as proton:
        with pytest.raises(aioproton.ProtonResponseError):
            await proton.list_environments()
        # Not an empty list: a body that is not JSON is no answer at all.
        with pytest.raises(aioproton.ProtonResponseError, match="not JSON"):
            await proton.list_environments()
        with pytest.raises(aioproton.ProtonError):
            async for _ in proton.paginate.list_environments():
                pass
