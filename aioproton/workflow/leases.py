"""Leases with fencing: one holder at a time for a named piece of work, across processes.

::

    async with lease_store.hold("rollout/web-1.3", ttl=30) as lease:
        for item in items:
            await lease.check()              # the fence: still ours? (else LeaseLostError)
            await update(item)

While the body runs, the lease is renewed in the background every ``ttl / 3`` seconds.
The holder gives up on its own, before anyone else can take over: when a renewal fails
(the database connection is cut, the row shows another holder) or when ``ttl - margin``
seconds pass without a confirmed renewal (the process was paused, the network is
partitioned; a confirmation read only after that counts as none), the body is cancelled
and ``hold`` raises :class:`LeaseLostError`. After a
pause (SIGSTOP, a long GC, a frozen VM) the body may wake before the renewal task does,
so code that writes calls :meth:`Lease.check` first: it refuses at once when the local
deadline has passed and otherwise confirms the lease with the database.

Each acquisition gets a ``fencing_token`` one above the previous holder's, so a system
that records it can refuse writes from an older holder.

Stores: :class:`SqliteLeaseStore` (processes on one host) and
:class:`~aioproton.workflow.postgres.PostgresLeaseStore` (several hosts; the expiry is
on the database's clock).
"""

from __future__ import annotations

import abc
import logging
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

import anyio
import anyio.to_thread
import attrs

from ..errors import ProtonError

__all__ = [
    "Lease",
    "LeaseLostError",
    "LeaseSession",
    "LeaseStore",
    "LeaseTaken",
    "LeaseUnavailableError",
    "SqliteLeaseStore",
]

logger: logging.Logger = logging.getLogger("aioproton.workflow.leases")


class LeaseLostError(ProtonError):
    """The lease was lost (renewal failed, or it expired) while its body ran."""

    default_code = "LeaseLost"

    def __init__(self, message: str, *, name: str, fencing_token: int) -> None:
        super().__init__(message)
        self.name = name
        self.fencing_token = fencing_token


class LeaseUnavailableError(ProtonError):
    """Another holder kept the lease for longer than the caller was willing to wait."""

    default_code = "LeaseUnavailable"

    def __init__(self, message: str, *, name: str, holder: str | None, expires_in: float) -> None:
        super().__init__(message)
        self.name = name
        self.holder = holder
        self.expires_in = expires_in


@attrs.frozen
class LeaseTaken:
    """The answer to an acquisition that failed: who holds the lease, for how long."""

    holder: str | None
    expires_in: float


class LeaseSession(Protocol):
    """One holder's line to the lease table (for PostgreSQL: its own connection)."""

    async def acquire(self, name: str, holder: str, ttl: float) -> int | LeaseTaken:
        """Take ``name`` if free or expired: the new fencing token; else who has it."""
        ...

    async def renew(self, name: str, holder: str, fencing_token: int, ttl: float) -> bool:
        """Extend the lease by ``ttl`` if it is still this holder's and unexpired."""
        ...

    async def release(self, name: str, holder: str, fencing_token: int) -> None:
        """Free the lease if it is still this holder's."""
        ...

    async def aclose(self) -> None:
        """Close the session and whatever connection it holds."""


@attrs.define(eq=False)
class Lease:
    """A held lease: its name, fencing token and the time it is known good until."""

    name: str
    holder: str
    fencing_token: int
    ttl: float
    margin: float
    _session: LeaseSession = attrs.field(repr=False)
    #: Monotonic time after which the holder stops trusting the lease.
    _good_until: float = attrs.field(repr=False)
    _lost: str | None = attrs.field(default=None, repr=False)
    _lock: anyio.Lock = attrs.field(factory=anyio.Lock, repr=False)

    @property
    def lost(self) -> bool:
        return self._lost is not None or time.monotonic() >= self._good_until

    def _error(self) -> LeaseLostError:
        reason = self._lost or "its time ran out without a confirmed renewal"
        return LeaseLostError(
            f"lease {self.name!r} (fencing token {self.fencing_token}) was lost: {reason}; "
            "stop working on it and acquire it again",
            name=self.name,
            fencing_token=self.fencing_token,
        )

    async def check(self) -> None:
        """The fence: raise :class:`LeaseLostError` unless the lease is still held.

        Refuses at once when the lease is past its local deadline (the process was
        paused), then confirms it with the store (and extends it).
        """
        if self.lost:
            self._lost = self._lost or "its time ran out without a confirmed renewal"
            raise self._error()
        await self._renew()
        if self.lost:
            raise self._error()

    async def _renew(self) -> None:
        async with self._lock:
            if self._lost is not None:
                return
            sent = time.monotonic()
            deadline = self._good_until
            if sent >= deadline:
                self._lose("its time ran out without a confirmed renewal")
                return
            try:
                with anyio.fail_after(deadline - sent):
                    held = await self._session.renew(
                        self.name, self.holder, self.fencing_token, self.ttl
                    )
            except TimeoutError:
                self._lose("no renewal was confirmed before its time ran out")
                return
            except Exception as error:
                self._lose(f"renewal failed ({type(error).__name__}: {error})")
                return
            if not held:
                self._lose("another holder has it, or it expired")
                return
            confirmed = time.monotonic()
            if confirmed >= deadline:
                # Confirmed, but only read after the deadline (the process was paused
                # while the answer waited): by then the holder had to count the lease
                # as gone, so it stays gone; a lease never comes back to life.
                self._lose(
                    "its renewal was confirmed too late to rely on",
                    late_by=round(confirmed - deadline, 3),
                )
                return
            self._good_until = sent + self.ttl - self.margin

    def _lose(self, reason: str, **fields: float) -> None:
        self._lost = reason
        logger.warning(
            "lease %s lost: %s",
            self.name,
            reason,
            extra={
                "lease": self.name,
                "fencing_token": self.fencing_token,
                "reason": reason,
                **fields,
            },
        )


def _holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseStore(abc.ABC):
    """Hands out leases; subclasses say where the lease table lives.

    A store of your own (Redis, DynamoDB, ...) subclasses this and implements
    :meth:`open_session`; holding, renewing, giving up and fencing come from here.
    """

    @abc.abstractmethod
    async def open_session(self, name: str) -> LeaseSession:
        """A line to the lease table for one holder of lease ``name``."""

    @asynccontextmanager
    async def hold(
        self,
        name: str,
        *,
        ttl: float = 30.0,
        wait: float | None = None,
        margin: float | None = None,
    ) -> AsyncIterator[Lease]:
        """Hold lease ``name`` while the body runs; see the module's docs.

        ``wait``: seconds to wait for another holder to let go (``None``: for as long as
        it takes; ``0``: try once), then :class:`LeaseUnavailableError`. ``margin``:
        how long before ``ttl`` runs out without a confirmed renewal the holder gives up
        (default ``ttl / 4``).
        """
        if ttl <= 0:
            raise ValueError(f"lease ttl must be positive seconds, not {ttl!r}")
        margin = ttl / 4 if margin is None else margin
        if not 0 <= margin < ttl * 2 / 3:
            raise ValueError("lease margin must be at least 0 and below two thirds of the ttl")
        session = await self.open_session(name)
        try:
            lease = await self._acquire(session, name, ttl, margin, wait)
            logger.info(
                "lease %s acquired",
                name,
                extra={"lease": name, "fencing_token": lease.fencing_token, "ttl": ttl},
            )
            try:
                async with self._held(lease) as body:
                    yield lease
                if body.lost:
                    raise lease._error()
            finally:
                with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                    try:
                        await session.release(name, lease.holder, lease.fencing_token)
                    except Exception as error:
                        logger.warning(
                            "lease %s not released: %s",
                            name,
                            error,
                            extra={"lease": name, "fencing_token": lease.fencing_token},
                        )
        finally:
            with anyio.CancelScope(shield=True):
                await session.aclose()

    @asynccontextmanager
    async def _held(self, lease: Lease) -> AsyncIterator[_Body]:
        body = _Body()
        failure: BaseException | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(_keep, lease, body)
            try:
                with body.scope:
                    yield body
                    body.done = True
            except BaseException as error:
                failure = error
            finally:
                group.cancel_scope.cancel()
        if failure is not None:
            raise failure

    @asynccontextmanager
    async def guard(
        self, target: object, *, ttl: float = 30.0, margin: float | None = None
    ) -> AsyncIterator[Lease | None]:
        """For a reconcile loop: hold ``reconcile/<target>`` unless another replica does.

        ``target`` is a :class:`~aioproton.workflow.DeploymentTarget` (named by its ARN
        path) or any string. Yields the lease, or ``None`` at once when another replica
        holds it: skip the target this round, it is being taken care of::

            for target in targets:
                async with leases.guard(target) as lease:
                    if lease is None:
                        continue
                    await lease.check()
                    await reconcile(target)
        """
        name = f"reconcile/{target}"
        entered = False
        busy: LeaseUnavailableError | None = None
        try:
            async with self.hold(name, ttl=ttl, wait=0, margin=margin) as lease:
                entered = True
                yield lease
        except LeaseUnavailableError as error:
            if entered:
                raise
            busy = error
        if busy is not None:
            logger.info(
                "skipping %s: another replica holds its lease",
                target,
                extra={"lease": name, "holder": busy.holder, "expires_in": busy.expires_in},
            )
            yield None

    async def _acquire(
        self, session: LeaseSession, name: str, ttl: float, margin: float, wait: float | None
    ) -> Lease:
        holder = _holder_id()
        give_up = None if wait is None else time.monotonic() + wait
        poll = min(1.0, ttl / 4)
        while True:
            sent = time.monotonic()
            outcome = await session.acquire(name, holder, ttl)
            if isinstance(outcome, int):
                return Lease(name, holder, outcome, ttl, margin, session, sent + ttl - margin)
            now = time.monotonic()
            if give_up is not None and now >= give_up:
                raise LeaseUnavailableError(
                    f"lease {name!r} is held by {outcome.holder} for another "
                    f"{outcome.expires_in:.1f} s; wait longer, or try again later",
                    name=name,
                    holder=outcome.holder,
                    expires_in=outcome.expires_in,
                )
            delay = min(poll, max(0.01, outcome.expires_in))
            if give_up is not None:
                delay = min(delay, give_up - now)
            await anyio.sleep(delay)


@attrs.define(eq=False)
class _Body:
    scope: anyio.CancelScope = attrs.field(factory=anyio.CancelScope)
    done: bool = False
    lost: bool = False


async def _keep(lease: Lease, body: _Body) -> None:
    """Renew every ``ttl / 3`` seconds; cancel the body once the lease is lost.

    After a slow renewal, less than ``ttl / 3`` may be left: the next renewal then goes
    when half of what is left has passed, so it is tried while there is time for it.
    """
    while True:
        left = lease._good_until - time.monotonic()
        await anyio.sleep(min(lease.ttl / 3, max(0.0, left / 2)))
        await lease._renew()
        if lease._lost is not None:
            if not body.done:
                body.lost = True
                body.scope.cancel()
            return


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT,
    fencing_token INTEGER NOT NULL,
    expires_at REAL NOT NULL
)
"""


class SqliteLeaseStore(LeaseStore):
    """Leases in a SQLite file: for processes on one host (expiry on the host's clock).

    The file may be the one a :class:`~aioproton.workflow.SqliteTokenStore` uses.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        self.path: str = os.fspath(path)
        self.busy_timeout = busy_timeout
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SQLITE_SCHEMA)

    def _connect(self) -> _SqliteConnection:
        return _SqliteConnection(self.path, self.busy_timeout)

    async def open_session(self, name: str) -> LeaseSession:
        """A session for the lease ``name`` (see :class:`LeaseStore`)."""
        return _SqliteSession(self)

    def __repr__(self) -> str:
        return f"SqliteLeaseStore({self.path!r})"


class _SqliteConnection:
    """A short connection, closed on exit (``sqlite3.Connection``'s own ``with`` is not)."""

    def __init__(self, path: str, busy_timeout: float) -> None:
        self.connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc_info: object) -> None:
        self.connection.close()


class _SqliteSession:
    def __init__(self, store: SqliteLeaseStore) -> None:
        self.store = store

    async def _run(self, operation: str, *args: object) -> int | LeaseTaken:
        """Run ``_<operation>`` in one ``BEGIN IMMEDIATE`` transaction, in a worker thread."""
        return await anyio.to_thread.run_sync(self._transaction, operation, args)

    def _transaction(self, operation: str, args: tuple[object, ...]) -> int | LeaseTaken:
        with self.store._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                outcome = getattr(self, f"_{operation}")(connection, time.time(), *args)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            assert isinstance(outcome, int | LeaseTaken)
            return outcome

    @staticmethod
    def _acquire(
        connection: sqlite3.Connection, now: float, name: str, holder: str, ttl: float
    ) -> int | LeaseTaken:
        row = connection.execute(
            "SELECT holder, fencing_token, expires_at FROM leases WHERE name = ?", (name,)
        ).fetchone()
        if row is not None and row[0] is not None and row[2] > now:
            return LeaseTaken(row[0], row[2] - now)
        token = 1 if row is None else row[1] + 1
        connection.execute(
            "INSERT OR REPLACE INTO leases (name, holder, fencing_token, expires_at) "
            "VALUES (?, ?, ?, ?)",
            (name, holder, token, now + ttl),
        )
        return int(token)

    @staticmethod
    def _renew(
        connection: sqlite3.Connection,
        now: float,
        name: str,
        holder: str,
        fencing_token: int,
        ttl: float,
    ) -> int:
        return connection.execute(
            "UPDATE leases SET expires_at = ? "
            "WHERE name = ? AND holder = ? AND fencing_token = ? AND expires_at > ?",
            (now + ttl, name, holder, fencing_token, now),
        ).rowcount

    @staticmethod
    def _release(
        connection: sqlite3.Connection, now: float, name: str, holder: str, fencing_token: int
    ) -> int:
        return connection.execute(
            "UPDATE leases SET holder = NULL, expires_at = ? "
            "WHERE name = ? AND holder = ? AND fencing_token = ?",
            (now, name, holder, fencing_token),
        ).rowcount

    async def acquire(self, name: str, holder: str, ttl: float) -> int | LeaseTaken:
        return await self._run("acquire", name, holder, ttl)

    async def renew(self, name: str, holder: str, fencing_token: int, ttl: float) -> bool:
        return await self._run("renew", name, holder, fencing_token, ttl) == 1

    async def release(self, name: str, holder: str, fencing_token: int) -> None:
        await self._run("release", name, holder, fencing_token)

    async def aclose(self) -> None:
        return None
