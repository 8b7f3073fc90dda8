"""``benchmarks/run.py --quick`` still runs end to end and prints the whole table.

Only the harness is checked (every row, every client column, a figure and a ratio in
each cell that should have one); no duration is asserted, the figures are whatever
this machine gives.
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
    "latency_us",
    "cpu_us",
    "throughput_1",
    "throughput_10",
    "throughput_100",
    "page_seconds",
    "page_cpu",
    "page_peak_kib",
    "waiter_calls",
    "waiter_p50",
    "waiter_p95",
    "rollout_rate",
    "rollout_calls",
]
#: Rows each client has no figure on, by design (the table says why).
NOT_MEASURED = {
    "boto3": {"rollout_rate", "rollout_calls"},
    "capo-proton": {"waiter_calls", "waiter_p50", "waiter_p95", "rollout_rate", "rollout_calls"},
}
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


@pytest.mark.parametrize("peer", ["aioproton", "aiobotocore", "boto3"])
def test_every_peer_has_a_column_with_figures_and_ratios(run: dict[str, Any], peer: str) -> None:
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
        if key in NOT_MEASURED.get(peer, set()):
            assert row["best"][peer] is None
            assert row["missing"][peer], f"{key}: {peer} has no figure and no reason"
            continue
        best = row["best"][peer]
        assert best is not None and best >= 0, f"{key}: no figure for {peer}"
        if peer != "aioproton":
            assert row["ratio"][peer] is not None, f"{key}: no ratio for {peer}"
