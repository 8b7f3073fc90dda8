"""``python -m aioproton.emulator``: ready line, signals, flags, loopback by default."""

from __future__ import annotations

import ipaddress
import re
import signal
import socket
from typing import Any

import anyio
import pytest

import aioproton
from aioproton.emulator import EmulatorControl

pytestmark = pytest.mark.slow

URL_LINE = re.compile(r"^http://127\.0\.0\.1:(\d+)$")


def _non_loopback_address() -> str | None:
    """An address of this host that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if ipaddress.ip_address(address).is_loopback else address


async def test_prints_one_url_line_serves_and_exits_0_on_sigterm(launch_emulator: Any) -> None:
    async with launch_emulator("--clock", "manual", "--seed", "5") as child:
        assert URL_LINE.match(child.url)
        async with aioproton.ProtonClient(
            endpoint_url=child.url,
            region_name="us-east-1",
            aws_access_key_id="AKIDCLI",
            aws_secret_access_key="secret",
            retry=aioproton.RetryPolicy.never(),
        ) as proton:
            await proton.create_environment_template(name="from-cli")
            listed = await proton.list_environment_templates()
        assert [t.name for t in listed.templates] == ["from-cli"]
        assert await child.stop() == 0
        assert child.process.stdout is not None
        rest = b""
        async for chunk in child.process.stdout:
            rest += chunk
        assert rest == b"", "nothing but the URL line goes to stdout"
        assert "Traceback" not in child.stderr


async def test_sigint_also_stops_cleanly(launch_emulator: Any) -> None:
    async with launch_emulator() as child:
        child.process.send_signal(signal.SIGINT)
        with anyio.fail_after(10):
            assert await child.process.wait() == 0
        assert "Traceback" not in child.stderr


async def test_binds_loopback_only_by_default(launch_emulator: Any) -> None:
    async with launch_emulator() as child:
        port = int(URL_LINE.match(child.url).group(1))  # type: ignore[union-attr]
        async with EmulatorControl(child.url) as control:
            health = await control.health()
        hosts = [address.rsplit(":", 1)[0] for address in health["addresses"]]
        assert hosts
        assert all(ipaddress.ip_address(host).is_loopback for host in hosts)
        other = _non_loopback_address()
        if other is not None:
            with anyio.fail_after(5), pytest.raises(OSError):
                await anyio.connect_tcp(other, port)


async def test_flags_reach_the_emulator(launch_emulator: Any) -> None:
    async with launch_emulator(
        "--clock",
        "manual",
        "--auth",
        "strict",
        "--credentials",
        "AKIDFLAG:flag-secret",
        "--account",
        "AKIDFLAG:111122223333",
        "--throttle-burst",
        "1",
        "--fault-operation",
        "GetAccountSettings",
    ) as child:
        settings: dict[str, Any] = {
            "endpoint_url": child.url,
            "region_name": "us-west-2",
            "aws_access_key_id": "AKIDFLAG",
            "aws_secret_access_key": "flag-secret",
            "retry": aioproton.RetryPolicy.never(),
        }
        async with aioproton.ProtonClient(**settings) as proton:
            with pytest.raises(aioproton.ThrottlingError):
                await proton.get_account_settings()
            template = await proton.create_environment_template(name="flags")
        assert template.arn.startswith("arn:aws:proton:us-west-2:111122223333:")
        async with aioproton.ProtonClient(
            **{**settings, "aws_secret_access_key": "wrong"}
        ) as proton:
            with pytest.raises(aioproton.AccessDeniedError) as caught:
                await proton.get_account_settings()
        assert caught.value.code == "InvalidSignatureException"
        async with EmulatorControl(child.url) as control:
            health = await control.health()
            assert (health["clock"], health["auth"]) == ("manual", "strict")
            assert (await control.faults()).operations == frozenset({"GetAccountSettings"})
            before = await control.now()
            assert await control.advance_clock(5) == before + 5


BAD_FLAGS = [
    ("--throttle-rate", "2"),
    ("--error-rate", "often"),
    ("--latency-ms", "50:10"),
    ("--port", "http"),
    ("--clock", "sundial"),
    ("--auth", "maybe"),
    ("--credentials", "no-colon"),
    ("--account", "AKID:123"),
    ("--fault-operation", "NoSuchOperation"),
    ("--no-such-flag",),
]


async def test_bad_flags_exit_2_with_one_line_and_no_traceback(run_cli: Any) -> None:
    results: dict[tuple[str, ...], Any] = {}

    async def run(flags: tuple[str, ...]) -> None:
        results[flags] = await run_cli(*flags)

    async with anyio.create_task_group() as group:
        for flags in BAD_FLAGS:
            group.start_soon(run, flags)
    for flags, result in results.items():
        assert result.returncode == 2, (flags, result)
        assert result.stdout == "", flags
        lines = result.stderr.splitlines()
        assert len(lines) == 1, (flags, result.stderr)
        assert "error:" in lines[0]
        assert "Traceback" not in result.stderr


async def test_a_taken_port_is_one_line_and_exit_1(run_cli: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await run_cli("--port", str(port))
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
