"""The generated straight-line decoders agree with the generic table-driven one.

For every shape a response can hold, random wire values (seeded, so a failure repeats)
decode to equal objects through both, leave the same DEBUG records for missing required
members, and malformed values raise the same :class:`DecodeError` message.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import botocore.model
import pytest

from aioproton import _codec, _service_model
from aioproton._generated.decoders import DECODERS
from aioproton._generated.facts import OPERATIONS

#: Values of the wrong kind for almost any shape (and of the right kind for some).
MALFORMED: tuple[Any, ...] = (42, True, "text", [1], {"x": 1}, 1e300, "not-a-date", 2.5)


def wire_value(shape: botocore.model.Shape, rng: random.Random, depth: int = 0) -> Any:
    """A random value of ``shape`` as the service might send it, now and then malformed."""
    if rng.random() < 0.04:
        return rng.choice(MALFORMED)
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, botocore.model.StructureShape)
        members = shape.members
        if shape.is_tagged_union:
            names = [*members, "futureMember"]
            chosen = rng.sample(names, k=rng.choice([1, 1, 1, 1, 0, 2]))
        elif depth > 4:
            chosen = [m for m in members if rng.random() < 0.3]
        else:
            chosen = [m for m in members if rng.random() < 0.8]
        out: dict[str, Any] = {}
        for name in chosen:
            member = members.get(name)
            out[name] = {"x": 1} if member is None else wire_value(member, rng, depth + 1)
        if rng.random() < 0.1 and members:
            out[rng.choice(list(members))] = None  # an explicit null reads as missing
        if rng.random() < 0.1:
            out["someFutureMember"] = "ignored"
        return out
    if kind == "list":
        assert isinstance(shape, botocore.model.ListShape)
        count = 0 if depth > 4 else rng.randint(0, 3)
        return [wire_value(shape.member, rng, depth + 1) for _ in range(count)]
    if kind == "map":
        assert isinstance(shape, botocore.model.MapShape)
        count = 0 if depth > 4 else rng.randint(0, 2)
        return {f"k{i}": wire_value(shape.value, rng, depth + 1) for i in range(count)}
    if kind == "string":
        if shape.enum:
            return rng.choice([*shape.enum, "BRAND_NEW_VALUE"])
        return rng.choice(["", "prod", "arn:aws:proton:us-east-1:123456789012:x/y"])
    if kind == "timestamp":
        return rng.choice(
            [1767225600.25, 1767225600, "2026-01-01T00:00:00Z", "2026-01-01T02:00:00+02:00"]
        )
    if kind in ("integer", "long"):
        return rng.randint(-5, 10**6)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("double", "float"):
        return rng.random() * 100
    return "opaque"


def outcome(decoder: Any, value: Any) -> tuple[str, Any]:
    try:
        return "value", decoder(value)
    except _codec.DecodeError as exc:
        return "error", str(exc)


def missing_records(caplog: pytest.LogCaptureFixture) -> list[tuple[Any, ...]]:
    records = [
        (r.getMessage(), r.operation, r.shape, r.member)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "aioproton.client" and hasattr(r, "member")
    ]
    caplog.clear()
    return records


@pytest.mark.parametrize("shape_name", sorted(DECODERS))
def test_generated_and_generic_decoders_agree(
    shape_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioproton.client")
    shape = _service_model.service_model().shape_for(shape_name)
    rng = random.Random(f"decoders/{shape_name}")
    generated = DECODERS[shape_name]
    kinds = set()
    for value in [*(wire_value(shape, rng) for _ in range(40)), *MALFORMED]:
        expected = outcome(lambda v: _codec.decode(shape_name, v, operation="Probe"), value)
        expected_records = missing_records(caplog)
        got = outcome(lambda v: generated(v, "Probe"), value)
        assert got == expected, value
        if got[0] == "value":
            assert type(got[1]) is type(expected[1])
        assert missing_records(caplog) == expected_records, value
        kinds.add(got[0])
    if shape.type_name in ("structure", "list", "map", "timestamp"):
        assert "error" in kinds  # the malformed values reached this shape's checks


def test_every_operation_result_has_a_generated_decoder() -> None:
    for name in OPERATIONS:
        output = _service_model.operation_model(name).output_shape
        if output is None:
            continue
        assert output.name in DECODERS
        for member in output.members.values():
            assert member.name in DECODERS


def test_a_missing_required_member_is_named_in_the_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioproton.client")
    summary = DECODERS["EnvironmentSummary"]({"arn": "a", "createdAt": 0}, "ListEnvironments")
    assert summary.name is None
    assert summary.created_at.tzinfo is not None
    recorded = missing_records(caplog)
    assert ("ListEnvironments", "EnvironmentSummary", "name") in [r[1:] for r in recorded]


def test_a_wrong_kind_names_the_member_path() -> None:
    with pytest.raises(_codec.DecodeError, match=r"ListEnvironmentsOutput.environments: "):
        DECODERS["ListEnvironmentsOutput"]({"environments": [{"arn": "a", "createdAt": "x"}]}, None)
