"""``benchmarks/token_stores.py`` still runs end to end and prints its table.

Only the harness is checked (a row per store, a figure and a spread per column); no
duration is asserted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_the_claims_benchmark_prints_a_row_per_store() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "token_stores.py"),
            "--rounds",
            "1",
            "--claims",
            "20",
            "--processes",
            "1",
            "2",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "| store | 1 process | 2 processes |"
    cell = r"\d+ \(\d+-\d+\)"
    for kind in ("postgres", "sqlite"):
        row = next(line for line in lines if line.startswith(f"| {kind} |"))
        assert re.fullmatch(rf"\| {kind} \| {cell} \| {cell} \|", row), row
    assert result.stderr.count("round 1:") == 4
