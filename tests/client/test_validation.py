"""The model validator: every constraint botocore leaves to the server."""

from __future__ import annotations

from typing import Any

import pytest

from aioproton import _service_model
from aioproton._validation import validate


def problems(operation: str, params: dict[str, Any]) -> list[str]:
    shape = _service_model.operation_model(operation).input_shape
    return [p.render() for p in validate(shape, params)]


def test_a_valid_request_has_no_problems() -> None:
    assert (
        problems(
            "CreateEnvironment",
            {
                "name": "prod",
                "spec": "proton: EnvironmentSpec\n",
                "templateName": "base",
                "templateMajorVersion": "1",
                "tags": [{"key": "team", "value": ""}],
            },
        )
        == []
    )


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        ("GetEnvironment", {}, "name: required but missing"),
        ("GetEnvironment", {"name": ""}, "name: length 0 is below the minimum 1"),
        ("GetEnvironment", {"name": "x" * 101}, "name: length 101 exceeds 100"),
        ("GetEnvironment", {"name": "-bad"}, "name: '-bad' does not match pattern"),
        ("GetEnvironment", {"name": 7}, "name: expected a string, got int"),
        (
            "CreateEnvironment",
            {"name": "e", "spec": "x" * 70000, "templateName": "t", "templateMajorVersion": "1"},
            "spec: length 70000 exceeds 51200",
        ),
        (
            "UpdateEnvironment",
            {"name": "e", "deploymentType": "SOMETIMES"},
            "deploymentType: 'SOMETIMES' is not one of NONE, CURRENT_VERSION",
        ),
        ("ListEnvironments", {"maxResults": 101}, "maxResults: value 101 exceeds the maximum 100"),
        ("ListEnvironments", {"maxResults": 0}, "maxResults: value 0 is below the minimum 1"),
        ("ListEnvironments", {"maxResults": True}, "maxResults: expected an integer, got bool"),
        (
            "TagResource",
            {
                "resourceArn": "arn:aws:proton:us-east-1:123456789012:environment/e",
                "tags": [{"key": f"k{i}", "value": "v"} for i in range(51)],
            },
            "tags: items 51 exceeds 50",
        ),
        (
            "TagResource",
            {"resourceArn": "arn:aws:proton:us-east-1:123456789012:environment/e", "tags": "x"},
            "tags: expected a list, got str",
        ),
        (
            "CreateEnvironmentTemplateVersion",
            {"templateName": "t", "source": {}},
            "source: union TemplateVersionSourceInput needs exactly one member, got none",
        ),
        (
            "CreateEnvironmentTemplateVersion",
            {"templateName": "t", "source": {"s3": {"bucket": "Bad_Bucket", "key": "k"}}},
            "source.s3.bucket: 'Bad_Bucket' does not match pattern",
        ),
        (
            "UpdateAccountSettings",
            {"deletePipelineProvisioningRepository": "yes"},
            "deletePipelineProvisioningRepository: expected a boolean, got str",
        ),
        ("GetEnvironment", {"name": "e", "surprise": 1}, "surprise: unknown member of"),
        ("GetEnvironment", [], "(request): expected an object, got list"),
    ],
)
def test_each_rule_is_reported_with_its_path(operation: str, params: Any, expected: str) -> None:
    found = problems(operation, params)
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_not_just_the_first() -> None:
    found = problems(
        "CreateEnvironment",
        {"name": "bad name", "spec": "", "templateName": "t", "templateMajorVersion": "01"},
    )
    assert [p.split(":")[0] for p in found] == ["name", "spec", "templateMajorVersion"]


def test_unknown_members_can_be_allowed_for_forward_compatibility() -> None:
    shape = _service_model.operation_model("GetEnvironment").input_shape
    assert validate(shape, {"name": "e", "newMember": 1}, allow_unknown_members=True) == []


def test_an_operation_without_input_accepts_only_nothing() -> None:
    assert [p.render() for p in validate(None, {"x": 1})] == [
        "(request): this operation takes no parameters"
    ]
    assert validate(None, {}) == []
