"""Encoding typed arguments and decoding responses, on the model's shapes."""

from __future__ import annotations

import datetime

from aioproton import _codec, models


def test_arguments_become_wire_members_and_none_is_dropped() -> None:
    params = _codec.encode_arguments(
        "CreateEnvironmentInput",
        {
            "self": object(),
            "name": "prod",
            "template_major_version": "1",
            "description": None,
            "provisioning_repository": models.RepositoryBranchInput(
                branch="main", name="o/r", provider=models.RepositoryProvider.GITHUB
            ),
            "tags": [models.Tag(key="team", value="a")],
        },
    )
    assert params == {
        "name": "prod",
        "templateMajorVersion": "1",
        "provisioningRepository": {"branch": "main", "name": "o/r", "provider": "GITHUB"},
        "tags": [{"key": "team", "value": "a"}],
    }


def test_unions_and_plain_mappings_are_encoded() -> None:
    source = models.TemplateVersionSourceInputS3(models.S3ObjectSource(bucket="b", key="k"))
    assert _codec.encode("TemplateVersionSourceInput", source) == {
        "s3": {"bucket": "b", "key": "k"}
    }
    # A boto3-style mapping (wire names) or snake_case keys both work.
    assert _codec.encode("RepositoryBranchInput", {"branch": "m", "name": "o/r"}) == {
        "branch": "m",
        "name": "o/r",
    }
    assert _codec.encode("EnvironmentTemplateFilter", {"template_name": "t"}) == {
        "templateName": "t"
    }


def test_decoding_builds_models_with_utc_datetimes_and_open_enums() -> None:
    env = _codec.decode(
        "Environment",
        {
            "arn": "arn:aws:proton:us-east-1:123456789012:environment/prod",
            "name": "prod",
            "templateName": "base",
            "templateMajorVersion": "1",
            "templateMinorVersion": "0",
            "deploymentStatus": "BRAND_NEW_STATE",
            "createdAt": 1767225600.5,
            "lastDeploymentAttemptedAt": 1767225600,
            "lastDeploymentSucceededAt": 1767225600,
            "someFutureMember": {"x": 1},
        },
    )
    assert isinstance(env, models.Environment)
    assert env.created_at == datetime.datetime(2026, 1, 1, 0, 0, 0, 500000, datetime.timezone.utc)
    assert env.deployment_status == "BRAND_NEW_STATE"
    assert not env.deployment_status.known
    assert env.spec is None


def test_union_members_decode_to_their_variant_or_unknown() -> None:
    state = _codec.decode(
        "DeploymentState",
        {
            "environment": {
                "templateName": "t",
                "templateMajorVersion": "1",
                "templateMinorVersion": "0",
            }
        },
    )
    assert isinstance(state, models.DeploymentStateEnvironment)
    assert state.value.template_name == "t"
    future = _codec.decode("DeploymentState", {"database": {"x": 1}})
    assert future == models.DeploymentStateUnknown(tag="database")


def test_sensitive_members_stay_out_of_repr() -> None:
    env = models.EnvironmentState(
        template_name="t", template_major_version="1", template_minor_version="0", spec="secret"
    )
    assert "secret" not in repr(env)
