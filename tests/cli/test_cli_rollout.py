"""``aioproton rollout``: plan, progress, summary and exit codes."""

from __future__ import annotations

import os
import pty
import re
import signal
import subprocess
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

from .conftest import collect, polled, ticking
from .rollouts import fleet_of_four, rollout_args

pytestmark = pytest.mark.slow


@pytest.fixture
async def fleet(proton_emulator, proton_client, proton_waiters, deployed) -> str:
    """Service ``api`` with four instances on ``web`` 1.0, and ``web`` 1.1 published."""
    return await fleet_of_four(proton_client, proton_emulator, proton_waiters)


async def test_dry_run_changes_nothing(proton_emulator, fleet, run_cli):
    result = await run_cli(*rollout_args(proton_emulator, "--dry-run"))

    assert result.returncode == 0, result.stderr
    assert result.lines[0] == "dry run: rollout of service template web 1.1: 4 items, 4 to update"
    rows = [line for line in result.lines if line.startswith("service/api/service-instance/")]
    assert len(rows) == 4
    assert all("1.0 -> 1.1" in row and "PLANNED" in row for row in rows)
    assert result.lines[-1] == "4 items: 4 planned"
    assert proton_emulator.requests.count(operation="UpdateServiceInstance") == 0


async def test_rolls_out_and_summarises(
    proton_emulator, proton_client, fleet, run_cli, tmp_path: Path
):
    tokens = tmp_path / "tokens.db"
    async with ticking(proton_emulator):
        result = await run_cli(
            *rollout_args(
                proton_emulator, "--concurrency", "2", "--rate", "50", "--token-store", str(tokens)
            )
        )

    assert result.returncode == 0, result.stderr
    assert result.lines[0] == "rollout of service template web 1.1: 4 items, 4 to update"
    finished = [line for line in result.lines if ": UPDATED 1.0 -> 1.1" in line]
    assert len(finished) == 4  # one log line per item as it finished
    assert result.lines[-1] == "4 items: 4 updated"
    assert tokens.exists()
    async for instance in proton_client.paginate.list_service_instances(service_name="api"):
        assert (instance.template_major_version, instance.template_minor_version) == ("1", "1")
    assert proton_emulator.requests.count(operation="UpdateServiceInstance", status=200) == 4


async def test_a_failed_item_exits_3(proton_emulator, proton_faults, fleet, run_cli):
    proton_faults.fail_deployment("service/api/service-instance/four", message="health check")
    async with ticking(proton_emulator):
        result = await run_cli(*rollout_args(proton_emulator))

    assert result.returncode == 3
    assert result.lines[-1] == "4 items: 3 updated, 1 failed"
    row = next(
        line for line in result.lines if line.startswith("service/api/service-instance/four")
    )
    assert "FAILED" in row and "health check" in row
    assert "Traceback" not in result.stderr


async def test_an_unpublished_version_is_refused(proton_emulator, fleet, run_cli):
    result = await run_cli(
        "rollout",
        "--endpoint-url",
        proton_emulator.endpoint_url,
        "--service-template",
        "web",
        "--version",
        "1.7",
    )
    assert result.returncode == 1
    assert result.stderr.startswith("aioproton: error: GetServiceTemplateVersion: ")
    assert len(result.stderr.splitlines()) == 1


async def test_progress_bar_on_a_terminal(proton_emulator, fleet, start_cli):
    master, terminal = pty.openpty()
    chunks: list[bytes] = []

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    try:
        async with anyio.create_task_group() as group, ticking(proton_emulator, every=0.05):
            group.start_soon(anyio.to_thread.run_sync, read_terminal)
            async with start_cli(
                *rollout_args(proton_emulator, "--concurrency", "1"),
                stdout=terminal,
                stderr=subprocess.PIPE,
                env={"TERM": "xterm", "COLUMNS": "160"},
            ) as process:
                os.close(terminal)
                terminal = -1
                with anyio.fail_after(30):
                    await process.wait()
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(master)

    output = b"".join(chunks).decode()
    assert process.returncode == 0, output
    bars = re.findall(r"\r\x1b\[2Kservice template web 1\.1 \[[#-]{24}\] (\d)/4", output)
    assert len(set(bars)) >= 2, output  # the bar moved as items finished
    assert bars == sorted(bars)
    assert "\x1b[32mservice/api/service-instance/one " in output  # coloured table rows
    assert output.endswith("4 items: 4 updated\r\n")


async def test_sigterm_stops_a_rollout_that_can_resume(proton_emulator, fleet, start_cli, run_cli):
    async with start_cli(
        *rollout_args(proton_emulator, "--concurrency", "2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        await polled(proton_emulator, "UpdateServiceInstance", 2)
        process.send_signal(signal.SIGTERM)
        result = await collect(process)

    assert result.returncode == 130
    assert result.lines[-1].startswith("stopped: deployments already started go on")
    assert result.stderr.splitlines() == ["aioproton: terminated"]

    async with ticking(proton_emulator):
        resumed = await run_cli(*rollout_args(proton_emulator))
    assert resumed.returncode == 0, resumed.stderr
    # The two updated before the stop finished meanwhile (already current) or were
    # waited for; none was updated a second time.
    assert resumed.lines[-1] in ("4 items: 2 updated, 2 already current", "4 items: 4 updated")
    assert proton_emulator.requests.count(operation="UpdateServiceInstance", status=200) == 4
