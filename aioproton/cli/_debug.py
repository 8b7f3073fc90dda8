"""``--debug``: one DEBUG line per request and per response, never a header or a body.

The lines come from the client's botocore events, so they show what was really sent,
retries included. Headers (the signature, a session token) and bodies are left out:
the operation, method, URL, status and request id say what happened without them.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("aioproton.cli")

_SERVICE = "proton"


def log_requests(raw: Any) -> None:
    """Log each request and response of ``raw`` (an aiobotocore client) at DEBUG."""
    events = raw.meta.events
    events.register(f"before-call.{_SERVICE}", _request)
    events.register(f"after-call.{_SERVICE}", _response)
    events.register(f"after-call-error.{_SERVICE}", _failure)


def _request(model: Any, params: dict[str, Any], **_: Any) -> None:
    method, url = params.get("method"), params.get("url")
    logger.debug(
        "request %s: %s %s",
        model.name,
        method,
        url,
        extra={"operation": model.name, "method": method, "url": url},
    )


def _response(http_response: Any, model: Any, **_: Any) -> None:
    status = http_response.status_code
    request_id = http_response.headers.get("x-amzn-RequestId")
    logger.debug(
        "response %s: HTTP %s, request id %s",
        model.name,
        status,
        request_id,
        extra={"operation": model.name, "status": status, "request_id": request_id},
    )


def _failure(exception: BaseException, model: Any, **_: Any) -> None:
    logger.debug(
        "no response %s: %s",
        model.name,
        type(exception).__name__,
        extra={"operation": model.name, "error": type(exception).__name__},
    )
