"""The shared validator: patterns match the whole value, and unknown keys are named as sent."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

import aioproton
from aioproton import _service_model, models
from aioproton._validation import _to_end_of_string, validate
from aioproton.emulator import Emulator


def problems(operation: str, params: dict[str, Any]) -> list[str]:
    shape = _service_model.operation_model(operation).input_shape
    return [p.render() for p in validate(shape, params)]


@pytest.mark.parametrize(
    ("operation", "params", "member"),
    [
        ("GetEnvironment", {"name": "web\n"}, "name"),
        ("GetEnvironment", {"name": "web\n\n"}, "name"),
        (
            "GetEnvironmentTemplateVersion",
            {"templateName": "t", "majorVersion": "1\n", "minorVersion": "0"},
            "majorVersion",
        ),
        (
            "UpdateComponent",
            {"name": "c", "deploymentType": "NONE", "serviceName": "\n"},
            "serviceName",
        ),
        (
            "GetEnvironmentAccountConnection",
            {"id": "0" * 8 + "-0000-0000-0000-" + "0" * 12 + "\n"},
            "id",
        ),
    ],
)
def test_a_trailing_newline_does_not_match_a_pattern(
    operation: str, params: dict[str, Any], member: str
) -> None:
    found = problems(operation, params)
    assert any(p.startswith(f"{member}: ") and "does not match pattern" in p for p in found), found


def test_patterns_still_match_what_they_matched() -> None:
    assert problems("GetEnvironment", {"name": "web-1_a"}) == []
    assert (
        problems("UpdateComponent", {"name": "c", "deploymentType": "NONE", "serviceName": ""})
        == []
    )
    # The one unanchored pattern (owner/repo) keeps the model's search semantics.
    assert problems("GetRepository", {"name": "owner/repo", "provider": "GITHUB"}) == []


async def test_the_client_refuses_a_trailing_newline_before_sending(
    proton_emulator: Emulator,
) -> None:
    async with aioproton.ProtonClient(**proton_emulator.client_settings) as proton:
        with pytest.raises(aioproton.ParameterValidationError) as caught:
            await proton.create_environment_template(name="web\n")
    assert "name: 'web\\n' does not match pattern" in str(caught.value)
    assert proton_emulator.requests.count() == 0


@pytest.mark.proton_emulator(auth="none")
async def test_the_emulator_refuses_a_trailing_newline(proton_emulator: Emulator) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            proton_emulator.endpoint_url,
            data=json.dumps({"name": "web\n"}),
            headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "AwsProton20200720.CreateEnvironmentTemplate",
            },
        ) as response,
    ):
        body = await response.json(content_type=None)
        status = response.status
    assert status == 400
    assert body["__type"].endswith("ValidationException")
    assert "does not match pattern" in body["message"]
    async with aioproton.ProtonClient(**proton_emulator.client_settings) as proton:
        assert (await proton.list_environment_templates()).templates == ()


def test_a_wrongly_cased_key_is_named_as_sent_with_a_suggestion() -> None:
    found = problems(
        "TagResource",
        {
            "resourceArn": "arn:aws:proton:us-east-1:123456789012:environment/e",
            "tags": [{"Key": "a", "Value": "b"}],
        },
    )
    assert "tags[0].Key: unknown member of Tag; did you mean 'key'?" in found
    assert "tags[0].Value: unknown member of Tag; did you mean 'value'?" in found


def test_an_unknown_key_far_from_any_member_gets_no_suggestion() -> None:
    found = problems("GetEnvironment", {"name": "e", "surprise": 1})
    assert found == ["surprise: unknown member of GetEnvironmentInput"]


async def test_the_client_names_the_key_as_given_and_suggests_its_parameter(
    proton_client: aioproton.ProtonClient,
) -> None:
    with pytest.raises(aioproton.ParameterValidationError) as caught:
        await proton_client.create_environment_template(
            name="base",
            tags=[{"Key": "a", "Value": "b"}],  # type: ignore[list-item]
        )
    message = str(caught.value)
    assert "tags[0].Key: unknown member of Tag; did you mean 'key'?" in message
    assert "tags[0].key: unknown member" not in message
    # A camelCase wire name in a snake_case API is suggested in snake_case.
    with pytest.raises(aioproton.ParameterValidationError) as caught:
        await proton_client.list_environments(
            environment_templates=[{"TemplateName": "t", "majorVersion": "1"}],  # type: ignore[list-item]
        )
    assert (
        "environment_templates[0].TemplateName: unknown member of EnvironmentTemplateFilter; "
        "did you mean 'template_name'?" in str(caught.value)
    )
    # The right spelling still works.
    template = await proton_client.create_environment_template(
        name="base", tags=[models.Tag(key="a", value="b")]
    )
    assert template.name == "base"


@pytest.mark.parametrize(
    ("pattern", "written"),
    [
        ("^[a-z]+$", r"^[a-z]+\Z"),
        ("(^$)|^a$", r"(^\Z)|^a\Z"),
        (r"^a\$$", r"^a\$\Z"),  # an escaped dollar is a character
        ("^[$]+$", r"^[$]+\Z"),  # so is a dollar in a class
        ("^[]$]$", r"^[]$]\Z"),  # a ']' first in a class does not close it
        ("[A-Za-z0-9_.-].*/[A-Za-z0-9_.-].*", "[A-Za-z0-9_.-].*/[A-Za-z0-9_.-].*"),
    ],
)
def test_only_end_anchors_are_rewritten(pattern: str, written: str) -> None:
    assert _to_end_of_string(pattern) == written
