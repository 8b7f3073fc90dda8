"""A damaged state file stops ``python -m aioproton.emulator`` with one line and exit 1."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import anyio
import pytest

from aioproton.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
PROG = "python -m aioproton.emulator"


def write_state(path: Path, snapshot: str | bytes, *, fmt: int = 1) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE emulator_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "format INTEGER NOT NULL, revision INTEGER NOT NULL, snapshot TEXT NOT NULL)"
        )
        db.execute("INSERT INTO emulator_state VALUES (1, ?, 1, ?)", (fmt, snapshot))
    db.close()


async def start_emulator(state: Path) -> tuple[int, str, str]:
    command = [sys.executable, "-m", "aioproton.emulator", "--port", "0", "--state-file"]
    with anyio.fail_after(60):
        done = await anyio.run_process([*command, str(state)], check=False, cwd=ROOT)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "snapshot",
    [
        pytest.param("this is not JSON", id="not-json"),
        pytest.param('{"world": ', id="truncated-json"),
        pytest.param(deep(100_000), id="nested-too-deep"),
        pytest.param('{"world": ' + deep(950) + "}", id="nested-almost-too-deep"),
        pytest.param(b"\xff\xfe\x00 binary", id="not-text"),
        pytest.param('{"unexpected": true}', id="not-a-snapshot"),
        pytest.param("[1, 2, 3]", id="not-an-object"),
    ],
)
@pytest.mark.slow
async def test_a_damaged_snapshot_is_one_line_and_exit_1(
    tmp_path: Path, snapshot: str | bytes
) -> None:
    state = tmp_path / "state.sqlite"
    write_state(state, snapshot)
    code, stdout, stderr = await start_emulator(state)
    assert code == 1, stderr
    assert stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"{PROG}: error: ")
    assert str(state) in lines[0]
    assert "Traceback" not in stderr


@pytest.mark.slow
async def test_a_state_table_of_another_shape_is_one_line(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    with sqlite3.connect(state) as db:
        db.execute("CREATE TABLE emulator_state (id INTEGER PRIMARY KEY, something TEXT)")
        db.execute("INSERT INTO emulator_state VALUES (1, 'x')")
    db.close()
    code, _, stderr = await start_emulator(state)
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert str(state) in stderr


@pytest.mark.slow
async def test_a_file_that_is_not_sqlite_is_one_line(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    state.write_bytes(b"definitely not a database file, just some bytes" * 100)
    code, _, stderr = await start_emulator(state)
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1, stderr


async def test_in_process_the_damage_is_a_state_file_error(tmp_path: Path) -> None:
    from aioproton.emulator._persistence import StateFileError

    state = tmp_path / "state.sqlite"
    write_state(state, deep(100_000))
    emulator = Emulator(state_file=state)
    with pytest.raises(StateFileError, match="nested too deeply"):
        await emulator.start()
    assert not emulator.running
