"""Running one async function over many items, a bounded number at a time.

``concurrency`` worker tasks in one anyio task group pull items one by one (never a
task per item, never an unbounded gather); each result is streamed as soon as it is
known and counted in a :class:`BulkSummary`::

    async with bulk(names, deploy, concurrency=8, proton=proton) as run:
        async for result in run:
            print(result.item, result.status, result.error)
    print(run.summary)

    summary = await run_bulk(names, deploy, concurrency=8)   # the same, without the stream

``fail_fast`` stops at the first failure: items in flight are cancelled (reported
CANCELLED), the rest are not started (counted, and reported SKIPPED when the items are
a sized collection). Leaving the ``async with`` early, or cancelling the surrounding
task, cancels every worker; no task outlives the block.

A run leaves an INFO record as it starts and ends (with its counts), a DEBUG record per
item, and tells its observers (``observers=``, by default the client's) about the run
and each item: ``on_bulk_start``, ``on_bulk_item_start``, ``on_bulk_item``,
``on_bulk_end``. An item is named in them by its key: the item itself when it is a
string or an integer, a deployment target's path, otherwise ``#<index>`` (an arbitrary
object's text could hold anything, secrets included).
"""

from __future__ import annotations

import enum
import inspect
import logging
import math
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Collection, Iterable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .. import _logfields as F
from .._client import ProtonClient
from ..clock import Clock, SystemClock
from ..observe import (
    NO_OBSERVERS,
    BulkEnded,
    BulkItemEnded,
    BulkItemStarted,
    BulkStarted,
    Observer,
    Observers,
    observers_of,
)
from .errors import BulkError
from .targets import DeploymentTarget

logger: logging.Logger = logging.getLogger("aioproton.workflow.bulk")

__all__ = [
    "BulkRun",
    "BulkSummary",
    "ConcurrencyWarning",
    "ItemResult",
    "ItemStatus",
    "bulk",
    "check_concurrency",
    "run_bulk",
]

T = TypeVar("T")
V = TypeVar("V")


class ConcurrencyWarning(UserWarning):
    """More concurrent items were requested than the client has connections."""


class ItemStatus(enum.Enum):
    """How one item of a bulk run ended."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    #: Started, then cancelled (fail-fast, or the run was cancelled).
    CANCELLED = "CANCELLED"
    #: Never started because the run stopped early.
    SKIPPED = "SKIPPED"


@attrs.frozen(kw_only=True)
class ItemResult(Generic[T, V]):
    """The outcome of one item of a bulk run.

    Attributes:
        item: The input item.
        status: How it ended.
        value: What the call returned, if it succeeded.
        error: What it raised, if it failed.
    """

    item: T
    status: ItemStatus
    value: V | None = None
    error: BaseException | None = None
    #: Position of the item in the input.
    index: int = -1
    #: Clock seconds the item took (0 if not started).
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the item SUCCEEDED."""
        return self.status is ItemStatus.SUCCEEDED


@attrs.define(kw_only=True)
class BulkSummary(Generic[T, V]):
    """Every result of a run, counted; complete once the run has ended."""

    results: list[ItemResult[T, V]] = attrs.field(factory=list)
    #: Whether the run stopped at a failure (fail-fast).
    stopped_early: bool = False
    #: Whether items may remain that were never taken (an iterator stopped early).
    unfinished_input: bool = False
    #: Most items that ran at the same time.
    peak_concurrency: int = 0

    def count(self, status: ItemStatus) -> int:
        """How many items ended with ``status``."""
        return sum(1 for result in self.results if result.status is status)

    @property
    def succeeded(self) -> int:
        return self.count(ItemStatus.SUCCEEDED)

    @property
    def failed(self) -> int:
        return self.count(ItemStatus.FAILED)

    @property
    def cancelled(self) -> int:
        return self.count(ItemStatus.CANCELLED)

    @property
    def not_started(self) -> int:
        return self.count(ItemStatus.SKIPPED)

    @property
    def failures(self) -> list[ItemResult[T, V]]:
        return [result for result in self.results if result.status is ItemStatus.FAILED]

    @property
    def ok(self) -> bool:
        """Every item started and succeeded."""
        return not self.unfinished_input and all(result.ok for result in self.results)

    def raise_for_failures(self) -> None:
        """Raise :class:`BulkError` if any item failed, was cancelled or never started."""
        if self.ok:
            return
        first = self.failures[0].error if self.failures else None
        error = BulkError(
            f"{self.failed} failed, {self.cancelled} cancelled, {self.not_started} not started, "
            f"{self.succeeded} succeeded"
            + (f"; first failure: {first!r}" if first is not None else ""),
            summary=self,
            failures=self.failures,
        )
        raise error from first

    def __str__(self) -> str:
        more = " (and the rest of the input)" if self.unfinished_input else ""
        return (
            f"{len(self.results)} items: {self.succeeded} succeeded, {self.failed} failed, "
            f"{self.cancelled} cancelled, {self.not_started} not started{more}"
        )


def check_concurrency(proton: ProtonClient | None, concurrency: int, *, strict: bool) -> None:
    """Warn (or, ``strict``, refuse) when ``concurrency`` exceeds the client's pool."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    if proton is None or concurrency <= proton.max_concurrency:
        return
    message = (
        f"concurrency {concurrency} exceeds the client's max_concurrency "
        f"{proton.max_concurrency} (its connection pool): the extra items queue inside the "
        "client, their requests waiting for a free connection. Raise max_pool_connections "
        "or lower concurrency."
    )
    if strict:
        raise ValueError(message)
    warnings.warn(message, ConcurrencyWarning, stacklevel=3)


class BulkRun(Generic[T, V]):
    """A running bulk operation: iterate it for results as they finish."""

    def __init__(
        self,
        receive: MemoryObjectReceiveStream[ItemResult[T, V]],
        summary: BulkSummary[T, V],
        scope: anyio.CancelScope,
    ) -> None:
        self._receive = receive
        self.summary = summary
        self._scope = scope

    def __aiter__(self) -> AsyncIterator[ItemResult[T, V]]:
        return self

    async def __anext__(self) -> ItemResult[T, V]:
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    def stop(self) -> None:
        """Stop starting items and cancel the ones in flight."""
        self._scope.cancel()


@attrs.define(eq=False)
class _Workers(Generic[T, V]):
    """The worker tasks of one run and the state they share."""

    _items: Iterable[T] | AsyncIterable[T]
    _func: Callable[[T], Awaitable[V]]
    _send: MemoryObjectSendStream[ItemResult[T, V]]
    _summary: BulkSummary[T, V]
    _fail_fast: bool = attrs.field(kw_only=True)
    _clock: Clock = attrs.field(kw_only=True)
    _observers: Observers = attrs.field(kw_only=True)
    #: What the observers' events name as the run.
    _run: object = attrs.field(kw_only=True)
    _asynchronous: bool = attrs.field(init=False)
    _iterator: Any = attrs.field(init=False)
    _lock: anyio.Lock = attrs.field(init=False, factory=anyio.Lock)
    _next_index: int = attrs.field(init=False, default=0)
    _running: int = attrs.field(init=False, default=0)
    _exhausted: bool = attrs.field(init=False, default=False)

    def __attrs_post_init__(self) -> None:
        items = self._items
        self._asynchronous = isinstance(items, AsyncIterable)
        self._iterator = items.__aiter__() if isinstance(items, AsyncIterable) else iter(items)

    async def _take(self) -> tuple[int, T] | None:
        async with self._lock:
            if self._exhausted:
                return None
            try:
                if self._asynchronous:
                    item = await self._iterator.__anext__()
                else:
                    item = next(self._iterator)
            except (StopIteration, StopAsyncIteration):
                self._exhausted = True
                return None
            index = self._next_index
            self._next_index += 1
            return index, item

    async def run(self, concurrency: int, scope: anyio.CancelScope) -> None:
        # Told here, in the task that starts the workers: an observer that makes the run
        # current (a tracing span) makes it current for every item, not for the caller.
        self._started(concurrency)
        try:
            with scope:
                async with anyio.create_task_group() as group:
                    for _ in range(concurrency):
                        group.start_soon(self._worker, scope)
        finally:
            self._account_unstarted()
            self._ended()
            self._send.close()
            close = getattr(self._iterator, "aclose", None)
            if close is not None:
                # An async generator left half-read is closed here, not by the GC.
                with anyio.CancelScope(shield=True):
                    await close()

    async def _worker(self, scope: anyio.CancelScope) -> None:
        while True:
            taken = await self._take()
            if taken is None:
                return
            index, item = taken
            result = await self._one(index, item)
            self._record(result)
            if result.status is ItemStatus.FAILED and self._fail_fast:
                self._summary.stopped_early = True
                scope.cancel()
                return

    async def _one(self, index: int, item: T) -> ItemResult[T, V]:
        if self._observers:
            started_event = BulkItemStarted(run=self._run, index=index, key=_item_key(item, index))
            self._observers.emit("on_bulk_item_start", started_event)
        self._running += 1
        self._summary.peak_concurrency = max(self._summary.peak_concurrency, self._running)
        started = self._clock.now()
        try:
            value = await self._func(item)
        except anyio.get_cancelled_exc_class():
            self._record(
                ItemResult(
                    item=item,
                    status=ItemStatus.CANCELLED,
                    index=index,
                    duration=self._clock.now() - started,
                )
            )
            raise
        except Exception as error:
            return ItemResult(
                item=item,
                status=ItemStatus.FAILED,
                error=error,
                index=index,
                duration=self._clock.now() - started,
            )
        finally:
            self._running -= 1
        return ItemResult(
            item=item,
            status=ItemStatus.SUCCEEDED,
            value=value,
            index=index,
            duration=self._clock.now() - started,
        )

    def _record(self, result: ItemResult[T, V]) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "bulk item %d: %s%s",
                result.index,
                result.status.value,
                f" ({type(result.error).__name__}: {result.error})" if result.error else "",
                extra={
                    F.INDEX: result.index,
                    F.ITEM: _item_key(result.item, result.index),
                    F.STATUS: result.status.value,
                    F.ERROR_CODE: getattr(result.error, "code", None)
                    or (type(result.error).__name__ if result.error else None),
                    F.ELAPSED: result.duration,
                },
            )
        self._summary.results.append(result)
        if self._observers:
            event = BulkItemEnded(
                run=self._run,
                index=result.index,
                key=_item_key(result.item, result.index),
                status=result.status.value,
                duration=result.duration,
                error=result.error,
            )
            self._observers.emit("on_bulk_item", event)
        self._send.send_nowait(result)

    def _sized(self) -> int | None:
        items = self._items
        return len(items) if isinstance(items, Collection) and not self._asynchronous else None

    def _started(self, concurrency: int) -> None:
        items = self._sized()
        logger.info(
            "bulk run of %s items, %d at a time%s",
            "an unknown number of" if items is None else items,
            concurrency,
            ", stopping at the first failure" if self._fail_fast else "",
            extra={F.ITEMS: items, F.CONCURRENCY: concurrency},
        )
        if self._observers:
            event = BulkStarted(
                run=self._run, items=items, concurrency=concurrency, fail_fast=self._fail_fast
            )
            self._observers.emit("on_bulk_start", event)

    def _ended(self) -> None:
        summary = self._summary
        counts = {
            F.SUCCEEDED: summary.succeeded,
            F.FAILED: summary.failed,
            F.CANCELLED: summary.cancelled,
            F.NOT_STARTED: summary.not_started,
        }
        logger.info("bulk run ended: %s", summary, extra=counts)
        if self._observers:
            event = BulkEnded(
                run=self._run,
                **counts,
                stopped_early=summary.stopped_early,
                unfinished_input=summary.unfinished_input,
                peak_concurrency=summary.peak_concurrency,
            )
            self._observers.emit("on_bulk_end", event)

    def _account_unstarted(self) -> None:
        if self._exhausted:
            return
        if isinstance(self._items, Collection) and not self._asynchronous:
            for index in range(self._next_index, len(self._items)):
                item = next(self._iterator)
                self._record(ItemResult(item=item, status=ItemStatus.SKIPPED, index=index))
        else:
            self._summary.unfinished_input = True


def _item_key(item: object, index: int) -> str:
    """How logs and observers name an item: a string or integer itself, a deployment
    target's path, anything else ``#<index>`` (its text could hold a secret)."""
    if isinstance(item, str):
        return item
    if isinstance(item, int) and not isinstance(item, bool):
        return str(item)
    if isinstance(item, DeploymentTarget):
        return item.path
    return f"#{index}"


@asynccontextmanager
async def bulk(
    items: Iterable[T] | AsyncIterable[T],
    func: Callable[[T], Awaitable[V]],
    *,
    concurrency: int = 8,
    fail_fast: bool = False,
    proton: ProtonClient | None = None,
    strict: bool = False,
    clock: Clock | None = None,
    observers: Iterable[Observer] | Observers | None = None,
) -> AsyncIterator[BulkRun[T, V]]:
    """Run ``func`` over ``items``, ``concurrency`` at a time; yields the running :class:`BulkRun`.

    ``proton`` is the client the items use: a ``concurrency`` above its
    ``max_concurrency`` warns (:class:`ConcurrencyWarning`), or raises ``ValueError``
    with ``strict``. Leaving the block normally waits for every item; leaving it with
    an exception (or being cancelled) cancels them. ``observers`` are told about the
    run and its items (default: ``proton``'s observers).
    """
    check_concurrency(proton, concurrency, strict=strict)
    if clock is None:
        clock = proton.clock if proton is not None else SystemClock()
    if observers is not None:
        told = observers_of(observers)
    else:
        told = proton.observers if proton is not None else NO_OBSERVERS
    summary: BulkSummary[T, V] = BulkSummary()
    send, receive = anyio.create_memory_object_stream[ItemResult[T, V]](math.inf)
    scope = anyio.CancelScope()
    run = BulkRun(receive, summary, scope)
    workers = _Workers(
        items,
        func,
        send,
        summary,
        fail_fast=fail_fast,
        clock=clock,
        observers=told,
        run=run,
    )
    failure: BaseException | None = None
    with receive:
        async with anyio.create_task_group() as group:
            group.start_soon(workers.run, concurrency, scope)
            try:
                yield run
            except BaseException as exc:
                # Stop the workers, and re-raise outside the task group so the caller
                # gets its own exception back rather than an exception group.
                scope.cancel()
                failure = exc
    if failure is not None:
        raise failure


async def run_bulk(
    items: Iterable[T] | AsyncIterable[T],
    func: Callable[[T], Awaitable[V]],
    *,
    concurrency: int = 8,
    fail_fast: bool = False,
    proton: ProtonClient | None = None,
    strict: bool = False,
    clock: Clock | None = None,
    on_result: Callable[[ItemResult[T, V]], Any] | None = None,
    observers: Iterable[Observer] | Observers | None = None,
) -> BulkSummary[T, V]:
    """Run ``func`` over ``items`` (see :func:`bulk`) and return the summary."""
    async with bulk(
        items,
        func,
        concurrency=concurrency,
        fail_fast=fail_fast,
        proton=proton,
        strict=strict,
        clock=clock,
        observers=observers,
    ) as run:
        async for result in run:
            if on_result is not None:
                outcome = on_result(result)
                if inspect.isawaitable(outcome):
                    await outcome
    return run.summary
