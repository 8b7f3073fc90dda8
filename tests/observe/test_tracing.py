"""OpenTelemetry spans, recorded by the real SDK's in-memory exporter, against the emulator."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.otel import TracingObserver
from aioproton.testing import ProtonFaults
from aioproton.workflow import IdempotentCalls, Rollout, Waiters

from .support import MANIFEST, TEMPLATE_FILE, environment, template


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


async def test_a_throttled_then_successful_call_is_one_span_with_two_attempts(
    proton_emulator: Emulator,
    proton_faults: ProtonFaults,
    proton_clock: ManualClock,
    tracing: TracingObserver,
    exporter: InMemorySpanExporter,
) -> None:
    async with proton_emulator.client(clock=proton_clock, observers=[tracing]) as proton:
        await proton.create_environment_template(name="base")
        exporter.clear()
        proton_faults.throttle(1)
        await proton.get_environment_template(name="base")
    spans = exporter.get_finished_spans()
    [call] = named(spans, "Proton.GetEnvironmentTemplate")
    attempts = children(spans, call)
    assert [s.name for s in attempts] == [
        "Proton.GetEnvironmentTemplate attempt 1",
        "Proton.GetEnvironmentTemplate attempt 2",
    ]
    assert call.parent is None
    assert call.attributes is not None
    assert call.attributes["rpc.system"] == "aws-api"
    assert call.attributes["rpc.service"] == "Proton"
    assert call.attributes["rpc.method"] == "GetEnvironmentTemplate"
    assert call.attributes["cloud.region"] == proton_emulator.region
    assert call.attributes["aws.attempts"] == 2
    assert call.status.is_ok
    first, second = attempts
    assert not first.status.is_ok and first.attributes is not None
    assert first.attributes["error.type"] == "ThrottlingException"
    assert second.attributes is not None and second.attributes["aws.request_id"]
    assert call.attributes["aws.request_id"] == second.attributes["aws.request_id"]
    assert [e.name for e in call.events] == ["retry"]


async def test_a_waits_span_holds_its_polls_and_state_changes(
    proton_emulator: Emulator,
    proton_clock: ManualClock,
    tracing: TracingObserver,
    exporter: InMemorySpanExporter,
) -> None:
    async with proton_emulator.client(clock=proton_clock, observers=[tracing]) as proton:
        await template(proton_emulator, proton)
        await environment(proton_emulator, proton, "prod")
        await IdempotentCalls(clock=proton_clock).call(
            "key/web",
            proton.create_component,
            name="web",
            environment_name="prod",
            manifest=MANIFEST,
            template_file=TEMPLATE_FILE,
        )
        exporter.clear()
        await Waiters(proton).component_deployed("web", timeout=3600)
    spans = exporter.get_finished_spans()
    [wait] = named(spans, "wait ComponentDeployed")
    changes = [e for e in wait.events if e.name == "state_change"]
    assert [e.attributes["aioproton.status"] for e in changes if e.attributes] == [
        "IN_PROGRESS",
        "SUCCEEDED",
    ]
    assert all(
        e.attributes and str(e.attributes["aioproton.target_arn"]).endswith(":component/web")
        for e in changes
    )
    polls = [e for e in wait.events if e.name == "poll"]
    assert len(polls) >= 2
    assert wait.attributes is not None and wait.attributes["aioproton.status"] == "SUCCEEDED"


async def test_an_idempotent_requests_calls_and_a_rollouts_items_are_its_children(
    proton_emulator: Emulator,
    proton_faults: ProtonFaults,
    proton_clock: ManualClock,
    tracing: TracingObserver,
    exporter: InMemorySpanExporter,
) -> None:
    async with proton_emulator.client(clock=proton_clock, observers=[tracing]) as proton:
        await template(proton_emulator, proton, minors=2)
        for name in ("a", "b", "c"):
            await environment(proton_emulator, proton, name)
        exporter.clear()
        proton_faults.drop_after_commit(1.0, operations=["UpdateEnvironment"])
        report = await Rollout(
            proton, environment_template="base", version="1.1", retry=None, concurrency=2
        ).run()
    assert report.ok
    spans = exporter.get_finished_spans()
    [rollout] = named(spans, "rollout base")
    items = children(spans, rollout)
    assert sorted(s.name for s in items if s.name.startswith("rollout item")) == [
        "rollout item environment/a",
        "rollout item environment/b",
        "rollout item environment/c",
    ]
    for item in items:
        if not item.name.startswith("rollout item"):
            continue
        assert item.attributes is not None and item.attributes["aioproton.status"] == "UPDATED"
        [request] = [s for s in children(spans, item) if s.name == "idempotent UpdateEnvironment"]
        # The dropped update, then the read that showed it had taken effect.
        assert [e.attributes["aioproton.verdict"] for e in request.events if e.attributes] == [
            "MATCH"
        ]
        under = {s.name for s in children(spans, request)}
        assert {"Proton.UpdateEnvironment", "Proton.GetEnvironment"} <= under


def test_import_aioproton_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, aioproton, aioproton.workflow, aioproton.observe; "
        "print(any(m.startswith('opentelemetry') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_observers_must_be_observers() -> None:
    with pytest.raises(TypeError, match="Observer instances"):
        aioproton.ProtonClient(observers=[object()])  # type: ignore[list-item]
