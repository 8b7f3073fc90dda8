"""Account settings and the resources summary."""

from __future__ import annotations

import pytest

import aioproton
from aioproton import models
from aioproton.emulator import Emulator

from ..recipes import BUNDLE, CONNECTION_ARN, SERVICE_ROLE, SETTLE, service, world


async def test_account_settings(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    empty = await proton_client.get_account_settings()
    assert empty.pipeline_service_role_arn is None
    assert empty.pipeline_provisioning_repository is None
    branch = models.RepositoryBranchInput(branch="main", name="org/pipelines", provider="GITHUB")
    with pytest.raises(aioproton.ValidationError, match="not linked"):
        await proton_client.update_account_settings(pipeline_provisioning_repository=branch)
    await proton_client.create_repository(
        name="org/pipelines", provider="GITHUB", connection_arn=CONNECTION_ARN
    )
    updated = await proton_client.update_account_settings(
        pipeline_service_role_arn=SERVICE_ROLE,
        pipeline_codebuild_role_arn=SERVICE_ROLE,
        pipeline_provisioning_repository=branch,
    )
    assert updated.pipeline_service_role_arn == SERVICE_ROLE
    repository = updated.pipeline_provisioning_repository
    assert repository is not None and repository.arn.endswith(":repository/github:org/pipelines")
    with pytest.raises(aioproton.ValidationError, match="cannot be combined"):
        await proton_client.update_account_settings(
            pipeline_provisioning_repository=branch, delete_pipeline_provisioning_repository=True
        )
    cleared = await proton_client.update_account_settings(
        pipeline_service_role_arn="", delete_pipeline_provisioning_repository=True
    )
    assert cleared.pipeline_service_role_arn is None
    assert cleared.pipeline_codebuild_role_arn == SERVICE_ROLE
    assert cleared.pipeline_provisioning_repository is None
    assert (await proton_client.get_account_settings()) == cleared


async def test_resources_summary(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    empty = await proton_client.get_resources_summary()
    assert empty.environments.total == 0 and empty.services.total == 0
    await world(proton_client, proton_emulator)
    proton_emulator.script("service/broken/service-instance/b1", outcome="fail")
    await service(proton_client, proton_emulator, "broken", [("b1", "prod")])
    await proton_client.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod"
    )
    proton_emulator.advance(SETTLE)
    counts = await proton_client.get_resources_summary()
    assert counts.environment_templates.total == 1 and counts.service_templates.total == 1
    assert counts.environments.total == 1 and counts.environments.failed is None
    assert (counts.components.total, counts.components.failed) == (1, 0)
    assert (counts.services.total, counts.services.failed, counts.services.up_to_date) == (2, 1, 2)
    assert counts.service_instances.failed == 1
    # A new published minor puts everything behind by a minor; a new major, by a major.
    await proton_client.create_service_template_version(
        template_name="web",
        source=BUNDLE,
        major_version="1",
        compatible_environment_templates=[
            models.CompatibleEnvironmentTemplateInput(template_name="base", major_version="1")
        ],
    )
    proton_emulator.advance(SETTLE)
    await proton_client.update_service_template_version(
        template_name="web", major_version="1", minor_version="1", status="PUBLISHED"
    )
    behind = await proton_client.get_resources_summary()
    assert behind.service_instances.behind_minor == 2
    assert behind.pipelines.behind_minor == 2
    assert behind.services.behind_minor == 2
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="MINOR_VERSION"
    )
    proton_emulator.advance(SETTLE)
    after = await proton_client.get_resources_summary()
    assert after.service_instances.up_to_date == 1
    assert after.service_instances.behind_minor == 1
    assert after.services.behind_minor == 2  # the pipelines are still behind
