"""Canonical fingerprints of request parameters, for idempotency and page tokens."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from ..._service_model import operation_model


def modelled(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """The members the operation's input shape defines (unknown members are ignored)."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return {}
    members = shape.members
    return {key: value for key, value in params.items() if key in members and value is not None}


def fingerprint(operation: str, params: dict[str, Any], *, exclude: Iterable[str] = ()) -> str:
    skipped = set(exclude)
    data = {k: v for k, v in modelled(operation, params).items() if k not in skipped}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def differences(operation: str, first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """Names of the modelled members whose values differ."""
    a = modelled(operation, first)
    b = modelled(operation, second)
    return sorted(key for key in set(a) | set(b) if a.get(key) != b.get(key))
