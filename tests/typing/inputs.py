"""Inputs: nested structures take the model classes or their boto3-style dicts."""

from __future__ import annotations

from aioproton import ProtonClient, models
from aioproton.models import S3ObjectSource, Tag, TagDict, TemplateVersionSourceInputS3


async def models_and_dicts(proton: ProtonClient) -> None:
    await proton.create_environment_template(name="base", tags=[Tag(key="team", value="a")])
    await proton.create_environment_template(name="base", tags=[{"key": "team", "value": "a"}])
    mixed: list[Tag | TagDict] = [Tag(key="a", value="1"), {"key": "b", "value": "2"}]
    await proton.tag_resource(resource_arn="arn", tags=mixed)
    await proton.create_environment_template_version(
        template_name="base",
        source=TemplateVersionSourceInputS3(S3ObjectSource(bucket="b", key="base.tar.gz")),
    )
    await proton.create_environment_template_version(
        template_name="base", source={"s3": {"bucket": "b", "key": "base.tar.gz"}}
    )
    # A dict may hold a model where it holds a structure.
    await proton.create_environment_template_version(
        template_name="base", source={"s3": S3ObjectSource(bucket="b", key="base.tar.gz")}
    )
    # Enums take the enum member or its string.
    await proton.update_environment_template_version(
        template_name="base",
        major_version="1",
        minor_version="0",
        status=models.TemplateVersionStatus.PUBLISHED,
    )
    await proton.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
    )


async def refused(proton: ProtonClient) -> None:
    # ``...Unknown`` variants carry members a newer service sends; they are never inputs.
    await proton.create_environment_template_version(
        template_name="base",
        source=models.TemplateVersionSourceInputUnknown("git"),  # type: ignore[arg-type]
    )
    # A dict checks its keys (wire names) and their types.
    await proton.create_environment_template(
        name="base",
        tags=[{"key": "team", "valu": "a"}],  # type: ignore[list-item]
    )
    await proton.create_environment_template(
        name="base",
        tags=[{"key": "team", "value": 1}],  # type: ignore[list-item]
    )
    await proton.update_environment_template_version(
        template_name="base",
        major_version="1",
        minor_version="0",
        status="PUBLISHD",  # type: ignore[arg-type]
    )
