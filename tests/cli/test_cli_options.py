"""Options the CLI checks itself, where its credentials come from, and what ``--debug`` logs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from aioproton.cli import _connect, main
from aioproton.clock import SystemClock
from aioproton.emulator import defaults
from aioproton.emulator.__main__ import build_parser as emulator_parser

from ..recipes import env_template

PROCESS_KEY = "AKIDFROMPROCESS00000"
PROCESS_SECRET = "secret-from-credential-process"


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("version", ["x.y", "1.x", "1.", ".1", "v1", "1.2.3"])
def test_a_rollout_version_that_is_no_version_is_a_usage_error(version, capsys):
    line = usage_error(["rollout", "--service-template", "web", "--version", version], capsys)
    assert f"expected MAJOR.MINOR (e.g. 1.2) or MAJOR (e.g. 2), got {version!r}" in line
    assert "^" not in line  # no pattern from the model


def test_burst_needs_a_rate_and_is_a_whole_number(capsys):
    base = ["rollout", "--service-template", "web", "--version", "1"]
    assert "--burst goes with --rate" in usage_error([*base, "--burst", "2"], capsys)
    assert "'0' is not positive" in usage_error([*base, "--rate", "4", "--burst", "0"], capsys)
    assert "'1.5' is not an integer" in usage_error(
        [*base, "--rate", "4", "--burst", "1.5"], capsys
    )


def test_every_emulator_flag_has_help_and_shows_its_default():
    parser = emulator_parser()
    for action in parser._actions:
        assert action.help, f"{action.option_strings} has no help text"
    text = " ".join(parser.format_help().split())  # undo line wrapping
    for shown in (
        "(default: 127.0.0.1)",
        "(default: 0)",
        "(default: signed)",
        "(default: 1048576)",
        "(default: WARNING)",
        "(default: system)",
        "(default: 0.0)",
    ):
        assert shown in text
    assert "(default: None)" not in text
    assert "(default: [])" not in text


def credential_process_home(home: Path) -> Path:
    """A config file whose default profile gets its key from a credential_process."""
    script = home / "credentials.py"
    payload = {"Version": 1, "AccessKeyId": PROCESS_KEY, "SecretAccessKey": PROCESS_SECRET}
    script.write_text(f"import json\nprint(json.dumps({payload!r}))\n")
    config = home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"[default]\ncredential_process = {sys.executable} {script}\n")
    return config


@pytest.mark.slow
def test_a_credential_process_is_used_with_an_endpoint(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(credential_process_home(tmp_path)))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    args = argparse.Namespace(endpoint_url="http://127.0.0.1:1", region=None, profile=None)
    settings = _connect.client_settings(args)
    assert "aws_access_key_id" not in settings
    assert settings["region_name"] == defaults.DEFAULT_REGION
    # Nothing anywhere: the emulator's key.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    settings = _connect.client_settings(args)
    assert settings["aws_access_key_id"] == defaults.DEFAULT_ACCESS_KEY_ID


@pytest.mark.slow
async def test_a_strict_emulator_accepts_the_credential_process_key(
    proton_emulator_factory, run_cli, tmp_path
):
    emulator = await proton_emulator_factory(
        auth="strict", credentials={PROCESS_KEY: PROCESS_SECRET}, clock=SystemClock()
    )
    config = credential_process_home(tmp_path)
    result = await run_cli(
        "wait",
        "--endpoint-url",
        emulator.endpoint_url,
        "environment",
        "nope",
        AWS_CONFIG_FILE=str(config),
        AWS_EC2_METADATA_DISABLED="true",
    )
    assert result.returncode == 1
    assert "ResourceNotFoundException" in result.stderr, result.stderr
    assert emulator.requests.count(operation="GetEnvironment", status=404) == 1


@pytest.mark.slow
async def test_debug_logs_each_request_and_response_without_secrets(proton_emulator, run_cli):
    secret, token = "secret-that-must-not-show", "session-token-that-must-not-show"
    result = await run_cli(
        "--debug",
        "wait",
        "--endpoint-url",
        proton_emulator.endpoint_url,
        "environment",
        "nope",
        AWS_ACCESS_KEY_ID="AKIDDEBUG00000000000",
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_SESSION_TOKEN=token,
        AWS_REGION="us-east-1",
    )
    assert result.returncode == 1
    requests = [line for line in result.stderr.splitlines() if "request GetEnvironment:" in line]
    responses = [line for line in result.stderr.splitlines() if "response GetEnvironment:" in line]
    assert len(requests) == 1 and " DEBUG aioproton.transport: " in requests[0]
    assert f"POST {proton_emulator.endpoint_url}" in requests[0]
    record = proton_emulator.requests.select(operation="GetEnvironment")[0]
    assert len(responses) == 1
    assert f"HTTP 404, request id {record.request_id}" in responses[0]
    for leak in (secret, token, "Signature=", "X-Amz-Security-Token"):
        assert leak not in result.stderr


@pytest.mark.slow
async def test_rollout_takes_rate_and_burst(proton_emulator, proton_client, run_cli):
    await env_template(proton_client, proton_emulator)
    result = await run_cli(
        "rollout",
        "--endpoint-url",
        proton_emulator.endpoint_url,
        "--environment-template",
        "base",
        "--version",
        "1",
        "--rate",
        "4",
        "--burst",
        "2",
    )
    assert result.returncode == 0, result.stderr
    assert result.lines[0] == "rollout of environment template base 1.0: 0 items, 0 to update"
