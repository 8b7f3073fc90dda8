"""``benchmarks/rollout_rate.py`` still runs end to end and prints its table.

Only the harness is checked (a row per store, a fraction and a spread per column, a
line per measurement); no duration or rate is asserted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_the_rollout_rate_benchmark_prints_a_row_per_store() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "rollout_rate.py"),
            "--rounds",
            "1",
            "--items",
            "10",
            "--replicas",
            "1",
            "2",
            "--stores",
            "sqlite",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "| state store | 1 replica | 2 replicas |"
    cell = r"\d+\.\d{3} \(\d+\.\d{3}-\d+\.\d{3}\)"
    assert re.fullmatch(rf"\| none \(one process\) \| {cell} \|  \|", lines[2]), lines[2]
    assert re.fullmatch(rf"\| sqlite \| {cell} \| {cell} \|", lines[3]), lines[3]
    assert "allowed rate R = 20/s" in result.stdout
    measured = re.findall(r"round 1: (\w+) x(\d): [\d.]+ updates/s", result.stderr)
    assert sorted(measured) == [("none", "1"), ("sqlite", "1"), ("sqlite", "2")]
