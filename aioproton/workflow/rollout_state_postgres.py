"""Rollout states in PostgreSQL, beside the token and lease tables (``aioproton[postgres]``).

::

    async with PostgresRolloutStateStore("postgresql://app@db.internal/automation") as state:
        await Rollout(proton, service_template="web", version="1.3", state=state).run()

Tables, created on first use next to those of :mod:`.postgres`:

- ``aioproton_rollouts`` (rollout_id, plan, waves, wave, status, reason);
- ``aioproton_rollout_items`` (rollout_id, path, wave, previous_version, status,
  deployment_id, message, claimed_by, claim_expires): replicas sharing a rollout claim
  items with ``FOR UPDATE SKIP LOCKED``, claims expiring on the database's clock;
- a ``rollouts`` row in ``aioproton_schema`` with their schema version.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import psycopg

from ._pg import PooledStore, create_tables
from .postgres import ensure_schema
from .rollout_state import (
    CLAIMABLE,
    ITEM_COLUMNS,
    ItemState,
    RolloutPhase,
    RolloutState,
    item_values,
    rollout_tables,
    rollout_values,
    state_from_rows,
)

__all__ = ["PostgresRolloutStateStore"]

#: The schema version of the rollout tables.
SCHEMA_VERSION = 1

_SCHEMA = rollout_tables(
    prefix="aioproton_",
    timestamp="TIMESTAMPTZ",
    references=" REFERENCES aioproton_rollouts (rollout_id) ON DELETE CASCADE",
)
_ROLLOUT_COLUMNS = "rollout_id, plan, waves, wave, status, reason"


class PostgresRolloutStateStore(PooledStore):
    """Rollout states in PostgreSQL (see the module docs); open it with ``async with``."""

    label = "rollouts"
    bound_as = "state"

    async def _create_tables(self, connection: psycopg.AsyncConnection) -> None:
        await ensure_schema(connection)  # the token and lease tables: all of them in one place
        await create_tables(connection, _SCHEMA, {"rollouts": SCHEMA_VERSION})

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[psycopg.AsyncConnection]:
        async with self._connection() as connection, connection.transaction():
            yield connection

    async def _load(self, connection: psycopg.AsyncConnection, rollout_id: str) -> Any:
        cursor = await connection.execute(
            f"SELECT {_ROLLOUT_COLUMNS} FROM aioproton_rollouts WHERE rollout_id = %s",
            (rollout_id,),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        cursor = await connection.execute(
            f"SELECT {ITEM_COLUMNS} FROM aioproton_rollout_items WHERE rollout_id = %s",
            (rollout_id,),
        )
        return state_from_rows(row, await cursor.fetchall())

    async def load(self, rollout_id: str) -> RolloutState | None:
        """The stored state, or ``None`` if the rollout never started."""
        async with self._transaction() as connection:
            state: RolloutState | None = await self._load(connection, rollout_id)
            return state

    async def create(self, state: RolloutState) -> RolloutState:
        """Store ``state`` unless the rollout exists; return the stored one."""
        async with self._transaction() as connection:
            cursor = await connection.execute(
                f"INSERT INTO aioproton_rollouts ({_ROLLOUT_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (rollout_id) DO NOTHING",
                rollout_values(state),
            )
            if cursor.rowcount == 1:
                async with connection.cursor() as many:
                    await many.executemany(
                        f"INSERT INTO aioproton_rollout_items (rollout_id, {ITEM_COLUMNS}) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        [item_values(state.rollout_id, item) for item in state.items.values()],
                    )
            stored: RolloutState = await self._load(connection, state.rollout_id)
            return stored

    async def advance(
        self, rollout_id: str, wave: int, phase: RolloutPhase, reason: str | None
    ) -> None:
        """Record the wave reached (never lower than before) and the phase and reason."""
        async with self._transaction() as connection:
            await connection.execute(
                "UPDATE aioproton_rollouts SET wave = GREATEST(wave, %s), status = %s, reason = %s "
                "WHERE rollout_id = %s",
                (wave, phase.value, reason, rollout_id),
            )

    async def record(self, rollout_id: str, item: ItemState, holder: str | None = None) -> bool:
        """Record one item's outcome, and release any claim on it (``holder``'s only)."""
        async with self._transaction() as connection:
            if holder is not None:
                cursor = await connection.execute(
                    "UPDATE aioproton_rollout_items SET wave = %s, previous_version = %s, "
                    "status = %s, deployment_id = %s, message = %s, claimed_by = NULL, "
                    "claim_expires = NULL WHERE rollout_id = %s AND path = %s AND claimed_by = %s",
                    (*item_values(rollout_id, item)[2:], rollout_id, item.path, holder),
                )
                return cursor.rowcount == 1
            await connection.execute(
                f"INSERT INTO aioproton_rollout_items (rollout_id, {ITEM_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (rollout_id, path) DO UPDATE "
                "SET wave = EXCLUDED.wave, previous_version = EXCLUDED.previous_version, "
                "status = EXCLUDED.status, deployment_id = EXCLUDED.deployment_id, "
                "message = EXCLUDED.message, claimed_by = NULL, claim_expires = NULL",
                item_values(rollout_id, item),
            )
            return True

    async def claim(
        self, rollout_id: str, wave: int, holder: str, ttl: float, limit: int
    ) -> list[str]:
        """Claim up to ``limit`` unclaimed (or expired) items still to do in ``wave``."""
        async with self._transaction() as connection:
            cursor = await connection.execute(
                "UPDATE aioproton_rollout_items SET claimed_by = %s, "
                "claim_expires = clock_timestamp() + make_interval(secs => %s) "
                "WHERE (rollout_id, path) IN (SELECT rollout_id, path "
                "FROM aioproton_rollout_items WHERE rollout_id = %s AND wave = %s "
                "AND status = ANY(%s) "
                "AND (claimed_by IS NULL OR claim_expires < clock_timestamp()) "
                "ORDER BY path LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING path",
                (holder, ttl, rollout_id, wave, list(CLAIMABLE), limit),
            )
            return sorted(row[0] for row in await cursor.fetchall())

    async def renew_claims(self, rollout_id: str, holder: str, ttl: float) -> int:
        """Extend ``holder``'s unexpired claims by ``ttl``; how many."""
        async with self._transaction() as connection:
            cursor = await connection.execute(
                "UPDATE aioproton_rollout_items "
                "SET claim_expires = clock_timestamp() + make_interval(secs => %s) "
                "WHERE rollout_id = %s AND claimed_by = %s AND claim_expires > clock_timestamp()",
                (ttl, rollout_id, holder),
            )
            return cursor.rowcount

    async def renew_claim(self, rollout_id: str, path: str, holder: str, ttl: float) -> bool:
        """Extend ``holder``'s claim on ``path`` by ``ttl`` if still in force; whether it was."""
        async with self._transaction() as connection:
            cursor = await connection.execute(
                "UPDATE aioproton_rollout_items "
                "SET claim_expires = clock_timestamp() + make_interval(secs => %s) "
                "WHERE rollout_id = %s AND path = %s AND claimed_by = %s "
                "AND claim_expires > clock_timestamp()",
                (ttl, rollout_id, path, holder),
            )
            return cursor.rowcount == 1

    async def holds(self, rollout_id: str, path: str, holder: str) -> bool:
        """Whether ``holder``'s claim on ``path`` is still in force (the fence)."""
        async with self._transaction() as connection:
            cursor = await connection.execute(
                "SELECT 1 FROM aioproton_rollout_items WHERE rollout_id = %s AND path = %s "
                "AND claimed_by = %s AND claim_expires > clock_timestamp()",
                (rollout_id, path, holder),
            )
            return await cursor.fetchone() is not None

    async def discard(self, rollout_id: str) -> None:
        """Forget the rollout (the next run starts afresh)."""
        async with self._transaction() as connection:
            await connection.execute(
                "DELETE FROM aioproton_rollouts WHERE rollout_id = %s", (rollout_id,)
            )
