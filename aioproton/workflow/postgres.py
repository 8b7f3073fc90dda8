"""Client tokens and leases in PostgreSQL, shared by replicas on several hosts.

Needs the ``postgres`` extra (``pip install 'aioproton[postgres]'``), which brings
psycopg 3 and its connection pool::

    async with PostgresTokenStore("postgresql://app@db.internal/automation") as store:
        calls = IdempotentCalls(store=store)
        ...
    leases = PostgresLeaseStore("postgresql://app@db.internal/automation")
    async with leases.hold("reconcile/prod", ttl=30) as lease: ...

Tables, created on first use (in the connection's ``search_path``, normally ``public``):

- ``aioproton_client_tokens`` (key, token, fingerprint, created_at, result);
- ``aioproton_leases`` (name, holder, fencing_token, expires_at);
- ``aioproton_schema`` (component, version): one row per table above, so a later
  aioproton can migrate them in place (under the same advisory lock that creates them)
  and an older one refuses a newer schema instead of misreading it.

psycopg 3 runs on asyncio (not trio); anyio code on the asyncio backend uses it as is.
"""

from __future__ import annotations

import logging
from typing import Any

try:
    import psycopg
except ImportError as _missing:  # pragma: no cover - exercised by a test in a subprocess
    raise ImportError(
        "aioproton.workflow.postgres needs psycopg 3: pip install 'aioproton[postgres]'"
    ) from _missing

from ._pg import (
    PooledStore,
    StoreConnectionError,
    StoreError,
    check_url,
    connect,
    create_tables,
    first_line,
    where,
)
from .leases import LeaseSession, LeaseStore, LeaseTaken
from .purge import AutoPurge
from .tokens import TokenRecord, _new_token

__all__ = [
    "PostgresLeaseStore",
    "PostgresTokenStore",
    "StoreConnectionError",
    "StoreError",
]

logger: logging.Logger = logging.getLogger("aioproton.workflow.postgres")

#: The schema version of each table this aioproton writes.
SCHEMA_VERSIONS = {"client_tokens": 1, "leases": 1}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS aioproton_client_tokens (
    key TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    result TEXT
);
CREATE INDEX IF NOT EXISTS aioproton_client_tokens_created_at
    ON aioproton_client_tokens (created_at);
CREATE TABLE IF NOT EXISTS aioproton_leases (
    name TEXT PRIMARY KEY,
    holder TEXT,
    fencing_token BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
"""
_COLUMNS = "key, token, fingerprint, created_at, result"


async def ensure_schema(connection: psycopg.AsyncConnection) -> None:
    """Create the token and lease tables if missing; refuse a newer schema."""
    await create_tables(connection, _SCHEMA, SCHEMA_VERSIONS)


class PostgresTokenStore(PooledStore):
    """Client tokens in PostgreSQL, for replicas on several hosts (see the module docs).

    Open it with ``async with`` (or :meth:`open` and :meth:`aclose`): that connects,
    creates the tables on first use, and keeps a pool of up to ``pool_size``
    connections. A claim is an ``INSERT ... ON CONFLICT DO NOTHING`` followed by a read
    of the row, so concurrent claimers of one key all get the first one's token.
    """

    label = "tokens"

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 4,
        connect_timeout: float = 10.0,
        auto_purge: AutoPurge | None = None,
    ) -> None:
        super().__init__(url, pool_size=pool_size, connect_timeout=connect_timeout)
        self.auto_purge: AutoPurge = auto_purge if auto_purge is not None else AutoPurge()

    async def _create_tables(self, connection: psycopg.AsyncConnection) -> None:
        await ensure_schema(connection)

    async def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Run one statement; once more on a fresh connection if the first one broke."""
        for attempt in (1, 2):
            try:
                async with self._connection() as connection:
                    cursor = await connection.execute(sql, args)
                    return await cursor.fetchall() if cursor.description else []
            except StoreConnectionError:
                if attempt == 2:
                    raise
                logger.info(
                    "retrying a token-store statement on a fresh connection",
                    extra={"store": where(self.url)},
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def claim(self, key: str, fingerprint: str, now: float) -> TokenRecord:
        """The key's record; a new token is claimed if it has none (see `TokenStore`)."""
        await self.auto_purge.run(where(self.url), now, self.purge)
        while True:
            rows = await self._fetch(
                "INSERT INTO aioproton_client_tokens (key, token, fingerprint, created_at) "
                f"VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO NOTHING RETURNING {_COLUMNS}",
                (key, _new_token(), fingerprint, now),
            )
            if not rows:
                rows = await self._fetch(
                    f"SELECT {_COLUMNS} FROM aioproton_client_tokens WHERE key = %s", (key,)
                )
            if rows:  # else discarded or purged in between: claim afresh
                return TokenRecord(*rows[0])

    async def renew(self, key: str, fingerprint: str, now: float) -> TokenRecord:
        """Replace the key's token, fingerprint and time (see :class:`TokenStore`)."""
        rows = await self._fetch(
            "INSERT INTO aioproton_client_tokens (key, token, fingerprint, created_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token, "
            "fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at, "
            f"result = NULL RETURNING {_COLUMNS}",
            (key, _new_token(), fingerprint, now),
        )
        return TokenRecord(*rows[0])

    async def get(self, key: str) -> TokenRecord | None:
        """The record for ``key`` without claiming it (for inspection and tests)."""
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM aioproton_client_tokens WHERE key = %s", (key,)
        )
        return TokenRecord(*rows[0]) if rows else None

    async def record_result(self, key: str, result: str) -> None:
        """Keep the result of the key's call (see :class:`TokenStore`)."""
        await self._fetch(
            "UPDATE aioproton_client_tokens SET result = %s WHERE key = %s", (result, key)
        )

    async def discard(self, key: str) -> None:
        """Forget the key (see :class:`TokenStore`)."""
        await self._fetch("DELETE FROM aioproton_client_tokens WHERE key = %s", (key,))

    async def purge(self, older_than: float) -> int:
        """Forget records older than ``older_than``; how many (see `TokenStore`)."""
        rows = await self._fetch(
            "WITH gone AS (DELETE FROM aioproton_client_tokens WHERE created_at < %s "
            "RETURNING 1) SELECT count(*) FROM gone",
            (older_than,),
        )
        return int(rows[0][0])

    def leases(self) -> PostgresLeaseStore:
        """Leases in the same database."""
        return PostgresLeaseStore(self.url, connect_timeout=self.connect_timeout)


class PostgresLeaseStore(LeaseStore):
    """Leases in PostgreSQL; expiry on the database's clock, so hosts' clocks may differ.

    Each held lease has a connection of its own: when that connection breaks, the
    renewal fails and the holder gives up at once (the body is cancelled). Nothing to
    open or close: the tables are created on the first ``hold``.
    """

    def __init__(self, url: str, *, connect_timeout: float = 10.0) -> None:
        check_url(url)
        self.url = url
        self.connect_timeout = connect_timeout
        self._schema_ready = False

    async def open_session(self, name: str) -> LeaseSession:
        """A session for the lease ``name`` (see :class:`LeaseStore`)."""
        connection = await connect(self.url, f"aioproton lease {name}"[:63], self.connect_timeout)
        try:
            if not self._schema_ready:
                await ensure_schema(connection)
                self._schema_ready = True
        except BaseException:
            await connection.close()
            raise
        return _PostgresSession(connection, self.url)

    def __repr__(self) -> str:
        return f"PostgresLeaseStore({where(self.url)!r})"


class _PostgresSession:
    def __init__(self, connection: psycopg.AsyncConnection, url: str) -> None:
        self.connection = connection
        self.url = url

    async def acquire(self, name: str, holder: str, ttl: float) -> int | LeaseTaken:
        try:
            return await self._acquire(name, holder, ttl)
        except psycopg.OperationalError as error:
            raise StoreConnectionError(
                f"PostgreSQL at {where(self.url)} failed while acquiring lease {name!r}: "
                f"{first_line(error)}"
            ) from None

    async def _acquire(self, name: str, holder: str, ttl: float) -> int | LeaseTaken:
        while True:
            cursor = await self.connection.execute(
                "INSERT INTO aioproton_leases AS l (name, holder, fencing_token, expires_at) "
                "VALUES (%s, %s, 1, clock_timestamp() + make_interval(secs => %s)) "
                "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, "
                "fencing_token = l.fencing_token + 1, expires_at = EXCLUDED.expires_at "
                "WHERE l.holder IS NULL OR l.expires_at <= clock_timestamp() "
                "RETURNING fencing_token",
                (name, holder, ttl),
            )
            row = await cursor.fetchone()
            if row is not None:
                return int(row[0])
            cursor = await self.connection.execute(
                "SELECT holder, EXTRACT(EPOCH FROM expires_at - clock_timestamp())::float8 "
                "FROM aioproton_leases WHERE name = %s",
                (name,),
            )
            taken = await cursor.fetchone()
            if taken is not None:
                return LeaseTaken(taken[0], max(0.0, float(taken[1])))

    async def renew(self, name: str, holder: str, fencing_token: int, ttl: float) -> bool:
        cursor = await self.connection.execute(
            "UPDATE aioproton_leases "
            "SET expires_at = clock_timestamp() + make_interval(secs => %s) "
            "WHERE name = %s AND holder = %s AND fencing_token = %s "
            "AND expires_at > clock_timestamp()",
            (ttl, name, holder, fencing_token),
        )
        return cursor.rowcount == 1

    async def release(self, name: str, holder: str, fencing_token: int) -> None:
        await self.connection.execute(
            "UPDATE aioproton_leases SET holder = NULL, expires_at = clock_timestamp() "
            "WHERE name = %s AND holder = %s AND fencing_token = %s",
            (name, holder, fencing_token),
        )

    async def aclose(self) -> None:
        await self.connection.close()
