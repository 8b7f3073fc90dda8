"""``aioproton emulator``: the emulator's own command line under the main one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from aioproton.emulator import EmulatorControl

from .conftest import collect, command

pytestmark = pytest.mark.slow


async def _url_line(process) -> str:
    data = b""
    with anyio.fail_after(30):
        while b"\n" not in data:
            data += await process.stdout.receive()
    return data.decode().strip()


async def test_serves_until_sigterm(start_cli, run_cli):
    async with start_cli(
        "--debug",
        "emulator",
        "--port",
        "0",
        "--region",
        "eu-west-1",
        "--deploy-seconds",
        "5",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        url = await _url_line(process)
        assert url.startswith("http://127.0.0.1:")
        async with EmulatorControl(url) as control:
            health = await control.health()
        assert health["region"] == "eu-west-1"
        waited = await run_cli("wait", "--endpoint-url", url, "environment", "nope")
        process.terminate()
        result = await collect(process)

    assert result.returncode == 0
    assert " DEBUG " in result.stderr  # --debug became the emulator's --log-level DEBUG
    assert waited.returncode == 1 and "ResourceNotFoundException" in waited.stderr


async def test_bad_emulator_flag(run_cli):
    result = await run_cli("emulator", "--port", "many")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "'many' is not an integer" in lines[0]


async def test_emulator_help_is_the_emulators(run_cli):
    result = await run_cli("emulator", "--help")
    assert result.returncode == 0
    assert "--deploy-seconds" in result.stdout and "--throttle-rate" in result.stdout


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "aioproton"
    if not script.exists():
        pytest.skip("aioproton is not installed in this environment")
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert done.stdout.startswith("aioproton ")


def test_python_dash_m_aioproton():
    done = subprocess.run([*command("--version")], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert done.stdout.startswith("aioproton ")
