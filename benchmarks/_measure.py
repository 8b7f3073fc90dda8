"""How one client is timed: latency, throughput and pagination, async or threaded.

Only the steady state is timed: the latency and throughput functions warm the client
up themselves (connections open, models loaded, caches filled); the pagination ones
expect the caller to have read one page first. CPU time is ``time.process_time`` of the
client process: every thread of it, nothing of the emulator's.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import anyio

_WARMUP_CALLS = 10


def _per_task(calls: int, concurrency: int) -> int:
    return max(1, calls // concurrency)


# ---------------------------------------------------------------------- async clients


async def latency(get: Callable[[], Awaitable[object]], calls: int) -> dict[str, float]:
    """Median wall time of one call in sequence, and the client CPU per call (µs)."""
    for _ in range(_WARMUP_CALLS):
        await get()
    samples = []
    cpu = time.process_time()
    for _ in range(calls):
        started = time.perf_counter()
        await get()
        samples.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu
    return {"latency_us": statistics.median(samples) * 1e6, "cpu_us": cpu / calls * 1e6}


async def throughput(get: Callable[[], Awaitable[object]], calls: int, concurrency: int) -> float:
    """Calls per second with ``concurrency`` tasks calling back to back."""

    async def caller(count: int) -> None:
        for _ in range(count):
            await get()

    async def run(count: int) -> float:
        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(caller, count)
        return time.perf_counter() - started

    await run(2)  # opens every connection of the pool
    per_task = _per_task(calls, concurrency)
    return per_task * concurrency / await run(per_task)


async def page_time(count: Callable[[], Awaitable[int]], expected: int) -> dict[str, float]:
    """Wall and client CPU seconds to page through every item (after an untimed ``warm``)."""
    started, cpu = time.perf_counter(), time.process_time()
    items = await count()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    _check(items, expected)
    return {"page_seconds": seconds, "page_cpu": cpu}


async def page_memory(count: Callable[[], Awaitable[int]], expected: int) -> float:
    """Peak traced memory (bytes) while paging through every item.

    A pass of its own, because tracemalloc slows every allocation down.
    """
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        _check(await count(), expected)
        return float(tracemalloc.get_traced_memory()[1] - baseline)
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------- threaded clients


def latency_sync(get: Callable[[], object], calls: int) -> dict[str, float]:
    """:func:`latency` for a blocking client, called from the main thread."""
    for _ in range(_WARMUP_CALLS):
        get()
    samples = []
    cpu = time.process_time()
    for _ in range(calls):
        started = time.perf_counter()
        get()
        samples.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu
    return {"latency_us": statistics.median(samples) * 1e6, "cpu_us": cpu / calls * 1e6}


def throughput_sync(get: Callable[[], object], calls: int, concurrency: int) -> float:
    """Calls per second with one thread per concurrent caller, sharing one client."""

    def caller(count: int) -> None:
        for _ in range(count):
            get()

    with ThreadPoolExecutor(max_workers=concurrency) as pool:

        def run(count: int) -> float:
            started = time.perf_counter()
            for future in [pool.submit(caller, count) for _ in range(concurrency)]:
                future.result()
            return time.perf_counter() - started

        run(2)  # starts every thread and opens every connection
        per_task = _per_task(calls, concurrency)
        return per_task * concurrency / run(per_task)


def page_time_sync(count: Callable[[], int], expected: int) -> dict[str, float]:
    """:func:`page_time` for a blocking client."""
    started, cpu = time.perf_counter(), time.process_time()
    items = count()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    _check(items, expected)
    return {"page_seconds": seconds, "page_cpu": cpu}


def page_memory_sync(count: Callable[[], int], expected: int) -> float:
    """:func:`page_memory` for a blocking client."""
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        _check(count(), expected)
        return float(tracemalloc.get_traced_memory()[1] - baseline)
    finally:
        tracemalloc.stop()


def _check(items: int, expected: int) -> None:
    if items != expected:
        raise RuntimeError(f"the listing returned {items} items, expected {expected}")
