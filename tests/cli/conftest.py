"""The CLI runs as a child process against the plugin's in-process emulator.

The emulator runs on a ManualClock: a test sets up resources in no real time, starts
``python -m aioproton ...`` (which polls on the real clock) and moves the emulator's
clock when it wants a deployment to end. The child gets an environment without AWS
settings, so nothing on the machine running the tests changes what it does.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import attrs
import pytest

import aioproton
from aioproton.emulator import Emulator
from aioproton.testing import plugin
from aioproton.workflow import Waiters

from ..recipes import env_template, environment

REPO_ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, plugin.ENTRY_POINT)


@attrs.frozen
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


def cli_environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-credentials"),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    )
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "aioproton", *args]


Run = Callable[..., Any]


@pytest.fixture
def run_cli(tmp_path: Path) -> Run:
    """``await run_cli(ARGS...)``: run the CLI to its end (without blocking the emulator)."""

    async def run(*args: str, within: float = 30.0, **env: str) -> Result:
        with anyio.fail_after(within):
            done = await anyio.run_process(
                command(*args), check=False, env=cli_environment(tmp_path, **env), cwd=tmp_path
            )
        return Result(done.returncode, done.stdout.decode(), done.stderr.decode())

    return run


@pytest.fixture
def start_cli(tmp_path: Path) -> Callable[..., contextlib.AbstractAsyncContextManager[Any]]:
    """``async with start_cli(ARGS...) as process``: the CLI running while the test acts."""

    @contextlib.asynccontextmanager
    async def start(*args: str, **options: Any) -> AsyncIterator[anyio.abc.Process]:
        env = cli_environment(tmp_path, **options.pop("env", {}))
        async with await anyio.open_process(
            command(*args), env=env, cwd=tmp_path, **options
        ) as process:
            try:
                yield process
            finally:
                with anyio.CancelScope(shield=True):
                    if process.returncode is None:
                        process.kill()
                        await process.wait()

    return start


async def collect(process: anyio.abc.Process, *, within: float = 30.0) -> Result:
    """Wait for the process to end; its exit code and output."""
    out, err = b"", b""
    with anyio.fail_after(within):
        async with anyio.create_task_group() as group:

            async def read(stream: Any, sink: list[bytes]) -> None:
                if stream is None:
                    return
                async for chunk in stream:
                    sink.append(chunk)

            outs: list[bytes] = []
            errs: list[bytes] = []
            group.start_soon(read, process.stdout, outs)
            group.start_soon(read, process.stderr, errs)
            await process.wait()
        out, err = b"".join(outs), b"".join(errs)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


async def polled(emulator: Emulator, operation: str, times: int, *, within: float = 30.0) -> None:
    """Until the emulator has answered ``operation`` at least ``times`` times.

    The requests come from another process, so there is nothing to wait on but the log.
    """
    with anyio.fail_after(within):
        while True:
            if emulator.requests.count(operation=operation) >= times:
                return
            await anyio.sleep(0.02)


@contextlib.asynccontextmanager
async def ticking(
    emulator: Emulator, *, step: float = 30.0, every: float = 0.01
) -> AsyncIterator[None]:
    """Keep the emulator's clock moving ``step`` seconds every ``every`` real seconds."""
    async with anyio.create_task_group() as group:

        async def tick() -> None:
            while True:
                await anyio.sleep(every)
                emulator.advance(step)

        group.start_soon(tick)
        try:
            yield
        finally:
            group.cancel_scope.cancel()


@pytest.fixture
async def deployed(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_waiters: Waiters
) -> None:
    """Template ``base`` 1.0 and environment ``dev`` on it, deployed."""
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, "dev", settle=False)
    await proton_waiters.environment_deployed("dev", timeout=3600)
