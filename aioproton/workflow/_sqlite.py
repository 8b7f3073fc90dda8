"""What the SQLite stores share: a file in WAL mode, and each step one short
``BEGIN IMMEDIATE`` transaction on a connection of its own, in a worker thread.

So a store can be used from any task, and from several processes at once.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

_T = TypeVar("_T")


class SqliteFile:
    """Base of the SQLite stores: runs the ``schema`` script on construction."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float, schema: str) -> None:
        self.path: str = os.fspath(path)
        self.busy_timeout = busy_timeout
        self._limiter = anyio.CapacityLimiter(4)
        connection = self._connect()
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(schema)
        finally:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        connection.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        return connection

    def _transaction(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                outcome = work(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return outcome
        finally:
            connection.close()

    async def _in_thread(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` in one transaction, in a worker thread."""
        return await anyio.to_thread.run_sync(self._transaction, work, limiter=self._limiter)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"
