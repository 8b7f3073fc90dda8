"""Bulk runs and safe cancels, as observers, log records and OpenTelemetry spans see them."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import aioproton
from aioproton import _logfields as F
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.errors import ResourceNotFoundError, ThrottlingError
from aioproton.otel import TracingObserver
from aioproton.testing import ProtonFaults
from aioproton.workflow import (
    CancelOutcome,
    EnvironmentTarget,
    ItemStatus,
    Waiters,
    cancel_deployment,
    cancel_on_exit,
    run_bulk,
)

from .support import collecting, environment, template
from .test_observers import Record


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


@pytest.fixture
def tracing(exporter: InMemorySpanExporter) -> Iterator[TracingObserver]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield TracingObserver(tracer_provider=provider)
    provider.shutdown()


def children(spans: tuple[ReadableSpan, ...], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


def named(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


async def deploying(emulator: Emulator, proton: aioproton.ProtonClient, name: str) -> str:
    """An environment ``name`` with an update deployment in progress; its deployment id."""
    await template(emulator, proton)
    await environment(emulator, proton, name)
    updated = await proton.update_environment(name=name, deployment_type="CURRENT_VERSION")
    assert updated.deployment_status == "IN_PROGRESS"
    assert updated.last_attempted_deployment_id is not None
    return updated.last_attempted_deployment_id


# ---------------------------------------------------------------------- bulk runs


async def test_a_bulk_run_tells_its_start_each_item_and_its_counts_and_logs_them(
    proton_emulator: Emulator, proton_clock: ManualClock
) -> None:
    record = Record()
    async with proton_emulator.client(clock=proton_clock, observers=[record]) as proton:
        await template(proton_emulator, proton)
        await environment(proton_emulator, proton, "a")
        with collecting("aioproton.workflow.bulk") as log:
            summary = await run_bulk(
                ["a", "missing"],
                lambda name: proton.get_environment(name=name),
                concurrency=2,
                proton=proton,
            )
    assert [r.status for r in summary.results if r.item == "missing"] == [ItemStatus.FAILED]
    [start] = record.hooks("on_bulk_start")
    assert (start.items, start.concurrency, start.fail_fast) == (2, 2, False)
    assert sorted((e.index, e.key) for e in record.hooks("on_bulk_item_start")) == [
        (0, "a"),
        (1, "missing"),
    ]
    ended = {e.key: e for e in record.hooks("on_bulk_item")}
    assert ended["a"].status == "SUCCEEDED" and ended["a"].error is None
    assert ended["missing"].status == "FAILED"
    assert isinstance(ended["missing"].error, ResourceNotFoundError)
    [end] = record.hooks("on_bulk_end")
    assert (end.succeeded, end.failed, end.cancelled, end.not_started) == (1, 1, 0, 0)
    # Every event names the same run.
    runs = {id(e.run) for e in [start, end, *ended.values(), *record.hooks("on_bulk_item_start")]}
    assert len(runs) == 1
    began, finished = [r for r in log.records if r.levelno == logging.INFO]
    assert (getattr(began, F.ITEMS), getattr(began, F.CONCURRENCY)) == (2, 2)
    assert (getattr(finished, F.SUCCEEDED), getattr(finished, F.FAILED)) == (1, 1)


async def test_a_fail_fast_run_tells_its_skipped_items_and_names_objects_by_index(
    proton_client: aioproton.ProtonClient,
) -> None:
    record = Record()

    async def fail_first(item: object) -> object:
        if item is items[0]:
            raise ValueError("the first item is bad")
        return item

    items = [object(), object(), object()]
    # No client: the observers are given to the run itself.
    summary = await run_bulk(items, fail_first, concurrency=1, fail_fast=True, observers=[record])
    assert summary.stopped_early
    assert [(e.key, e.status) for e in record.hooks("on_bulk_item")] == [
        ("#0", "FAILED"),
        ("#1", "SKIPPED"),
        ("#2", "SKIPPED"),
    ]
    assert isinstance(record.hooks("on_bulk_item")[0].error, ValueError)
    [end] = record.hooks("on_bulk_end")
    assert (end.failed, end.not_started, end.stopped_early) == (1, 2, True)
    # Targets are named by their path.
    await run_bulk([EnvironmentTarget("prod")], lambda t: t.get(proton_client), observers=[record])
    assert record.hooks("on_bulk_item")[-1].key == "environment/prod"


async def test_a_bulk_runs_span_has_a_child_per_item_holding_that_items_calls(
    proton_emulator: Emulator,
    proton_clock: ManualClock,
    tracing: TracingObserver,
    exporter: InMemorySpanExporter,
) -> None:
    async with proton_emulator.client(clock=proton_clock, observers=[tracing]) as proton:
        await template(proton_emulator, proton)
        for name in ("a", "b"):
            await environment(proton_emulator, proton, name)
        exporter.clear()
        await run_bulk(
            ["a", "b", "missing"],
            lambda name: proton.get_environment(name=name),
            concurrency=2,
            proton=proton,
        )
    spans = exporter.get_finished_spans()
    [run] = named(spans, "bulk run")
    assert run.parent is None
    assert run.attributes is not None
    assert run.attributes["aioproton.items"] == 3
    assert run.attributes["aioproton.concurrency"] == 2
    assert (run.attributes["aioproton.succeeded"], run.attributes["aioproton.failed"]) == (2, 1)
    assert not run.status.is_ok
    items = {s.name: s for s in children(spans, run)}
    assert sorted(items) == ["bulk item a", "bulk item b", "bulk item missing"]
    for item in items.values():
        assert [s.name for s in children(spans, item)] == ["Proton.GetEnvironment"]
    failed = items["bulk item missing"]
    assert failed.attributes is not None and failed.attributes["aioproton.status"] == "FAILED"
    assert failed.attributes["error.type"] == "ResourceNotFoundException"
    assert not failed.status.is_ok
    assert items["bulk item a"].status.is_ok


# ---------------------------------------------------------------------- safe cancel


async def test_a_safe_cancel_tells_and_logs_its_decisions_and_its_span_holds_its_calls(
    proton_emulator: Emulator,
    proton_clock: ManualClock,
    tracing: TracingObserver,
    exporter: InMemorySpanExporter,
) -> None:
    record = Record()
    async with proton_emulator.client(clock=proton_clock, observers=[record, tracing]) as proton:
        deployment = await deploying(proton_emulator, proton, "prod")
        exporter.clear()
        with collecting("aioproton.workflow") as log:
            result = await cancel_deployment(proton, environment="prod", timeout=600)
            again = await cancel_deployment(proton, environment="prod", timeout=600)
    assert result.outcome is CancelOutcome.CANCELLED
    assert again.outcome is CancelOutcome.NOTHING_TO_CANCEL
    assert [(e.target, e.deployment_id) for e in record.hooks("on_cancel_start")] == [
        ("environment/prod", None)
    ] * 2
    assert [(e.outcome, e.deployment_id, e.gave_up) for e in record.hooks("on_cancel_end")] == [
        ("CANCELLED", deployment, False),
        ("NOTHING_TO_CANCEL", deployment, False),
    ]
    told = [
        (r.getMessage().split(" ")[0], getattr(r, F.OUTCOME), getattr(r, F.DEPLOYMENT_ID))
        for r in log.named("aioproton.workflow")
    ]
    assert told == [
        ("cancelling", None, deployment),
        ("cancel", "CANCELLED", deployment),
        ("not", None, deployment),
        ("cancel", "NOTHING_TO_CANCEL", deployment),
    ]
    assert all(getattr(r, F.TARGET) == "environment/prod" for r in log.records)
    spans = exporter.get_finished_spans()
    first, second = named(spans, "cancel environment/prod")
    assert first.attributes is not None and first.attributes["aioproton.outcome"] == "CANCELLED"
    assert first.attributes["aioproton.deployment_id"] == deployment
    under = [s.name for s in children(spans, first)]
    assert under[:2] == ["Proton.GetEnvironment", "Proton.CancelEnvironmentDeployment"]
    [wait] = [s for s in children(spans, first) if s.name.startswith("wait ")]
    # The wait's span is current while it polls: its reads are its children.
    polls = children(spans, wait)
    assert polls and {s.name for s in polls} == {"Proton.GetEnvironment"}
    assert second.attributes is not None
    assert second.attributes["aioproton.outcome"] == "NOTHING_TO_CANCEL"


async def test_a_cancel_that_gives_up_says_so_to_observers_spans_and_logs(
    proton_emulator: Emulator,
    proton_faults: ProtonFaults,
    proton_clock: ManualClock,
    tracing: TracingObserver,
    exporter: InMemorySpanExporter,
) -> None:
    record = Record()
    async with proton_emulator.client(clock=proton_clock, observers=[record, tracing]) as proton:
        deployment = await deploying(proton_emulator, proton, "prod")
        exporter.clear()
        proton_faults.throttle(rate=1.0, operations=["CancelEnvironmentDeployment"])
        with pytest.raises(ThrottlingError):
            await cancel_deployment(
                proton, environment="prod", timeout=600, deployment_id=deployment
            )
        with (
            collecting("aioproton.workflow") as log,
            pytest.raises(RuntimeError, match="deploy script broke"),
        ):
            async with cancel_on_exit(proton, environment="prod", on_error=True) as guard:
                raise RuntimeError("deploy script broke")
    assert isinstance(guard.error, ThrottlingError)
    ends = record.hooks("on_cancel_end")
    assert [(e.outcome, e.gave_up, e.deployment_id) for e in ends] == [
        (None, True, deployment),
        (None, True, None),
    ]
    assert all(isinstance(e.error, ThrottlingError) for e in ends)
    [warning] = [r for r in log.records if r.levelno == logging.WARNING]
    assert getattr(warning, F.TARGET) == "environment/prod"
    assert getattr(warning, F.DEPLOYMENT_ID) is None
    assert getattr(warning, F.ERROR_CODE) == "ThrottlingException"
    spans = named(exporter.get_finished_spans(), "cancel environment/prod")
    assert len(spans) == 2
    for span in spans:
        assert span.attributes is not None and span.attributes["aioproton.outcome"] == "GAVE_UP"
        assert span.attributes["error.type"] == "ThrottlingException"
        assert not span.status.is_ok


async def test_calls_made_between_a_waits_changes_stay_outside_its_span(
    proton_emulator: Emulator,
    proton_clock: ManualClock,
    tracing: TracingObserver,
    exporter: InMemorySpanExporter,
) -> None:
    async with proton_emulator.client(clock=proton_clock, observers=[tracing]) as proton:
        await deploying(proton_emulator, proton, "prod")
        exporter.clear()
        waiter = Waiters(proton).environment_deployed("prod", timeout=3600)
        async for _ in waiter.progress():
            await proton.get_environment_template(name="base")
    spans = exporter.get_finished_spans()
    [wait] = named(spans, "wait EnvironmentDeployed")
    # Its polls, and the history lookup that paces them, are the wait's.
    assert {s.name for s in children(spans, wait)} == {
        "Proton.GetEnvironment",
        "Proton.ListDeployments",
    }
    mine = named(spans, "Proton.GetEnvironmentTemplate")
    assert mine and all(s.parent is None for s in mine)
