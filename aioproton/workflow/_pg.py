"""What the PostgreSQL stores share: URL checks, connections, versioned tables, a pool.

Imported only by :mod:`.postgres` and :mod:`.rollout_state_postgres`, which need the
``postgres`` extra (psycopg 3 and its connection pool).
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, ClassVar

import psycopg
import psycopg.conninfo
import psycopg.errors
import psycopg_pool

from .._lifecycle import AsyncResource
from ..errors import ProtonError

if TYPE_CHECKING:
    from typing_extensions import LiteralString

_SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS aioproton_schema (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
"""
#: Any constant shared by every aioproton, so two processes never create tables at once.
_SCHEMA_LOCK = 0x61696F70726F746F  # "aioproto"

#: Seconds a connection may sit idle inside a transaction before the server ends it.
#: A store's transactions last milliseconds; a process stopped inside one (SIGSTOP, a
#: frozen VM) would otherwise keep its rows locked, and replicas claiming with
#: ``SKIP LOCKED`` would pass them by for as long as it stays stopped. Keep it below a
#: shared rollout's ``claim_ttl``.
IDLE_IN_TRANSACTION_TIMEOUT = 3.0


def session_options(idle_in_transaction_timeout: float) -> str:
    """The ``options`` connection parameter that sets the server-side timeouts."""
    milliseconds = max(1, round(idle_in_transaction_timeout * 1000))
    return f"-c idle_in_transaction_session_timeout={milliseconds}"


class StoreError(ProtonError):
    """A token or lease store could not do what was asked."""

    default_code = "StoreError"


class StoreConnectionError(StoreError, ConnectionError):
    """The database could not be reached, or the connection broke."""

    default_code = "StoreConnectionError"


def where(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<an unparsable URL>"
    host = info.get("host", "localhost")
    port = info.get("port", "5432")
    return f"{info.get('user', '')}@{host}:{port}/{info.get('dbname', '')}"


def check_url(url: str) -> None:
    """Refuse what is not a PostgreSQL URL or connection string, saying how to write one."""
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        raise StoreError(
            f"not a PostgreSQL URL or connection string ({error}); "
            "write it as postgresql://user@host:port/database"
        ) from None


def first_line(error: BaseException) -> str:
    """The first line of an error's message (psycopg's go on with hints and context)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


async def connect(
    url: str,
    application_name: str,
    timeout: float,
    idle_in_transaction_timeout: float = IDLE_IN_TRANSACTION_TIMEOUT,
) -> psycopg.AsyncConnection:
    """One autocommit connection, or a `StoreConnectionError` that says what to check.

    The server ends it if it idles inside a transaction for longer than
    ``idle_in_transaction_timeout`` seconds (its locks go with it).
    """
    try:
        return await psycopg.AsyncConnection.connect(
            url,
            autocommit=True,
            application_name=application_name,
            connect_timeout=max(1, round(timeout)),
            options=session_options(idle_in_transaction_timeout),
        )
    except psycopg.OperationalError as error:
        raise StoreConnectionError(
            f"cannot connect to PostgreSQL at {where(url)}: {first_line(error)}; "
            "check the URL, and that the server is running and reachable"
        ) from None


async def create_tables(
    connection: psycopg.AsyncConnection, tables: LiteralString, versions: Mapping[str, int]
) -> None:
    """Create ``tables`` if missing and record ``versions`` (component: schema version).

    Runs under an advisory lock, and refuses a component whose stored version is newer
    than this aioproton knows, instead of misreading its tables.
    """
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        await connection.execute(_SCHEMA_TABLE + tables)
        for component, version in versions.items():
            await connection.execute(
                "INSERT INTO aioproton_schema (component, version) VALUES (%s, %s) "
                "ON CONFLICT (component) DO NOTHING",
                (component, version),
            )
        cursor = await connection.execute(
            "SELECT component, version FROM aioproton_schema WHERE component = ANY(%s)",
            (list(versions),),
        )
        for component, version in await cursor.fetchall():
            known = versions[component]
            if version > known:
                raise StoreError(
                    f"the tables for {component} have schema version {version}, newer than "
                    f"this aioproton knows ({known}): upgrade aioproton"
                )


class PooledStore(AsyncResource, abc.ABC):
    """A store on a pool of connections; ``async with`` creates its tables and opens it.

    ``idle_in_transaction_timeout``: the server ends a connection left idle inside a
    transaction that long (seconds), freeing its locks (see `IDLE_IN_TRANSACTION_TIMEOUT`).
    """

    #: What the store holds: names its pool and its connections' application name.
    label: ClassVar[str]
    #: The name the "not open" message binds it to (``async with Store(url) as NAME``).
    bound_as: ClassVar[str] = "store"

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 4,
        connect_timeout: float = 10.0,
        idle_in_transaction_timeout: float = IDLE_IN_TRANSACTION_TIMEOUT,
    ) -> None:
        check_url(url)
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        if not idle_in_transaction_timeout > 0:
            raise ValueError(
                "idle_in_transaction_timeout must be positive seconds (keep it below the "
                f"claim_ttl of shared rollouts), not {idle_in_transaction_timeout!r}"
            )
        self.url = url
        self.connect_timeout = connect_timeout
        self.idle_in_transaction_timeout = idle_in_transaction_timeout
        self._pool: psycopg_pool.AsyncConnectionPool[psycopg.AsyncConnection] = (
            psycopg_pool.AsyncConnectionPool(
                url,
                min_size=1,
                max_size=pool_size,
                open=False,
                timeout=connect_timeout,
                kwargs={
                    "autocommit": True,
                    "application_name": f"aioproton {self.label}",
                    "options": session_options(idle_in_transaction_timeout),
                },
                name=f"aioproton-{self.label}",
            )
        )
        self._open = False

    @abc.abstractmethod
    async def _create_tables(self, connection: psycopg.AsyncConnection) -> None:
        """Create the store's tables (see `create_tables`)."""

    async def open(self) -> None:
        """Create the tables if missing, then open the connection pool."""
        connection = await connect(
            self.url, "aioproton schema", self.connect_timeout, self.idle_in_transaction_timeout
        )
        try:
            await self._create_tables(connection)
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
        """A pooled connection; a broken one surfaces as `StoreConnectionError`."""
        if not self._open:
            name = type(self).__name__
            raise StoreError(
                f"{self!r} is not open: use it as `async with {name}(url) as {self.bound_as}`"
            )
        try:
            async with self._pool.connection() as connection:
                yield connection
        except psycopg.errors.IdleInTransactionSessionTimeout:
            raise StoreConnectionError(
                f"PostgreSQL at {where(self.url)} ended a connection left idle in a "
                f"transaction for over {self.idle_in_transaction_timeout:g} s (was the "
                "process stopped?); nothing of that transaction was kept: try again"
            ) from None
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as error:
            raise StoreConnectionError(
                f"PostgreSQL at {where(self.url)} failed: {first_line(error)}"
            ) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({where(self.url)!r})"
