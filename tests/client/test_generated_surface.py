"""The generated client surface matches the installed botocore model exactly."""

from __future__ import annotations

import inspect
import types

import attrs
import pytest
from botocore import xform_name

import aioproton
from aioproton import _service_model, models
from aioproton._generated.facts import OPERATIONS, PAGINATORS, WAITERS
from aioproton._generated.paginators import GeneratedPaginators

SERVICE = _service_model.service_model()
OPERATION_NAMES = sorted(SERVICE.operation_names)


def test_the_model_has_87_operations_and_each_has_a_method() -> None:
    assert len(OPERATION_NAMES) == 87
    methods = {
        name
        for name, value in inspect.getmembers(aioproton.ProtonClient)
        if inspect.iscoroutinefunction(value) and not name.startswith("_")
    }
    assert {xform_name(op) for op in OPERATION_NAMES} <= methods
    assert set(OPERATIONS) == set(OPERATION_NAMES)


@pytest.mark.parametrize("operation", OPERATION_NAMES)
def test_parameters_match_the_input_shape(operation: str) -> None:
    method = getattr(aioproton.ProtonClient, xform_name(operation))
    signature = inspect.signature(method)
    params = {n: p for n, p in signature.parameters.items() if n != "self"}
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    shape = SERVICE.operation_model(operation).input_shape
    members = shape.members if shape is not None else {}
    assert set(params) == {xform_name(m) for m in members}
    required = set(shape.required_members) if shape is not None else set()
    for member in members:
        param = params[xform_name(member)]
        assert (param.default is inspect.Parameter.empty) == (member in required), member


@pytest.mark.parametrize("operation", OPERATION_NAMES)
def test_operation_facts_match_the_model(operation: str) -> None:
    model = SERVICE.operation_model(operation)
    facts = OPERATIONS[operation]
    raw = _service_model.service_description()["operations"][operation]
    assert facts.idempotent == bool(raw.get("idempotent"))
    tokens = list(model.idempotent_members)
    assert facts.client_token == (tokens[0] if tokens else None)
    assert set(facts.errors) == {e.name for e in model.error_shapes}
    assert facts.method == xform_name(operation)
    doc = inspect.getdoc(getattr(aioproton.ProtonClient, facts.method)) or ""
    assert doc and "<p>" not in doc
    if model.deprecated:
        assert "Deprecated" in doc


def test_every_structure_has_a_frozen_slotted_class_with_snake_case_fields() -> None:
    description = _service_model.service_description()
    for name, shape in description["shapes"].items():
        if shape["type"] != "structure":
            continue
        if shape.get("union"):
            variants, unknown = models.UNIONS[name]
            assert set(variants) == set(shape["members"])
            assert attrs.has(unknown)
            continue
        cls = models.STRUCTURES[name]
        assert attrs.has(cls)
        assert "__slots__" in cls.__dict__
        fields = {f.name: f for f in attrs.fields(cls)}
        assert set(fields) == {xform_name(m) for m in shape.get("members", {})}
        for member in shape.get("members", {}):
            field = fields[xform_name(member)]
            assert (field.default is attrs.NOTHING) == (member in shape.get("required", []))
        instance = cls(**{f: None for f, a in fields.items() if a.default is attrs.NOTHING})
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            instance.description = "changed"


def test_enums_match_the_model_and_accept_unknown_values() -> None:
    description = _service_model.service_description()
    enums = {n: s["enum"] for n, s in description["shapes"].items() if "enum" in s}
    assert set(models.ENUMS) == set(enums)
    for name, values in enums.items():
        assert [member.value for member in models.ENUMS[name]] == values
    status = models.DeploymentStatus("SOMETHING_NEW")
    assert status == "SOMETHING_NEW"
    assert not status.known
    assert models.DeploymentStatus("SUCCEEDED") is models.DeploymentStatus.SUCCEEDED


def test_paginators_and_waiters_are_listed_as_data() -> None:
    paginators = _service_model.paginators_description()["pagination"]
    waiters = _service_model.waiters_description()["waiters"]
    assert set(PAGINATORS) == set(paginators) and len(PAGINATORS) == 21
    assert set(WAITERS) == set(waiters) and len(WAITERS) == 10
    for name, spec in paginators.items():
        facts = PAGINATORS[name]
        assert (facts.input_token, facts.output_token, facts.result_key) == (
            spec["input_token"],
            spec["output_token"],
            spec["result_key"],
        )
        assert facts.limit_key == spec.get("limit_key")
        method = getattr(GeneratedPaginators, xform_name(name))
        params = inspect.signature(method).parameters
        assert ("page_size" in params) == (facts.limit_key is not None)
    for name, spec in waiters.items():
        facts = WAITERS[name]
        assert facts.operation == spec["operation"]
        assert (facts.delay, facts.max_attempts) == (spec["delay"], spec["maxAttempts"])
        assert [(a.state, a.matcher, a.expected) for a in facts.acceptors] == [
            (a["state"], a["matcher"], a["expected"]) for a in spec["acceptors"]
        ]


def test_public_names_are_exported_explicitly() -> None:
    exported = set(aioproton.__all__)
    public = {
        name
        for name, value in ((n, getattr(aioproton, n)) for n in dir(aioproton))  # lazy ones too
        if not name.startswith("_")
        and not (isinstance(value, types.ModuleType) and name not in exported)
    }
    assert exported == public - {"annotations"}
    for name in exported:
        assert getattr(aioproton, name) is not None
    error_classes = {
        name
        for name, value in vars(aioproton.errors).items()
        if isinstance(value, type) and issubclass(value, aioproton.ProtonError)
    }
    assert error_classes <= exported
