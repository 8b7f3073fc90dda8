"""Every way a command can go wrong prints one line, exits non-zero, and shows no traceback
unless ``--debug`` asks for it."""

from __future__ import annotations

import os
import pty
import signal
import socket
import subprocess
import time

import anyio
import anyio.to_thread
import pytest

from aioproton.cli import main

from ..recipes import env_template, environment
from .conftest import collect, polled

pytestmark = pytest.mark.slow


def assert_one_error_line(stderr: str, starts: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(starts), stderr
    assert "Traceback" not in stderr


async def test_unknown_resource(proton_emulator, run_cli):
    result = await run_cli(
        "wait", "--endpoint-url", proton_emulator.endpoint_url, "component", "nope"
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert_one_error_line(
        result.stderr, "aioproton: error: GetComponent: ResourceNotFoundException (HTTP 404)"
    )
    assert "nope" in result.stderr


async def test_debug_shows_the_traceback(proton_emulator, run_cli):
    result = await run_cli(
        "--debug", "wait", "--endpoint-url", proton_emulator.endpoint_url, "environment", "nope"
    )
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "aioproton.errors.ResourceNotFoundError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("aioproton: error: GetEnvironment:")


async def test_a_service_without_pipeline(proton_emulator, proton_client, proton_waiters, run_cli):
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, "dev", settle=False)
    await proton_client.create_service_template(
        name="web", pipeline_provisioning="CUSTOMER_MANAGED"
    )
    result = await run_cli(
        "wait", "--endpoint-url", proton_emulator.endpoint_url, "service-pipeline", "nope"
    )
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "aioproton: error: GetService: ")


async def test_connection_refused(run_cli):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()

    result = await run_cli(
        "wait", "--endpoint-url", f"http://127.0.0.1:{port}", "environment", "dev"
    )

    assert result.returncode == 1
    assert_one_error_line(result.stderr, "aioproton: error: GetEnvironment: ConnectionError")
    assert f"127.0.0.1:{port}" in result.stderr
    assert time.monotonic() - started < 15


async def test_no_region_configured(run_cli):
    result = await run_cli("wait", "environment", "dev")
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "aioproton: error: ")
    assert "region" in result.stderr


async def test_sigterm_stops_a_wait(proton_emulator, proton_client, proton_waiters, start_cli):
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, "dev", settle=False)
    async with start_cli(
        "wait",
        "environment",
        "dev",
        "--endpoint-url",
        proton_emulator.endpoint_url,
        "--poll-interval",
        "0.05",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        await polled(proton_emulator, "GetEnvironment", 2)
        process.send_signal(signal.SIGTERM)
        result = await collect(process)

    assert result.returncode == 130
    assert_one_error_line(result.stderr, "aioproton: terminated")


async def test_live_line_on_a_terminal(proton_emulator, proton_client, proton_waiters, start_cli):
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, "dev", settle=False)
    master, terminal = pty.openpty()
    chunks: list[bytes] = []

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every writer has closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.to_thread.run_sync, read_terminal)
            async with start_cli(
                "wait",
                "environment",
                "dev",
                "--endpoint-url",
                proton_emulator.endpoint_url,
                "--poll-interval",
                "0.05",
                stdout=terminal,
                stderr=subprocess.PIPE,
                env={"TERM": "xterm"},
            ) as process:
                os.close(terminal)
                terminal = -1
                await polled(proton_emulator, "GetEnvironment", 3)
                await anyio.sleep(0.35)  # a few redraws of the live line
                proton_emulator.advance(3600)
                with anyio.fail_after(30):
                    await process.wait()
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(master)

    output = b"".join(chunks).decode()
    assert process.returncode == 0
    assert output.count("\r\x1b[2K") >= 3  # the line was redrawn in place
    assert "environment/dev  IN_PROGRESS" in output
    assert "\x1b[32menvironment/dev: SUCCEEDED after" in output  # green on a terminal
    assert "\n" not in output.split("SUCCEEDED after")[0]  # one line until the end


# ---------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["wait"], "the following arguments are required: KIND"),
        (["wait", "environment"], "the following arguments are required: NAME"),
        (["wait", "planet", "x"], "invalid choice: 'planet'"),
        (["wait", "--timeout", "-1", "environment", "dev"], "'-1' is not positive"),
        (["wait", "environment", "dev", "--poll-interval", "soon"], "'soon' is not a number"),
        (["wait", "service-template-version", "web", "one"], "expected MAJOR.MINOR"),
        (["wait", "environment", "dev", "extra"], "unrecognized arguments: extra"),
        (["--bogus", "wait", "environment", "dev"], "unrecognized arguments: --bogus"),
        (["rollout", "--version", "1.1"], "one of the arguments"),
        (
            ["rollout", "--environment-template", "a", "--service-template", "b", "--version", "1"],
            "not allowed with argument",
        ),
        (
            ["rollout", "--service-template", "web"],
            "the following arguments are required: --version",
        ),
        (
            ["rollout", "--service-template", "web", "--version", "1", "--concurrency", "0"],
            "'0' is not positive",
        ),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("aioproton"), lines
    assert message in lines[0]
    assert "--help)" in lines[0]


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("emulator", "wait", "rollout", "--endpoint-url", "exit codes"):
        assert command in out
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("aioproton 0.")
