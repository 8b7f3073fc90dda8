"""``--token-store``: a SQLite file, or a PostgreSQL database named by its URL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from ..workflow import SqliteTokenStore, TokenStore

#: What a ``--token-store`` value starts with when it names a PostgreSQL database.
DATABASE_SCHEMES = ("postgresql://", "postgres://")


@contextlib.asynccontextmanager
async def open_token_store(value: str | None) -> AsyncIterator[TokenStore | None]:
    """The store ``value`` names (``None``: none), open while the command runs."""
    if not value:
        yield None
    elif value.startswith(DATABASE_SCHEMES):
        from ..workflow import PostgresTokenStore  # needs the postgres extra

        async with PostgresTokenStore(value) as store:
            yield store
    else:
        yield SqliteTokenStore(value)
