"""How one client is timed: CPU per call, throughput and CPU per listed item.

Only the steady state is timed: each function warms the client up itself (connections
open, models loaded, caches filled), except the listing, whose caller reads one page
first. CPU time is ``time.process_time`` of the client process: every thread of it,
nothing of the server's.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import anyio

_WARMUP_CALLS = 10


def _per_task(calls: int, concurrency: int) -> int:
    return max(1, calls // concurrency)


# ---------------------------------------------------------------------- async clients


async def cpu_per_call(get: Callable[[], Awaitable[object]], calls: int) -> float:
    """Client CPU per call (us), ``calls`` calls one after the other."""
    for _ in range(_WARMUP_CALLS):
        await get()
    cpu = time.process_time()
    for _ in range(calls):
        await get()
    return (time.process_time() - cpu) / calls * 1e6


async def throughput(
    get: Callable[[], Awaitable[object]], calls: int, concurrency: int
) -> tuple[float, float]:
    """Calls per second with ``concurrency`` tasks calling back to back, and CPU per call (us)."""

    async def caller(count: int) -> None:
        for _ in range(count):
            await get()

    async def run(count: int) -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(caller, count)
        return time.perf_counter() - started, time.process_time() - cpu

    await run(2)  # opens every connection of the pool
    per_task = _per_task(calls, concurrency)
    seconds, cpu = await run(per_task)
    total = per_task * concurrency
    return total / seconds, cpu / total * 1e6


async def cpu_per_item(count: Callable[[], Awaitable[int]], expected: int) -> float:
    """Client CPU per item (us) to page through every item (after an untimed ``warm``)."""
    cpu = time.process_time()
    items = await count()
    cpu = time.process_time() - cpu
    _check(items, expected)
    return cpu / items * 1e6


# ---------------------------------------------------------------------- threaded clients


def cpu_per_call_sync(get: Callable[[], object], calls: int) -> float:
    """:func:`cpu_per_call` for a blocking client, called from the main thread."""
    for _ in range(_WARMUP_CALLS):
        get()
    cpu = time.process_time()
    for _ in range(calls):
        get()
    return (time.process_time() - cpu) / calls * 1e6


def throughput_sync(get: Callable[[], object], calls: int, concurrency: int) -> tuple[float, float]:
    """:func:`throughput` with one thread per concurrent caller, sharing one client."""

    def caller(count: int) -> None:
        for _ in range(count):
            get()

    with ThreadPoolExecutor(max_workers=concurrency) as pool:

        def run(count: int) -> tuple[float, float]:
            started, cpu = time.perf_counter(), time.process_time()
            for future in [pool.submit(caller, count) for _ in range(concurrency)]:
                future.result()
            return time.perf_counter() - started, time.process_time() - cpu

        run(2)  # starts every thread and opens every connection
        per_task = _per_task(calls, concurrency)
        seconds, cpu = run(per_task)
        total = per_task * concurrency
        return total / seconds, cpu / total * 1e6


def cpu_per_item_sync(count: Callable[[], int], expected: int) -> float:
    """:func:`cpu_per_item` for a blocking client."""
    cpu = time.process_time()
    items = count()
    cpu = time.process_time() - cpu
    _check(items, expected)
    return cpu / items * 1e6


def _check(items: int, expected: int) -> None:
    if items != expected:
        raise RuntimeError(f"the listing returned {items} items, expected {expected}")
