"""Bulk runs: bounded concurrency, streamed results, fail-fast, cancellation, summary."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

import aioproton
from aioproton.emulator import Emulator, FaultSettings
from aioproton.workflow import (
    BulkError,
    ConcurrencyWarning,
    ItemResult,
    ItemStatus,
    bulk,
    run_bulk,
)

from ..recipes import World


class Gauge:
    """Counts items entering and leaving, and the most at once."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.entered = 0
        self.left = 0

    def enter(self) -> None:
        self.entered += 1
        self.running += 1
        self.peak = max(self.peak, self.running)

    def leave(self) -> None:
        self.left += 1
        self.running -= 1


async def test_concurrency_is_bounded_and_reached(
    base: World, proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    proton_emulator.faults.configure(
        FaultSettings(latency_min_ms=5, latency_max_ms=10, operations={"GetEnvironment"})
    )
    gauge = Gauge()

    async def read(index: int) -> str:
        gauge.enter()
        try:
            env = await proton_client.get_environment(name="prod")
            return f"{index}:{env.name}"
        finally:
            gauge.leave()

    summary = await run_bulk(range(30), read, concurrency=5, proton=proton_client)
    assert gauge.peak == summary.peak_concurrency == 5
    assert summary.ok
    assert summary.succeeded == 30
    assert sorted(r.value for r in summary.results if r.value) == sorted(
        f"{i}:prod" for i in range(30)
    )
    assert proton_emulator.requests.count(operation="GetEnvironment") >= 30


async def test_results_stream_as_they_finish() -> None:
    async def slow_first(index: int) -> int:
        await anyio.sleep(0.01 * (5 - index))
        return index

    order: list[int] = []
    async with bulk(range(5), slow_first, concurrency=5) as run:
        async for result in run:
            assert result.ok
            order.append(result.index)
    assert order == [4, 3, 2, 1, 0]
    assert run.summary.succeeded == 5


async def test_fail_fast_stops_starting_and_cancels_in_flight() -> None:
    gauge = Gauge()

    async def job(index: int) -> int:
        gauge.enter()
        try:
            if index == 5:
                raise RuntimeError("item 5 broke")
            await anyio.sleep(0.05 if index > 5 else 0)
            return index
        finally:
            gauge.leave()

    summary = await run_bulk(range(20), job, concurrency=4, fail_fast=True)
    assert summary.stopped_early
    assert summary.failed == 1
    assert str(summary.failures[0].error) == "item 5 broke"
    assert summary.cancelled >= 1
    assert summary.not_started >= 10
    assert len(summary.results) == 20, "every item is accounted for"
    assert gauge.entered == gauge.left <= 9
    assert not summary.ok
    with pytest.raises(BulkError, match="1 failed") as caught:
        summary.raise_for_failures()
    assert caught.value.summary is summary


async def test_without_fail_fast_every_item_runs_and_failures_are_summed() -> None:
    async def job(index: int) -> int:
        if index % 3 == 0:
            raise ValueError(f"bad {index}")
        return index

    summary = await run_bulk(range(9), job, concurrency=2)
    assert (summary.succeeded, summary.failed, summary.not_started) == (6, 3, 0)
    assert str(summary) == "9 items: 6 succeeded, 3 failed, 0 cancelled, 0 not started"
    with pytest.raises(BulkError):
        summary.raise_for_failures()


async def test_cancelling_the_caller_leaves_no_task_behind() -> None:
    gauge = Gauge()
    started = anyio.Event()

    async def forever(index: int) -> None:
        gauge.enter()
        try:
            started.set()
            await anyio.sleep_forever()
        finally:
            gauge.leave()

    seen: list[ItemResult[int, None]] = []
    with anyio.move_on_after(5) as scope:
        async with anyio.create_task_group() as group:

            async def consume() -> None:
                async with bulk(range(100), forever, concurrency=6) as run:
                    async for result in run:
                        seen.append(result)

            group.start_soon(consume)
            await started.wait()
            group.cancel_scope.cancel()
    assert not scope.cancelled_caught
    assert gauge.entered >= 1
    assert gauge.entered == gauge.left
    assert gauge.running == 0


async def test_leaving_the_block_early_cancels_the_rest() -> None:
    gauge = Gauge()

    async def job(index: int) -> int:
        gauge.enter()
        try:
            await anyio.sleep(0 if index == 0 else 10)
            return index
        finally:
            gauge.leave()

    async def consume() -> None:
        async with bulk(range(50), job, concurrency=3) as run:
            async for result in run:
                raise LookupError(f"stop at {result.index}")

    with pytest.raises(LookupError, match="stop at 0"):
        await consume()
    assert gauge.running == 0
    assert gauge.entered == gauge.left


async def test_async_iterables_and_stop(base: World, proton_client: aioproton.ProtonClient) -> None:
    await base.environment("dev")

    async def name_of(env: aioproton.models.EnvironmentSummary) -> str:
        return env.name

    summary = await run_bulk(proton_client.paginate.list_environments(), name_of, concurrency=2)
    assert sorted(r.value for r in summary.results if r.value) == ["dev", "prod"]

    async def numbers() -> AsyncIterator[int]:
        for number in range(1000):
            yield number

    async with bulk(numbers(), anyio.sleep, concurrency=2) as run:
        run.stop()
    assert run.summary.unfinished_input
    assert not run.summary.ok


async def test_concurrency_above_the_pool_warns_or_is_refused(proton_emulator: Emulator) -> None:
    async def nothing(index: int) -> None:
        return None

    async with aioproton.ProtonClient(
        **proton_emulator.client_settings, max_pool_connections=2
    ) as small:
        with pytest.warns(ConcurrencyWarning, match="max_concurrency 2"):
            summary = await run_bulk(range(4), nothing, concurrency=3, proton=small)
        assert summary.ok
        with pytest.raises(ValueError, match="exceeds"):
            await run_bulk(range(4), nothing, concurrency=3, proton=small, strict=True)
        with pytest.raises(ValueError, match="at least 1"):
            await run_bulk(range(4), nothing, concurrency=0)
    assert [r.status for r in summary.results] == [ItemStatus.SUCCEEDED] * 4
