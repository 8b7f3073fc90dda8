"""Reading a response the way botocore's JSON-protocol parser reads it.

Errors become the dictionary botocore puts in ``ClientError.response`` (code, message,
request id, status, headers), so :func:`aioproton.errors.translate` sees one shape
whichever implementation sent the call. ``tests/client/test_transport_errors.py``
compares the two parsers on a corpus of error responses.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from typing import Any

from botocore.parsers import ResponseParserError


def body_json(body: bytes) -> Any:
    """A body as JSON; a body that is not JSON becomes ``{"message": <text>}`` as in botocore."""
    if not body:
        return {}
    text = body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return {"message": text}


def success_json(body: bytes) -> dict[str, Any]:
    """A success body as a JSON object; anything else is no answer at all.

    botocore would read a body that is not JSON as ``{"message": body}``, which passes
    for an answer with every member missing: ``ResponseParserError`` instead.
    """
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        raise ResponseParserError(f"a body that is not JSON: {body[:80]!r}") from None
    if not isinstance(parsed, dict):
        raise ResponseParserError(f"a JSON {type(parsed).__name__} instead of an object")
    return parsed


def _error_code(raw: str) -> str:
    """``ns#Code:suffix`` -> ``Code``."""
    code = raw.split(":", 1)[0]
    return code.rsplit("#", 1)[-1]


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """The ``ClientError.response`` botocore builds for an error response.

    ``headers`` must have lower-case names. A 5xx whose body is empty or an HTML page
    (a proxy's or a load balancer's) gets the status as its code and the reason phrase
    as its message. When the body names no ``__type``, the ``x-amzn-ErrorType`` header
    does, before falling back to the status code. A body botocore cannot read (a JSON
    list, a code that is not a string) raises ``ResponseParserError``.
    """
    stripped = body.strip()
    if status >= 500 and (not stripped or stripped.startswith(b"<html>")):
        error: dict[str, Any] = {
            "Code": str(status),
            "Message": http.client.responses.get(status, ""),
        }
    else:
        parsed = body_json(body)
        if not isinstance(parsed, dict):
            raise ResponseParserError(
                f"an HTTP {status} body that is a JSON {type(parsed).__name__}"
            )
        message = parsed.get("message", parsed.get("Message", ""))
        raw_code = parsed.get("__type") or headers.get("x-amzn-errortype") or str(status)
        if not isinstance(raw_code, str):
            raise ResponseParserError(f"an HTTP {status} error code {raw_code!r}")
        error = {"Code": _error_code(raw_code), "Message": message}
    metadata: dict[str, Any] = {"HTTPStatusCode": status, "HTTPHeaders": dict(headers)}
    if "x-amzn-requestid" in headers:
        metadata["RequestId"] = headers["x-amzn-requestid"]
    return {"Error": error, "ResponseMetadata": metadata}
