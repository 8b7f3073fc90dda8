"""OpenTelemetry traces: a span per call, attempt, wait, idempotent request and rollout.

:class:`aioproton.otel.TracingObserver` (``pip install 'aioproton[otel]'``) opens the
spans; any OpenTelemetry SDK setup exports them. This example records them in memory
and prints the span tree: a create whose answer was lost, then throttled, shows its
attempts as children, and a wait its state changes as events.

``opentelemetry-instrumentation-botocore`` sees only ``proton.raw`` calls (typed calls
do not go through botocore): enable it too if you use ``proton.raw``, and the two never
report the same request twice.

    pip install 'aioproton[otel]' opentelemetry-sdk
    python examples/otel_tracing.py
"""

from __future__ import annotations

import anyio
from _workload import daemon_client, run
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aioproton.otel import TracingObserver


def print_tree(spans: tuple[ReadableSpan, ...]) -> None:
    """Each span under its parent, with its events (the polls folded into a count)."""
    by_parent: dict[int | None, list[ReadableSpan]] = {}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        parent = span.parent.span_id if span.parent is not None else None
        by_parent.setdefault(parent, []).append(span)

    def show(span: ReadableSpan, depth: int) -> None:
        status = "" if span.status.is_ok else f"  [{span.status.description}]"
        print(f"{'  ' * depth}{span.name}{status}")
        polls = sum(1 for e in span.events if e.name == "poll")
        if polls:
            print(f"{'  ' * depth}  . {polls} polls")
        for event in span.events:
            if event.name not in ("poll", "exception"):
                attributes = dict(event.attributes or {})
                print(f"{'  ' * depth}  . {event.name} {attributes}")
        assert span.context is not None
        for child in by_parent.get(span.context.span_id, []):
            show(child, depth + 1)

    for root in by_parent.get(None, []):
        show(root, 0)


async def main() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with daemon_client(observers=[TracingObserver(provider)]) as (proton, emulator):
        await run(proton, emulator, components=1)
    print_tree(exporter.get_finished_spans())
    provider.shutdown()


if __name__ == "__main__":
    anyio.run(main)
