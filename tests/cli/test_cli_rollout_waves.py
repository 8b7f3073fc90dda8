"""``aioproton rollout --plan/--max-failures/--pause-after-wave/--resume``."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ticking
from .rollouts import fleet_of_four, rollout_args

pytestmark = pytest.mark.slow


@pytest.fixture
async def fleet(proton_emulator, proton_client, proton_waiters, deployed) -> str:
    """Service ``api`` with four instances on ``web`` 1.0, and ``web`` 1.1 published."""
    return await fleet_of_four(proton_client, proton_emulator, proton_waiters)


def logged(lines: list[str], text: str) -> bool:
    """Whether a (timestamped) log line ends with ``text``."""
    return any(line.endswith(text) for line in lines)


async def test_dry_run_lists_the_waves_of_a_plan(proton_emulator, fleet, run_cli):
    result = await run_cli(*rollout_args(proton_emulator, "--dry-run", "--plan", "1,50%"))
    assert result.returncode == 0, result.stderr
    waves = [line for line in result.lines if line.startswith("wave ")]
    assert [line.split(":")[1].strip() for line in waves] == ["1 items", "2 items", "1 items"]
    assert proton_emulator.requests.count(operation="UpdateServiceInstance") == 0


async def test_pause_after_a_wave_then_resume_updates_each_instance_once(
    proton_emulator, proton_client, fleet, run_cli, tmp_path: Path
):
    store = str(tmp_path / "rollout.db")
    async with ticking(proton_emulator):
        paused = await run_cli(
            *rollout_args(
                proton_emulator,
                "--plan",
                "canary",
                "--pause-after-wave",
                "2",
                "--token-store",
                store,
            )
        )
    assert paused.returncode == 0, paused.stderr
    assert logged(paused.lines, "wave 1 of 4: 1 items")
    assert logged(paused.lines, "wave 2 of 4: 1 items")
    assert not logged(paused.lines, "wave 3 of 4: 1 items")
    assert paused.lines[-1] == (
        "stopped after 2 of 4 waves: paused after wave 2 (pause_after_wave); go on with --resume"
    )
    assert proton_emulator.requests.count(operation="UpdateServiceInstance", status=200) == 2

    async with ticking(proton_emulator):
        resumed = await run_cli(*rollout_args(proton_emulator, "--resume", "--token-store", store))
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.lines[0].startswith("resuming rollout of service template web 1.1")
    assert not logged(resumed.lines, "wave 1 of 4: 1 items")
    assert logged(resumed.lines, "wave 4 of 4: 1 items")
    assert resumed.lines[-1] == "4 items: 4 updated"
    assert proton_emulator.requests.count(operation="UpdateServiceInstance", status=200) == 4


async def test_max_failures_stops_the_rollout(proton_emulator, proton_faults, fleet, run_cli):
    proton_faults.fail_deployment("service/api/service-instance/four", message="health check")
    async with ticking(proton_emulator):
        result = await run_cli(
            *rollout_args(
                proton_emulator, "--plan", "one-at-a-time", "--max-failures", "0", "--rollback"
            )
        )
    assert result.returncode == 3
    # Instances run in listing order; "four" fails in its own wave and is rolled back.
    row = next(
        line for line in result.lines if line.startswith("service/api/service-instance/four")
    )
    assert "ROLLED_BACK" in row
    assert result.lines[-1].startswith("stopped after ")
    assert "1 items failed, more than the budget of 0" in result.lines[-1]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("--plan", "5:soon"), 2, "use :pause=SECONDS or :approve"),
        (("--max-failures", "lots"), 2, "a count such as 3 or a percentage such as 2%"),
        (("--pause-after-wave", "0"), 2, "not positive"),
        (("--resume",), 1, "--resume needs --token-store"),
    ],
)
async def test_bad_rollout_flags_say_what_to_do(proton_emulator, fleet, run_cli, args, code, words):
    result = await run_cli(*rollout_args(proton_emulator, *args))
    assert result.returncode == code
    assert words in result.stderr
    assert len(result.stderr.splitlines()) == 1


async def test_resume_with_nothing_stored_says_so(proton_emulator, fleet, run_cli, tmp_path: Path):
    store = str(tmp_path / "empty.db")
    result = await run_cli(*rollout_args(proton_emulator, "--resume", "--token-store", store))
    assert result.returncode == 1
    assert "no rollout of service template web 1.1 to resume" in result.stderr
