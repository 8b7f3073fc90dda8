"""Pages and page tokens.

A token is standard base64 (``^[A-Za-z0-9+=/]+$``) of a small JSON document naming the
operation, a digest of the other request parameters, the sort key of the last item
returned and a serial number, sealed with a digest. Resuming after a *key* rather than
an offset keeps pages stable while resources come and go, and the serial makes every
token unique. A token that does not decode, was tampered with, or was issued for
another operation or other parameters is a ValidationException. Without ``maxResults``
a page holds 100 items.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..errors import ValidationException
from ._canonical import fingerprint
from ._engine import Call

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100
_PAGING_MEMBERS = ("nextToken", "maxResults")


def _seal(body: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}|{body}".encode()).hexdigest()[:16]


def _scope(call: Call) -> str:
    return fingerprint(call.operation, call.params, exclude=_PAGING_MEMBERS)[:16]


def _issue(call: Call, key: list[Any]) -> str:
    call.engine.world.token_serial += 1
    body = json.dumps(
        {"o": call.operation, "s": _scope(call), "k": key, "n": call.engine.world.token_serial},
        separators=(",", ":"),
    )
    document = json.dumps({"b": body, "m": _seal(body, call.engine.seed)}, separators=(",", ":"))
    return base64.b64encode(document.encode()).decode()


def _invalid() -> ValidationException:
    return ValidationException("The nextToken is invalid or has expired.")


def _read(call: Call, token: str) -> list[Any]:
    # Whatever a client puts in a token (deep nesting included) is a ValidationException.
    try:
        document = json.loads(base64.b64decode(token, validate=True))
        body = document["b"] if isinstance(document, dict) else None
        if not isinstance(body, str) or document["m"] != _seal(body, call.engine.seed):
            raise _invalid()
        data = json.loads(body)
    except (binascii.Error, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise _invalid() from exc
    if not isinstance(data, dict):
        raise _invalid()
    if data.get("o") != call.operation or data.get("s") != _scope(call):
        raise _invalid()
    key = data.get("k")
    if not isinstance(key, list) or any(isinstance(part, (list, dict)) for part in key):
        raise _invalid()
    return key


def paginate(
    call: Call,
    items: Sequence[T],
    key: Callable[[T], Sequence[Any]],
    render: Callable[[T], dict[str, Any]],
    result_key: str,
    *,
    descending: bool = False,
) -> dict[str, Any]:
    """One page of ``items`` in key order, with ``nextToken`` unless it is the last."""
    ordered = sorted(items, key=lambda item: list(key(item)), reverse=descending)
    token = call.params.get("nextToken")
    if token:
        last = _read(call, token)
        try:
            if descending:
                ordered = [item for item in ordered if list(key(item)) < last]
            else:
                ordered = [item for item in ordered if list(key(item)) > last]
        except TypeError as exc:
            raise _invalid() from exc
    size = call.params.get("maxResults") or DEFAULT_PAGE_SIZE
    page = ordered[:size]
    result: dict[str, Any] = {result_key: [render(item) for item in page]}
    if len(ordered) > size:
        result["nextToken"] = _issue(call, list(key(page[-1])))
    return result


def single_page(
    call: Call, items: Sequence[T], render: Callable[[T], dict[str, Any]], result_key: str
) -> dict[str, Any]:
    """Lists whose token shape is ``EmptyNextToken``: everything, in one page."""
    if call.params.get("nextToken"):
        raise ValidationException("nextToken must be empty for this operation.")
    return {result_key: [render(item) for item in items]}
