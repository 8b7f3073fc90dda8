"""Repositories, template and service sync configurations, sync status and blockers."""

from __future__ import annotations

import pytest

import aioproton
from aioproton import models
from aioproton.emulator import Emulator

from ..recipes import CONNECTION_ARN, SETTLE, arn, service_spec, world


async def _link(
    proton: aioproton.ProtonClient, name: str = "org/templates", **kw: str
) -> models.Repository:
    return await proton.create_repository(
        name=name, provider=kw.pop("provider", "GITHUB"), connection_arn=CONNECTION_ARN, **kw
    )


async def test_repository_lifecycle(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    repo = await _link(proton_client, encryption_key=arn("key/k"))
    assert repo.arn == arn("repository/github:org/templates")
    assert (await _link(proton_client, encryption_key=arn("key/k"))).arn == repo.arn
    with pytest.raises(aioproton.ConflictError, match="encryptionKey"):
        await _link(proton_client)
    enterprise = await _link(proton_client, "corp/infra", provider="GITHUB_ENTERPRISE")
    assert enterprise.arn == arn("repository/github_enterprise:corp/infra")
    got = await proton_client.get_repository(name="org/templates", provider="GITHUB")
    assert got.encryption_key == arn("key/k")
    listed = await proton_client.list_repositories()
    assert [r.name for r in listed.repositories] == ["corp/infra", "org/templates"]
    deleted = await proton_client.delete_repository(name="org/templates", provider="GITHUB")
    assert deleted is not None and deleted.arn == repo.arn
    again = await proton_client.delete_repository(name="org/templates", provider="GITHUB")
    assert again is not None and again.arn == repo.arn
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_repository(name="org/templates", provider="GITHUB")
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.delete_repository(name="org/never", provider="BITBUCKET")


async def test_repository_in_use(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await _link(proton_client)
    branch = models.RepositoryBranchInput(branch="main", name="org/templates", provider="GITHUB")
    settings = await proton_client.update_account_settings(pipeline_provisioning_repository=branch)
    assert settings.pipeline_provisioning_repository is not None
    with pytest.raises(aioproton.ConflictError, match="account settings"):
        await proton_client.delete_repository(name="org/templates", provider="GITHUB")
    await proton_client.update_account_settings(delete_pipeline_provisioning_repository=True)
    await proton_client.create_environment_template(name="base")
    await proton_client.create_template_sync_config(
        template_name="base",
        template_type="ENVIRONMENT",
        repository_name="org/templates",
        repository_provider="GITHUB",
        branch="main",
    )
    with pytest.raises(aioproton.ConflictError, match="template sync"):
        await proton_client.delete_repository(name="org/templates", provider="GITHUB")


async def test_template_sync_configs(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    kwargs = {
        "template_name": "base",
        "template_type": "ENVIRONMENT",
        "repository_name": "org/templates",
        "repository_provider": "GITHUB",
        "branch": "main",
    }
    with pytest.raises(aioproton.ValidationError, match="template base does not exist"):
        await proton_client.create_template_sync_config(**kwargs)
    await proton_client.create_environment_template(name="base")
    with pytest.raises(aioproton.ValidationError, match="not linked"):
        await proton_client.create_template_sync_config(**kwargs)
    await _link(proton_client)
    created = await proton_client.create_template_sync_config(**kwargs, subdirectory="env")
    assert created is not None and created.subdirectory == "env"
    repeat = await proton_client.create_template_sync_config(**kwargs, subdirectory="env")
    assert repeat == created
    with pytest.raises(aioproton.ConflictError, match="different sync"):
        await proton_client.create_template_sync_config(**kwargs)
    updated = await proton_client.update_template_sync_config(**{**kwargs, "branch": "release"})
    assert updated is not None and updated.branch == "release" and updated.subdirectory is None
    with pytest.raises(aioproton.ResourceNotFoundError, match="not linked"):
        await proton_client.update_template_sync_config(
            **{**kwargs, "repository_name": "org/other"}
        )
    status = await proton_client.get_template_sync_status(
        template_name="base", template_type="ENVIRONMENT", template_version="1"
    )
    assert status.latest_sync is None
    definitions = await proton_client.list_repository_sync_definitions(
        repository_name="org/templates", repository_provider="GITHUB", sync_type="TEMPLATE_SYNC"
    )
    (definition,) = definitions.sync_definitions
    assert (definition.target, definition.branch, definition.directory) == ("base", "release", "/")
    sync = await proton_client.get_repository_sync_status(
        repository_name="org/templates", repository_provider="GITHUB", branch="main",
        sync_type="TEMPLATE_SYNC",
    )  # fmt: skip
    assert sync is None
    deleted = await proton_client.delete_template_sync_config(
        template_name="base", template_type="ENVIRONMENT"
    )
    assert deleted is not None
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_template_sync_config(
            template_name="base", template_type="ENVIRONMENT"
        )
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_template_sync_status(
            template_name="base", template_type="ENVIRONMENT", template_version="1"
        )
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_repository_sync_status(
            repository_name="org/none", repository_provider="GITHUB", branch="main",
            sync_type="TEMPLATE_SYNC",
        )  # fmt: skip


async def test_service_sync_and_blockers(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    await _link(proton_client)
    kwargs = {
        "service_name": "api",
        "repository_name": "org/templates",
        "repository_provider": "GITHUB",
        "branch": "main",
        "file_path": "proton/api.yaml",
    }
    with pytest.raises(aioproton.ValidationError, match="Service ghost"):
        await proton_client.create_service_sync_config(**{**kwargs, "service_name": "ghost"})
    config = await proton_client.create_service_sync_config(**kwargs)
    assert config is not None and config.file_path == "proton/api.yaml"
    assert await proton_client.create_service_sync_config(**kwargs) == config
    definitions = await proton_client.list_repository_sync_definitions(
        repository_name="org/templates", repository_provider="GITHUB", sync_type="SERVICE_SYNC"
    )
    assert [d.target for d in definitions.sync_definitions] == ["api"]
    summary = await proton_client.get_service_sync_blocker_summary(service_name="api")
    assert summary is not None and list(summary.latest_blockers or []) == []
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION"
    )
    proton_emulator.advance(SETTLE)
    on_instance = await proton_client.get_service_sync_blocker_summary(
        service_name="api", service_instance_name="i1"
    )
    assert on_instance is not None and on_instance.service_instance_name == "i1"
    (blocker,) = on_instance.latest_blockers or []
    assert blocker.status == "ACTIVE" and blocker.type == "AUTOMATED"
    assert {c.key for c in blocker.contexts or []} == {"serviceName", "serviceInstanceName"}
    service_level = await proton_client.get_service_sync_blocker_summary(service_name="api")
    assert service_level is not None and list(service_level.latest_blockers or []) == []
    resolved = await proton_client.update_service_sync_blocker(
        id=blocker.id, resolved_reason="reviewed"
    )
    assert resolved.service_name == "api" and resolved.service_instance_name == "i1"
    assert resolved.service_sync_blocker.status == "RESOLVED"
    assert resolved.service_sync_blocker.resolved_at is not None
    with pytest.raises(aioproton.ConflictError, match="already resolved"):
        await proton_client.update_service_sync_blocker(id=blocker.id, resolved_reason="again")
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.update_service_sync_blocker(id="nope", resolved_reason="x")
    await proton_client.create_service_instance(
        service_name="api", name="i2", spec=service_spec(("i2", "prod"))
    )
    proton_emulator.advance(SETTLE)
    await proton_client.update_service(
        name="api", spec=service_spec(("i2", "prod"), pipeline={"runtime": "python"})
    )
    proton_emulator.advance(SETTLE)
    removal = await proton_client.get_service_sync_blocker_summary(service_name="api")
    assert removal is not None and len(removal.latest_blockers or []) == 1
    updated = await proton_client.update_service_sync_config(**{**kwargs, "branch": "release"})
    assert updated is not None and updated.branch == "release"
    assert await proton_client.delete_service_sync_config(service_name="api") is not None
    assert await proton_client.delete_service_sync_config(service_name="api") is not None
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_service_sync_config(service_name="api")
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_service_sync_blocker_summary(service_name="ghost")
