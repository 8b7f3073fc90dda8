"""Proton's awsJson1_0 wire protocol: the target header, JSON bodies and error responses.

Everything that decides what bytes go on the wire lives here, so the server and the
control endpoint answer in exactly the same format: a JSON body, the
``application/x-amz-json-1.0`` content type and an ``x-amzn-RequestId`` on every
response, errors included.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .. import _service_model
from .errors import (
    InternalServerException,
    SerializationException,
    ServiceError,
    UnknownOperationException,
)

TARGET_PREFIX = "AwsProton20200720."
CONTENT_TYPE = "application/x-amz-json-1.0"
REQUEST_ID_HEADER = "x-amzn-RequestId"
ERROR_TYPE_HEADER = "x-amzn-ErrorType"


class MethodNotAllowedException(ServiceError):
    """A method other than POST on ``/``."""

    code = "MethodNotAllowedException"
    status = 405


class NotFoundException(ServiceError):
    """A path that is neither ``/`` nor a control route."""

    code = "NotFoundException"
    status = 404


class ControlError(ServiceError):
    """A control request the emulator cannot carry out as asked."""

    code = "BadRequest"
    status = 400


class ControlConflict(ServiceError):
    """A control request that does not fit the emulator's configuration."""

    code = "Conflict"
    status = 409


def new_request_id() -> str:
    return str(uuid.uuid4())


@functools.cache
def operation_names() -> frozenset[str]:
    return frozenset(_service_model.service_model().operation_names)


def operation_from_target(target: str | None) -> str:
    """The operation named by ``X-Amz-Target``, or UnknownOperationException."""
    if not target:
        raise UnknownOperationException("missing X-Amz-Target header")
    if not target.startswith(TARGET_PREFIX):
        raise UnknownOperationException(f"unknown target {target!r}")
    name = target[len(TARGET_PREFIX) :]
    if name not in operation_names():
        raise UnknownOperationException(f"unknown operation {name!r}")
    return name


class BadRequestException(ServiceError):
    """A request so malformed that the HTTP layer refused it (headers, framing)."""

    code = "BadRequestException"
    status = 400


#: How deep a request document may nest. Proton's deepest input shape is a handful of
#: levels; a limit far below Python's recursion limit keeps every later walk safe.
MAX_JSON_DEPTH = 64


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _check_document(value: Any, *, strings: bool) -> str | None:
    """What is wrong with a parsed document (too deep, a lone surrogate), or None.

    Iterative, so no document can exhaust the stack; strings are checked only when the
    raw text holds a ``\\u`` escape, the only way a lone surrogate gets in.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"the JSON document is nested more than {MAX_JSON_DEPTH} levels deep"
        children = list(item.items()) if isinstance(item, dict) else [(None, v) for v in item]
        for key, child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
            elif strings and not _encodable(key, child):
                return "the JSON document holds an unpaired surrogate escape"
    return None


def _encodable(*texts: object) -> bool:
    try:
        for text in texts:
            if isinstance(text, str):
                text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load_json(raw: bytes | str, *, what: str = "the request body") -> Any:
    """A JSON document that every later step can walk safely, or ValueError.

    Refuses what ``json.loads`` refuses, ``NaN``/``Infinity`` (also as ``1e400``),
    documents nested deeper
    than :data:`MAX_JSON_DEPTH` (Python's parser would raise RecursionError on deeper
    ones) and unpaired surrogates (which no UTF-8 encoder can write back).
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise ValueError(f"{what} is not valid JSON: {exc}") from None
    if isinstance(value, (dict, list)):
        problem = _check_document(value, strings="\\u" in text)
        if problem is not None:
            raise ValueError(f"{what} cannot be read: {problem}")
    elif isinstance(value, str) and not _encodable(value):
        raise ValueError(f"{what} cannot be read: it holds an unpaired surrogate escape")
    return value


def parse_body(raw: bytes) -> dict[str, Any]:
    """The request's JSON object; an empty body counts as ``{}``."""
    if not raw.strip():
        return {}
    try:
        value = load_json(raw)
    except ValueError as exc:
        raise SerializationException(str(exc)) from None
    if not isinstance(value, dict):
        raise SerializationException(
            f"the request body must be a JSON object, got {type(value).__name__}"
        )
    return value


def _wire(value: Any) -> Any:
    """Drop ``None`` members (the service omits absent values, never sends null)."""
    if isinstance(value, Mapping):
        return {str(k): _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    return value


def _encode_default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_body(value: Mapping[str, Any]) -> bytes:
    """JSON bytes for a response body; timestamps are epoch-second numbers."""
    cleaned = _wire(value)
    _check_finite(cleaned)
    return json.dumps(cleaned, default=_encode_default, separators=(",", ":")).encode()


def _check_finite(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} cannot be sent as JSON")
    if isinstance(value, dict):
        for item in value.values():
            _check_finite(item)
    elif isinstance(value, list):
        for item in value:
            _check_finite(item)


def json_response(
    body: Mapping[str, Any] | bytes, *, request_id: str, status: int = 200
) -> web.Response:
    payload = body if isinstance(body, bytes) else encode_body(body)
    return web.Response(
        status=status,
        body=payload,
        headers={"Content-Type": CONTENT_TYPE, REQUEST_ID_HEADER: request_id},
    )


def error_response(error: ServiceError, *, request_id: str) -> web.Response:
    response = json_response(error.body(), request_id=request_id, status=error.status)
    response.headers[ERROR_TYPE_HEADER] = error.code
    return response


def internal_error(request_id: str) -> InternalServerException:
    """The generic answer to a failure inside the emulator; details go to the log."""
    return InternalServerException(
        f"An internal error occurred; see the emulator log for request {request_id}"
    )
