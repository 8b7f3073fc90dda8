"""A response that omits a member the model marks required still decodes.

The real service's create responses leave out members the model marks required (a new
environment has no ``templateMajorVersion`` yet) and botocore does not enforce output
``required``: the member decodes to ``None`` and a DEBUG record says so.
"""

from __future__ import annotations

import logging

import pytest

import aioproton
from aioproton import _codec, models

from .conftest import ScriptedServer


def missing_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "aioproton.client" and r.levelno == logging.DEBUG and hasattr(r, "member")
    ]


def test_a_missing_required_member_decodes_to_none_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioproton.client")
    template = _codec.decode(
        "EnvironmentTemplate",
        {"arn": "a", "createdAt": 0, "lastModifiedAt": 0},
        operation="GetEnvironmentTemplate",
    )
    assert isinstance(template, models.EnvironmentTemplate)
    assert template.name is None
    assert template.arn == "a"
    (record,) = missing_records(caplog)
    assert (record.operation, record.shape, record.member) == (  # type: ignore[attr-defined]
        "GetEnvironmentTemplate",
        "EnvironmentTemplate",
        "name",
    )
    assert "name" in record.getMessage()


def test_nested_structures_are_lenient_too(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aioproton.client")
    page = _codec.decode(
        "ListEnvironmentTemplatesOutput",
        {"templates": [{"arn": "a", "name": "t", "createdAt": 0}]},
    )
    (summary,) = page.templates
    assert summary.last_modified_at is None
    (record,) = missing_records(caplog)
    assert record.shape == "EnvironmentTemplateSummary"  # type: ignore[attr-defined]
    assert record.member == "lastModifiedAt"  # type: ignore[attr-defined]
    assert record.operation is None  # type: ignore[attr-defined]


def test_a_missing_required_list_decodes_empty_so_its_type_stays_true(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioproton.client")
    page = _codec.decode("ListEnvironmentsOutput", {}, operation="ListEnvironments")
    assert page.environments == ()
    assert page.next_token is None
    (record,) = missing_records(caplog)
    assert record.member == "environments"  # type: ignore[attr-defined]


async def test_a_create_response_without_its_version_members_decodes(
    scripted: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioproton.client")
    # As in the user guide: a brand-new environment has no version yet.
    scripted.reply(
        200,
        {
            "environment": {
                "arn": "arn:aws:proton:us-east-1:123456789012:environment/prod",
                "name": "prod",
                "templateName": "base",
                "deploymentStatus": "IN_PROGRESS",
                "createdAt": 1767225600,
                "lastDeploymentAttemptedAt": 1767225600,
            }
        },
    )
    async with scripted.client() as proton:
        env = await proton.create_environment(
            name="prod", template_name="base", template_major_version="1", spec="x: 1\n"
        )
    assert env.name == "prod"
    assert env.deployment_status == models.DeploymentStatus.IN_PROGRESS
    assert env.template_major_version is None
    assert env.last_deployment_succeeded_at is None
    assert {
        (r.operation, r.shape, r.member)  # type: ignore[attr-defined]
        for r in missing_records(caplog)
    } == {
        ("CreateEnvironment", "Environment", "templateMajorVersion"),
        ("CreateEnvironment", "Environment", "templateMinorVersion"),
        ("CreateEnvironment", "Environment", "lastDeploymentSucceededAt"),
    }


async def test_a_response_without_the_resource_itself_is_still_an_error(
    scripted: ScriptedServer,
) -> None:
    # The method is typed to return an Environment: with none at all there is nothing
    # to return, and a body that is not JSON reads as an object without it.
    scripted.reply(200, {})
    async with scripted.client() as proton:
        with pytest.raises(aioproton.ProtonResponseError, match="no 'environment'"):
            await proton.get_environment(name="prod")


def test_values_of_the_wrong_kind_are_decode_errors() -> None:
    for shape, value in [
        ("EnvironmentTemplateSummaryList", 5),
        ("OutputsList", "x"),
        ("Environment", {"createdAt": "soon"}),
        ("Environment", {"createdAt": "2020-99-99"}),
        ("Environment", {"createdAt": 1e300}),
        ("Environment", {"deploymentStatus": 5}),
        ("Environment", {"deploymentStatus": ["SUCCEEDED"]}),
    ]:
        with pytest.raises(_codec.DecodeError):
            _codec.decode(shape, value)
