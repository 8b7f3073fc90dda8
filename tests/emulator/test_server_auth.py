"""SigV4 handling: signed (default), strict and none; secrets never logged."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import anyio.to_thread
import boto3
import botocore
import botocore.config
import botocore.exceptions
import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator

GOOD_KEY = "AKIDSTRICT0000000001"
GOOD_SECRET = "the-right-secret-0123456789"
OTHER_ACCOUNT = "210987654321"
JSON = "application/x-amz-json-1.0"


@pytest.fixture
async def strict() -> AsyncIterator[Emulator]:
    clock = ManualClock()
    async with Emulator(
        clock=clock,
        auth="strict",
        credentials={GOOD_KEY: GOOD_SECRET},
        accounts={GOOD_KEY: OTHER_ACCOUNT},
        check_responses=True,
    ) as emu:
        yield emu


def boto3_call(settings: dict[str, Any], operation: str, **params: Any) -> Any:
    config = botocore.config.Config(retries={"total_max_attempts": 1})
    if settings.pop("unsigned", False):
        config = config.merge(botocore.config.Config(signature_version=botocore.UNSIGNED))
    client = boto3.client("proton", config=config, **settings)
    try:
        return getattr(client, operation)(**params)
    finally:
        client.close()


async def boto3_error(settings: dict[str, Any], operation: str, **params: Any) -> dict[str, Any]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        await anyio.to_thread.run_sync(lambda: boto3_call(settings, operation, **params))
    response: dict[str, Any] = caught.value.response
    return response


# ---------------------------------------------------------------------- signed (default)


async def test_unsigned_request_is_missing_authentication_token(proton_emulator: Emulator) -> None:
    settings: dict[str, Any] = {**proton_emulator.client_settings, "unsigned": True}
    response = await boto3_error(settings, "get_account_settings")
    assert response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/proton/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/proton/aws4_request, "
        "SignedHeaders=host, Signature=nothex",
        "AWS4-HMAC-SHA256 Credential=AKID/2026-01-01/us-east-1/proton/aws4_request, "
        "SignedHeaders=host, Signature=" + "a" * 64,
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/proton, "
        "SignedHeaders=host, Signature=" + "a" * 64,
        "AWS AKID:c2lnbmF0dXJl",
    ],
)
async def test_malformed_authorization_is_an_incomplete_signature(raw: Any, header: str) -> None:
    response = await raw.call("GetAccountSettings", signed=False, headers={"Authorization": header})
    assert response.status == 403
    assert response.json["__type"] == "IncompleteSignatureException"
    assert response.headers["x-amzn-ErrorType"] == "IncompleteSignatureException"


async def test_signed_mode_accepts_any_secret_and_reads_account_and_region() -> None:
    clock = ManualClock()
    async with Emulator(clock=clock, accounts={"AKIDOTHER": OTHER_ACCOUNT}) as emu:
        settings: dict[str, Any] = {
            **emu.client_settings,
            "aws_access_key_id": "AKIDOTHER",
            "aws_secret_access_key": "whatever-the-caller-has",
            "region_name": "eu-west-1",
        }
        async with aioproton.ProtonClient(**settings) as proton:
            template = await proton.create_environment_template(name="mine")
        assert template.arn == (
            f"arn:aws:proton:eu-west-1:{OTHER_ACCOUNT}:environment-template/mine"
        )
        # an unmapped key runs as the default account
        settings["aws_access_key_id"] = "AKIDUNMAPPED"
        settings["region_name"] = "us-east-1"
        async with aioproton.ProtonClient(**settings) as proton:
            template = await proton.create_environment_template(name="theirs")
        assert template.arn.startswith("arn:aws:proton:us-east-1:123456789012:")


# ---------------------------------------------------------------------- strict


async def test_strict_accepts_a_correct_signature_from_both_sdks(strict: Emulator) -> None:
    async with aioproton.ProtonClient(**strict.client_settings) as proton:
        created = await proton.create_environment_template(name="signed")
    assert f":{OTHER_ACCOUNT}:" in created.arn
    listed = await anyio.to_thread.run_sync(
        lambda: boto3_call(dict(strict.client_settings), "list_environment_templates")
    )
    assert [t["name"] for t in listed["templates"]] == ["signed"]


async def test_strict_rejects_a_wrong_secret(strict: Emulator) -> None:
    settings: dict[str, Any] = {**strict.client_settings, "aws_secret_access_key": "not-the-secret"}
    response = await boto3_error(settings, "get_account_settings")
    assert response["Error"]["Code"] == "InvalidSignatureException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    async with aioproton.ProtonClient(**settings, retry=aioproton.RetryPolicy.never()) as proton:
        with pytest.raises(aioproton.AccessDeniedError) as caught:
            await proton.get_account_settings()
    assert caught.value.code == "InvalidSignatureException"


async def test_strict_rejects_an_unknown_access_key(strict: Emulator) -> None:
    settings: dict[str, Any] = {**strict.client_settings, "aws_access_key_id": "AKIDNOBODY"}
    response = await boto3_error(settings, "get_account_settings")
    assert response["Error"]["Code"] == "UnrecognizedClientException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403


async def test_strict_rejects_unsigned_requests(strict: Emulator) -> None:
    response = await boto3_error(
        {**strict.client_settings, "unsigned": True}, "get_account_settings"
    )
    assert response["Error"]["Code"] == "MissingAuthenticationTokenException"


async def test_strict_rejects_a_tampered_body(
    strict: Emulator, http: aiohttp.ClientSession, signer: Callable[..., dict[str, str]]
) -> None:
    url = strict.endpoint_url + "/"
    target = {"X-Amz-Target": "AwsProton20200720.CreateEnvironmentTemplate", "Content-Type": JSON}
    body = json.dumps({"name": "honest"}).encode()
    headers = signer(url, target, body, access_key=GOOD_KEY, secret=GOOD_SECRET)
    tampered = json.dumps({"name": "evil"}).encode()
    assert len(tampered) == len(body) - 2
    async with http.post(url, data=tampered, headers=headers) as response:
        assert response.status == 403
        assert (await response.json(content_type=None))["__type"] == "InvalidSignatureException"
    # the same signature over the body it was made for is accepted
    async with http.post(url, data=body, headers=headers) as response:
        assert response.status == 200
    names = [r.operation for r in strict.requests if r.committed]
    assert names == ["CreateEnvironmentTemplate"]


async def test_strict_rejects_a_tampered_signed_header(
    strict: Emulator, http: aiohttp.ClientSession, signer: Callable[..., dict[str, str]]
) -> None:
    url = strict.endpoint_url + "/"
    target = {"X-Amz-Target": "AwsProton20200720.ListEnvironmentTemplates", "Content-Type": JSON}
    headers = signer(url, target, b"{}", access_key=GOOD_KEY, secret=GOOD_SECRET)
    headers["X-Amz-Target"] = "AwsProton20200720.ListServiceTemplates"
    async with http.post(url, data=b"{}", headers=headers) as response:
        assert response.status == 403
        assert (await response.json(content_type=None))["__type"] == "InvalidSignatureException"


# ---------------------------------------------------------------------- none


async def test_none_mode_needs_no_signature() -> None:
    clock = ManualClock()
    async with Emulator(clock=clock, auth="none", region="eu-central-1") as emu:
        settings: dict[str, Any] = {**emu.client_settings, "unsigned": True}
        created = await anyio.to_thread.run_sync(
            lambda: boto3_call(settings, "create_environment_template", name="open")
        )
    arn = created["environmentTemplate"]["arn"]
    assert arn == "arn:aws:proton:eu-central-1:123456789012:environment-template/open"


# ---------------------------------------------------------------------- secrecy


async def test_credentials_and_signatures_never_reach_the_logs(
    strict: Emulator,
    http: aiohttp.ClientSession,
    signer: Callable[..., dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = strict.endpoint_url + "/"
    target = {"X-Amz-Target": "AwsProton20200720.GetAccountSettings", "Content-Type": JSON}
    signatures: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for secret in (GOOD_SECRET, "a-wrong-secret-value"):
            headers = signer(url, target, b"{}", access_key=GOOD_KEY, secret=secret)
            signatures.append(headers["Authorization"].rpartition("Signature=")[2])
            async with http.post(url, data=b"{}", headers=headers) as response:
                assert response.status in (200, 403)
        headers = signer(url, target, b"{}", access_key="AKIDUNKNOWNKEY", secret=GOOD_SECRET)
        signatures.append(headers["Authorization"].rpartition("Signature=")[2])
        async with http.post(url, data=b"{}", headers=headers) as response:
            assert response.status == 403
    server_side = [
        r for r in caplog.records if r.name.startswith(("aioproton.emulator", "aiohttp"))
    ]
    assert server_side, "the emulator logs each request at DEBUG"
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in server_side)
    secrets = [GOOD_SECRET, "a-wrong-secret-value", GOOD_KEY, "AKIDUNKNOWNKEY", *signatures]
    for secret in secrets:
        assert secret not in text
    records = json.dumps([r.to_dict() for r in strict.requests])
    for secret in secrets:
        assert secret not in records
    assert [r.status for r in strict.requests] == [200, 403, 403]
