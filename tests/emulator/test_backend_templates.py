"""Templates and template versions: idempotent creates, registration, publishing, guards."""

from __future__ import annotations

from typing import Any

import pytest

import aioproton
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Quotas

from ..recipes import BUNDLE, SETTLE, arn, compatible, env_template, environment

EIGHT_HOURS = 8 * 3600


async def test_template_crud_and_repeated_deletes(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    created = await proton_client.create_environment_template(
        name="base", display_name="Base", description="d", encryption_key=arn("key/k1")
    )
    assert created.arn == arn("environment-template/base")
    assert created.created_at == created.last_modified_at
    assert created.recommended_version is None
    proton_emulator.advance(5)
    updated = await proton_client.update_environment_template(name="base", description="new")
    assert updated.description == "new"
    assert updated.display_name == "Base"
    assert updated.last_modified_at > created.last_modified_at
    listed = await proton_client.list_environment_templates()
    assert [t.name for t in listed.templates] == ["base"]
    assert not hasattr(listed.templates[0], "encryption_key")
    assert (await proton_client.get_environment_template(name="base")).encryption_key == arn(
        "key/k1"
    )
    deleted = await proton_client.delete_environment_template(name="base")
    assert deleted is not None and deleted.description == "new"
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_environment_template(name="base")
    again = await proton_client.delete_environment_template(name="base")
    assert again is not None and again.arn == created.arn
    proton_emulator.advance(EIGHT_HOURS)
    assert await proton_client.delete_environment_template(name="base") is None
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.delete_environment_template(name="never")


async def test_name_keyed_create_is_idempotent(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    first = await proton_client.create_service_template(name="web", description="d")
    proton_emulator.advance(3)
    repeat = await proton_client.create_service_template(name="web", description="d")
    assert repeat.created_at == first.created_at
    with pytest.raises(aioproton.IdempotentParameterMismatchError, match="description"):
        await proton_client.create_service_template(name="web", description="other")
    await proton_client.update_service_template(name="web", display_name="Web")
    with pytest.raises(aioproton.ConflictError, match="modified"):
        await proton_client.create_service_template(name="web", description="d")
    # Environment and service templates are separate namespaces.
    env = await proton_client.create_environment_template(name="web")
    assert env.arn == arn("environment-template/web")


async def test_version_numbering_and_registration(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.create_environment_template(name="base")
    first = await proton_client.create_environment_template_version(
        template_name="base", source=BUNDLE
    )
    assert (first.major_version, first.minor_version) == ("1", "0")
    assert first.status == "REGISTRATION_IN_PROGRESS"
    assert first.schema is None
    assert first.arn == arn("environment-template/base:1.0")
    proton_emulator.advance(1)
    current = await proton_client.get_environment_template_version(
        template_name="base", major_version="1", minor_version="0"
    )
    assert current.status == "REGISTRATION_IN_PROGRESS"
    proton_emulator.advance(1)
    current = await proton_client.get_environment_template_version(
        template_name="base", major_version="1", minor_version="0"
    )
    assert current.status == "DRAFT"
    assert current.schema is not None and "environment_input_type" in current.schema
    assert current.last_modified_at > current.created_at
    minor = await proton_client.create_environment_template_version(
        template_name="base", source=BUNDLE, major_version="1"
    )
    major = await proton_client.create_environment_template_version(
        template_name="base", source=BUNDLE
    )
    assert (minor.major_version, minor.minor_version) == ("1", "1")
    assert (major.major_version, major.minor_version) == ("2", "0")
    with pytest.raises(aioproton.ValidationError, match="Major version 7"):
        await proton_client.create_environment_template_version(
            template_name="base", source=BUNDLE, major_version="7"
        )
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.create_environment_template_version(template_name="nope", source=BUNDLE)


async def test_scripted_registration_failure(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.create_environment_template(name="base")
    proton_emulator.script(
        "environment-template/base:1.*",
        action="register",
        outcome="fail",
        message="schema is invalid",
        seconds=30,
    )
    await proton_client.create_environment_template_version(template_name="base", source=BUNDLE)
    proton_emulator.advance(10)
    version = await proton_client.get_environment_template_version(
        template_name="base", major_version="1", minor_version="0"
    )
    assert version.status == "REGISTRATION_IN_PROGRESS"
    proton_emulator.advance(20)
    version = await proton_client.get_environment_template_version(
        template_name="base", major_version="1", minor_version="0"
    )
    assert version.status == "REGISTRATION_FAILED"
    assert version.status_message == "schema is invalid"
    with pytest.raises(aioproton.ValidationError, match="failed to register"):
        await proton_client.update_environment_template_version(
            template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
        )
    # The rule applied once: the next version registers normally.
    await proton_client.create_environment_template_version(template_name="base", source=BUNDLE)
    proton_emulator.advance(SETTLE)
    second = await proton_client.get_environment_template_version(
        template_name="base", major_version="2", minor_version="0"
    )
    assert second.status == "DRAFT"


async def test_publishing_rules_and_recommendations(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.create_environment_template(name="base")
    await proton_client.create_environment_template_version(template_name="base", source=BUNDLE)
    with pytest.raises(aioproton.ConflictError, match="still registering"):
        await proton_client.update_environment_template_version(
            template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
        )
    proton_emulator.advance(SETTLE)
    draft = await proton_client.get_environment_template_version(
        template_name="base", major_version="1", minor_version="0"
    )
    assert draft.recommended_minor_version is None
    published = await proton_client.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
    )
    assert published.status == "PUBLISHED"
    assert published.recommended_minor_version == "0"
    assert (await proton_client.get_environment_template(name="base")).recommended_version == "1.0"
    again = await proton_client.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
    )
    assert again.status == "PUBLISHED"
    with pytest.raises(aioproton.ValidationError, match="DRAFT to PUBLISHED"):
        await proton_client.update_environment_template_version(
            template_name="base", major_version="1", minor_version="0", status="DRAFT"
        )
    with pytest.raises(aioproton.ValidationError):
        await proton_client.update_environment_template_version(
            template_name="base",
            major_version="1",
            minor_version="0",
            status="REGISTRATION_IN_PROGRESS",
        )
    # A higher publish moves the recommendation; descriptions are metadata.
    await proton_client.create_environment_template_version(
        template_name="base", source=BUNDLE, major_version="1"
    )
    await proton_client.create_environment_template_version(template_name="base", source=BUNDLE)
    proton_emulator.advance(SETTLE)
    await proton_client.update_environment_template_version(
        template_name="base", major_version="2", minor_version="0", status="PUBLISHED"
    )
    assert (await proton_client.get_environment_template(name="base")).recommended_version == "2.0"
    await proton_client.update_environment_template_version(
        template_name="base", major_version="1", minor_version="1", status="PUBLISHED"
    )
    template = await proton_client.get_environment_template(name="base")
    assert template.recommended_version == "2.0"
    one_zero = await proton_client.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", description="old"
    )
    assert one_zero.description == "old"
    assert one_zero.recommended_minor_version == "1"


async def test_list_versions_with_and_without_major(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await env_template(
        proton_client, proton_emulator, versions=("1.0", "1.1", "2.0", "2.1"), publish=False
    )
    await proton_client.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
    )
    per_major = await proton_client.list_environment_template_versions(template_name="base")
    assert [(v.major_version, v.minor_version) for v in per_major.template_versions] == [
        ("1", "0"),  # the recommended minor of major 1
        ("2", "1"),  # no published minor in major 2: its latest
    ]
    minors = await proton_client.list_environment_template_versions(
        template_name="base", major_version="2"
    )
    assert [v.minor_version for v in minors.template_versions] == ["0", "1"]
    page = await proton_client.list_environment_template_versions(
        template_name="base", max_results=1
    )
    assert len(page.template_versions) == 1 and page.next_token
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.list_environment_template_versions(template_name="nope")


async def test_version_delete_guards(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await env_template(proton_client, proton_emulator, versions=("1.0", "1.1", "2.0"))

    async def delete(major: str, minor: str) -> Any:
        return await proton_client.delete_environment_template_version(
            template_name="base", major_version=major, minor_version=minor
        )

    with pytest.raises(aioproton.ConflictError, match="recommended version"):
        await delete("2", "0")
    with pytest.raises(aioproton.ConflictError, match="recommended minor version"):
        await delete("1", "1")
    deleted = await delete("1", "0")  # a non-recommended minor
    assert deleted is not None
    assert deleted.status == "PUBLISHED"
    assert await delete("1", "0") == deleted  # the tombstone answers a repeat
    await environment(proton_client, proton_emulator, major="1", minor="1")
    with pytest.raises(aioproton.ConflictError, match="in use"):
        await delete("1", "1")
    await proton_client.delete_environment(name="prod")
    proton_emulator.advance(SETTLE)
    await delete("1", "1")  # the last minor of major 1 may go although recommended
    with pytest.raises(aioproton.ConflictError, match="version"):
        await proton_client.delete_environment_template(name="base")
    await delete("2", "0")  # the recommended version, deleted last
    assert await proton_client.delete_environment_template(name="base") is not None
    with pytest.raises(aioproton.ResourceNotFoundError):
        await delete("9", "9")


async def test_service_template_versions(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await env_template(proton_client, proton_emulator)
    await proton_client.create_service_template(name="web")
    await proton_client.create_service_template(
        name="nopipe", pipeline_provisioning="CUSTOMER_MANAGED"
    )
    with pytest.raises(aioproton.ResourceNotFoundError, match="missing"):
        await proton_client.create_service_template_version(
            template_name="web",
            source=BUNDLE,
            compatible_environment_templates=compatible("missing"),
        )
    with pytest.raises(aioproton.ResourceNotFoundError, match="Major version 3"):
        await proton_client.create_service_template_version(
            template_name="web",
            source=BUNDLE,
            compatible_environment_templates=compatible("base", "3"),
        )
    version = await proton_client.create_service_template_version(
        template_name="web",
        source=BUNDLE,
        compatible_environment_templates=compatible(),
        supported_component_sources=["DIRECTLY_DEFINED"],
    )
    assert [c.template_name for c in version.compatible_environment_templates] == ["base"]
    assert list(version.supported_component_sources or []) == ["DIRECTLY_DEFINED"]
    await proton_client.create_service_template_version(
        template_name="nopipe", source=BUNDLE, compatible_environment_templates=compatible()
    )
    proton_emulator.advance(SETTLE)
    with_pipeline = await proton_client.get_service_template_version(
        template_name="web", major_version="1", minor_version="0"
    )
    without = await proton_client.get_service_template_version(
        template_name="nopipe", major_version="1", minor_version="0"
    )
    assert "pipeline_input_type" in (with_pipeline.schema or "")
    assert "pipeline_input_type" not in (without.schema or "")
    assert (await proton_client.get_service_template(name="nopipe")).pipeline_provisioning == (
        "CUSTOMER_MANAGED"
    )
    updated = await proton_client.update_service_template_version(
        template_name="web",
        major_version="1",
        minor_version="0",
        compatible_environment_templates=compatible("base", "1"),
        supported_component_sources=[],
    )
    assert updated.supported_component_sources is not None
    assert len(updated.supported_component_sources) == 0


async def test_version_client_token(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.create_environment_template(name="base")
    first = await proton_client.create_environment_template_version(
        template_name="base", source=BUNDLE, client_token="tok-1"
    )
    proton_emulator.advance(SETTLE)
    replay = await proton_client.create_environment_template_version(
        template_name="base", source=BUNDLE, client_token="tok-1"
    )
    assert replay.arn == first.arn
    assert replay.status == "DRAFT"  # the current state, not a new version
    listed = await proton_client.list_environment_template_versions(template_name="base")
    assert len(listed.template_versions) == 1
    with pytest.raises(aioproton.IdempotentParameterMismatchError):
        await proton_client.create_environment_template_version(
            template_name="base", source=BUNDLE, client_token="tok-1", description="other"
        )
    proton_emulator.advance(8 * 3600)
    expired = await proton_client.create_environment_template_version(
        template_name="base", source=BUNDLE, client_token="tok-1"
    )
    assert expired.major_version == "2"
    await proton_client.delete_environment_template_version(
        template_name="base", major_version="2", minor_version="0"
    )
    recreated = await proton_client.create_environment_template_version(
        template_name="base", source=BUNDLE, client_token="tok-1"
    )
    assert recreated.major_version == "2"
    assert recreated.status == "REGISTRATION_IN_PROGRESS"


async def test_template_and_version_quotas(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.backend.quotas = Quotas(templates=2, versions_per_template=1)
    await proton_client.create_environment_template(name="a")
    await proton_client.create_service_template(name="b")
    with pytest.raises(aioproton.ServiceQuotaExceededError):
        await proton_client.create_environment_template(name="c")
    await proton_client.create_environment_template_version(template_name="a", source=BUNDLE)
    with pytest.raises(aioproton.ServiceQuotaExceededError):
        await proton_client.create_environment_template_version(template_name="a", source=BUNDLE)
