"""OpenTelemetry traces for aioproton, as an :class:`~aioproton.observe.Observer`.

Install the extra (``pip install 'aioproton[otel]'``) and pass a :class:`TracingObserver`::

    async with ProtonClient(observers=[TracingObserver()]) as proton: ...

Spans: one per logical client call (``Proton.GetEnvironment``) with one child per HTTP
attempt, so a throttled-then-successful call is one span with two attempt children;
one per wait, its polls and state changes as events and its polls' client calls as
children; one per idempotent request, its reconciliation verdicts as events and its
client calls (reconcile reads included) as children; one per rollout with a child per
item; one per bulk run with a child per item that started (the calls an item makes are
that item's children, so a 500-item run reads as 500 collapsible items rather than one
flat list of thousands of calls; the run's counts are attributes of its span); one per
safe cancel, holding its reads, its cancel call and its wait. Attributes follow the OpenTelemetry
conventions for AWS SDK calls: ``rpc.system=aws-api``, ``rpc.service=Proton``,
``rpc.method``, ``aws.request_id``, ``cloud.region``.

``opentelemetry-instrumentation-botocore`` sees only ``proton.raw`` calls (typed calls
do not go through botocore), so enabling both gives each call exactly one span tree.

This module imports ``opentelemetry``; ``import aioproton`` never does.
"""

from __future__ import annotations

import contextvars
import weakref
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from .observe import (
    AttemptEnded,
    AttemptStarted,
    BulkEnded,
    BulkItemEnded,
    BulkItemStarted,
    BulkStarted,
    CallEnded,
    CallStarted,
    CancelEnded,
    CancelRequested,
    Observer,
    Polled,
    Reconciled,
    RequestEnded,
    RequestStarted,
    Retrying,
    RolloutEnded,
    RolloutItemEnded,
    RolloutItemStarted,
    RolloutStarted,
    StateChanged,
    WaitEnded,
    WaitStarted,
    current_wait,
)

__all__ = ["TracingObserver"]

_SERVICE = "Proton"

#: The spans open in this task, innermost last, each with its context token and kind.
_Open = tuple[tuple[Span, object, str], ...]


class TracingObserver(Observer):
    """Turns aioproton's hooks into OpenTelemetry spans (``tracer_provider``: default global)."""

    def __init__(self, tracer_provider: trace.TracerProvider | None = None) -> None:
        self._tracer = trace.get_tracer("aioproton", tracer_provider=tracer_provider)
        self._open: contextvars.ContextVar[_Open] = contextvars.ContextVar(
            f"aioproton-spans-{id(self)}", default=()
        )
        # Keyed by the waiter itself: a wait abandoned half-way leaves nothing behind.
        self._waits: weakref.WeakKeyDictionary[object, Span] = weakref.WeakKeyDictionary()

    # ------------------------------------------------------------------ nesting

    def _push(
        self,
        what: str,
        name: str,
        kind: SpanKind,
        attributes: dict[str, Any],
        parent: Span | None = None,
    ) -> None:
        under = None if parent is None else trace.set_span_in_context(parent)
        span = self._tracer.start_span(name, context=under, kind=kind, attributes=attributes)
        token = context.attach(trace.set_span_in_context(span))
        self._open.set((*self._open.get(), (span, token, what)))

    def _top(self, what: str) -> Span | None:
        stack = self._open.get()
        return stack[-1][0] if stack and stack[-1][2] == what else None

    def _innermost(self, what: str) -> Span | None:
        """The innermost open ``what`` span, even with spans left open inside it."""
        for span, _, kind in reversed(self._open.get()):
            if kind == what:
                return span
        return None

    def _pop(self, what: str, error: BaseException | None) -> None:
        """End the innermost ``what`` span, and any span left open inside it."""
        stack = self._open.get()
        if not any(kind == what for _, _, kind in stack):
            return
        while stack:
            span, token, kind = stack[-1]
            stack = stack[:-1]
            self._open.set(stack)
            context.detach(token)  # type: ignore[arg-type]
            _end(span, error if kind == what else None)
            if kind == what:
                return

    def _close(self, what: str, error: BaseException | None, attributes: dict[str, Any]) -> None:
        """End the innermost ``what`` span with those ``attributes`` that are known."""
        span = self._innermost(what)
        if span is not None:
            known = {key: value for key, value in attributes.items() if value not in (None, "")}
            span.set_attributes(known)
        self._pop(what, error)

    # ------------------------------------------------------------------ calls

    def on_call_start(self, event: CallStarted) -> None:
        """Open a CLIENT span for the call, named ``Proton.<operation>``."""
        attributes = {
            "rpc.system": "aws-api",
            "rpc.service": _SERVICE,
            "rpc.method": event.operation,
        }
        if event.region:
            attributes["cloud.region"] = event.region
        # A poll's calls belong to its wait, whose span is current only while it polls.
        wait = current_wait()
        parent = None if wait is None else self._waits.get(wait)
        self._push("call", f"{_SERVICE}.{event.operation}", SpanKind.CLIENT, attributes, parent)

    def on_attempt(self, event: AttemptStarted) -> None:
        """Open a span for the attempt inside the call's span."""
        self._push(
            "attempt",
            f"{_SERVICE}.{event.operation} attempt {event.attempt}",
            SpanKind.INTERNAL,
            {
                "rpc.system": "aws-api",
                "rpc.service": _SERVICE,
                "rpc.method": event.operation,
                "aws.attempt": event.attempt,
            },
        )

    def on_attempt_end(self, event: AttemptEnded) -> None:
        """Close the attempt span; put the request id on it and on the call span."""
        self._close("attempt", event.error, {"aws.request_id": event.request_id})
        call = self._top("call")
        if call is not None and event.request_id:
            call.set_attribute("aws.request_id", event.request_id)

    def on_retry(self, event: Retrying) -> None:
        """Add a ``retry`` event (attempt, delay, error code) to the call span."""
        call = self._top("call")
        if call is not None:
            call.add_event(
                "retry",
                {
                    "aws.attempt": event.attempt,
                    "delay": event.delay,
                    "error.type": event.error.code,
                },
            )

    def on_call_end(self, event: CallEnded) -> None:
        """Record the attempt count and close the call span."""
        self._close("call", event.error, {"aws.attempts": event.attempts})

    # ------------------------------------------------------------------ waits

    def on_wait_start(self, event: WaitStarted) -> None:
        """Start a ``wait <waiter>`` span, the parent of its polls' calls only."""
        # A wait may be iterated one change at a time from the caller's loop, so its
        # span is not attached to the context: it parents the calls made while the wait
        # is polling (``current_wait``), and the caller's own calls stay where they belong.
        self._waits[event.wait] = self._tracer.start_span(
            f"wait {event.waiter}",
            attributes={"aioproton.waiter": event.waiter, "aioproton.target": event.subject},
        )

    def on_poll(self, event: Polled) -> None:
        """Add a ``poll`` event (attempt, status or error) to the wait's span."""
        span = self._waits.get(event.wait)
        if span is not None:
            attributes: dict[str, Any] = {"aioproton.poll": event.attempt}
            if event.status is not None:
                attributes["aioproton.status"] = event.status
            if event.error is not None:
                attributes["error.type"] = event.error.code
            span.add_event("poll", attributes)

    def on_state_change(self, event: StateChanged) -> None:
        """Add a ``state_change`` event (status, previous status, ARN, deployment) to the wait."""
        span = self._waits.get(event.wait)
        if span is None:
            return
        change = event.change
        attributes = {"aioproton.status": change.status, "aioproton.poll": change.attempt}
        if change.previous is not None:
            attributes["aioproton.previous_status"] = change.previous
        if change.arn:
            attributes["aioproton.target_arn"] = change.arn
        if change.deployment_id:
            attributes["aioproton.deployment_id"] = change.deployment_id
        span.add_event("state_change", attributes)

    def on_wait_end(self, event: WaitEnded) -> None:
        """Record the poll count and final status and end the wait's span."""
        span = self._waits.pop(event.wait, None)
        if span is not None:
            span.set_attribute("aioproton.polls", event.polls)
            if event.status is not None:
                span.set_attribute("aioproton.status", event.status)
            _end(span, event.error)

    # ------------------------------------------------------------------ idempotent requests

    def on_request_start(self, event: RequestStarted) -> None:
        """Open a span for the idempotent request, with its idempotency key."""
        attributes: dict[str, Any] = {"rpc.method": event.operation}
        if event.key is not None:
            attributes["aioproton.idempotency_key"] = event.key
        self._push("request", f"idempotent {event.operation}", SpanKind.INTERNAL, attributes)

    def on_reconcile(self, event: Reconciled) -> None:
        """Add a ``reconcile`` event (verdict, error code) to the request span."""
        request = self._top("request")
        if request is not None:
            request.add_event(
                "reconcile", {"aioproton.verdict": event.verdict, "error.type": event.error.code}
            )

    def on_request_end(self, event: RequestEnded) -> None:
        """Close the idempotent request's span."""
        self._pop("request", event.error)

    # ------------------------------------------------------------------ rollouts

    def on_rollout_start(self, event: RolloutStarted) -> None:
        """Open a ``rollout <template>`` span with the version and item count."""
        self._push(
            "rollout",
            f"rollout {event.template}",
            SpanKind.INTERNAL,
            {
                "aioproton.template": event.template,
                "aioproton.version": event.version,
                "aioproton.items": event.items,
            },
        )

    def on_rollout_item_start(self, event: RolloutItemStarted) -> None:
        """Open a span for the rollout item inside the rollout's span."""
        attributes = {"aioproton.target": event.target}
        self._push("item", f"rollout item {event.target}", SpanKind.INTERNAL, attributes)

    def on_rollout_item(self, event: RolloutItemEnded) -> None:
        """Record the item's status and deployment id and close its span."""
        attributes = {
            "aioproton.status": event.status,
            "aioproton.deployment_id": event.deployment_id,
        }
        self._close("item", event.error, attributes)

    def on_rollout_end(self, event: RolloutEnded) -> None:
        """Close the rollout's span."""
        self._pop("rollout", event.error)

    # ------------------------------------------------------------------ bulk runs

    def on_bulk_start(self, event: BulkStarted) -> None:
        """Open a ``bulk run`` span with the item count and concurrency."""
        attributes: dict[str, Any] = {
            "aioproton.concurrency": event.concurrency,
            "aioproton.fail_fast": event.fail_fast,
        }
        if event.items is not None:
            attributes["aioproton.items"] = event.items
        self._push("bulk", "bulk run", SpanKind.INTERNAL, attributes)

    def on_bulk_item_start(self, event: BulkItemStarted) -> None:
        """Open a ``bulk item <key>`` span inside the run's span."""
        attributes = {"aioproton.item": event.key, "aioproton.index": event.index}
        self._push("bulk_item", f"bulk item {event.key}", SpanKind.INTERNAL, attributes)

    def on_bulk_item(self, event: BulkItemEnded) -> None:
        """Record the item's status and close its span (a never-started item has none)."""
        self._close("bulk_item", event.error, {"aioproton.status": event.status})

    def on_bulk_end(self, event: BulkEnded) -> None:
        """Put the run's counts on its span and close it (ERROR if an item failed)."""
        run = self._innermost("bulk")
        if run is not None:
            run.set_attributes(
                {
                    "aioproton.succeeded": event.succeeded,
                    "aioproton.failed": event.failed,
                    "aioproton.cancelled": event.cancelled,
                    "aioproton.not_started": event.not_started,
                    "aioproton.stopped_early": event.stopped_early,
                }
            )
            if event.failed:
                run.set_status(Status(StatusCode.ERROR, f"{event.failed} items failed"))
        self._pop("bulk", None)

    # ------------------------------------------------------------------ safe cancel

    def on_cancel_start(self, event: CancelRequested) -> None:
        """Open a ``cancel <target>`` span; its reads, cancel call and wait are children."""
        attributes = {"aioproton.target": event.target}
        if event.deployment_id is not None:
            attributes["aioproton.deployment_id"] = event.deployment_id
        self._push("cancel", f"cancel {event.target}", SpanKind.INTERNAL, attributes)

    def on_cancel_end(self, event: CancelEnded) -> None:
        """Record the outcome (``GAVE_UP`` without one) and close the cancel's span."""
        attributes = {
            "aioproton.outcome": event.outcome or "GAVE_UP",
            "aioproton.deployment_id": event.deployment_id,
            "aioproton.status": event.status,
        }
        self._close("cancel", event.error, attributes)


def _end(span: Span, error: BaseException | None) -> None:
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        code = getattr(error, "code", None)
        span.set_attribute("error.type", code if isinstance(code, str) else type(error).__name__)
    span.end()
