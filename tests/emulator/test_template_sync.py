"""Template sync from local git repositories, in process, on a ManualClock.

The round trip through boto3 and a rollout is in ``tests/conformance/test_template_sync``;
these tests pin the rules around it: how a commit is noticed, majors, failures and the
control routes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import aioproton
from aioproton.emulator import Emulator, EmulatorControl, EmulatorControlError
from aioproton.emulator.backend._template_sync import POLL_SECONDS

from ..recipes import CONNECTION_ARN, SETTLE
from .gitrepo import (
    SERVICE_SCHEMA_V11,
    commit,
    environment_template,
    git,
    init,
    service_template,
)

REPO = "org/templates"


class Synced:
    def __init__(self, emulator: Emulator, proton: aioproton.ProtonClient, repo: Path) -> None:
        self.emulator, self.proton, self.repo = emulator, proton, repo

    async def link(self, name: str = REPO) -> None:
        await self.proton.create_repository(
            name=name, provider="GITHUB", connection_arn=CONNECTION_ARN
        )

    async def sync(self, template: str, kind: str = "SERVICE", **extra: Any) -> None:
        await self.proton.create_template_sync_config(
            template_name=template,
            template_type=kind,
            repository_name=REPO,
            repository_provider="GITHUB",
            branch="main",
            **extra,
        )

    async def status(self, template: str, major: str = "1", kind: str = "SERVICE") -> Any:
        return await self.proton.get_template_sync_status(
            template_name=template, template_type=kind, template_version=major
        )

    async def versions(self, template: str) -> dict[str, str]:
        listed = await self.proton.list_service_template_versions(
            template_name=template, major_version="1"
        )
        out = {f"{v.major_version}.{v.minor_version}": v.status for v in listed.template_versions}
        listed = await self.proton.list_service_template_versions(template_name=template)
        out.update(
            {f"{v.major_version}.{v.minor_version}": v.status for v in listed.template_versions}
        )
        return out


@pytest.fixture
async def synced(proton_emulator_factory: Any, tmp_path: Path) -> AsyncIterator[Synced]:
    """An emulator whose git root holds ``github/org/templates`` (an environment template
    ``base`` in ``base/v1``), with ``base`` 1.0 published and the repository linked."""
    root = tmp_path / "git"
    repo = init(root / "github" / "org" / "templates")
    commit(repo, environment_template("base/v1"), "environment template")
    emulator = await proton_emulator_factory(git_root=root)
    async with emulator.client(clock=emulator.clock) as proton:
        s = Synced(emulator, proton, repo)
        await s.link()
        await proton.create_environment_template(name="base")
        await s.sync("base", "ENVIRONMENT")
        emulator.sync()
        emulator.advance(SETTLE)
        await proton.update_environment_template_version(
            template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
        )
        await proton.create_service_template(name="web", pipeline_provisioning="CUSTOMER_MANAGED")
        yield s


async def test_a_commit_registers_the_next_minor_version(synced: Synced) -> None:
    first = commit(synced.repo, service_template("web/v1"), "web 1")
    await synced.sync("web")
    status = await synced.status("web")
    assert status.latest_sync is not None and status.latest_sync.status == "IN_PROGRESS"
    assert status.latest_sync.target == "web"
    assert status.latest_sync.target_revision.sha == first
    assert status.latest_sync.target_revision.directory == "web/v1"
    assert status.latest_successful_sync is None
    synced.emulator.advance(SETTLE)
    assert await synced.versions("web") == {"1.0": "DRAFT"}
    version = await synced.proton.get_service_template_version(
        template_name="web", major_version="1", minor_version="0"
    )
    assert version.compatible_environment_templates[0].template_name == "base"

    second = commit(synced.repo, service_template("web/v1", SERVICE_SCHEMA_V11), "web 1.1")
    synced.emulator.advance(POLL_SECONDS)
    await synced.proton.list_service_templates()  # any request notices the new commit
    synced.emulator.advance(SETTLE)
    assert await synced.versions("web") == {"1.0": "DRAFT", "1.1": "DRAFT"}
    status = await synced.status("web")
    assert status.latest_sync is not None and status.latest_sync.status == "SUCCEEDED"
    assert status.latest_sync.initial_revision.sha == first
    assert status.latest_sync.target_revision.sha == second
    assert [e.type for e in status.latest_sync.events] == ["STARTING_SYNC", "SYNC_SUCCEEDED"]
    assert status.desired_state is not None and status.desired_state.sha == second
    version = await synced.proton.get_service_template_version(
        template_name="web", major_version="1", minor_version="1"
    )
    assert "image" in (version.schema or "")

    repository = await synced.proton.get_repository_sync_status(
        repository_name=REPO, repository_provider="GITHUB", branch="main", sync_type="TEMPLATE_SYNC"
    )
    assert repository is not None and repository.status == "SUCCEEDED"
    assert repository.events[-1].external_id == second


async def test_a_commit_is_noticed_once_per_poll_interval(synced: Synced) -> None:
    commit(synced.repo, service_template("web/v1"), "web 1")
    await synced.sync("web")
    await synced.status("web")
    synced.emulator.advance(SETTLE)
    assert await synced.versions("web") == {"1.0": "DRAFT"}  # the branch is read here
    commit(synced.repo, service_template("web/v1", SERVICE_SCHEMA_V11), "web 1.1")
    synced.emulator.advance(POLL_SECONDS - 1)
    assert await synced.versions("web") == {"1.0": "DRAFT"}
    synced.emulator.advance(1)
    assert await synced.versions("web") == {"1.0": "DRAFT", "1.1": "REGISTRATION_IN_PROGRESS"}


async def test_the_poke_reads_the_branch_at_once(synced: Synced) -> None:
    commit(synced.repo, service_template("web/v1"), "web 1")
    await synced.sync("web")
    synced.emulator.sync()
    assert await synced.versions("web") == {"1.0": "REGISTRATION_IN_PROGRESS"}


async def test_a_new_major_directory_registers_a_new_major(synced: Synced) -> None:
    commit(synced.repo, service_template("web/v1"), "web 1")
    await synced.sync("web")
    synced.emulator.sync()
    synced.emulator.advance(SETTLE)
    commit(synced.repo, service_template("web/v2", SERVICE_SCHEMA_V11), "web 2")
    synced.emulator.sync()
    synced.emulator.advance(SETTLE)
    assert await synced.versions("web") == {"1.0": "DRAFT", "2.0": "DRAFT"}
    status = await synced.status("web", "2")
    assert status.latest_sync is not None and status.latest_sync.status == "SUCCEEDED"
    assert status.latest_sync.target_revision.directory == "web/v2"
    # an unchanged v1 directory is not registered again
    assert (await synced.status("web", "1")).latest_sync is not None


async def test_a_broken_bundle_gives_a_failed_attempt_with_its_reason(synced: Synced) -> None:
    commit(synced.repo, service_template("web/v1"), "web 1")
    await synced.sync("web")
    synced.emulator.sync()
    synced.emulator.advance(SETTLE)
    commit(synced.repo, {"web/v1/instance_infrastructure/manifest.yaml": None}, "oops")
    synced.emulator.sync()
    synced.emulator.advance(SETTLE)
    status = await synced.status("web")
    assert status.latest_sync is not None and status.latest_sync.status == "FAILED"
    assert "no instance_infrastructure/manifest.yaml" in status.latest_sync.events[-1].event
    assert status.latest_successful_sync is not None
    assert (
        status.latest_successful_sync.target_revision.sha != status.latest_sync.target_revision.sha
    )
    assert (await synced.versions("web"))["1.1"] == "REGISTRATION_FAILED"


@pytest.mark.parametrize(
    ("compatible", "reason"),
    [
        (None, "has no .compatible-envs file"),
        ("base", "is not 'template-name:major'"),
        ("nowhere:1", "nowhere does not exist"),
    ],
)
async def test_a_version_that_cannot_be_created_fails_the_attempt(
    synced: Synced, compatible: str | None, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    commit(synced.repo, service_template("web/v1", compatible=compatible), "web 1")
    await synced.sync("web")
    with caplog.at_level(logging.INFO, logger="aioproton.emulator"):
        status = await synced.status("web")
    assert status.latest_sync is not None and status.latest_sync.status == "FAILED"
    assert reason in status.latest_sync.events[-1].event
    assert await synced.versions("web") == {}
    records = [r for r in caplog.records if r.getMessage().startswith("template sync failed")]
    assert records and records[0].__dict__["directory"] == "web/v1"


async def test_a_missing_branch_fails_the_repository_attempt(synced: Synced) -> None:
    await synced.proton.create_template_sync_config(
        template_name="web",
        template_type="SERVICE",
        repository_name=REPO,
        repository_provider="GITHUB",
        branch="release",
    )
    synced.emulator.sync()
    status = await synced.proton.get_repository_sync_status(
        repository_name=REPO,
        repository_provider="GITHUB",
        branch="release",
        sync_type="TEMPLATE_SYNC",
    )
    assert status is not None and status.status == "FAILED"
    assert "Branch release of GITHUB:org/templates does not exist" in status.events[-1].event
    assert (await synced.status("web")).latest_sync is None


async def test_an_unmapped_repository_never_syncs(synced: Synced) -> None:
    await synced.link("org/elsewhere")
    await synced.proton.create_template_sync_config(
        template_name="web",
        template_type="SERVICE",
        repository_name="org/elsewhere",
        repository_provider="GITHUB",
        branch="main",
    )
    synced.emulator.sync()
    assert (await synced.status("web")).latest_sync is None


async def test_a_repository_pointed_at_a_path(synced: Synced, tmp_path: Path) -> None:
    other = init(tmp_path / "anywhere")
    sha = commit(other, service_template("templates/web/v1"), "web 1")
    await synced.link("org/other")
    synced.emulator.point_repository("GITHUB", "org/other", other)
    await synced.proton.create_template_sync_config(
        template_name="web",
        template_type="SERVICE",
        repository_name="org/other",
        repository_provider="GITHUB",
        branch="main",
        subdirectory="templates",
    )
    status = await synced.status("web")
    assert status.latest_sync is not None
    assert status.latest_sync.target_revision.sha == sha
    assert status.latest_sync.target_revision.directory == "templates/web/v1"
    assert git(other, "rev-parse", "main") == sha


async def test_the_control_routes_point_a_repository_and_poke(
    synced: Synced, tmp_path: Path
) -> None:
    other = init(tmp_path / "pointed")
    sha = commit(other, service_template("web/v1"), "web 1")
    await synced.link("org/pointed")
    await synced.proton.create_template_sync_config(
        template_name="web",
        template_type="SERVICE",
        repository_name="org/pointed",
        repository_provider="GITHUB",
        branch="main",
    )
    async with EmulatorControl(synced.emulator.endpoint_url) as control:
        await control.point_repository("GITHUB", "org/pointed", str(other))
        await control.sync()
        assert await synced.versions("web") == {"1.0": "REGISTRATION_IN_PROGRESS"}
        with pytest.raises(EmulatorControlError) as caught:
            await control._call("PUT", "repositories", {"provider": "GITHUB", "name": "x/y"})
    assert caught.value.status == 400
    assert "path" in str(caught.value)
    status = await synced.status("web")
    assert status.latest_sync is not None and status.latest_sync.target_revision.sha == sha


async def test_sync_state_survives_a_snapshot(synced: Synced) -> None:
    sha = commit(synced.repo, service_template("web/v1"), "web 1")
    await synced.sync("web")
    synced.emulator.sync()
    synced.emulator.advance(SETTLE)
    before = await synced.status("web")
    data = json.loads(json.dumps(synced.emulator.backend.snapshot()))
    synced.emulator.backend.restore(data)
    after = await synced.status("web")
    assert after == before
    assert after.latest_sync is not None and after.latest_sync.target_revision.sha == sha
    synced.emulator.sync()  # the synced tree is remembered: nothing registers again
    assert await synced.versions("web") == {"1.0": "DRAFT"}
