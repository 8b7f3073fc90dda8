"""Where a rollout keeps its progress, so it can pause in one process and resume in another.

A rollout's state is its waves (fixed when it first starts, so a resumed run follows
the same plan over the same items), the wave it has reached, whether it is running,
paused or stopped and why, and every item's previous version and outcome. A
:class:`Rollout` given a ``state`` store writes each item's outcome as it lands, and a
later run of the same rollout (same ``rollout_id``) goes on from there.

- :class:`MemoryRolloutStateStore`: per process (pause and resume in one program).
- :class:`SqliteRolloutStateStore`: a SQLite file (the token store's file will do).
- :class:`~aioproton.workflow.rollout_state_postgres.PostgresRolloutStateStore`:
  PostgreSQL, for replicas on several hosts.

Replicas share a rollout by claiming its items (:meth:`RolloutStateStore.claim`): a
claim lasts ``ttl`` seconds unless its holder renews it, so the items of a replica that
died are claimed again by another once its claims expire.

Tables: ``rollouts`` (rollout_id, plan, waves as JSON, wave, status, reason) and
``rollout_items`` (rollout_id, path, wave, previous_version, status, deployment_id,
message, claimed_by, claim_expires); ``aioproton_`` prefixed on PostgreSQL.
"""

from __future__ import annotations

import enum
import json
import os
import sqlite3
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ._sqlite import SqliteFile

if TYPE_CHECKING:
    from typing_extensions import LiteralString

__all__ = [
    "ItemState",
    "MemoryRolloutStateStore",
    "RolloutPhase",
    "RolloutState",
    "RolloutStateStore",
    "SqliteRolloutStateStore",
]


#: Item statuses whose item is still to be handled (and may be claimed).
CLAIMABLE = ("PENDING", "NOT_STARTED", "CANCELLED")


class RolloutPhase(enum.Enum):
    """Where a stored rollout is: running, paused, stopped or done."""

    RUNNING = "RUNNING"
    #: Stopped between items on purpose (pause, a HOLD gate, an approval step).
    PAUSED = "PAUSED"
    #: Stopped by the failure budget or a gate.
    STOPPED = "STOPPED"
    DONE = "DONE"


@attrs.frozen(kw_only=True)
class ItemState:
    """One item of a stored rollout: its wave, previous version and outcome so far."""

    path: str
    wave: int
    previous_version: str
    #: A :class:`~aioproton.workflow.RolloutStatus` value, or ``PENDING``.
    status: str = "PENDING"
    deployment_id: str | None = None
    message: str | None = None


@attrs.frozen(kw_only=True)
class RolloutState:
    """A stored rollout: its plan, waves, the wave reached, its phase and its items."""

    rollout_id: str
    plan: str
    #: The item paths of each wave, in order.
    waves: tuple[tuple[str, ...], ...]
    #: The plan step each wave follows, as :meth:`Plan.parse` reads it (``"10%:pause=60"``).
    steps: tuple[str, ...] = ()
    #: The next wave to run (from 0); ``len(waves)`` once all have run.
    wave: int = 0
    phase: RolloutPhase = RolloutPhase.RUNNING
    reason: str | None = None
    items: Mapping[str, ItemState] = attrs.field(factory=dict)


class RolloutStateStore(Protocol):
    """Keeps rollout states; every method is one atomic step."""

    async def load(self, rollout_id: str) -> RolloutState | None:
        """The stored state, or ``None`` if the rollout never started."""
        ...

    async def create(self, state: RolloutState) -> RolloutState:
        """Store ``state`` unless the rollout exists; return the stored one."""
        ...

    async def advance(
        self, rollout_id: str, wave: int, phase: RolloutPhase, reason: str | None
    ) -> None:
        """Record the wave reached (never lower than before) and the phase and reason."""
        ...

    async def record(self, rollout_id: str, item: ItemState, holder: str | None = None) -> bool:
        """Record one item's outcome, and release any claim on it.

        With ``holder``, only while the item is still claimed by ``holder`` (the claim
        may have run out, as long as nobody took it since): whether it was recorded.
        """
        ...

    async def claim(
        self, rollout_id: str, wave: int, holder: str, ttl: float, limit: int
    ) -> list[str]:
        """Claim up to ``limit`` unclaimed (or expired) items still to do in ``wave``.

        Atomic across replicas: no item is claimed by two live holders.
        """
        ...

    async def renew_claims(self, rollout_id: str, holder: str, ttl: float) -> int:
        """Extend ``holder``'s unexpired claims by ``ttl``; how many."""
        ...

    async def renew_claim(self, rollout_id: str, path: str, holder: str, ttl: float) -> bool:
        """Extend ``holder``'s claim on ``path`` by ``ttl`` if still in force; whether it was."""
        ...

    async def holds(self, rollout_id: str, path: str, holder: str) -> bool:
        """Whether ``holder``'s claim on ``path`` is still in force (the fence)."""
        ...

    async def discard(self, rollout_id: str) -> None:
        """Forget the rollout (the next run starts afresh)."""
        ...


class MemoryRolloutStateStore:
    """Rollout states in a dict: pause and resume within one process."""

    def __init__(self) -> None:
        self._states: dict[str, RolloutState] = {}
        self._claims: dict[tuple[str, str], tuple[str, float]] = {}

    async def load(self, rollout_id: str) -> RolloutState | None:
        """The stored state, or ``None`` if the rollout never started."""
        state = self._states.get(rollout_id)
        return None if state is None else attrs.evolve(state, items=dict(state.items))

    async def create(self, state: RolloutState) -> RolloutState:
        """Store ``state`` unless the rollout exists; return the stored one."""
        self._states.setdefault(state.rollout_id, attrs.evolve(state, items=dict(state.items)))
        loaded = await self.load(state.rollout_id)
        assert loaded is not None
        return loaded

    async def advance(
        self, rollout_id: str, wave: int, phase: RolloutPhase, reason: str | None
    ) -> None:
        """Record the wave reached (never lower than before) and the phase and reason."""
        state = self._states[rollout_id]
        wave = max(wave, state.wave)
        self._states[rollout_id] = attrs.evolve(state, wave=wave, phase=phase, reason=reason)

    async def record(self, rollout_id: str, item: ItemState, holder: str | None = None) -> bool:
        """Record one item's outcome, and release any claim on it (``holder``'s only)."""
        claim = self._claims.get((rollout_id, item.path))
        if holder is not None and (claim is None or claim[0] != holder):
            return False
        state = self._states[rollout_id]
        items = dict(state.items)
        items[item.path] = item
        self._states[rollout_id] = attrs.evolve(state, items=items)
        self._claims.pop((rollout_id, item.path), None)
        return True

    async def claim(
        self, rollout_id: str, wave: int, holder: str, ttl: float, limit: int
    ) -> list[str]:
        """Claim up to ``limit`` unclaimed (or expired) items still to do in ``wave``."""
        now = time.monotonic()
        claimed: list[str] = []
        for item in sorted(self._states[rollout_id].items.values(), key=lambda i: i.path):
            if len(claimed) >= limit:
                break
            claim = self._claims.get((rollout_id, item.path))
            if item.wave == wave and item.status in CLAIMABLE and (claim is None or claim[1] < now):
                self._claims[(rollout_id, item.path)] = (holder, now + ttl)
                claimed.append(item.path)
        return claimed

    async def renew_claims(self, rollout_id: str, holder: str, ttl: float) -> int:
        """Extend ``holder``'s unexpired claims by ``ttl``; how many."""
        now = time.monotonic()
        mine = [
            key
            for key, (who, expires) in self._claims.items()
            if key[0] == rollout_id and who == holder and expires > now
        ]
        for key in mine:
            self._claims[key] = (holder, now + ttl)
        return len(mine)

    async def renew_claim(self, rollout_id: str, path: str, holder: str, ttl: float) -> bool:
        """Extend ``holder``'s claim on ``path`` by ``ttl`` if still in force; whether it was."""
        if not await self.holds(rollout_id, path, holder):
            return False
        self._claims[(rollout_id, path)] = (holder, time.monotonic() + ttl)
        return True

    async def holds(self, rollout_id: str, path: str, holder: str) -> bool:
        """Whether ``holder``'s claim on ``path`` is still in force (the fence)."""
        claim = self._claims.get((rollout_id, path))
        return claim is not None and claim[0] == holder and claim[1] > time.monotonic()

    async def discard(self, rollout_id: str) -> None:
        """Forget the rollout (the next run starts afresh)."""
        self._states.pop(rollout_id, None)
        for key in [key for key in self._claims if key[0] == rollout_id]:
            del self._claims[key]


_TABLES = """
CREATE TABLE IF NOT EXISTS {prefix}rollouts (
    rollout_id TEXT PRIMARY KEY,
    plan TEXT NOT NULL,
    waves TEXT NOT NULL,
    wave INTEGER NOT NULL,
    status TEXT NOT NULL,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS {prefix}rollout_items (
    rollout_id TEXT NOT NULL{references},
    path TEXT NOT NULL,
    wave INTEGER NOT NULL,
    previous_version TEXT NOT NULL,
    status TEXT NOT NULL,
    deployment_id TEXT,
    message TEXT,
    claimed_by TEXT,
    claim_expires {timestamp},
    PRIMARY KEY (rollout_id, path)
);
"""


def rollout_tables(
    *, prefix: LiteralString = "", timestamp: LiteralString = "REAL", references: LiteralString = ""
) -> LiteralString:
    """The two tables' ``CREATE`` statements, in the spelling of one engine."""
    return _TABLES.format(prefix=prefix, timestamp=timestamp, references=references)


ITEM_COLUMNS = "path, wave, previous_version, status, deployment_id, message"


def item_values(rollout_id: str, item: ItemState) -> tuple[Any, ...]:
    """The ``rollout_items`` row of ``item`` (``rollout_id``, then the ``ITEM_COLUMNS``)."""
    return (
        rollout_id,
        item.path,
        item.wave,
        item.previous_version,
        item.status,
        item.deployment_id,
        item.message,
    )


def waves_json(state: RolloutState) -> str:
    """The ``waves`` column: the waves' paths and the step each follows."""
    return json.dumps({"waves": [list(paths) for paths in state.waves], "steps": state.steps})


def rollout_values(state: RolloutState) -> tuple[Any, ...]:
    """The ``rollouts`` row of ``state``."""
    return (
        state.rollout_id,
        state.plan,
        waves_json(state),
        state.wave,
        state.phase.value,
        state.reason,
    )


def state_from_rows(row: tuple[Any, ...], items: list[tuple[Any, ...]]) -> RolloutState:
    """A state from a ``rollouts`` row and its ``rollout_items`` rows (either engine)."""
    rollout_id, plan, waves, wave, phase, reason = row
    stored = json.loads(waves)
    return RolloutState(
        rollout_id=rollout_id,
        plan=plan,
        waves=tuple(tuple(paths) for paths in stored["waves"]),
        steps=tuple(stored["steps"]),
        wave=int(wave),
        phase=RolloutPhase(phase),
        reason=reason,
        items={
            path: ItemState(
                path=path,
                wave=int(wave),
                previous_version=previous,
                status=status,
                deployment_id=deployment_id,
                message=message,
            )
            for path, wave, previous, status, deployment_id, message in items
        },
    )


class SqliteRolloutStateStore(SqliteFile):
    """Rollout states in a SQLite file, shared by the processes of one host.

    Like :class:`~aioproton.workflow.SqliteTokenStore`, each step is a short
    ``BEGIN IMMEDIATE`` transaction on its own connection in a worker thread.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        super().__init__(path, busy_timeout=busy_timeout, schema=rollout_tables())

    async def _run(self, sql: str, *args: Any) -> None:
        def run(connection: sqlite3.Connection) -> None:
            connection.execute(sql, args)

        await self._in_thread(run)

    def _load(self, connection: sqlite3.Connection, rollout_id: str) -> RolloutState | None:
        row = connection.execute(
            "SELECT rollout_id, plan, waves, wave, status, reason FROM rollouts "
            "WHERE rollout_id = ?",
            (rollout_id,),
        ).fetchone()
        if row is None:
            return None
        items = connection.execute(
            f"SELECT {ITEM_COLUMNS} FROM rollout_items WHERE rollout_id = ?", (rollout_id,)
        ).fetchall()
        return state_from_rows(row, items)

    async def load(self, rollout_id: str) -> RolloutState | None:
        """The stored state, or ``None`` if the rollout never started."""

        def load(connection: sqlite3.Connection) -> RolloutState | None:
            return self._load(connection, rollout_id)

        return await self._in_thread(load)

    async def create(self, state: RolloutState) -> RolloutState:
        """Store ``state`` unless the rollout exists; return the stored one."""

        def create(connection: sqlite3.Connection) -> RolloutState:
            inserted = connection.execute(
                "INSERT OR IGNORE INTO rollouts (rollout_id, plan, waves, wave, status, reason) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rollout_values(state),
            ).rowcount
            if inserted:
                connection.executemany(
                    f"INSERT INTO rollout_items (rollout_id, {ITEM_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [item_values(state.rollout_id, item) for item in state.items.values()],
                )
            stored = self._load(connection, state.rollout_id)
            assert stored is not None
            return stored

        return await self._in_thread(create)

    async def advance(
        self, rollout_id: str, wave: int, phase: RolloutPhase, reason: str | None
    ) -> None:
        """Record the wave reached (never lower than before) and the phase and reason."""
        await self._run(
            "UPDATE rollouts SET wave = MAX(wave, ?), status = ?, reason = ? WHERE rollout_id = ?",
            wave,
            phase.value,
            reason,
            rollout_id,
        )

    async def record(self, rollout_id: str, item: ItemState, holder: str | None = None) -> bool:
        """Record one item's outcome, and release any claim on it (``holder``'s only)."""
        if holder is None:
            await self._run(
                f"INSERT OR REPLACE INTO rollout_items (rollout_id, {ITEM_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                *item_values(rollout_id, item),
            )
            return True

        def record(connection: sqlite3.Connection) -> bool:
            return (
                connection.execute(
                    "UPDATE rollout_items SET wave = ?, previous_version = ?, status = ?, "
                    "deployment_id = ?, message = ?, claimed_by = NULL, claim_expires = NULL "
                    "WHERE rollout_id = ? AND path = ? AND claimed_by = ?",
                    (*item_values(rollout_id, item)[2:], rollout_id, item.path, holder),
                ).rowcount
                == 1
            )

        return await self._in_thread(record)

    async def claim(
        self, rollout_id: str, wave: int, holder: str, ttl: float, limit: int
    ) -> list[str]:
        """Claim up to ``limit`` unclaimed (or expired) items still to do in ``wave``."""

        def claim(connection: sqlite3.Connection) -> list[str]:
            now = time.time()
            rows = connection.execute(
                "SELECT path FROM rollout_items WHERE rollout_id = ? AND wave = ? "
                f"AND status IN ({', '.join('?' * len(CLAIMABLE))}) "
                "AND (claimed_by IS NULL OR claim_expires < ?) ORDER BY path LIMIT ?",
                (rollout_id, wave, *CLAIMABLE, now, limit),
            ).fetchall()
            paths = [row[0] for row in rows]
            connection.executemany(
                "UPDATE rollout_items SET claimed_by = ?, claim_expires = ? "
                "WHERE rollout_id = ? AND path = ?",
                [(holder, now + ttl, rollout_id, path) for path in paths],
            )
            return paths

        return await self._in_thread(claim)

    async def renew_claims(self, rollout_id: str, holder: str, ttl: float) -> int:
        """Extend ``holder``'s unexpired claims by ``ttl``; how many."""

        def renew(connection: sqlite3.Connection) -> int:
            now = time.time()
            return connection.execute(
                "UPDATE rollout_items SET claim_expires = ? WHERE rollout_id = ? "
                "AND claimed_by = ? AND claim_expires > ?",
                (now + ttl, rollout_id, holder, now),
            ).rowcount

        return await self._in_thread(renew)

    async def renew_claim(self, rollout_id: str, path: str, holder: str, ttl: float) -> bool:
        """Extend ``holder``'s claim on ``path`` by ``ttl`` if still in force; whether it was."""

        def renew(connection: sqlite3.Connection) -> bool:
            now = time.time()
            return (
                connection.execute(
                    "UPDATE rollout_items SET claim_expires = ? WHERE rollout_id = ? "
                    "AND path = ? AND claimed_by = ? AND claim_expires > ?",
                    (now + ttl, rollout_id, path, holder, now),
                ).rowcount
                == 1
            )

        return await self._in_thread(renew)

    async def holds(self, rollout_id: str, path: str, holder: str) -> bool:
        """Whether ``holder``'s claim on ``path`` is still in force (the fence)."""

        def holds(connection: sqlite3.Connection) -> bool:
            row = connection.execute(
                "SELECT 1 FROM rollout_items WHERE rollout_id = ? AND path = ? "
                "AND claimed_by = ? AND claim_expires > ?",
                (rollout_id, path, holder, time.time()),
            ).fetchone()
            return row is not None

        return await self._in_thread(holds)

    async def discard(self, rollout_id: str) -> None:
        """Forget the rollout (the next run starts afresh)."""
        await self._run("DELETE FROM rollout_items WHERE rollout_id = ?", rollout_id)
        await self._run("DELETE FROM rollouts WHERE rollout_id = ?", rollout_id)
