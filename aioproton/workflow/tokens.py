"""Where the client token of each logical request lives, so it survives retries and restarts.

A caller names each logical request with an idempotency key of its own (say
``"deploy-42/component/web"``). The store maps the key to one client token for as long
as the service remembers tokens, so every attempt of that request, in this process or
the next one after a crash, sends the same token and the service performs it once.

- :class:`MemoryTokenStore`: per process; survives aioproton's retries, not restarts.
- :class:`SqliteTokenStore`: a SQLite file; survives restarts and is safe to share
  between tasks and processes (each claim is one ``BEGIN IMMEDIATE`` transaction).
- :class:`~aioproton.workflow.postgres.PostgresTokenStore` (``aioproton[postgres]``):
  shared by replicas on several hosts.

Every store forgets records older than the token lifetime plus a margin by itself
(:class:`~aioproton.workflow.purge.AutoPurge`, checked on each claim).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from typing import Literal, Protocol

import attrs

from ._sqlite import SqliteFile
from .purge import AutoPurge

__all__ = ["MemoryTokenStore", "SqliteTokenStore", "TokenRecord", "TokenStore"]


@attrs.frozen
class TokenRecord:
    """One idempotency key and the client token it stands for."""

    key: str
    token: str
    #: A digest of the operation and parameters first sent under this key.
    fingerprint: str
    #: When the token was first claimed (epoch seconds, on the caller's clock).
    created_at: float
    #: The ARN of the resource the request created or changed, once known.
    result: str | None = None

    def age(self, now: float) -> float:
        """Seconds since the token was claimed (or renewed), at ``now``."""
        return max(0.0, now - self.created_at)


class TokenStore(Protocol):
    """Maps idempotency keys to client tokens: the contract every store meets.

    A store of your own (DynamoDB, Redis, ...) checks itself against this contract by
    subclassing :class:`aioproton.testing.TokenStoreContract`.

    - **Claim is atomic.** However many tasks, processes or hosts claim one key at once,
      exactly one record is created and every claimer gets its token (a conditional
      insert, then a read of the winner's record). The first claim's ``fingerprint`` and
      ``now`` are kept; a later claim changes nothing, whatever it passes.
    - **Times are the caller's.** ``now`` (epoch seconds on the caller's clock) is stored
      as ``created_at`` and returned exactly; the store never reads a clock of its own
      for records.
    - **Renew replaces.** ``renew`` gives ``key`` a fresh token, fingerprint and
      ``created_at``, and clears its result, whether or not a record existed.
    - **Results stick.** ``record_result`` stores the ARN on the current record (no-op
      for an unknown key); a later ``claim`` returns it.
    - **Expiry is the caller's decision.** A record is never dropped or changed because
      it is old, except by purge: :class:`~aioproton.workflow.IdempotentCalls` compares
      ``created_at`` with the token lifetime itself.
    - **Purge** deletes the records with ``created_at < older_than`` and returns how many.
      Stores also purge by themselves (:class:`~aioproton.workflow.purge.AutoPurge`):
      from a claim, at most once an hour, records older than the 8-hour token lifetime
      plus an hour, which no resend can use any more.
    - ``discard`` forgets one key; a later claim starts afresh.
    """

    async def claim(self, key: str, fingerprint: str, now: float) -> TokenRecord:
        """The record for ``key``, created with a fresh token if there is none.

        An existing record is returned as it is, even if its fingerprint differs:
        the caller decides what a mismatch means.
        """
        ...

    async def renew(self, key: str, fingerprint: str, now: float) -> TokenRecord:
        """Replace ``key``'s token with a fresh one (after an old token expired)."""
        ...

    async def record_result(self, key: str, result: str) -> None:
        """Remember what the request produced (an ARN)."""
        ...

    async def discard(self, key: str) -> None:
        """Forget ``key``."""
        ...

    async def purge(self, older_than: float) -> int:
        """Forget every record claimed before ``older_than``; return how many."""
        ...


def _new_token() -> str:
    return str(uuid.uuid4())


class MemoryTokenStore:
    """Tokens in a dict: shared by the tasks of one process, lost when it exits."""

    def __init__(self, *, auto_purge: AutoPurge | None = None) -> None:
        self._records: dict[str, TokenRecord] = {}
        self.auto_purge: AutoPurge = auto_purge if auto_purge is not None else AutoPurge()

    async def claim(self, key: str, fingerprint: str, now: float) -> TokenRecord:
        """The key's record; a new token is claimed if it has none (see `TokenStore`)."""
        await self.auto_purge.run("memory", now, self.purge)
        record = self._records.get(key)
        if record is None:
            record = TokenRecord(key, _new_token(), fingerprint, now)
            self._records[key] = record
        return record

    async def renew(self, key: str, fingerprint: str, now: float) -> TokenRecord:
        """Replace the key's token, fingerprint and time (see :class:`TokenStore`)."""
        record = TokenRecord(key, _new_token(), fingerprint, now)
        self._records[key] = record
        return record

    async def record_result(self, key: str, result: str) -> None:
        """Keep the result of the key's call (see :class:`TokenStore`)."""
        record = self._records.get(key)
        if record is not None:
            self._records[key] = attrs.evolve(record, result=result)

    async def discard(self, key: str) -> None:
        """Forget the key (see :class:`TokenStore`)."""
        self._records.pop(key, None)

    async def purge(self, older_than: float) -> int:
        """Forget records older than ``older_than``; how many (see `TokenStore`)."""
        old = [key for key, record in self._records.items() if record.created_at < older_than]
        for key in old:
            del self._records[key]
        return len(old)

    def __len__(self) -> int:
        return len(self._records)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS client_tokens (
    key TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at REAL NOT NULL,
    result TEXT
)
"""
_COLUMNS = "key, token, fingerprint, created_at, result"


class SqliteTokenStore(SqliteFile):
    """Tokens in a SQLite file, durable across restarts and shared between processes.

    Every operation opens its own short connection in a worker thread, so the store can
    be used from any task and from several processes at once; a claim is a single
    ``BEGIN IMMEDIATE`` transaction, so two processes claiming the same key get the
    same token.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 30.0,
        auto_purge: AutoPurge | None = None,
    ) -> None:
        super().__init__(path, busy_timeout=busy_timeout, schema=_SCHEMA)
        self.auto_purge: AutoPurge = auto_purge if auto_purge is not None else AutoPurge()

    async def claim(self, key: str, fingerprint: str, now: float) -> TokenRecord:
        """The key's record; a new token is claimed if it has none (see `TokenStore`)."""
        await self.auto_purge.run(self.path, now, self.purge)
        return await self._insert("IGNORE", key, fingerprint, now)

    async def renew(self, key: str, fingerprint: str, now: float) -> TokenRecord:
        """Replace the key's token, fingerprint and time (see :class:`TokenStore`)."""
        return await self._insert("REPLACE", key, fingerprint, now)

    async def _insert(
        self, conflict: Literal["IGNORE", "REPLACE"], key: str, fingerprint: str, now: float
    ) -> TokenRecord:
        """Write a fresh token for ``key``: a stored one wins (IGNORE) or gives way (REPLACE)."""

        def insert(connection: sqlite3.Connection) -> TokenRecord:
            connection.execute(
                f"INSERT OR {conflict} INTO client_tokens (key, token, fingerprint, created_at) "
                "VALUES (?, ?, ?, ?)",
                (key, _new_token(), fingerprint, now),
            )
            return _read(connection, key)

        return await self._in_thread(insert)

    async def get(self, key: str) -> TokenRecord | None:
        """The record for ``key`` without claiming it (for inspection and tests)."""

        def get(connection: sqlite3.Connection) -> TokenRecord | None:
            row = connection.execute(
                f"SELECT {_COLUMNS} FROM client_tokens WHERE key = ?", (key,)
            ).fetchone()
            return None if row is None else TokenRecord(*row)

        return await self._in_thread(get)

    async def record_result(self, key: str, result: str) -> None:
        """Keep the result of the key's call (see :class:`TokenStore`)."""

        def record(connection: sqlite3.Connection) -> None:
            connection.execute("UPDATE client_tokens SET result = ? WHERE key = ?", (result, key))

        await self._in_thread(record)

    async def discard(self, key: str) -> None:
        """Forget the key (see :class:`TokenStore`)."""

        def discard(connection: sqlite3.Connection) -> None:
            connection.execute("DELETE FROM client_tokens WHERE key = ?", (key,))

        await self._in_thread(discard)

    async def purge(self, older_than: float) -> int:
        """Forget records older than ``older_than``; how many (see `TokenStore`)."""

        def purge(connection: sqlite3.Connection) -> int:
            return connection.execute(
                "DELETE FROM client_tokens WHERE created_at < ?", (older_than,)
            ).rowcount

        return await self._in_thread(purge)


def _read(connection: sqlite3.Connection, key: str) -> TokenRecord:
    row = connection.execute(
        f"SELECT {_COLUMNS} FROM client_tokens WHERE key = ?", (key,)
    ).fetchone()
    return TokenRecord(*row)
