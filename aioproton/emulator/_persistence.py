"""The emulator's state on disk, so an acknowledged change survives a crash.

The file keeps one SQLite row per stored record (``records``), per region's own
fields (``regions``) and per pending transition (``events``), plus one
``emulator_state`` row with the rest (clock, counters, random state, script rules) and
the revision. :class:`Tracker` finds what changed from the keys requests reached in
the backend's :class:`~aioproton.emulator.backend._record_map.RecordMap` s and writes
only the rows whose text changed, so a write costs what the request touched, not what
is stored (a request that scans a map through ``values()`` or ``items()`` has each of
that map's records serialized and compared, still writing only the changed ones).

Each write is one transaction (WAL, ``synchronous=FULL``, so it is fsync'd on
commit): a ``kill -9`` at any moment leaves the previous or the next state, never a
torn one. Changes are gathered on the event loop, between requests, so every write is
a state the backend was really in, and one writer thread commits them in that order
(:meth:`StateFile.submit`), so the file never goes back in time. The server answers no
request, a read included, before the state it saw is committed; requests that arrive
during a commit share the next one (group commit), which keeps concurrent durable
writes close to in-memory speed.

A file of format 1 (one JSON snapshot in ``emulator_state``) still loads, and is
rewritten in format 2 as the emulator starts.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import queue
import sqlite3
import threading
from typing import Any

import attrs

from .backend import ProtonBackend
from .backend._record_map import RECORDS, RecordMap
from .backend._serde import unstructure
from .backend._world import Region, World

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS emulator_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    snapshot TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS regions (
    region TEXT PRIMARY KEY, ord INTEGER NOT NULL, body TEXT NOT NULL
) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS records (
    region TEXT NOT NULL, map TEXT NOT NULL, key TEXT NOT NULL,
    ord INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (region, map, key)
) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)""",
)

FORMAT = 2
OLD_FORMATS = (1,)

#: The fields of a region kept one row per key; the rest is the region's own row.
RECORD_MAPS = tuple(f.name for f in attrs.fields(Region) if f.metadata.get(RECORDS))
#: The world's own fields, kept in the ``emulator_state`` row.
WORLD_SCALARS = tuple(f.name for f in attrs.fields(World) if f.name not in ("regions", "events"))

# A row: ("g", region) for a region's own fields, ("r", region, map, key) for a
# record, ("e", seq) for a pending transition. Its value: (text, ord), or None to
# delete; ``ord`` orders a new row after every other (a load restores dict order).
Row = tuple[Any, ...]
Value = tuple[str, int] | None


def _tracked(records: dict[str, Any]) -> RecordMap[Any]:
    if not isinstance(records, RecordMap):
        raise TypeError("the backend keeps its records in RecordMaps")
    return records


def _text(value: Any) -> str:
    return json.dumps(unstructure(value), separators=(",", ":"))


class StateFileError(Exception):
    """The state file cannot be read as an emulator state."""


@attrs.define
class Batch:
    """Rows to write in one transaction; ``full`` replaces everything stored."""

    revision: int
    meta: str
    rows: dict[Row, Value] = attrs.field(factory=dict)
    full: bool = False


class Tracker:
    """What changed in the backend since the last :meth:`collect`, as rows to write."""

    def __init__(self) -> None:
        self._world: World | None = None
        # per row: the text written, its order and the record (to know it unchanged)
        self._written: dict[Row, tuple[str, int, Any]] = {}
        self._events: set[int] = set()
        self._next_ord = 0
        self.full = True

    def baseline(self, backend: ProtonBackend, next_ord: int) -> None:
        """Take the backend's state as what the file already holds (after a load)."""
        self._next_ord = next_ord
        self.collect(backend)
        self.full = False

    def collect(self, backend: ProtonBackend) -> Batch:
        world = backend.world
        meta = json.dumps(
            {
                **backend.snapshot_extras(),
                "world": {name: unstructure(getattr(world, name)) for name in WORLD_SCALARS},
            },
            separators=(",", ":"),
        )
        batch = Batch(world.revision, meta)
        if self.full or world is not self._world or not self._collect_changes(world, batch):
            self._collect_all(world, batch)
        return batch

    def _collect_all(self, world: World, batch: Batch) -> None:
        batch.full = True
        batch.rows.clear()
        self.full = False
        self._world = world
        self._written.clear()
        self._events.clear()
        regions = _tracked(world.regions)
        for name, region in dict.items(regions):
            self._put_text(batch, ("g", name), self._region_text(region))
            for kind in RECORD_MAPS:
                records = _tracked(getattr(region, kind))
                for key, record in dict.items(records):
                    self._put(batch, ("r", name, kind, key), record)
                records.take()
        regions.take()
        for event in world.events:
            self._put(batch, ("e", event.seq), event)
            self._events.add(event.seq)

    def _collect_changes(self, world: World, batch: Batch) -> bool:
        """Add what changed; False when a whole region vanished (write everything)."""
        regions = _tracked(world.regions)
        reached, scanned = regions.take()
        for name in list(dict.keys(regions)) if scanned else reached:
            region = dict.get(regions, name)
            if region is None:
                if ("g", name) in self._written:
                    return False
                continue
            self._put_text(batch, ("g", name), self._region_text(region))
            for kind in RECORD_MAPS:
                records = _tracked(getattr(region, kind))
                keys, scanned_map = records.take()
                if scanned_map:
                    keys = [*keys, *dict.keys(records)]
                for key in keys:
                    row = ("r", name, kind, key)
                    record = dict.get(records, key, _GONE)
                    if record is _GONE:
                        if self._written.pop(row, None) is not None:
                            batch.rows[row] = None
                    else:
                        self._put(batch, row, record)
        events = {event.seq: event for event in world.events}
        for seq in events.keys() - self._events:
            self._put(batch, ("e", seq), events[seq])
        for seq in self._events - events.keys():
            self._written.pop(("e", seq), None)
            batch.rows[("e", seq)] = None
        self._events = set(events)
        return True

    @staticmethod
    def _region_text(region: Region) -> str:
        own = {
            f.name: unstructure(getattr(region, f.name))
            for f in attrs.fields(Region)
            if f.name not in RECORD_MAPS
        }
        return json.dumps(own, separators=(",", ":"))

    def _put(self, batch: Batch, row: Row, record: Any) -> None:
        written = self._written.get(row)
        if written is not None and written[2] is record and _frozen(record):
            return  # the very record written last time, and it cannot have changed
        self._put_text(batch, row, _text(record), record)

    def _put_text(self, batch: Batch, row: Row, text: str, record: Any = None) -> None:
        written = self._written.get(row)
        if written is not None and written[0] == text:
            self._written[row] = (text, written[1], record)
            return
        order = self._next_ord if written is None else written[1]
        self._next_ord += written is None
        self._written[row] = (text, order, record)
        batch.rows[row] = (text, order)


_FROZEN: dict[type, bool] = {}


def _frozen(record: Any) -> bool:
    """Whether ``record`` is of an ``attrs.frozen`` class (a scan need not re-read it)."""
    kind = type(record)
    known = _FROZEN.get(kind)
    if known is None:
        fields = attrs.fields(kind) if attrs.has(kind) else ()
        known = False
        if fields:
            try:
                setattr(record, fields[0].name, getattr(record, fields[0].name))
            except attrs.exceptions.FrozenInstanceError:
                known = True
        _FROZEN[kind] = known
    return known


_GONE: Any = object()
_STOP: Any = object()


class StateFile:
    """One SQLite file holding the backend's state, written by one writer thread."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path: str = os.fspath(path)
        self.loaded_format: int | None = None
        self.next_ord: int = 0
        self._db: sqlite3.Connection | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    def open(self) -> None:
        """Open (or create) the file in WAL mode and start its writer thread."""
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StateFileError(f"cannot open state file {self.path}: {exc}") from exc
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            for statement in _SCHEMA:
                db.execute(statement)
        except sqlite3.Error as exc:
            db.close()
            raise StateFileError(f"{self.path} is not a usable state file: {exc}") from exc
        self._db = db
        self._writer = threading.Thread(
            target=self._write_loop, name=f"state file {self.path}", daemon=True
        )
        self._writer.start()

    @property
    def is_open(self) -> bool:
        return self._db is not None

    @property
    def rows_written(self) -> int:
        """Rows inserted, updated or deleted since the file was opened (SQLite's count)."""
        return self._connection().total_changes

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StateFileError("the state file is not open")
        return self._db

    # ------------------------------------------------------------------ reading

    def load(self) -> dict[str, Any] | None:
        """The saved snapshot, or None when nothing was saved yet."""
        db = self._connection()
        try:
            row = db.execute("SELECT format, snapshot FROM emulator_state WHERE id = 1").fetchone()
            if row is None:
                return None
            fmt, text = row
            if fmt in OLD_FORMATS:
                self.loaded_format = fmt
                return self._object(text, "a snapshot")
            if fmt != FORMAT:
                raise StateFileError(
                    f"{self.path} has state format {fmt}, expected {FORMAT} "
                    f"(or {', '.join(map(str, OLD_FORMATS))})"
                )
            self.loaded_format = fmt
            return self._assemble(db, self._object(text, "a state row"))
        except sqlite3.Error as exc:
            raise StateFileError(f"{self.path} is not a usable state file: {exc}") from exc

    def _assemble(self, db: sqlite3.Connection, meta: dict[str, Any]) -> dict[str, Any]:
        """A backend snapshot from the rows."""
        world = meta.get("world")
        if not isinstance(world, dict):
            raise StateFileError(f"{self.path} does not hold a state object")
        regions: dict[str, Any] = {}
        for name, body in db.execute("SELECT region, body FROM regions ORDER BY ord"):
            regions[name] = {**self._object(body, "a region"), **{k: {} for k in RECORD_MAPS}}
        for name, kind, key, body in db.execute(
            "SELECT region, map, key, body FROM records ORDER BY ord"
        ):
            if name not in regions or kind not in RECORD_MAPS:
                raise StateFileError(f"{self.path} holds a record of no known region or kind")
            regions[name][kind][key] = self._value(body, "a record")
        events = [
            self._object(body, "an event")
            for (body,) in db.execute("SELECT body FROM events ORDER BY seq")
        ]
        (top,) = db.execute(
            "SELECT max(coalesce((SELECT max(ord) FROM regions), -1), "
            "coalesce((SELECT max(ord) FROM records), -1))"
        ).fetchone()
        self.next_ord = int(top) + 1
        return {**meta, "world": {**world, "regions": regions, "events": events}}

    def _value(self, text: Any, what: str) -> Any:
        try:
            return json.loads(text)
        except RecursionError:
            raise StateFileError(f"{self.path} holds {what} nested too deeply") from None
        except (ValueError, TypeError) as exc:  # UnicodeDecodeError included
            raise StateFileError(
                f"{self.path} holds {what} that is not valid JSON: {exc}"
            ) from None

    def _object(self, text: Any, what: str) -> dict[str, Any]:
        data = self._value(text, what)
        if not isinstance(data, dict):
            raise StateFileError(f"{self.path} does not hold {what} object")
        return data

    # ------------------------------------------------------------------ writing

    def submit(self, batch: Batch) -> concurrent.futures.Future[None]:
        """Queue ``batch`` for the writer thread; batches are written in submit order."""
        if self._writer is None:
            raise StateFileError("the state file is not open")
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._queue.put((batch, done))
        return done

    def write(self, batch: Batch) -> None:
        """Write ``batch`` and wait for its commit (after every batch submitted before)."""
        self.submit(batch).result()

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch, done = item
            try:
                self._commit(batch)
            except BaseException as exc:
                done.set_exception(exc)
            else:
                done.set_result(None)

    def _commit(self, batch: Batch) -> None:
        try:
            self._transaction(batch)
        except sqlite3.Error as exc:
            raise StateFileError(f"cannot write the state file {self.path}: {exc}") from exc

    def _transaction(self, batch: Batch) -> None:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            if batch.full:
                for table in ("regions", "records", "events"):
                    db.execute(f"DELETE FROM {table}")
            for row, value in batch.rows.items():
                self._write_row(db, row, value)
            db.execute(
                "INSERT INTO emulator_state (id, format, revision, snapshot) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET format = excluded.format, "
                "revision = excluded.revision, snapshot = excluded.snapshot",
                (FORMAT, batch.revision, batch.meta),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @staticmethod
    def _write_row(db: sqlite3.Connection, row: Row, value: Value) -> None:
        kind = row[0]
        if value is None:
            if kind == "r":
                db.execute("DELETE FROM records WHERE region = ? AND map = ? AND key = ?", row[1:])
            elif kind == "e":
                db.execute("DELETE FROM events WHERE seq = ?", row[1:])
            else:
                db.execute("DELETE FROM regions WHERE region = ?", row[1:])
            return
        text, order = value
        if kind == "r":
            db.execute(
                "INSERT INTO records (region, map, key, ord, body) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT DO UPDATE SET body = excluded.body",
                (*row[1:], order, text),
            )
        elif kind == "e":
            db.execute("INSERT OR REPLACE INTO events (seq, body) VALUES (?, ?)", (row[1], text))
        else:
            db.execute(
                "INSERT INTO regions (region, ord, body) VALUES (?, ?, ?) "
                "ON CONFLICT DO UPDATE SET body = excluded.body",
                (row[1], order, text),
            )

    def close(self) -> None:
        """Let the writer finish what was submitted, then close the file."""
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join()
            self._writer = None
        if self._db is not None:
            self._db.close()
            self._db = None
