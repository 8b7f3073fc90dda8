"""The wire protocol: routing, bodies, error format, request ids, status codes."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import aiohttp
import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator

JSON = "application/x-amz-json-1.0"


def assert_error(response: Any, status: int, code: str) -> str:
    """The response is a well-formed AWS JSON error; returns its message."""
    assert response.status == status, response.body
    assert response.headers["Content-Type"] == JSON
    assert response.headers["x-amzn-ErrorType"] == code
    uuid.UUID(response.headers["x-amzn-RequestId"])
    body = response.json
    assert set(body) == {"__type", "message"}
    assert body["__type"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    return str(body["message"])


async def test_success_has_content_type_request_id_and_json_object(raw: Any) -> None:
    response = await raw.call("GetAccountSettings")
    assert response.status == 200
    assert response.headers["Content-Type"] == JSON
    uuid.UUID(response.headers["x-amzn-RequestId"])
    assert "x-amzn-ErrorType" not in response.headers
    assert isinstance(response.json["accountSettings"], dict)


async def test_every_response_gets_its_own_request_id(raw: Any, proton_emulator: Emulator) -> None:
    responses = [
        await raw.call("GetAccountSettings"),
        await raw.call("GetAccountSettings"),
        await raw.call("NoSuchOperation"),
        await raw.call("GetAccountSettings", b"[1]"),
    ]
    ids = [r.headers["x-amzn-RequestId"] for r in responses]
    assert len(set(ids)) == 4
    assert [r.request_id for r in proton_emulator.requests] == ids


async def test_request_id_reaches_the_sdk_error(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    with pytest.raises(aioproton.ResourceNotFoundError) as caught:
        await proton_client.get_environment_template(name="missing")
    record = proton_emulator.requests.last()
    assert record is not None
    assert caught.value.request_id == record.request_id
    assert caught.value.http_status == 404


async def test_timestamps_are_epoch_second_numbers(raw: Any, proton_clock: ManualClock) -> None:
    response = await raw.call("CreateEnvironmentTemplate", {"name": "stamps"})
    assert response.status == 200, response.body
    template = response.json["environmentTemplate"]
    for key in ("createdAt", "lastModifiedAt"):
        assert isinstance(template[key], (int, float))
        assert not isinstance(template[key], bool)
        assert template[key] == pytest.approx(proton_clock.now())
    assert b"null" not in response.body


async def test_empty_body_counts_as_an_empty_object(raw: Any) -> None:
    response = await raw.call("GetAccountSettings", b"")
    assert response.status == 200


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{", "not valid JSON"),
        (b'{"name": "x",}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'{"maxResults": NaN}', "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b"42", "must be a JSON object"),
        (b"null", "must be a JSON object"),
    ],
)
async def test_malformed_or_non_object_body_is_a_serialization_exception(
    raw: Any, proton_emulator: Emulator, body: bytes, detail: str
) -> None:
    response = await raw.call("ListEnvironmentTemplates", body)
    message = assert_error(response, 400, "SerializationException")
    assert detail in message
    record = proton_emulator.requests.last()
    assert record is not None
    assert record.operation == "ListEnvironmentTemplates"
    assert record.error_code == "SerializationException"
    assert not record.committed


@pytest.mark.parametrize(
    ("target", "detail"),
    [
        (None, "missing X-Amz-Target"),
        ("AwsProton20200720.NoSuchOperation", "NoSuchOperation"),
        ("AwsProton20200720.", "unknown operation"),
        ("SomeOtherService.GetAccountSettings", "unknown target"),
        ("GetAccountSettings", "unknown target"),
    ],
)
async def test_missing_or_unknown_target_is_an_unknown_operation(
    raw: Any, target: str | None, detail: str
) -> None:
    response = await raw.call(None, target=target)
    message = assert_error(response, 400, "UnknownOperationException")
    assert detail in message


@pytest.mark.parametrize(("method", "status"), [("GET", 405), ("PUT", 405), ("DELETE", 405)])
async def test_wrong_method_on_root_is_a_clear_4xx(raw: Any, method: str, status: int) -> None:
    response = await raw.call("GetAccountSettings", method=method, signed=False)
    message = assert_error(response, status, "MethodNotAllowedException")
    assert "POST /" in message


@pytest.mark.parametrize("path", ["/foo", "/_emulator/nothing", "/2020-07-20/templates"])
async def test_unknown_path_is_a_404_with_a_request_id(raw: Any, path: str) -> None:
    response = await raw.call("GetAccountSettings", path=path, signed=False)
    message = assert_error(response, 404, "NotFoundException")
    assert path in message


async def test_body_over_the_limit_is_413(http: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    async with Emulator(clock=clock, max_body_bytes=1024, auth="none") as emu:
        url = emu.endpoint_url
        headers = {"X-Amz-Target": "AwsProton20200720.GetAccountSettings", "Content-Type": JSON}
        small = b'{"pad": "' + b"x" * 900 + b'"}'
        async with http.post(url, data=small, headers=headers) as response:
            assert response.status == 200
        big = b'{"pad": "' + b"x" * 2000 + b'"}'
        async with http.post(url, data=big, headers=headers) as response:
            assert response.status == 413
            assert response.headers["x-amzn-ErrorType"] == "RequestEntityTooLargeException"
            body = await response.json(content_type=None)
            assert "1024" in body["message"]

        async def chunks() -> Any:
            for _ in range(4):
                yield b" " * 600

        # Without a Content-Length the limit applies to the bytes actually read.
        async with http.post(url, data=chunks(), headers=headers) as response:
            assert response.status == 413
        statuses = [r.status for r in emu.requests]
        assert statuses == [200, 413, 413]


async def test_unexpected_backend_failure_is_a_generic_500_with_the_traceback_logged(
    raw: Any,
    proton_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(proton_emulator.backend, "handle", broken)
    with caplog.at_level(logging.ERROR, logger="aioproton.emulator"):
        response = await raw.call("GetAccountSettings")
    message = assert_error(response, 500, "InternalServerException")
    assert "secret internal detail" not in message
    assert response.headers["x-amzn-RequestId"] in message
    logged = [r for r in caplog.records if r.exc_info]
    assert logged
    assert "secret internal detail" in caplog.text
    assert "Traceback" in caplog.text


async def test_check_responses_turns_an_invalid_backend_answer_into_a_500(
    raw: Any, proton_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sloppy(ctx: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "environmentTemplate": {
                "name": "t",
                "arn": "arn:aws:proton:us-east-1:123456789012:environment-template/t",
                "createdAt": "2026-01-01T00:00:00Z",
                "provisioning": "SOMETIMES",
            }
        }

    monkeypatch.setattr(proton_emulator.backend, "handle", sloppy)
    response = await raw.call("GetEnvironmentTemplate", {"name": "t"})
    message = assert_error(response, 500, "InternalServerException")
    assert "environmentTemplate.lastModifiedAt: required but missing" in message
    assert "environmentTemplate.createdAt: timestamp must be epoch seconds" in message
    assert "environmentTemplate.provisioning: 'SOMETIMES' is not one of" in message


async def test_without_check_responses_the_backend_answer_is_passed_through(
    http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    async with Emulator(clock=clock, auth="none") as emu:
        monkeypatch.setattr(emu.backend, "handle", lambda *a: {"unexpected": None, "extra": 1})
        headers = {"X-Amz-Target": "AwsProton20200720.GetAccountSettings"}
        async with http.post(emu.endpoint_url, data=b"{}", headers=headers) as response:
            assert response.status == 200
            # absent values are omitted, never sent as null
            assert await response.read() == b'{"extra":1}'
