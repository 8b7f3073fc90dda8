"""Strict SigV4 refuses a signature dated more than 15 minutes from the emulator's clock."""

from __future__ import annotations

import datetime
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from aioproton.clock import ManualClock, ScaledClock, SystemClock
from aioproton.emulator import Emulator

KEY = "AKIDCLOCK00000000001"
SECRET = "clock-secret-0123456789"
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
MINUTE = 60.0
ROOT = Path(__file__).resolve().parents[2]


class DatedSigV4(SigV4Auth):
    """botocore's SigV4 signer, with the signing time given instead of read from the clock."""

    def __init__(self, when: datetime.datetime) -> None:
        super().__init__(Credentials(KEY, SECRET), "proton", "us-east-1")
        self.when = when

    def add_auth(self, request: AWSRequest) -> None:
        request.context["timestamp"] = self.when.strftime("%Y%m%dT%H%M%SZ")
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        signature = self.signature(self.string_to_sign(request, canonical), request)
        self._inject_signature_to_request(request, signature)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


Call = Callable[..., Any]


@pytest.fixture
def call(http: aiohttp.ClientSession) -> Call:
    """``GetAccountSettings`` signed by botocore at wall time + ``offset`` seconds."""

    async def send(emulator: Emulator, offset: float = 0.0) -> tuple[int, dict[str, Any]]:
        url = emulator.endpoint_url + "/"
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
        request = AWSRequest(
            method="POST",
            url=url,
            data=b"{}",
            headers={
                "Content-Type": JSON_CONTENT_TYPE,
                "X-Amz-Target": "AwsProton20200720.GetAccountSettings",
            },
        )
        DatedSigV4(when).add_auth(request)
        headers = {name: str(value) for name, value in request.headers.items()}
        async with http.post(url, data=b"{}", headers=headers) as response:
            return response.status, json.loads(await response.read())

    return send


def strict(clock: Any, **settings: Any) -> Emulator:
    return Emulator(clock=clock, auth="strict", credentials={KEY: SECRET}, **settings)


def manual_clock_at(offset: float) -> ManualClock:
    """A manual clock standing ``offset`` seconds from the wall clock."""
    return ManualClock(start=time.time() + offset)


@pytest.mark.parametrize(
    ("emulator_ahead", "expected"),
    [
        pytest.param(16 * MINUTE, "Signature expired: ", id="16-minutes-old"),
        pytest.param(6 * 60 * MINUTE, "Signature expired: ", id="6-hours-old"),
        pytest.param(-16 * MINUTE, "Signature not yet current: ", id="16-minutes-ahead"),
    ],
)
async def test_a_signature_outside_15_minutes_of_the_emulator_clock_is_refused(
    call: Call, emulator_ahead: float, expected: str
) -> None:
    async with strict(manual_clock_at(emulator_ahead), auth_clock_skew=900) as emulator:
        status, body = await call(emulator)
    assert status == 403
    assert body["__type"] == "InvalidSignatureException"
    assert body["message"].startswith(expected)
    # AWS's wording, which names both times and the allowed window.
    assert "15 min." in body["message"]
    assert emulator.requests.last() is not None
    assert emulator.requests.last().error_code == "InvalidSignatureException"  # type: ignore[union-attr]


@pytest.mark.parametrize("emulator_ahead", [14 * MINUTE, -14 * MINUTE, 0.0])
async def test_a_signature_within_15_minutes_is_accepted(call: Call, emulator_ahead: float) -> None:
    async with strict(manual_clock_at(emulator_ahead), auth_clock_skew=900) as emulator:
        status, body = await call(emulator)
    assert status == 200, body
    assert "accountSettings" in body


async def test_the_system_clock_checks_the_skew_by_default(call: Call) -> None:
    async with strict(SystemClock()) as emulator:
        stale_status, stale = await call(emulator, offset=-16 * MINUTE)
        future_status, future = await call(emulator, offset=16 * MINUTE)
        fresh_status, _ = await call(emulator, offset=-14 * MINUTE)
    assert (stale_status, stale["__type"]) == (403, "InvalidSignatureException")
    assert stale["message"].startswith("Signature expired: ")
    assert (future_status, future["__type"]) == (403, "InvalidSignatureException")
    assert fresh_status == 200


async def test_a_replayed_old_request_is_refused(call: Call) -> None:
    # The same signed bytes, sent again once the window has passed on the emulator clock.
    clock = manual_clock_at(0.0)
    async with strict(clock, auth_clock_skew=900) as emulator:
        first, _ = await call(emulator)
        clock.advance(16 * MINUTE)
        later, body = await call(emulator, offset=0.0)
    assert first == 200
    assert (later, body["__type"]) == (403, "InvalidSignatureException")


@pytest.mark.parametrize("clock", [ManualClock(), ScaledClock(50.0)], ids=["manual", "scaled"])
async def test_simulated_clocks_skip_the_check_unless_asked(call: Call, clock: Any) -> None:
    # A manual clock stands at 2026-01-01 whatever the wall time: SDKs sign with wall time.
    async with strict(clock) as emulator:
        status, _ = await call(emulator, offset=-6 * 60 * MINUTE)
    assert status == 200


async def test_a_wider_window_accepts_older_signatures(call: Call) -> None:
    async with strict(manual_clock_at(30 * MINUTE), auth_clock_skew=3600) as emulator:
        status, _ = await call(emulator)
    assert status == 200


@pytest.mark.parametrize("value", [-1, float("nan"), "soon", True])
def test_a_bad_skew_is_refused_at_construction(value: Any) -> None:
    with pytest.raises((ValueError, TypeError), match="auth_clock_skew"):
        strict(ManualClock(), auth_clock_skew=value)


@pytest.mark.slow
async def test_the_flag_is_documented_and_checked() -> None:
    command = [sys.executable, "-m", "aioproton.emulator", "--help"]
    with anyio.fail_after(60):
        done = await anyio.run_process(command, check=False, cwd=ROOT)
    text = done.stdout.decode()
    assert done.returncode == 0
    assert "--auth-clock-skew" in text and "15 min" in text.replace("\n", " ").replace("  ", " ")
    with anyio.fail_after(60):
        bad = await anyio.run_process(
            [*command[:-1], "--auth-clock-skew", "later"], check=False, cwd=ROOT
        )
    assert bad.returncode == 2
    assert len(bad.stderr.decode().strip().splitlines()) == 1


@pytest.mark.slow
async def test_the_flag_applies_to_a_served_emulator(call: Call) -> None:
    command = [
        sys.executable, "-m", "aioproton.emulator", "--port", "0", "--clock", "manual",
        "--auth", "strict", "--credentials", f"{KEY}:{SECRET}", "--auth-clock-skew", "900",
    ]  # fmt: skip
    async with await anyio.open_process(command, cwd=ROOT) as process:
        try:
            assert process.stdout is not None
            line = b""
            with anyio.fail_after(60):
                while not line.endswith(b"\n"):
                    line += await process.stdout.receive()
            url = line.decode().strip()
            # The manual clock stands at 2026-01-01; a wall-time signature is far from it.
            status, body = await call(_At(url))
        finally:
            process.terminate()
            with anyio.fail_after(20):
                await process.wait()
    assert (status, body["__type"]) == (403, "InvalidSignatureException")
    assert "Signature " in body["message"]


class _At:
    """Just enough of an Emulator for ``call``: where it listens."""

    def __init__(self, url: str) -> None:
        self.endpoint_url = url


async def test_an_impossible_date_is_an_incomplete_signature(http: aiohttp.ClientSession) -> None:
    async with strict(SystemClock()) as emulator:
        headers = {
            "Content-Type": JSON_CONTENT_TYPE,
            "X-Amz-Target": "AwsProton20200720.GetAccountSettings",
            "X-Amz-Date": "20261399T996199Z",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={KEY}/20261399/us-east-1/proton/"
            "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        }
        async with http.post(emulator.endpoint_url, data=b"{}", headers=headers) as response:
            status, body = response.status, json.loads(await response.read())
    assert (status, body["__type"]) == (403, "IncompleteSignatureException")
    assert "X-Amz-Date" in body["message"]
