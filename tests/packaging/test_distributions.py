"""The wheel and sdist a team would approve: built, inspected, installed in a fresh venv.

Built once for the module with ``python -m build`` (the sdist first, then the wheel from
it, as an installer does), then the wheel is installed with its dependencies into an
empty virtual environment and used from outside the checkout.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path

import pytest

import aioproton

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
LICENSE = (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")


def _run(*args: str | Path, cwd: Path, timeout: float) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--outdir", out, REPO_ROOT, cwd=out, timeout=300)
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob("aioproton-*.whl")
    return found


@pytest.fixture(scope="module")
def sdist(dist: Path) -> Path:
    (found,) = dist.glob("aioproton-*.tar.gz")
    return found


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


def test_the_wheel_carries_the_license_text(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(name).decode() == LICENSE
    metadata = _metadata(wheel)
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]


def test_the_sdist_carries_the_license_changelog_and_examples(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        root = sdist.name.removesuffix(".tar.gz")
        license_file = archive.extractfile(f"{root}/LICENSE")
        assert license_file is not None
        assert license_file.read().decode() == LICENSE
        names = set(archive.getnames())
    assert f"{root}/CHANGELOG.md" in names
    assert f"{root}/examples/quickstart.py" in names


def test_the_wheel_metadata(wheel: Path) -> None:
    metadata = _metadata(wheel)
    assert metadata["Version"] == aioproton.__version__
    classifiers = metadata.get_all("Classifier") or []
    for minor in (10, 11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    requires = [r.split(";")[0] for r in metadata.get_all("Requires-Dist") or []]
    assert any(r.startswith("aiohttp") for r in requires)
    assert set(metadata.get_all("Provides-Extra") or []) >= {"pytest", "test"}
    plugin_extra = [r for r in metadata.get_all("Requires-Dist") or [] if "'pytest'" in r]
    assert sorted(r.split(">")[0] for r in plugin_extra) == ["pytest", "pytest-asyncio"]


def test_the_wheel_ships_the_examples(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for script in sorted((REPO_ROOT / "examples").glob("*.py")):
        assert f"aioproton/examples/scripts/{script.name}" in names


def test_the_wheel_installs_and_runs_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path, timeout=120)
    python = venv / "bin" / "python"
    _run(
        python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "-c", REPO_ROOT / "constraints.txt", wheel,
        cwd=tmp_path, timeout=600,
    )  # fmt: skip
    code = "import aioproton; print(aioproton.__version__); print(aioproton.__file__)"
    version, location = _run(python, "-c", code, cwd=tmp_path, timeout=60).split()
    assert version == aioproton.__version__
    assert Path(location).is_relative_to(venv)
    # The examples run from the installed package, away from any checkout.
    out = _run(python, "-m", "aioproton.examples", "quickstart", cwd=tmp_path, timeout=120)
    assert "deleted service api" in out


@pytest.mark.parametrize("args", [(), ("no_such_example",)])
def test_the_example_runner_lists_the_examples_for_a_missing_or_unknown_name(
    args: tuple[str, ...],
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aioproton.examples", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "usage: python -m aioproton.examples NAME" in done.stderr
    assert "quickstart" in done.stderr
    assert "_harness" not in done.stderr
