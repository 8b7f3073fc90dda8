"""Convert between typed values and the wire format, driven by the model.

Encoding turns method arguments (snake_case, attrs models, enums) into the camelCase
JSON-ready values botocore sends; decoding turns botocore's parsed response into the
generated attrs classes. Each shape is compiled once into a small closure, so a call
pays a dictionary walk, not a model lookup. The client decodes with the straight-line
decoders ``scripts/codegen.py`` writes from the same rules
(:mod:`aioproton._generated.decoders`); the decoder here is their reference, and tests
check that the two agree on random values.

Decoding is lenient about output ``required``, as botocore is: the real service omits
members the model marks required (a new environment has no template version yet), so a
missing list or map decodes empty and any other missing member to ``None``, even where
the generated class annotates it without ``| None``, and a DEBUG record on
``aioproton.client`` names the operation, shape and member. A value of the wrong kind
(text for a timestamp, a number for a list) is a :class:`DecodeError`.
"""

from __future__ import annotations

import contextvars
import datetime
import enum
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import botocore.model
from botocore import xform_name

from . import _service_model
from ._generated import models

Decoder = Callable[[Any], Any]
Encoder = Callable[[Any], Any]

logger = logging.getLogger("aioproton.client")

# The operation whose response is being decoded, for the records of lenient decoding.
_decoding: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "aioproton_decoding", default=None
)


class DecodeError(Exception):
    """A response value does not fit its shape (e.g. a list where an object belongs)."""


def python_name(member: str) -> str:
    """The snake_case attribute or parameter name of a wire member."""
    return str(xform_name(member))


# --------------------------------------------------------------------------- encode


def encode_arguments(input_shape: str | None, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a generated method's ``locals()`` into wire parameters, dropping ``None``."""
    if input_shape is None:
        return {}
    names = _input_names(input_shape)
    encoders = _member_encoders(input_shape)
    params: dict[str, Any] = {}
    for name, value in arguments.items():
        if value is None or name == "self":
            continue
        wire = names[name]
        params[wire] = encoders[wire](value)
    return params


def encode(shape_name: str, value: Any) -> Any:
    """Encode one value of ``shape_name`` (used for nested values and by the workflow layer)."""
    return _encoder(shape_name)(value)


@functools.cache
def _input_names(shape_name: str) -> dict[str, str]:
    shape = _service_model.service_model().shape_for(shape_name)
    return {python_name(member): member for member in shape.members}


@functools.cache
def _member_encoders(shape_name: str) -> dict[str, Encoder]:
    shape = _service_model.service_model().shape_for(shape_name)
    return {member: _encoder(member_shape.name) for member, member_shape in shape.members.items()}


@functools.cache
def _encoder(shape_name: str) -> Encoder:
    shape = _service_model.service_model().shape_for(shape_name)
    kind = shape.type_name
    if kind == "structure":
        return _structure_encoder(shape)
    if kind == "list":
        member_name = shape.member.name

        def encode_list(value: Any) -> Any:
            if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
                return value  # left for the validator to report
            item = _encoder(member_name)
            return [item(v) for v in value]

        return encode_list
    if kind == "map":
        value_name = shape.value.name

        def encode_map(value: Any) -> Any:
            if not isinstance(value, Mapping):
                return value
            item = _encoder(value_name)
            return {k: item(v) for k, v in value.items()}

        return encode_map
    return _encode_scalar


def _encode_scalar(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _structure_encoder(shape: botocore.model.StructureShape) -> Encoder:
    members = shape.members
    by_python = {python_name(m): m for m in members}
    is_union = shape.is_tagged_union
    variants = models.UNIONS.get(shape.name, ({}, None))[0]
    variant_member = {cls: member for member, cls in variants.items()}

    def encode_structure(value: Any) -> Any:
        if is_union and type(value) in variant_member:
            member = variant_member[type(value)]
            return {member: _encoder(members[member].name)(value.value)}
        if attrs.has(type(value)):
            items: Any = ((f.name, getattr(value, f.name)) for f in attrs.fields(type(value)))
        elif isinstance(value, Mapping):
            items = value.items()
        else:
            return value  # left for the validator to report
        out: dict[str, Any] = {}
        for key, item in items:
            if item is None:
                continue
            wire = key if key in members else by_python.get(key, key)
            member_shape = members.get(wire)
            out[wire] = _encoder(member_shape.name)(item) if member_shape is not None else item
        return out

    return encode_structure


# --------------------------------------------------------------------------- decode


def decode(shape_name: str, value: Any, *, operation: str | None = None) -> Any:
    """Decode a parsed wire value of ``shape_name`` into generated types.

    ``operation`` names the response in the log records of members decoded to ``None``.
    """
    if operation is None:
        return _decoder(shape_name)(value)
    token = _decoding.set(operation)
    try:
        return _decoder(shape_name)(value)
    finally:
        _decoding.reset(token)


@functools.cache
def _decoder(shape_name: str) -> Decoder:
    shape = _service_model.service_model().shape_for(shape_name)
    kind = shape.type_name
    if kind == "structure":
        if shape.is_tagged_union:
            return _union_decoder(shape)
        return _structure_decoder(shape)
    if kind == "list":
        member_name = shape.member.name

        def decode_list(value: Any) -> Any:
            if not isinstance(value, (list, tuple)):
                raise DecodeError(f"expected a list, got {type(value).__name__}")
            item = _decoder(member_name)
            return tuple([item(v) for v in value])

        return decode_list
    if kind == "map":
        value_name = shape.value.name

        def decode_map(value: Any) -> Any:
            if not isinstance(value, Mapping):
                raise DecodeError(f"expected an object, got {type(value).__name__}")
            item = _decoder(value_name)
            return {k: item(v) for k, v in value.items()}

        return decode_map
    if kind == "string" and shape.enum:
        enum_class = models.ENUMS[shape.name]
        known = dict(enum_class._value2member_map_)

        def decode_enum(value: Any) -> Any:
            if not isinstance(value, str):
                raise DecodeError(f"expected a string, got {type(value).__name__}")
            # A dict lookup for known values: calling an Enum class is slow.
            return known.get(value) or enum_class(value)

        return decode_enum
    if kind == "timestamp":
        return decode_timestamp
    return _identity


def _identity(value: Any) -> Any:
    return value


def decode_timestamp(value: Any) -> datetime.datetime:
    """A timezone-aware UTC datetime from epoch seconds, ISO 8601 text or a datetime."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc)
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        if isinstance(value, str):
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return decode_timestamp(parsed)
    except (ValueError, OverflowError, OSError) as exc:
        raise DecodeError(f"not a timestamp: {value!r} ({exc})") from None
    raise DecodeError(f"not a timestamp: {value!r}")


_EMPTY: dict[str, Callable[[], Any]] = {"list": tuple, "map": dict}


def _structure_decoder(shape: botocore.model.StructureShape) -> Decoder:
    cls = models.STRUCTURES[shape.name]
    members = tuple(
        (member, python_name(member), member_shape.name)
        for member, member_shape in shape.members.items()
    )
    # A missing required collection decodes empty (its annotation stays true), any
    # other member to None.
    required = tuple(
        (member, python_name(member), _EMPTY.get(shape.members[member].type_name))
        for member in shape.required_members
    )
    # Member decoders are looked up on first use (not at compile time), so mutually
    # referencing shapes cannot recurse while compiling.
    plan: list[tuple[str, str, Decoder]] = []

    def decode_structure(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise DecodeError(f"{shape.name}: expected an object, got {type(value).__name__}")
        if not plan:
            plan.extend((m, name, _decoder(target)) for m, name, target in members)
        kwargs: dict[str, Any] = {}
        member = ""
        try:
            for member, name, decode_member in plan:
                item = value.get(member)
                if item is not None:
                    kwargs[name] = decode_member(item)
        except DecodeError as exc:
            raise DecodeError(f"{shape.name}.{member}: {exc}") from None
        for wire, name, empty in required:
            if name not in kwargs:
                kwargs[name] = None if empty is None else empty()
                note_missing(_decoding.get(), shape.name, wire)
        return cls(**kwargs)

    return decode_structure


def note_missing(operation: str | None, shape: str, member: str) -> None:
    """Record a required member the response left out (decoded empty or as ``None``)."""
    logger.debug(
        "%s: the response has no %s.%s, which the model marks required; decoded as None",
        operation or "a response",
        shape,
        member,
        extra={"operation": operation, "shape": shape, "member": member},
    )


def _union_decoder(shape: botocore.model.StructureShape) -> Decoder:
    variants, unknown = models.UNIONS[shape.name]
    members = {member: member_shape.name for member, member_shape in shape.members.items()}

    def decode_union(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise DecodeError(f"{shape.name}: expected an object, got {type(value).__name__}")
        present = [k for k, v in value.items() if v is not None]
        if len(present) != 1:
            raise DecodeError(f"union {shape.name} has {len(present)} members set")
        (member,) = present
        if member not in variants:
            return unknown(tag=member)
        return variants[member](_decoder(members[member])(value[member]))

    return decode_union
