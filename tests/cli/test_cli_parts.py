"""The CLI's small parts: where credentials come from, error lines, the drawing helpers."""

from __future__ import annotations

import argparse
import io
import sys

import pytest

from aioproton.cli import _connect, _display, _exit
from aioproton.emulator import defaults
from aioproton.errors import ResourceNotFoundError

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup


def _args(**given: object) -> argparse.Namespace:
    values = {"endpoint_url": None, "region": None, "profile": None, "debug": False}
    values.update(given)
    return argparse.Namespace(**values)


@pytest.fixture
def bare_machine(monkeypatch, tmp_path):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_PROTON",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def test_an_endpoint_without_credentials_signs_as_the_emulator(bare_machine):
    settings = _connect.client_settings(_args(endpoint_url="http://127.0.0.1:4566"))
    assert settings["aws_access_key_id"] == defaults.DEFAULT_ACCESS_KEY_ID
    assert settings["aws_secret_access_key"] == defaults.DEFAULT_SECRET_ACCESS_KEY
    assert settings["region_name"] == "us-east-1"


def test_the_endpoint_can_come_from_the_environment(bare_machine, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PROTON", "http://127.0.0.1:4566")
    settings = _connect.client_settings(_args())
    assert settings["endpoint_url"] == "http://127.0.0.1:4566"
    assert settings["aws_access_key_id"] == defaults.DEFAULT_ACCESS_KEY_ID


def test_configured_credentials_are_left_alone(bare_machine, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    settings = _connect.client_settings(_args(endpoint_url="http://127.0.0.1:4566"))
    assert "aws_access_key_id" not in settings
    assert settings["region_name"] == "eu-central-1"  # botocore reads only AWS_DEFAULT_REGION


def test_a_profile_is_left_alone(bare_machine):
    settings = _connect.client_settings(
        _args(endpoint_url="http://127.0.0.1:4566", profile="dev", region="ap-south-1")
    )
    assert "aws_access_key_id" not in settings
    assert settings["profile_name"] == "dev"
    assert settings["region_name"] == "ap-south-1"


def test_without_an_endpoint_nothing_is_invented(bare_machine):
    settings = _connect.client_settings(_args())
    assert settings["endpoint_url"] is None
    assert "aws_access_key_id" not in settings


def test_describe_unwraps_a_lone_exception_group():
    error = ResourceNotFoundError("Environment x does not exist.", operation="GetEnvironment")
    group = BaseExceptionGroup("task group", [error])
    assert _exit.describe(group) == _exit.describe(error)
    assert _exit.describe(error).startswith("GetEnvironment: ResourceNotFoundException")


def test_describe_an_unexpected_error_points_at_debug():
    assert "--debug" in _exit.describe(KeyError("x"))


@pytest.mark.parametrize(
    ("seconds", "text"), [(4.21, "4.2s"), (185, "3m05s"), (3720, "1h02m"), (-1, "0.0s")]
)
def test_duration(seconds, text):
    assert _display.duration(seconds) == text


def test_table_aligns_and_cuts_the_last_column():
    lines = _display.table(("A", "LONGER", "C"), [("xx", "y", "z" * 50)], width=30)
    assert lines[0] == "A   LONGER  C"
    assert lines[1].startswith("xx  y       zzz") and lines[1].endswith("...")
    assert len(lines[1]) == 30


def test_plain_output_has_no_escapes():
    stream = io.StringIO()
    terminal = _display.Terminal(stream, interactive=False)
    terminal.status("ignored")
    terminal.log("logged")
    terminal.line(terminal.paint("final", "green"))
    text = stream.getvalue()
    assert "\x1b" not in text and "ignored" not in text
    assert text.endswith(" logged\nfinal\n")


def test_progress_bar():
    assert _display.progress_bar(1, 4, width=8) == "[##------]"
    assert _display.progress_bar(0, 0, width=4) == "[####]"
