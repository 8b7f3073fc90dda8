"""Turn the attrs state records into JSON-ready data and back.

Records use only JSON-shaped field types (str, int, float, bool, None, lists, dicts
with string keys, enums of strings, other records), so one small generic walker serves
every snapshot.
"""

from __future__ import annotations

import enum
import functools
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, Union

import attrs

T = TypeVar("T")


def given(members: Mapping[str, Any]) -> dict[str, Any]:
    """The output ``members`` that are set: the API leaves out those that are None."""
    return {key: value for key, value in members.items() if value is not None}


def non_empty(members: Mapping[str, Any]) -> dict[str, Any]:
    """The output ``members`` that hold something: the API leaves out None and empty ones."""
    return {key: value for key, value in members.items() if value}


def members(record: object, *names: str) -> dict[str, Any]:
    """Output members named as the API names them, read from ``record``'s attributes of
    the same name in snake case (``lastModifiedAt`` from ``last_modified_at``)."""
    return {name: getattr(record, snake_case(name)) for name in names}


@functools.cache
def snake_case(name: str) -> str:
    """``lastModifiedAt`` as ``last_modified_at``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def checked_keys(cls: type, data: object, *, what: str, unknown: str) -> set[str]:
    """The field names of attrs ``cls``, once ``data`` is a JSON object holding only those.

    Otherwise a ValueError: "``what`` must be a JSON object" or "``unknown``: a, b".
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{what} must be a JSON object")
    known = {field.name for field in attrs.fields(cls)}
    extra = sorted(set(data) - known)
    if extra:
        raise ValueError(f"{unknown}: {', '.join(extra)}")
    return known


def unstructure(value: Any) -> Any:
    if attrs.has(type(value)):
        return {
            field.name: unstructure(getattr(value, field.name))
            for field in attrs.fields(type(value))
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {key: unstructure(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [unstructure(item) for item in value]
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def structure(kind: type[T], data: Any) -> T:
    value: T = _build(kind, data)
    return value


def _build(kind: Any, data: Any) -> Any:
    if data is None:
        return None
    if isinstance(kind, type) and attrs.has(kind):
        if not isinstance(data, dict):
            raise ValueError(f"{kind.__name__} needs an object, got {type(data).__name__}")
        hints = _hints(kind)
        values = {
            field.name: _build(hints[field.name], data[field.name])
            for field in attrs.fields(kind)
            if field.name in data
        }
        return kind(**values)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin is list:
        return [_build(args[0], item) for item in data]
    if origin is dict:
        return {key: _build(args[1], item) for key, item in data.items()}
    if origin is Union or origin is types.UnionType:
        for option in args:
            if option is not type(None) and isinstance(option, type) and attrs.has(option):
                return _build(option, data)
        return data
    if kind is float and isinstance(data, int):
        return float(data)
    return data
