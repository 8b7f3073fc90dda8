"""``benchmarks/run.py --quick`` still runs end to end and prints the whole table.

Only the harness is checked (every row, every client column, a paired ratio with its
spread in each cell that should have one, one ratio per round); no duration is
asserted, the figures are whatever this machine gives.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ROW_KEYS = [
    "startup",
    "startup_cpu",
    "first_call",
    "cpu_call",
    "cpu_call_100",
    "cpu_item",
    "canned_rate_1",
    "canned_rate_10",
    "canned_rate_100",
    "emulator_rate_1",
    "emulator_rate_10",
    "emulator_rate_100",
    "waiter_calls",
    "waiter_p50",
    "waiter_p95",
    "rollout_rate",
    "rollout_calls",
]
#: Rows each client has no figure on, by design (the table says why).
WAITERS = {"waiter_calls", "waiter_p50", "waiter_p95"}
ROLLOUT = {"rollout_rate", "rollout_calls"}
NOT_MEASURED = {
    "boto3": ROLLOUT,
    "capo-proton": WAITERS | ROLLOUT,
    "floor": WAITERS | ROLLOUT,
}
QUICK_ROUNDS = 2
CAPO_INSTALLED = importlib.util.find_spec("capo_proton") is not None


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench")
    markdown, figures = out / "table.md", out / "table.json"
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/run.py",
            "--quick",
            "--markdown",
            str(markdown),
            "--json",
            str(figures),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {
        "stdout": done.stdout,
        "markdown": markdown.read_text(),
        "figures": json.loads(figures.read_text()),
    }


def _row(run: dict[str, Any], key: str) -> dict[str, Any]:
    return next(row for row in run["figures"]["rows"] if row["key"] == key)


def test_the_table_has_every_row_in_order(run: dict[str, Any]) -> None:
    assert [row["key"] for row in run["figures"]["rows"]] == ROW_KEYS
    for row in run["figures"]["rows"]:
        assert row["label"] in run["stdout"]
        assert f"| {row['label']} |" in run["markdown"]


def test_the_base_column_holds_absolute_figures(run: dict[str, Any]) -> None:
    assert run["figures"]["base"] == "aiobotocore"
    header = run["stdout"].splitlines()[0]
    assert "aiobotocore (abs)" in header and "aioproton (abs)" in header
    for key in ROW_KEYS:
        row = _row(run, key)
        assert row["median"]["aiobotocore"] > 0, f"{key}: no figure for aiobotocore"
        assert row["ratio"]["aiobotocore"] == 1.0


@pytest.mark.parametrize("peer", ["aioproton", "boto3", "floor"])
def test_every_peer_has_a_column_of_paired_ratios(run: dict[str, Any], peer: str) -> None:
    _check_column(run, peer)


def test_capo_proton_column(run: dict[str, Any]) -> None:
    if not CAPO_INSTALLED:
        assert "capo-proton is not installed" in run["stdout"]
        pytest.skip("capo-proton is not installed here: its column is left out of the run")
    _check_column(run, "capo-proton")


def _check_column(run: dict[str, Any], peer: str) -> None:
    header = run["stdout"].splitlines()[0]
    assert peer in header.split()
    assert peer in run["markdown"].splitlines()[0]
    assert peer in run["figures"]["peers"]
    for key in ROW_KEYS:
        row = _row(run, key)
        line = next(line for line in run["stdout"].splitlines() if line.startswith(row["label"]))
        if key in NOT_MEASURED.get(peer, set()):
            assert row["ratio"][peer] is None
            assert row["missing"][peer], f"{key}: {peer} has no figure and no reason"
            assert "n/a" in line
            continue
        ratio, (low, high) = row["ratio"][peer], row["spread"][peer]
        assert row["median"][peer] > 0, f"{key}: no figure for {peer}"
        assert 0 < low <= ratio <= high, f"{key}: {peer}'s ratio is not within its spread"
        # A waiter run is one paired round in simulated time; everything else is paired
        # once per round.
        rounds = 1 if key in WAITERS else QUICK_ROUNDS
        assert len(row["rounds"][peer]) == rounds, f"{key}: {peer} was not paired every round"
        assert f"{ratio:.2f}x" in line
        if rounds > 1:
            assert f"({low:.2f}-{high:.2f})" in line


def test_startup_only_measures_row_1_alone(tmp_path: Path) -> None:
    figures = tmp_path / "startup.json"
    done = subprocess.run(
        [
            *(sys.executable, "benchmarks/run.py", "--startup-only", "--rounds", "1"),
            *("--json", str(figures)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(figures.read_text())["rows"]
    assert [row["key"] for row in rows] == ["startup", "startup_cpu", "first_call"]
    for row in rows:
        assert row["median"]["aiobotocore"] > 0
        assert len(row["rounds"]["aioproton"]) == 1
    assert "bytecode compiled first" in done.stdout
