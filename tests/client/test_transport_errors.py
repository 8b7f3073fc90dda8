"""Error responses read by the transport and by botocore's JSON parser, and error
responses and transport failures seen through a client on a real local server."""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import botocore.parsers
import pytest
from aiohttp import web

import aioproton
from aioproton import _service_model, _transport

from .conftest import ScriptedServer

JSON = {"content-type": "application/x-amz-json-1.0"}
REQUEST_ID = {"x-amzn-requestid": "4f3c-request"}

CORPUS: list[tuple[int, dict[str, str], bytes]] = [
    (400, {**JSON, **REQUEST_ID}, b'{"__type":"ValidationException","message":"bad name"}'),
    (
        400,
        {**JSON, **REQUEST_ID},
        b'{"__type":"com.amazonaws.proton#ValidationException","Message":"capital M"}',
    ),
    (
        404,
        JSON,
        b'{"__type":"aws.proton#ResourceNotFoundException:http://internal.amazon.com/coral/'
        b'com.amazon.coral.validate/","message":"no such thing"}',
    ),
    (409, JSON, b'{"__type":"ConflictException","message":"m","Message":"M"}'),
    (429, {**JSON, **REQUEST_ID}, b'{"__type":"ThrottlingException"}'),
    (500, REQUEST_ID, b'{"__type":"InternalServerException","message":"oops"}'),
    (403, REQUEST_ID, b'{"message":"no code at all"}'),
    (403, {}, b"<html><body>Forbidden by the corporate proxy</body></html>"),
    (502, {}, b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    (503, {}, b""),
    (504, {}, b"   \n"),
    (502, {}, b"Bad Gateway"),
    (400, {}, b"{}"),
    (400, {}, b""),
    (400, {**JSON, "x-amzn-errortype": "ValidationException:http://x/"}, b'{"__type":"A#B"}'),
    (413, {}, "\u00fcnicode body \u20ac".encode()),
]

#: Bodies botocore's parser fails on (with AttributeError or TypeError): the transport
#: says so with ResponseParserError, which translate() makes a ProtonResponseError.
UNREADABLE = [(400, b"[1]"), (400, b"null"), (400, b'{"__type": 5}')]


@pytest.mark.parametrize(("status", "headers", "body"), CORPUS)
def test_errors_parse_as_botocore_parses_them(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    parser = botocore.parsers.create_parser("json")
    output = _service_model.operation_model("GetEnvironment").output_shape
    theirs = parser.parse({"status_code": status, "headers": headers, "body": body}, output)
    ours = _transport.parse_error(status, headers, body)
    assert ours["Error"]["Code"] == theirs["Error"]["Code"]
    assert ours["Error"]["Message"] == theirs["Error"]["Message"]
    assert (
        ours["ResponseMetadata"]["HTTPStatusCode"] == theirs["ResponseMetadata"]["HTTPStatusCode"]
    )
    assert ours["ResponseMetadata"].get("RequestId") == theirs["ResponseMetadata"].get("RequestId")


@pytest.mark.parametrize(("status", "body"), UNREADABLE)
def test_unreadable_error_bodies_are_parser_errors(status: int, body: bytes) -> None:
    parser = botocore.parsers.create_parser("json")
    with pytest.raises((AttributeError, TypeError)):
        parser.parse({"status_code": status, "headers": {}, "body": body}, None)
    with pytest.raises(botocore.parsers.ResponseParserError):
        _transport.parse_error(status, {}, body)


def test_an_error_code_that_is_not_a_string_is_a_parser_error() -> None:
    # botocore passes {"a": 1} through as the code; translate() needs a string.
    with pytest.raises(botocore.parsers.ResponseParserError):
        _transport.parse_error(400, {}, b'{"__type": {"a": 1}}')


def test_the_error_type_header_names_the_code_when_the_body_does_not() -> None:
    # botocore's JSON 1.0 parser reads only the body here and would say "400".
    parsed = _transport.parse_error(
        400, {"x-amzn-errortype": "aws.proton#ConflictException:http://x/"}, b"{}"
    )
    assert parsed["Error"]["Code"] == "ConflictException"


async def test_a_proxy_error_page_becomes_a_typed_server_error(scripted: ScriptedServer) -> None:
    scripted.reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
    async with scripted.client(retry=aioproton.RetryPolicy.never()) as proton:
        with pytest.raises(aioproton.InternalServerError) as caught:
            await proton.get_account_settings()
    assert caught.value.code == "502"
    assert caught.value.message == "Bad Gateway"
    assert caught.value.http_status == 502
    assert caught.value.request_id == "req-1"
    assert caught.value.ambiguous


async def test_a_modelled_error_keeps_code_message_and_request_id(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(409, {"__type": "com.amazonaws.proton#ConflictException", "Message": "in use"})
    async with scripted.client() as proton:
        with pytest.raises(aioproton.ConflictError) as caught:
            await proton.delete_environment(name="prod")
    assert (caught.value.code, caught.value.message) == ("ConflictException", "in use")
    assert caught.value.request_id == "req-1"
    assert caught.value.http_status == 409


async def _serve(handler: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def _client(url: str, **settings: Any) -> aioproton.ProtonClient:
    return aioproton.ProtonClient(
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
        retry=aioproton.RetryPolicy.never(),
        **settings,
    )


async def test_a_refused_connection_was_never_sent(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aioproton.transport")

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({})

    runner, url = await _serve(answer)
    await runner.cleanup()  # nothing listens on that port any more
    async with _client(url) as proton:
        with pytest.raises(aioproton.ProtonConnectionError) as caught:
            await proton.cancel_environment_deployment(environment_name="prod")
    assert not caught.value.ambiguous
    assert caught.value.retry_safe  # it provably never reached a server
    (failure,) = [r for r in caplog.records if r.getMessage().startswith("no response")]
    assert failure.error == "EndpointConnectionError"  # type: ignore[attr-defined]
    assert failure.operation == "CancelEnvironmentDeployment"  # type: ignore[attr-defined]


async def test_a_dropped_connection_is_ambiguous() -> None:
    async def drop(request: web.Request) -> web.StreamResponse:
        await request.read()
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    runner, url = await _serve(drop)
    try:
        async with _client(url) as proton:
            with pytest.raises(aioproton.ProtonConnectionError) as caught:
                await proton.cancel_environment_deployment(environment_name="prod")
        assert caught.value.ambiguous
        assert not caught.value.retry_safe  # a cancel is not replay safe
    finally:
        with anyio.CancelScope(shield=True):
            await runner.cleanup()


async def test_a_slow_answer_is_an_ambiguous_read_timeout(scripted: ScriptedServer) -> None:
    scripted.stall = 5
    async with scripted.client(read_timeout=0.2, retry=aioproton.RetryPolicy.never()) as proton:
        with pytest.raises(aioproton.ProtonTimeoutError) as caught:
            await proton.get_account_settings()
    assert caught.value.ambiguous
    assert caught.value.retry_safe  # read-only


async def test_a_success_body_that_is_not_json_is_a_response_error(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(200, "<html>captive portal</html>")
    async with scripted.client(retry=aioproton.RetryPolicy.never()) as proton:
        with pytest.raises(aioproton.ProtonResponseError):
            await proton.get_environment(name="prod")


async def test_a_success_body_that_is_not_an_object_is_a_response_error(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(200, "[1, 2]")
    async with scripted.client(retry=aioproton.RetryPolicy.never()) as proton:
        with pytest.raises(aioproton.ProtonResponseError, match="JSON list instead of an object"):
            await proton.list_environments()


def test_corpus_bodies_are_what_they_claim() -> None:
    for status, headers, body in CORPUS:
        if headers.get("content-type") == JSON["content-type"]:
            assert isinstance(json.loads(body), dict), (status, body)
