"""A daemon killed mid-rollout (SIGKILL) and restarted repeats nothing and loses nothing.

Everything runs out of process: the emulator (``python -m aioproton.emulator`` with a
state file, itself killed and restarted in between) and the worker
(``daemon_worker.py``), which keeps its client tokens in a SQLite token store.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import pytest

import aioproton
from aioproton.emulator import EmulatorControl, RequestRecord
from aioproton.workflow import Waiters

from ..recipes import BUNDLE, COMPONENT_ROLE, ENV_SPEC, SERVICE_ROLE, service_spec
from .daemon_worker import COMPONENTS

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("daemon_worker.py")
INSTANCES = 8
DEPLOY_SECONDS = "0.2"


class Lines:
    """Reads text lines from a subprocess's stdout."""

    def __init__(self, stream: anyio.abc.ByteReceiveStream) -> None:
        self._stream = stream
        self._buffer = b""

    async def next(self) -> str | None:
        while b"\n" not in self._buffer:
            try:
                self._buffer += await self._stream.receive()
            except anyio.EndOfStream:
                return None
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()


@asynccontextmanager
async def emulator_process(state_file: Path) -> AsyncIterator[tuple[str, anyio.abc.Process]]:
    command = [
        sys.executable, "-m", "aioproton.emulator", "--port", "0",
        "--deploy-seconds", DEPLOY_SECONDS, "--state-file", str(state_file),
    ]  # fmt: skip
    async with await anyio.open_process(command, cwd=REPO_ROOT) as process:
        try:
            assert process.stdout is not None
            with anyio.fail_after(30):
                url = await Lines(process.stdout).next()
            assert url is not None and url.startswith("http://127.0.0.1:")
            yield url, process
        finally:
            with anyio.CancelScope(shield=True):
                if process.returncode is None:
                    process.kill()
                await process.wait()


def client(url: str) -> aioproton.ProtonClient:
    return aioproton.ProtonClient(
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDDAEMON0000000000",
        aws_secret_access_key="daemon-secret",
    )


async def set_up(url: str) -> None:
    """A service ``api`` of INSTANCES instances on web 1.0, with web 1.1 published."""
    async with client(url) as proton:
        waiters = Waiters(proton, min_delay=0.05, max_delay=0.3)
        await proton.create_environment_template(name="base")
        await proton.create_environment_template_version(template_name="base", source=BUNDLE)
        await waiters.environment_template_version_registered("base", "1", "0", timeout=30)
        await proton.update_environment_template_version(
            template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
        )
        await proton.create_environment(
            name="prod", template_name="base", template_major_version="1", spec=ENV_SPEC,
            proton_service_role_arn=SERVICE_ROLE, component_role_arn=COMPONENT_ROLE,
        )  # fmt: skip
        await waiters.environment_deployed("prod", timeout=30)
        await proton.create_service_template(name="web", pipeline_provisioning="CUSTOMER_MANAGED")
        compatible = [
            aioproton.models.CompatibleEnvironmentTemplateInput(
                template_name="base", major_version="1"
            )
        ]
        for major in (None, "1"):
            version = await proton.create_service_template_version(
                template_name="web", source=BUNDLE, major_version=major,
                compatible_environment_templates=compatible,
            )  # fmt: skip
            await waiters.service_template_version_registered(
                "web", version.major_version, version.minor_version, timeout=30
            )
            await proton.update_service_template_version(
                template_name="web", major_version=version.major_version,
                minor_version=version.minor_version, status="PUBLISHED",
            )  # fmt: skip
        instances = [(f"i{index}", "prod") for index in range(INSTANCES)]
        await proton.create_service(
            name="api", template_name="web", template_major_version="1",
            template_minor_version="0", spec=service_spec(*instances),
        )  # fmt: skip
        await waiters.service_created("api", timeout=60)


async def run_worker(
    url: str, tokens: Path, *, kill_after_items: int | None
) -> list[dict[str, Any]]:
    """Run the worker; SIGKILL it once it reported ``kill_after_items`` rollout items."""
    events: list[dict[str, Any]] = []
    command = [sys.executable, str(WORKER), url, str(tokens)]
    async with await anyio.open_process(command, cwd=REPO_ROOT) as process:
        assert process.stdout is not None
        lines = Lines(process.stdout)
        with anyio.fail_after(60):
            while (line := await lines.next()) is not None:
                events.append(json.loads(line))
                items = [event for event in events if "item" in event]
                if kill_after_items is not None and len(items) >= kill_after_items:
                    process.send_signal(signal.SIGKILL)
                    break
            code = await process.wait()
    if kill_after_items is None:
        assert code == 0
    else:
        assert code == -signal.SIGKILL
    return events


async def requests_of(url: str) -> list[RequestRecord]:
    async with EmulatorControl(url) as control:
        return await control.requests()


async def test_a_killed_daemon_resumes_without_duplicates_or_losses(tmp_path: Path) -> None:
    state, tokens = tmp_path / "emulator.db", tmp_path / "tokens.db"
    async with emulator_process(state) as (url, _):
        await set_up(url)
        first = await run_worker(url, tokens, kill_after_items=2)
        before_restart = await requests_of(url)
    # The emulator itself went down hard too; it comes back from its state file.
    async with emulator_process(state) as (url, _):
        second = await run_worker(url, tokens, kill_after_items=None)
        after_restart = await requests_of(url)
        async with client(url) as proton:
            components = sorted([c.name async for c in proton.paginate.list_components()])
            instances = [i async for i in proton.paginate.list_service_instances()]
            deployments = {}
            for instance in instances:
                listing = proton.paginate.list_deployments(
                    service_name="api", service_instance_name=instance.name
                )
                deployments[instance.name] = [d async for d in listing]

    assert [e for e in first if "component" in e] == [
        {"component": f"d{index}"} for index in range(COMPONENTS)
    ]
    killed_items = {e["item"] for e in first if "item" in e}
    assert len(killed_items) == 2
    assert second[-1] == {"done": True, "ok": True}

    # No duplicate resources: one component per name, each created under one token.
    assert components == [f"d{index}" for index in range(COMPONENTS)]
    creates = [
        r
        for r in before_restart + after_restart
        if r.operation == "CreateComponent" and r.committed
    ]
    assert len({r.client_token for r in creates}) == COMPONENTS

    # No item lost: every instance is on 1.1, reached by exactly one update deployment.
    paths = {f"service/api/service-instance/i{index}" for index in range(INSTANCES)}
    reported = {e["item"]: e["status"] for e in second if "item" in e}
    assert set(reported) == paths
    for path in killed_items:
        assert reported[path] == "ALREADY_CURRENT", "finished work is not redone"
    assert {(i.template_major_version, i.template_minor_version) for i in instances} == {("1", "1")}
    assert {i.deployment_status for i in instances} == {"SUCCEEDED"}
    for name, records in deployments.items():
        own = [d for d in records if d.target_arn.endswith(f"/service-instance/{name}")]
        assert len(own) == 2, f"{name}: the create and one update, got {len(own)}"
