"""Fixtures for the emulator's tests: a client without retries, out-of-process emulators, raw
HTTP. The in-process emulator is the plugin's ``proton_emulator``."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import anyio.abc
import attrs
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from multidict import CIMultiDictProxy

import aioproton
from aioproton.emulator import Emulator

TARGET_PREFIX = "AwsProton20200720."
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def proton_client_settings() -> dict[str, Any]:
    """No retries: these tests look at each answer the emulator gives."""
    return {"retry": aioproton.RetryPolicy.never()}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# ---------------------------------------------------------------------- raw HTTP


def sign(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    access_key: str,
    secret: str,
    region: str = "us-east-1",
) -> dict[str, str]:
    """The headers of ``POST url`` signed with SigV4 by botocore, as an SDK would send them."""
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    SigV4Auth(Credentials(access_key, secret), "proton", region).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


@attrs.frozen
class RawResponse:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str | None:
        code = self.json.get("__type") if self.status >= 400 else None
        return None if code is None else str(code)


@attrs.define
class RawClient:
    """Sends hand-made requests, for inputs an SDK would refuse to send."""

    session: aiohttp.ClientSession
    emulator: Emulator

    async def call(
        self,
        operation: str | None,
        body: bytes | Mapping[str, Any] = b"{}",
        *,
        signed: bool = True,
        headers: Mapping[str, str] | None = None,
        method: str = "POST",
        path: str = "/",
        target: str | None = None,
        access_key: str | None = None,
        secret: str | None = None,
        region: str = "us-east-1",
    ) -> RawResponse:
        payload = json.dumps(body).encode() if isinstance(body, Mapping) else body
        sent: dict[str, str] = {"Content-Type": JSON_CONTENT_TYPE}
        if target is None and operation is not None:
            target = TARGET_PREFIX + operation
        if target is not None:
            sent["X-Amz-Target"] = target
        sent.update(headers or {})
        url = self.emulator.endpoint_url + path
        if signed:
            settings = self.emulator.client_settings
            sent = sign(
                url,
                sent,
                payload,
                access_key=access_key or settings["aws_access_key_id"],
                secret=secret or settings["aws_secret_access_key"],
                region=region,
            )
        async with self.session.request(method, url, data=payload, headers=sent) as response:
            return RawResponse(response.status, response.headers, await response.read())


@pytest.fixture
def raw(http: aiohttp.ClientSession, proton_emulator: Emulator) -> RawClient:
    return RawClient(http, proton_emulator)


# ---------------------------------------------------------------------- out of process


@attrs.define
class EmulatorProcess:
    """``python -m aioproton.emulator`` running in a child process."""

    process: anyio.abc.Process
    url: str
    stderr_path: Path

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    async def stop(self, *, within: float = 10.0) -> int:
        """SIGTERM, then wait (at most ``within`` seconds) for the exit code."""
        if self.process.returncode is None:
            self.process.terminate()
        with anyio.fail_after(within):
            return await self.process.wait()


def emulator_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "aioproton.emulator", *args]


def child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def _read_line(process: anyio.abc.Process, *, within: float) -> str:
    assert process.stdout is not None
    data = b""
    with anyio.fail_after(within):
        while b"\n" not in data:
            try:
                data += await process.stdout.receive()
            except anyio.EndOfStream:
                break
    return data.decode()


Launcher = Callable[..., contextlib.AbstractAsyncContextManager[EmulatorProcess]]


@pytest.fixture
def launch_emulator(tmp_path: Path) -> Launcher:
    """Start ``python -m aioproton.emulator --port 0 ARGS``; stops it at the end of the block."""
    counter = iter(range(1_000_000))

    @contextlib.asynccontextmanager
    async def launch(*args: str, within: float = 30.0) -> AsyncIterator[EmulatorProcess]:
        stderr_path = tmp_path / f"emulator-{next(counter)}.stderr"
        with stderr_path.open("wb") as stderr:
            async with await anyio.open_process(
                emulator_command("--port", "0", *args),
                stderr=stderr,
                env=child_environment(),
                cwd=REPO_ROOT,
            ) as process:
                try:
                    line = await _read_line(process, within=within)
                    if not line.endswith("\n"):
                        raise AssertionError(
                            f"the emulator exited before it was ready: {stderr_path.read_text()}"
                        )
                    yield EmulatorProcess(process, line.strip(), stderr_path)
                finally:
                    with anyio.CancelScope(shield=True):
                        if process.returncode is None:
                            process.terminate()
                            with anyio.move_on_after(10):
                                await process.wait()
                        if process.returncode is None:
                            process.kill()
                            await process.wait()

    return launch


@attrs.frozen
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli() -> Callable[..., Any]:
    """Run ``python -m aioproton.emulator ARGS`` to completion (for flags that stop it)."""

    async def run(*args: str, within: float = 30.0) -> CliResult:
        with anyio.fail_after(within):
            done = await anyio.run_process(
                emulator_command(*args), check=False, env=child_environment(), cwd=REPO_ROOT
            )
        return CliResult(done.returncode, done.stdout.decode(), done.stderr.decode())

    return run


@pytest.fixture
def signer() -> Callable[..., dict[str, str]]:
    """``sign(url, headers, body, access_key=..., secret=...)``: botocore's SigV4 headers."""
    return sign
