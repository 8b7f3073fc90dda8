"""Nothing a client sends makes the emulator answer 500 or log a traceback.

Deeply nested JSON (bodies, page tokens, control bodies), bytes that are not JSON,
malformed headers that aiohttp refuses before any handler runs: each gets a 4xx in the
AWS JSON error shape, with a request id, and at most one log line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import anyio
import attrs
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from aioproton.emulator import Emulator

TARGET_PREFIX = "AwsProton20200720."
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
DEEP = 5_000


def deep_json(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


@attrs.frozen
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def error_code(self) -> str | None:
        data = json.loads(self.body)
        code = data.get("__type") if isinstance(data, dict) else None
        return None if code is None else str(code)


def signed_headers(
    emulator: Emulator, url: str, headers: Mapping[str, str], body: bytes
) -> dict[str, str]:
    """``headers`` signed by botocore with the emulator's default key."""
    settings = emulator.client_settings
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    credentials = Credentials(settings["aws_access_key_id"], settings["aws_secret_access_key"])
    SigV4Auth(credentials, "proton", settings["region_name"]).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def send(
    http: aiohttp.ClientSession,
    emulator: Emulator,
    *,
    body: bytes,
    operation: str | None = None,
    method: str = "POST",
    path: str = "/",
    headers: Mapping[str, str] | None = None,
    sign: bool = True,
) -> Answer:
    url = emulator.endpoint_url + path
    sent: dict[str, str] = {"Content-Type": JSON_CONTENT_TYPE}
    if operation is not None:
        sent["X-Amz-Target"] = TARGET_PREFIX + operation
    sent.update(headers or {})
    if sign:
        sent = signed_headers(emulator, url, sent, body)
    async with http.request(method, url, data=body, headers=sent) as response:
        return Answer(response.status, dict(response.headers), await response.read())


def assert_aws_error(answer: Answer, status: int, code: str) -> None:
    assert (answer.status, answer.error_code) == (status, code), answer.body[:300]
    assert answer.headers["Content-Type"] == JSON_CONTENT_TYPE
    assert answer.headers["x-amzn-RequestId"]


# ---------------------------------------------------------------------- deep JSON


async def test_a_deeply_nested_body_is_a_serialization_error(
    http: aiohttp.ClientSession, proton_emulator: Emulator
) -> None:
    body = ('{"name": ' + deep_json() + "}").encode()
    answer = await send(http, proton_emulator, body=body, operation="GetEnvironment")
    assert_aws_error(answer, 400, "SerializationException")
    assert b"nested" in answer.body


async def test_a_body_nested_just_below_the_recursion_limit_is_refused_too(
    http: aiohttp.ClientSession, proton_emulator: Emulator
) -> None:
    # Parses, but would exhaust the stack in whatever walks it next.
    body = ('{"name": "x", "extra": ' + deep_json(900) + "}").encode()
    answer = await send(http, proton_emulator, body=body, operation="GetEnvironment")
    assert_aws_error(answer, 400, "SerializationException")


async def test_a_lone_surrogate_is_a_serialization_error(
    http: aiohttp.ClientSession, proton_emulator: Emulator
) -> None:
    body = b'{"name": "env\\ud800", "clientToken": "\\udfff"}'
    answer = await send(http, proton_emulator, body=body, operation="GetEnvironment")
    assert_aws_error(answer, 400, "SerializationException")


async def test_a_page_token_of_deep_json_is_a_validation_error(
    http: aiohttp.ClientSession, proton_emulator: Emulator
) -> None:
    token = base64.b64encode(deep_json().encode()).decode()
    body = json.dumps({"nextToken": token}).encode()
    answer = await send(http, proton_emulator, body=body, operation="ListEnvironments")
    assert_aws_error(answer, 400, "ValidationException")
    assert b"nextToken" in answer.body


async def test_a_sealed_token_that_is_not_an_object_is_a_validation_error(
    http: aiohttp.ClientSession, proton_emulator: Emulator
) -> None:
    # The documented token format, sealed correctly for seed 0, around a list.
    inner = "[]"
    seal = hashlib.sha256(f"0|{inner}".encode()).hexdigest()[:16]
    token = base64.b64encode(json.dumps({"b": inner, "m": seal}).encode()).decode()
    body = json.dumps({"nextToken": token}).encode()
    answer = await send(http, proton_emulator, body=body, operation="ListEnvironments")
    assert_aws_error(answer, 400, "ValidationException")


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/_emulator/faults"), ("POST", "/_emulator/script"), ("POST", "/_emulator/clock")],
)
async def test_a_deep_control_body_is_a_bad_request(
    http: aiohttp.ClientSession, proton_emulator: Emulator, method: str, path: str
) -> None:
    body = ('{"a": ' + deep_json() + "}").encode()
    answer = await send(http, proton_emulator, body=body, method=method, path=path, sign=False)
    assert answer.status == 400, answer.body[:300]
    assert answer.error_code == "SerializationException"
    assert answer.headers["x-amzn-RequestId"]


# ---------------------------------------------------------------------- fuzzing


_OPERATIONS = ("GetEnvironment", "ListEnvironments", "CreateEnvironmentTemplate", "TagResource")


def _random_text(rng: random.Random, size: int) -> str:
    alphabet = 'abc{}[]":,0123456789.eE+-\\u/ \x00\x7f\u00e9\ud7ff'
    return "".join(rng.choice(alphabet) for _ in range(size))


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 4 else 4)
    if kind == 0:
        return rng.choice([None, True, False, 0, -1, 2**63, 1.5e308, "", "\u0000"])
    if kind == 1:
        return _random_text(rng, rng.randrange(0, 40))
    if kind == 2:
        return rng.randrange(-(10**12), 10**12)
    if kind == 3:
        return rng.random() * 10 ** rng.randrange(-5, 300)
    if kind in (4, 5):
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    keys = ["name", "nextToken", "maxResults", "clientToken", "tags", "resourceArn", "spec", "x"]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(0, 5))}


def _random_token(rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        raw = json.dumps(_random_json(rng)).encode()
    elif choice == 1:
        raw = json.dumps({"b": json.dumps(_random_json(rng)), "m": "0" * 16}).encode()
    elif choice == 2:
        raw = deep_json(rng.randrange(100, 3000)).encode()
    else:
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
    return base64.b64encode(raw).decode()


def _random_body(rng: random.Random) -> bytes:
    choice = rng.randrange(9)
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
    if choice == 1:
        text = json.dumps(_random_json(rng))
        return text[: rng.randrange(0, len(text) + 1)].encode()
    if choice == 2:
        depth = rng.randrange(50, 4000)
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
        return ('{"name": ' + opener * depth + "1" + closer * depth + "}").encode()
    if choice == 3:
        return json.dumps({"nextToken": _random_token(rng), "maxResults": 2}).encode()
    if choice == 4:
        return _random_text(rng, rng.randrange(1, 80)).encode("utf-8", "surrogatepass")
    if choice == 5:
        return b'{"maxResults": ' + b"9" * rng.randrange(1, 6000) + b"}"
    if choice == 6:
        return b'{"name": "' + rng.choice([b"\\ud800", b"\\udfff", b"\\u0000", b"\xff"]) + b'"}'
    if choice == 7:
        return json.dumps({"name": _random_json(rng), "tags": _random_json(rng)}).encode()
    return json.dumps(_random_json(rng)).encode()


_CONTROL_KEYS = (
    "advance", "set", "target", "action", "outcome", "seconds", "times", "cancel",
    "message", "latency_min_ms", "latency_max_ms", "throttle_burst", "operations", "seed",
)  # fmt: skip
_NUMBERS = (-1, 0, 1.5, 10**20, 10**400, 1e300, 2**63, True, "1", None, [1], {"a": 1})


def _random_control_body(rng: random.Random) -> bytes:
    if rng.random() < 0.3:
        return _random_body(rng)
    keys = rng.sample(_CONTROL_KEYS, rng.randrange(1, 4))
    body = {key: rng.choice((*_NUMBERS, _random_json(rng))) for key in keys}
    text = json.dumps(body)
    return text.replace("1e+300", rng.choice(["1e400", "-1e400", "1e300"])).encode()


def _random_headers(rng: random.Random) -> dict[str, str]:
    headers: dict[str, str] = {}
    if rng.random() < 0.3:
        headers["X-Amz-Target"] = rng.choice(
            [TARGET_PREFIX, TARGET_PREFIX + "Nope", "x" * 300, TARGET_PREFIX + "\u00e9"]
        )
    if rng.random() < 0.3:
        headers["Authorization"] = rng.choice(
            [
                "AWS4-HMAC-SHA256",
                "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/proton/aws4_request,"
                " SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
                "AWS4-HMAC-SHA256 Credential=,,,, SignedHeaders=;;, Signature=,",
                "Basic Zm9vOmJhcg==",
            ]
        )
    if rng.random() < 0.2:
        headers["X-Amz-Date"] = rng.choice(["20260101T000000Z", "garbage", "99999999T999999Z"])
    return headers


@pytest.mark.parametrize("auth", ["signed", "strict"])
async def test_fuzzed_requests_never_get_a_500(
    http: aiohttp.ClientSession,
    proton_emulator_factory: Any,
    auth: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator: Emulator = await proton_emulator_factory(auth=auth)
    rng = random.Random(f"fuzz-{auth}")
    answers: list[tuple[int, str | None, bytes]] = []
    with caplog.at_level(logging.DEBUG):
        for _ in range(300):
            path = "/"
            method = "POST"
            operation: str | None = rng.choice(_OPERATIONS)
            if rng.random() < 0.2:
                method, path = rng.choice(
                    [
                        ("PUT", "/_emulator/faults"),
                        ("POST", "/_emulator/script"),
                        ("POST", "/_emulator/clock"),
                    ]
                )
                operation = None
                body = _random_control_body(rng)
            else:
                body = _random_body(rng)
            answer = await send(
                http,
                emulator,
                body=body,
                operation=operation,
                method=method,
                path=path,
                headers=_random_headers(rng),
                sign=rng.random() < 0.8,
            )
            assert answer.status < 500, (path, body[:200], answer.body[:300])
            assert answer.headers["x-amzn-RequestId"]
            answers.append((answer.status, answer.error_code, body))
            # Faults a fuzzed control request turned on would make their own 500s.
            emulator.faults.clear()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    codes = {code for _, code, _ in answers}
    # The fuzzer reached the layers it is meant to: parsing, validation and the backend.
    assert {"SerializationException", "ValidationException"} <= codes


# ---------------------------------------------------------------------- raw HTTP


@attrs.frozen
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


def parse_responses(data: bytes) -> list[RawAnswer]:
    """Every HTTP/1.1 response in ``data`` (each with a Content-Length)."""
    answers = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, data[:200]
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        answers.append(RawAnswer(int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return answers


async def exchange_raw(emulator: Emulator, payload: bytes) -> list[RawAnswer]:
    host, port = emulator.addresses[0]
    received = b""
    with anyio.fail_after(10):
        async with await anyio.connect_tcp(host, port) as stream:
            await stream.send(payload)
            while True:
                try:
                    received += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    break
    return parse_responses(received)


def request_bytes(
    *header_lines: bytes, body: bytes = b"{}", length: int | None = None, path: bytes = b"/"
) -> bytes:
    lines = [
        b"POST " + path + b" HTTP/1.1",
        b"Host: 127.0.0.1",
        b"Content-Type: " + JSON_CONTENT_TYPE.encode(),
        b"X-Amz-Target: " + TARGET_PREFIX.encode() + b"GetAccountSettings",
        b"Content-Length: " + str(len(body) if length is None else length).encode(),
        b"Connection: close",
        *header_lines,
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def assert_raw_aws_error(answer: RawAnswer) -> None:
    assert answer.status == 400, answer
    assert answer.headers["content-type"] == JSON_CONTENT_TYPE
    assert answer.headers["x-amzn-requestid"]
    data = json.loads(answer.body)
    assert data["__type"] == "BadRequestException"
    assert isinstance(data["message"], str) and data["message"]


def assert_logged_once(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    refused = [r for r in caplog.records if r.name == "aioproton.emulator"]
    assert len(refused) == 1, [r.getMessage() for r in caplog.records]
    assert "\n" not in refused[0].getMessage()
    return refused[0]


@pytest.mark.proton_emulator(auth="none")
@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b"X-Amz-Security-Token: " + b"SECRET" * 1_500, id="header-over-8190-bytes"),
        pytest.param(b"X-Bad\x01SECRET: 1", id="invalid-character-in-name"),
        pytest.param(b"X-Amz-Security-Token: SECRET\x00b", id="invalid-character-in-value"),
        pytest.param(b"/" + b"SECRET" * 1_500, id="request-line-over-8190-bytes"),
    ],
)
async def test_a_header_aiohttp_refuses_gets_an_aws_error(
    proton_emulator: Emulator, line: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        payload = request_bytes(path=line) if line.startswith(b"/") else request_bytes(line)
        (answer,) = await exchange_raw(proton_emulator, payload)
    assert_raw_aws_error(answer)
    record = assert_logged_once(caplog)
    # What the client sent is never echoed: a header can hold a token.
    assert b"SECRET" not in answer.body
    assert "SECRET" not in record.getMessage()
    assert record.levelno == logging.WARNING
    assert getattr(record, "request_id", None) == answer.headers["x-amzn-requestid"]
    logged = proton_emulator.requests.last()
    assert logged is not None and logged.error_code == "BadRequestException"


@pytest.mark.proton_emulator(auth="none")
async def test_a_body_longer_than_its_content_length_gets_an_aws_error(
    proton_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    # The body runs past the declared length: the rest is read as a broken next request.
    payload = request_bytes(body=b'{}{"name": "overflow"}', length=2)
    payload = payload.replace(b"Connection: close\r\n", b"")
    with caplog.at_level(logging.DEBUG):
        *answered, refused = await exchange_raw(proton_emulator, payload)
    # aiohttp parses both from one read, so the first may or may not be answered.
    assert all(answer.status == 200 for answer in answered)
    assert_raw_aws_error(refused)
    assert_logged_once(caplog)


@pytest.mark.proton_emulator(auth="none")
async def test_an_invalid_content_length_gets_an_aws_error(
    proton_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    payload = request_bytes(length=2).replace(b"Content-Length: 2", b"Content-Length: two")
    with caplog.at_level(logging.DEBUG):
        (answer,) = await exchange_raw(proton_emulator, payload)
    assert_raw_aws_error(answer)
    assert_logged_once(caplog)


# ---------------------------------------------------------------------- out-of-range numbers


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_emulator/clock", b'{"advance": 1e400}'),
        ("POST", "/_emulator/clock", b'{"advance": 1e15}'),
        ("POST", "/_emulator/clock", b'{"set": 1e300}'),
        ("POST", "/_emulator/script", b'{"target": "environment/x", "seconds": 1e400}'),
        ("PUT", "/_emulator/faults", b'{"latency_min_ms": 1e400}'),
        ("POST", "/_emulator/clock", b'{"advance": 1' + b"0" * 400 + b"}"),
        ("PUT", "/_emulator/faults", b'{"latency_max_ms": 1' + b"0" * 400 + b"}"),
        ("POST", "/_emulator/script", b'{"target": "x/y", "seconds": 1' + b"0" * 400 + b"}"),
    ],
)
async def test_an_out_of_range_number_in_a_control_body_is_refused(
    http: aiohttp.ClientSession, proton_emulator: Emulator, method: str, path: str, body: bytes
) -> None:
    before = proton_emulator.clock.now()
    answer = await send(http, proton_emulator, body=body, method=method, path=path, sign=False)
    assert answer.status == 400, answer.body
    assert answer.headers["x-amzn-RequestId"]
    # Nothing was changed, so every later request is still served.
    assert proton_emulator.clock.now() == before
    assert not proton_emulator.backend.script.rules
    assert not proton_emulator.faults.settings.active
    after = await send(http, proton_emulator, body=b"{}", operation="GetAccountSettings")
    assert after.status == 200


async def test_a_number_that_overflows_is_a_serialization_error(
    http: aiohttp.ClientSession, proton_emulator: Emulator
) -> None:
    body = b'{"maxResults": 1e400}'
    answer = await send(http, proton_emulator, body=body, operation="ListEnvironments")
    assert_aws_error(answer, 400, "SerializationException")


@pytest.mark.parametrize("field", ["latency_min_ms", "latency_max_ms", "throttle_rate"])
def test_fault_settings_refuse_non_finite_numbers(field: str) -> None:
    from aioproton.emulator import FaultSettings

    with pytest.raises(ValueError, match=field):
        FaultSettings(**{field: float("inf")})


def test_a_script_rule_refuses_an_endless_duration() -> None:
    from aioproton.emulator.backend import ScriptRule

    with pytest.raises(ValueError, match="seconds"):
        ScriptRule("environment/x", seconds=float("inf"))
