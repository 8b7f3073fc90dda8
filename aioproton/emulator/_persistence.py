"""The emulator's state on disk, so an acknowledged change survives a crash.

The whole backend snapshot is written, as one JSON document in one SQLite
transaction, after every request that changed the state and before its response is
sent; SQLite's journal makes each write all-or-nothing, so a ``kill -9`` at any moment
leaves the previous or the new state, never a torn one. The cost is one full
serialization and one synchronous disk write (with fsync) per changing request,
proportional to the size of the state: fine for test and development workloads
(thousands of resources), not meant for bulk benchmarks, where the emulator should run
without a state file. Writes run on the event loop on purpose: no other request can
change the state between the snapshot and its write, so the file never goes back in
time.
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS emulator_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    snapshot TEXT NOT NULL
)
"""

FORMAT = 1


class StateFileError(Exception):
    """The state file cannot be read as an emulator state."""


class StateFile:
    """One SQLite file holding the latest snapshot of the backend."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._db: sqlite3.Connection | None = None

    def open(self) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StateFileError(f"cannot open state file {self.path}: {exc}") from exc
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(_SCHEMA)
        except sqlite3.Error as exc:
            db.close()
            raise StateFileError(f"{self.path} is not a usable state file: {exc}") from exc
        self._db = db

    @property
    def is_open(self) -> bool:
        return self._db is not None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StateFileError("the state file is not open")
        return self._db

    def load(self) -> dict[str, Any] | None:
        """The saved snapshot, or None when nothing was saved yet."""
        try:
            row = (
                self._connection()
                .execute("SELECT format, snapshot FROM emulator_state WHERE id = 1")
                .fetchone()
            )
        except sqlite3.Error as exc:
            raise StateFileError(f"{self.path} is not a usable state file: {exc}") from exc
        if row is None:
            return None
        if row[0] != FORMAT:
            raise StateFileError(f"{self.path} has state format {row[0]}, expected {FORMAT}")
        try:
            data = json.loads(row[1])
        except RecursionError:
            raise StateFileError(f"{self.path} holds a snapshot nested too deeply") from None
        except (ValueError, TypeError) as exc:  # UnicodeDecodeError included
            raise StateFileError(
                f"{self.path} holds a snapshot that is not valid JSON: {exc}"
            ) from None
        if not isinstance(data, dict):
            raise StateFileError(f"{self.path} does not hold a snapshot object")
        return data

    def save(self, snapshot: dict[str, Any], revision: int) -> None:
        """Replace the saved snapshot, atomically and durably."""
        text = json.dumps(snapshot, separators=(",", ":"))
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT INTO emulator_state (id, format, revision, snapshot) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET format = excluded.format, "
                "revision = excluded.revision, snapshot = excluded.snapshot",
                (FORMAT, revision, text),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
