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

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

try:
    import psycopg
    import psycopg.conninfo
    import psycopg_pool
except ImportError as _missing:  # pragma: no cover - exercised by a test in a subprocess
    raise ImportError(
        "aioproton.workflow.postgres needs psycopg 3: pip install 'aioproton[postgres]'"
    ) from _missing

from .._lifecycle import AsyncResource
from ..errors import ProtonError
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
CREATE TABLE IF NOT EXISTS aioproton_schema (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
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
#: Any constant shared by every aioproton, so two processes never create tables at once.
_SCHEMA_LOCK = 0x61696F70726F746F  # "aioproto"
_COLUMNS = "key, token, fingerprint, created_at, result"


class StoreError(ProtonError):
    """A token or lease store could not do what was asked."""

    default_code = "StoreError"


class StoreConnectionError(StoreError, ConnectionError):
    """The database could not be reached, or the connection broke."""

    default_code = "StoreConnectionError"


def _where(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<an unparsable URL>"
    host = info.get("host", "localhost")
    port = info.get("port", "5432")
    return f"{info.get('user', '')}@{host}:{port}/{info.get('dbname', '')}"


def _check_url(url: str) -> None:
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        raise StoreError(
            f"not a PostgreSQL URL or connection string ({error}); "
            "write it as postgresql://user@host:port/database"
        ) from None


async def _connect(url: str, application_name: str, timeout: float) -> psycopg.AsyncConnection:
    try:
        return await psycopg.AsyncConnection.connect(
            url,
            autocommit=True,
            application_name=application_name,
            connect_timeout=max(1, round(timeout)),
        )
    except psycopg.OperationalError as error:
        raise StoreConnectionError(
            f"cannot connect to PostgreSQL at {_where(url)}: {_first_line(error)}; "
            "check the URL, and that the server is running and reachable"
        ) from None


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


async def ensure_schema(connection: psycopg.AsyncConnection) -> None:
    """Create the tables if missing; refuse a schema newer than this aioproton knows."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        await connection.execute(_SCHEMA)
        for component, version in SCHEMA_VERSIONS.items():
            await connection.execute(
                "INSERT INTO aioproton_schema (component, version) VALUES (%s, %s) "
                "ON CONFLICT (component) DO NOTHING",
                (component, version),
            )
        cursor = await connection.execute("SELECT component, version FROM aioproton_schema")
        for component, version in await cursor.fetchall():
            known = SCHEMA_VERSIONS.get(component)
            if known is not None and version > known:
                raise StoreError(
                    f"the table for {component} has schema version {version}, newer than "
                    f"this aioproton knows ({known}): upgrade aioproton"
                )


class PostgresTokenStore(AsyncResource):
    """Client tokens in PostgreSQL, for replicas on several hosts (see the module docs).

    Open it with ``async with`` (or :meth:`open` and :meth:`aclose`): that connects,
    creates the tables on first use, and keeps a pool of up to ``pool_size``
    connections. A claim is an ``INSERT ... ON CONFLICT DO NOTHING`` followed by a read
    of the row, so concurrent claimers of one key all get the first one's token.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 4,
        connect_timeout: float = 10.0,
        auto_purge: AutoPurge | None = None,
    ) -> None:
        _check_url(url)
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.url = url
        self.connect_timeout = connect_timeout
        self.auto_purge: AutoPurge = auto_purge if auto_purge is not None else AutoPurge()
        self._pool: psycopg_pool.AsyncConnectionPool[psycopg.AsyncConnection] = (
            psycopg_pool.AsyncConnectionPool(
                url,
                min_size=1,
                max_size=pool_size,
                open=False,
                timeout=connect_timeout,
                kwargs={"autocommit": True, "application_name": "aioproton tokens"},
                name="aioproton-tokens",
            )
        )
        self._open = False

    async def open(self) -> None:
        """Create the schema if needed and open the connection pool."""
        connection = await _connect(self.url, "aioproton schema", self.connect_timeout)
        try:
            await ensure_schema(connection)
        finally:
            await connection.close()
        await self._pool.open(wait=True, timeout=self.connect_timeout)
        self._open = True

    async def aclose(self) -> None:
        """Close the connection pool."""
        self._open = False
        await self._pool.close()

    async def _enter(self) -> None:
        await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        with contextlib.suppress(Exception):  # a failed close must not hide the block's error
            await self.aclose()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        if not self._open:
            raise StoreError(
                f"{self!r} is not open: use it as `async with PostgresTokenStore(url) as store`"
            )
        try:
            async with self._pool.connection() as connection:
                yield connection
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as error:
            raise StoreConnectionError(
                f"PostgreSQL at {_where(self.url)} failed: {_first_line(error)}"
            ) from None

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
                    extra={"store": _where(self.url)},
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def claim(self, key: str, fingerprint: str, now: float) -> TokenRecord:
        """The key's record; a new token is claimed if it has none (see `TokenStore`)."""
        await self.auto_purge.run(_where(self.url), now, self.purge)
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

    def __repr__(self) -> str:
        return f"PostgresTokenStore({_where(self.url)!r})"


class PostgresLeaseStore(LeaseStore):
    """Leases in PostgreSQL; expiry on the database's clock, so hosts' clocks may differ.

    Each held lease has a connection of its own: when that connection breaks, the
    renewal fails and the holder gives up at once (the body is cancelled). Nothing to
    open or close: the tables are created on the first ``hold``.
    """

    def __init__(self, url: str, *, connect_timeout: float = 10.0) -> None:
        _check_url(url)
        self.url = url
        self.connect_timeout = connect_timeout
        self._schema_ready = False

    async def open_session(self, name: str) -> LeaseSession:
        """A session for the lease ``name`` (see :class:`LeaseStore`)."""
        connection = await _connect(self.url, f"aioproton lease {name}"[:63], self.connect_timeout)
        try:
            if not self._schema_ready:
                await ensure_schema(connection)
                self._schema_ready = True
        except BaseException:
            await connection.close()
            raise
        return _PostgresSession(connection, self.url)

    def __repr__(self) -> str:
        return f"PostgresLeaseStore({_where(self.url)!r})"


class _PostgresSession:
    def __init__(self, connection: psycopg.AsyncConnection, url: str) -> None:
        self.connection = connection
        self.url = url

    async def acquire(self, name: str, holder: str, ttl: float) -> int | LeaseTaken:
        try:
            return await self._acquire(name, holder, ttl)
        except psycopg.OperationalError as error:
            raise StoreConnectionError(
                f"PostgreSQL at {_where(self.url)} failed while acquiring lease {name!r}: "
                f"{_first_line(error)}"
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
