"""Prometheus metrics from aioproton's observer hooks.

An :class:`aioproton.Observer` subclass turns the hooks into counters and histograms:
attempts by operation and outcome, throttles, retries, call latency, calls in flight,
and waiter lag (how long after a deployment started each poll saw it). A daemon would
serve them with ``prometheus_client.start_http_server(9100)``; this example runs the
workload against an embedded emulator and prints the exposition text instead.

    pip install prometheus-client
    python examples/prometheus_metrics.py
"""

from __future__ import annotations

import anyio
from _workload import daemon_client, run
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from aioproton import (
    AttemptEnded,
    CallEnded,
    CallStarted,
    Observer,
    Polled,
    Reconciled,
    Retrying,
    StateChanged,
)


class PrometheusObserver(Observer):
    """Client and waiter metrics, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.attempts = Counter(
            "proton_attempts", "HTTP attempts", ["operation", "outcome"], registry=registry
        )
        self.throttles = Counter(
            "proton_throttles", "Throttled attempts", ["operation"], registry=registry
        )
        self.retries = Counter(
            "proton_retries", "Attempts repeated", ["operation", "error_code"], registry=registry
        )
        self.latency = Histogram(
            "proton_call_seconds",
            "Client call latency, retries included",
            ["operation"],
            registry=registry,
        )
        self.in_flight = Gauge("proton_calls_in_flight", "Client calls running", registry=registry)
        self.waiter_lag = Histogram(
            "proton_waiter_lag_seconds",
            "Clock seconds between a deployment's start and each poll",
            ["waiter"],
            buckets=(5, 15, 30, 60, 120, 300, 900, 3600),
            registry=registry,
        )
        self.state_changes = Counter(
            "proton_state_changes",
            "Statuses seen by waiters",
            ["waiter", "status"],
            registry=registry,
        )
        self.verdicts = Counter(
            "proton_reconcile_verdicts",
            "What reads after unclear outcomes showed",
            ["operation", "verdict"],
            registry=registry,
        )

    def on_call_start(self, event: CallStarted) -> None:
        self.in_flight.inc()

    def on_attempt_end(self, event: AttemptEnded) -> None:
        outcome = "ok" if event.error is None else event.error.code
        self.attempts.labels(event.operation, outcome).inc()
        if event.error is not None and event.error.code == "ThrottlingException":
            self.throttles.labels(event.operation).inc()

    def on_retry(self, event: Retrying) -> None:
        self.retries.labels(event.operation, event.error.code).inc()

    def on_call_end(self, event: CallEnded) -> None:
        self.in_flight.dec()
        self.latency.labels(event.operation).observe(event.seconds)

    def on_poll(self, event: Polled) -> None:
        if event.lag is not None:
            self.waiter_lag.labels(event.waiter).observe(event.lag)

    def on_state_change(self, event: StateChanged) -> None:
        self.state_changes.labels(event.change.waiter, event.change.status).inc()

    def on_reconcile(self, event: Reconciled) -> None:
        self.verdicts.labels(event.operation, event.verdict).inc()


async def main() -> None:
    registry = CollectorRegistry()
    async with daemon_client(observers=[PrometheusObserver(registry)]) as (proton, emulator):
        await run(proton, emulator)
    print(generate_latest(registry).decode())


if __name__ == "__main__":
    anyio.run(main)
