"""The committed generated code is exactly what the installed botocore model produces."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODEGEN = ROOT / "scripts" / "codegen.py"
GENERATED = ROOT / "aioproton" / "_generated"


def run_check(target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CODEGEN), "--check", "--target", str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_committed_code_matches_the_installed_model() -> None:
    result = run_check(GENERATED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matches botocore" in result.stdout


def test_a_hand_edit_is_reported_as_drift(tmp_path: Path) -> None:
    copy = tmp_path / "_generated"
    shutil.copytree(GENERATED, copy)
    models = copy / "models.py"
    models.write_text(models.read_text().replace("IN_PROGRESS", "IN_PROGRES", 1))
    result = run_check(copy)
    assert result.returncode == 1
    assert "models.py" in result.stdout
    assert "differ from the installed botocore model" in result.stderr


def test_a_missing_or_extra_file_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "_generated"
    shutil.copytree(GENERATED, copy)
    (copy / "paginators.py").unlink()
    (copy / "stale.py").write_text("# left over\n")
    result = run_check(copy)
    assert result.returncode == 1
    assert "paginators.py" in result.stdout and "stale.py" in result.stdout


def test_generated_files_carry_the_do_not_edit_banner() -> None:
    import botocore

    for path in GENERATED.glob("*.py"):
        first = path.read_text().splitlines()[0]
        assert "DO NOT EDIT" in first and botocore.__version__ in first, path.name
