"""The plugin in a user's own project: loaded once however it is named, in either async mode.

Each case runs pytest in a child process on a small project written to a temporary
folder. A distribution declaring the ``pytest11`` entry point is put on its path, as
installing aioproton does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]

INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
addopts = --strict-markers -p no:cacheprovider
filterwarnings = error
{extra}
"""

TESTS = """\
import pytest

import aioproton.testing.plugin as plugin


@pytest.fixture
def anyio_backend():
    return "asyncio"


{asyncio_mark}
async def test_driven_by_pytest_asyncio(proton_client, proton_faults):
    proton_faults.throttle(times=1)
    await proton_client.create_environment_template(name="a")
    assert proton_faults.injected("throttle") == 1


@pytest.mark.proton_emulator(region="eu-west-1")
def test_sync_code(proton_endpoint):
    assert proton_endpoint.emulator.region == "eu-west-1"


def test_registered_once(pytestconfig):
    manager = pytestconfig.pluginmanager
    names = [name for name, p in manager.list_name_plugin() if p is plugin]
    assert len(names) == 1, names
"""

# pytest-asyncio's auto mode claims every async test, anyio's included, so anyio-marked
# tests only run beside pytest-asyncio in its strict mode.
ANYIO_TEST = """

@pytest.mark.anyio
async def test_driven_by_anyio(proton_client, proton_waiters):
    await proton_client.create_environment_template(name="b")
    assert proton_waiters.proton is proton_client
"""


def _project(root: Path, *, mode: str | None, conftest_loads: bool) -> Path:
    project = root / "project"
    project.mkdir()
    extra = f"asyncio_mode = {mode}" if mode else ""
    (project / "pytest.ini").write_text(INI.format(extra=extra))
    if conftest_loads:
        (project / "conftest.py").write_text('pytest_plugins = ["aioproton.testing.plugin"]\n')
    auto = mode == "auto"
    tests = TESTS.format(asyncio_mark="" if auto else "@pytest.mark.asyncio")
    (project / "test_user.py").write_text(tests if auto else tests + ANYIO_TEST)
    return project


def _entry_point(root: Path) -> Path:
    """A distribution that declares the plugin's entry point, as aioproton's metadata does."""
    site = root / "site"
    info = site / "aioproton_plugin_probe-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: aioproton-plugin-probe\nVersion: 0.0\n"
    )
    (info / "entry_points.txt").write_text("[pytest11]\naioproton = aioproton.testing.plugin\n")
    return site


def _run_pytest(project: Path, site: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    paths = [str(site)] if site is not None else []
    env["PYTHONPATH"] = os.pathsep.join([*paths, str(REPO_ROOT)])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("mode", "conftest_loads", "with_entry_point", "args", "passed"),
    [
        pytest.param("strict", True, True, (), 4, id="strict-entry-point-and-conftest"),
        pytest.param(
            None, True, True, ("-p", "aioproton.testing.plugin"), 4, id="default-mode-all-three"
        ),
        pytest.param("auto", False, False, ("-p", "aioproton.testing.plugin"), 3, id="auto-by-p"),
    ],
)
def test_the_plugin_in_a_user_project(
    tmp_path: Path,
    mode: str | None,
    conftest_loads: bool,
    with_entry_point: bool,
    args: tuple[str, ...],
    passed: int,
) -> None:
    project = _project(tmp_path, mode=mode, conftest_loads=conftest_loads)
    site = _entry_point(tmp_path) if with_entry_point else None

    done = _run_pytest(project, site, *args)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{passed} passed" in done.stdout, done.stdout


def test_it_can_be_switched_off(tmp_path: Path) -> None:
    project = _project(tmp_path, mode="auto", conftest_loads=False)
    (project / "test_user.py").write_text("async def test_needs_it(proton_client):\n    pass\n")
    site = _entry_point(tmp_path)

    done = _run_pytest(project, site, "-p", "no:aioproton")

    assert done.returncode != 0
    assert "fixture 'proton_client' not found" in done.stdout
