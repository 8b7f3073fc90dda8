"""Recording an emulator session's request and response bodies to a JSON-lines file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import boto3
import pytest

from aioproton.emulator import Emulator, read_recording
from aioproton.errors import ConfigurationError


async def test_a_session_is_recorded_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    async with Emulator(record_to=path) as emulator, emulator.client() as proton:
        await proton.create_environment_template(name="web", description="the web tier")
        await proton.get_environment_template(name="web")
        with pytest.raises(Exception, match="missing"):
            await proton.get_environment_template(name="missing")
        in_memory = emulator.requests.records
    records = read_recording(path)
    assert [r.operation for r in records] == [
        "CreateEnvironmentTemplate",
        "GetEnvironmentTemplate",
        "GetEnvironmentTemplate",
    ]
    assert records == in_memory
    created = records[0]
    assert created.status == 200
    assert created.request == {"name": "web", "description": "the web tier"}
    assert created.response["environmentTemplate"]["name"] == "web"
    assert records[1].request == {"name": "web"}
    refused = records[2]
    assert refused.status == 404
    assert refused.error_code == "ResourceNotFoundException"
    assert "missing" in refused.response["message"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert {"time", "operation", "status", "request", "response", "request_id"} <= set(
        json.loads(lines[0])
    )
    assert json.loads(lines[0])["request_id"] == created.request_id


async def test_credentials_never_reach_the_recording(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    access_key_id, secret = "AKIARECORDINGTEST123", "recording-secret-never-written"
    async with Emulator(
        record_to=path, auth="strict", credentials={access_key_id: secret}
    ) as emulator:
        async with emulator.client() as proton:
            await proton.create_environment_template(name="web")
        boto = boto3.client("proton", **emulator.client_settings)
        try:
            await anyio.to_thread.run_sync(boto.list_environment_templates)
        finally:
            boto.close()
    text = path.read_text(encoding="utf-8")
    assert len(read_recording(path)) == 2
    assert access_key_id not in text
    assert secret not in text
    for needle in ("Signature", "Credential", "Authorization", "X-Amz-Date", "AWS4-HMAC"):
        assert needle not in text


async def test_without_recording_records_carry_no_bodies(proton_emulator: Emulator) -> None:
    async with proton_emulator.client() as proton:
        await proton.create_environment_template(name="web")
    (record,) = proton_emulator.requests.records
    assert record.request is None
    assert record.response is None
    assert not proton_emulator.requests.recording


async def test_an_unwritable_recording_path_fails_at_start(tmp_path: Path) -> None:
    emulator = Emulator(record_to=tmp_path / "no" / "such" / "dir" / "session.jsonl")
    with pytest.raises(ConfigurationError, match=r"cannot record to .*give a writable file"):
        await emulator.start()
    assert not emulator.running


def test_reading_a_file_that_is_not_a_recording_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "other.jsonl"
    path.write_text('{"sequence": 1}\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="line 1 is not a recorded request"):
        read_recording(path)
    with pytest.raises(ConfigurationError, match="cannot read recording"):
        read_recording(tmp_path / "absent.jsonl")


def test_the_cli_reports_an_unwritable_recording_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aioproton.emulator", "--record", str(tmp_path / "no" / "f")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "cannot record to" in done.stderr
    assert "Traceback" not in done.stderr
