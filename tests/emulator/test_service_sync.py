"""Service sync from a local git repository: the spec in the repository deploys the
instances it names, on the emulator's clock; blockers stop it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import aioproton
from aioproton.emulator import Emulator

from ..recipes import CONNECTION_ARN, SETTLE, env_template, environment, service_template
from .gitrepo import commit, init

REPO = "org/services"
OPS = "proton-ops.yaml"


def ops(spec_path: str = "api/spec.yaml") -> str:
    return f"sync:\n  services:\n    api:\n      spec: {spec_path}\n"


def spec(*instances: tuple[str, int]) -> str:
    entries = "".join(
        f"  - name: {name}\n    environment: prod\n    spec:\n      port: {port}\n"
        for name, port in instances
    )
    return f"proton: ServiceSpec\ninstances:\n{entries}"


class Synced:
    def __init__(self, emulator: Emulator, proton: aioproton.ProtonClient, repo: Path) -> None:
        self.emulator, self.proton, self.repo = emulator, proton, repo

    async def status(self, instance: str) -> Any:
        return await self.proton.get_service_instance_sync_status(
            service_name="api", service_instance_name=instance
        )

    async def instance(self, name: str) -> Any:
        return await self.proton.get_service_instance(service_name="api", name=name)


@pytest.fixture
async def synced(proton_emulator_factory: Any, tmp_path: Path) -> AsyncIterator[Synced]:
    """Service ``api`` (instance i1, port 80) synced from ``github/org/services``."""
    root = tmp_path / "git"
    repo = init(root / "github" / "org" / "services")
    commit(repo, {OPS: ops(), "api/spec.yaml": spec(("i1", 80))}, "api")
    emulator = await proton_emulator_factory(git_root=root)
    async with emulator.client(clock=emulator.clock) as proton:
        await env_template(proton, emulator)
        await service_template(proton, emulator, pipeline=False)
        await environment(proton, emulator)
        await proton.create_service(
            name="api", template_name="web", template_major_version="1", spec=spec(("i1", 80))
        )
        emulator.advance(SETTLE)
        await proton.create_repository(name=REPO, provider="GITHUB", connection_arn=CONNECTION_ARN)
        await proton.create_service_sync_config(
            service_name="api",
            repository_name=REPO,
            repository_provider="GITHUB",
            branch="main",
            file_path=OPS,
        )
        yield Synced(emulator, proton, repo)


async def test_a_spec_change_deploys_the_instances_it_names(synced: Synced) -> None:
    status = await synced.status("i1")  # i1 already runs what the repository says
    assert status.latest_sync is None
    sha = commit(synced.repo, {"api/spec.yaml": spec(("i1", 8080), ("i2", 81))}, "ports")
    synced.emulator.sync()
    first = await synced.status("i1")
    assert first.latest_sync is not None and first.latest_sync.status == "IN_PROGRESS"
    assert (await synced.instance("i1")).deployment_status == "IN_PROGRESS"
    assert (await synced.instance("i2")).deployment_status == "IN_PROGRESS"
    synced.emulator.advance(SETTLE)
    for name, port in (("i1", 8080), ("i2", 81)):
        status = await synced.status(name)
        assert status.latest_sync is not None and status.latest_sync.status == "SUCCEEDED"
        assert status.latest_successful_sync is not None
        assert status.desired_state is not None and status.desired_state.sha == sha
        assert status.desired_state.directory == "api/spec.yaml"
        instance = await synced.instance(name)
        assert instance.deployment_status == "SUCCEEDED"
        assert f"port: {port}" in (instance.spec or "")
    summary = await synced.proton.get_service_sync_blocker_summary(service_name="api")
    assert list(summary.latest_blockers or []) == []  # sync's own changes block nothing
    repository = await synced.proton.get_repository_sync_status(
        repository_name=REPO, repository_provider="GITHUB", branch="main", sync_type="SERVICE_SYNC"
    )
    assert repository is not None and repository.status == "SUCCEEDED"


async def test_a_blocker_stops_the_sync_of_its_instance(synced: Synced) -> None:
    await synced.proton.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION", spec=spec(("i1", 90))
    )
    synced.emulator.advance(SETTLE)
    summary = await synced.proton.get_service_sync_blocker_summary(
        service_name="api", service_instance_name="i1"
    )
    (blocker,) = summary.latest_blockers or []
    commit(synced.repo, {"api/spec.yaml": spec(("i1", 8080))}, "port")
    status = await synced.status("i1")
    assert status.latest_sync is not None and status.latest_sync.status == "FAILED"
    assert f"Blocked by sync blocker {blocker.id}" in status.latest_sync.events[-1].event
    assert "port: 90" in ((await synced.instance("i1")).spec or "")


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({OPS: "sync: [\n"}, "is not valid YAML"),
        ({OPS: "sync:\n  services: {}\n"}, "must name sync.services.api.spec"),
        ({OPS: ops("api/missing.yaml")}, "The service spec api/missing.yaml does not exist"),
        ({"api/spec.yaml": "proton: ServiceSpec\ninstances: 3\n"}, "must be a list"),
    ],
)
async def test_an_unreadable_ops_file_or_spec_fails_every_instance(
    synced: Synced, files: dict[str, str], reason: str
) -> None:
    commit(synced.repo, dict(files), "broken")
    status = await synced.status("i1")
    assert status.latest_sync is not None and status.latest_sync.status == "FAILED"
    assert reason in status.latest_sync.events[-1].event


async def test_a_failed_deployment_fails_the_attempt(synced: Synced) -> None:
    synced.emulator.script(
        "service/api/service-instance/i1", action="deploy", outcome="fail", message="boom"
    )
    commit(synced.repo, {"api/spec.yaml": spec(("i1", 8080))}, "port")
    synced.emulator.sync()
    synced.emulator.advance(SETTLE)
    status = await synced.status("i1")
    assert status.latest_sync is not None and status.latest_sync.status == "FAILED"
    assert status.latest_sync.events[-1].event == "boom"
    assert status.latest_successful_sync is None
