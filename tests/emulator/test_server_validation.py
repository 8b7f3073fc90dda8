"""Server-side validation: every constraint of the model, every problem named."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
import boto3
import botocore.exceptions
import pytest

import aioproton
from aioproton._service_model import service_model
from aioproton.emulator import Emulator


@pytest.fixture
async def unchecked(proton_emulator: Emulator) -> AsyncIterator[aioproton.ProtonClient]:
    """An SDK client that sends what it is given, so the server has to judge it."""
    async with aioproton.ProtonClient(
        **proton_emulator.client_settings, retry=aioproton.RetryPolicy.never(), validate=False
    ) as client:
        yield client


async def test_too_long_name_is_rejected_with_the_member_and_rule(
    unchecked: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    with pytest.raises(aioproton.ValidationError) as caught:
        await unchecked.create_environment_template(name="a" * 101)
    assert caught.value.http_status == 400
    assert caught.value.message == "1 validation error detected: name: length 101 exceeds 100"
    assert not isinstance(caught.value, aioproton.ParameterValidationError)
    record = proton_emulator.requests.last()
    assert record is not None
    assert record.error_code == "ValidationException"
    assert not record.committed
    with pytest.raises(aioproton.ResourceNotFoundError):
        await unchecked.get_environment_template(name="a" * 100)


async def test_every_problem_is_named(raw: Any) -> None:
    response = await raw.call(
        "CreateEnvironmentTemplate",
        {"name": "bad name!", "description": "d" * 600, "provisioning": "SOMETIMES"},
    )
    assert response.status == 400
    message = response.json["message"]
    assert message.startswith("3 validation errors detected: ")
    assert "name: 'bad name!' does not match pattern" in message
    assert "description: length 600 exceeds 500" in message
    assert "provisioning: 'SOMETIMES' is not one of CUSTOMER_MANAGED" in message


@pytest.mark.parametrize(
    ("operation", "body", "expected"),
    [
        ("ListEnvironmentTemplates", {"maxResults": 101}, "maxResults: value 101 exceeds"),
        ("ListEnvironmentTemplates", {"maxResults": "ten"}, "maxResults: expected an integer"),
        ("ListEnvironmentTemplates", {"nextToken": "not a token!"}, "nextToken: "),
        ("CreateEnvironmentTemplate", {}, "name: required but missing"),
        ("CreateEnvironmentTemplate", {"name": 7}, "name: expected a string, got int"),
        (
            "TagResource",
            {
                "resourceArn": "arn:aws:proton:us-east-1:123456789012:environment-template/t",
                "tags": [{"key": f"k{i}", "value": "v"} for i in range(51)],
            },
            "tags: items 51 exceeds 50",
        ),
    ],
)
async def test_constraints_the_sdks_do_not_check(
    raw: Any, operation: str, body: dict[str, Any], expected: str
) -> None:
    response = await raw.call(operation, body)
    assert response.status == 400, response.body
    assert response.json["__type"] == "ValidationException"
    assert expected in response.json["message"]


async def test_unknown_members_are_ignored_as_the_service_does(raw: Any) -> None:
    response = await raw.call(
        "CreateEnvironmentTemplate", {"name": "extra", "futureMember": {"x": 1}}
    )
    assert response.status == 200, response.body
    assert response.json["environmentTemplate"]["name"] == "extra"


async def test_boto3_sees_server_side_validation(proton_emulator: Emulator) -> None:
    """boto3 checks only minimums and types; the maximum is the server's job."""
    client = boto3.client("proton", **proton_emulator.client_settings)
    try:
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            await anyio.to_thread.run_sync(
                lambda: client.list_environment_templates(maxResults=500)
            )
    finally:
        client.close()
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "maxResults: value 500 exceeds the maximum 100" in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


async def test_every_operation_names_its_missing_required_members(raw: Any) -> None:
    """The server, not the backend, rejects an empty request for all 87 operations."""
    checked = 0
    for name in sorted(service_model().operation_names):
        shape = service_model().operation_model(name).input_shape
        required = sorted(shape.required_members) if shape is not None else []
        if not required:
            continue
        response = await raw.call(name, b"{}")
        assert response.status == 400, (name, response.body)
        assert response.json["__type"] == "ValidationException"
        message = response.json["message"]
        assert message.startswith(f"{len(required)} validation error")
        for member in required:
            assert f"{member}: required but missing" in message, (name, message)
        checked += 1
    assert checked > 60
