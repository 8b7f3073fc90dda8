"""Account settings and the resources summary."""

from __future__ import annotations

import pytest

import aioproton
from aioproton import models
from aioproton.emulator import Emulator

from .recipes import CONNECTION_ARN, ROLE, S3, SETTLE, service, world


async def test_account_settings(emulator: Emulator, proton: aioproton.ProtonClient) -> None:
    empty = await proton.get_account_settings()
    assert empty.pipeline_service_role_arn is None
    assert empty.pipeline_provisioning_repository is None
    branch = models.RepositoryBranchInput(branch="main", name="org/pipelines", provider="GITHUB")
    with pytest.raises(aioproton.ValidationError, match="not linked"):
        await proton.update_account_settings(pipeline_provisioning_repository=branch)
    await proton.create_repository(
        name="org/pipelines", provider="GITHUB", connection_arn=CONNECTION_ARN
    )
    updated = await proton.update_account_settings(
        pipeline_service_role_arn=ROLE,
        pipeline_codebuild_role_arn=ROLE,
        pipeline_provisioning_repository=branch,
    )
    assert updated.pipeline_service_role_arn == ROLE
    repository = updated.pipeline_provisioning_repository
    assert repository is not None and repository.arn.endswith(":repository/github:org/pipelines")
    with pytest.raises(aioproton.ValidationError, match="cannot be combined"):
        await proton.update_account_settings(
            pipeline_provisioning_repository=branch, delete_pipeline_provisioning_repository=True
        )
    cleared = await proton.update_account_settings(
        pipeline_service_role_arn="", delete_pipeline_provisioning_repository=True
    )
    assert cleared.pipeline_service_role_arn is None
    assert cleared.pipeline_codebuild_role_arn == ROLE
    assert cleared.pipeline_provisioning_repository is None
    assert (await proton.get_account_settings()) == cleared


async def test_resources_summary(emulator: Emulator, proton: aioproton.ProtonClient) -> None:
    empty = await proton.get_resources_summary()
    assert empty.environments.total == 0 and empty.services.total == 0
    await world(proton, emulator)
    emulator.script("service/broken/service-instance/b1", outcome="fail")
    await service(proton, emulator, "broken", [("b1", "prod")])
    await proton.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod"
    )
    emulator.advance(SETTLE)
    counts = await proton.get_resources_summary()
    assert counts.environment_templates.total == 1 and counts.service_templates.total == 1
    assert counts.environments.total == 1 and counts.environments.failed is None
    assert (counts.components.total, counts.components.failed) == (1, 0)
    assert (counts.services.total, counts.services.failed, counts.services.up_to_date) == (2, 1, 2)
    assert counts.service_instances.failed == 1
    # A new published minor puts everything behind by a minor; a new major, by a major.
    await proton.create_service_template_version(
        template_name="web",
        source=S3,
        major_version="1",
        compatible_environment_templates=[
            models.CompatibleEnvironmentTemplateInput(template_name="base", major_version="1")
        ],
    )
    emulator.advance(SETTLE)
    await proton.update_service_template_version(
        template_name="web", major_version="1", minor_version="1", status="PUBLISHED"
    )
    behind = await proton.get_resources_summary()
    assert behind.service_instances.behind_minor == 2
    assert behind.pipelines.behind_minor == 2
    assert behind.services.behind_minor == 2
    await proton.update_service_instance(
        service_name="api", name="i1", deployment_type="MINOR_VERSION"
    )
    emulator.advance(SETTLE)
    after = await proton.get_resources_summary()
    assert after.service_instances.up_to_date == 1
    assert after.service_instances.behind_minor == 1
    assert after.services.behind_minor == 2  # the pipelines are still behind
