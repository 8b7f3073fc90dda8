"""``--output json``: one JSON object per line per event, for log shippers.

Every event has one shape, whatever produced it (a waiter, a bulk run, a rollout, a
cancel): ``time`` (ISO 8601, UTC), ``event``, ``target`` (the resource path, e.g.
``environment/prod``), ``target_arn``, ``deployment_id``, ``request_id`` and ``status``,
each ``null`` when unknown, plus what that kind of event adds (``previous_status``,
``message``, ``elapsed``, ``error``, ``exit_code``...).
"""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any, TextIO

from ..observe import AttemptEnded, Observer
from ..workflow import CancelResult, ItemResult, RolloutResult, StateChange

#: The fields every event has, in the order they are written.
SHAPE = ("time", "event", "target", "target_arn", "deployment_id", "request_id", "status")


class LastRequest(Observer):
    """Remembers the request id of the client's latest answered attempt."""

    def __init__(self) -> None:
        self.request_id: str | None = None

    def on_attempt_end(self, event: AttemptEnded) -> None:
        if event.request_id:
            self.request_id = event.request_id


def event(
    kind: str,
    *,
    target: str | None,
    target_arn: str | None = None,
    deployment_id: str | None = None,
    request_id: str | None = None,
    status: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    """One event in the shared shape (``time`` is now, in UTC)."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    return {
        "time": now.replace("+00:00", "Z"),
        "event": kind,
        "target": target,
        "target_arn": target_arn,
        "deployment_id": deployment_id,
        "request_id": request_id,
        "status": status,
        **more,
    }


#: A waiter's state change: each event field and the ``StateChange`` attribute it holds.
_CHANGE_FIELDS = {
    "target": "subject",
    "target_arn": "arn",
    "deployment_id": "deployment_id",
    "status": "status",
    "previous_status": "previous",
    "message": "message",
    "waiter": "waiter",
    "poll": "attempt",
}


def of_change(change: StateChange[Any], request_id: str | None = None) -> dict[str, Any]:
    """A waiter's state change."""
    fields = {field: getattr(change, name) for field, name in _CHANGE_FIELDS.items()}
    return event("state_change", **fields, request_id=request_id, elapsed=round(change.elapsed, 3))


def of_rollout_result(result: RolloutResult) -> dict[str, Any]:
    """One finished rollout item."""
    return event(
        "rollout_item",
        target=result.target.path,
        deployment_id=result.deployment_id,
        request_id=getattr(result.error, "request_id", None),
        status=result.status.value,
        from_version=result.from_version,
        to_version=result.to_version,
        action=result.action.value,
        message=result.message,
    )


def of_bulk_result(result: ItemResult[Any, Any], target: str | None) -> dict[str, Any]:
    """One finished item of a bulk run (``target``: the item's resource path, if any)."""
    return event(
        "bulk_item",
        target=target,
        request_id=getattr(result.error, "request_id", None),
        status=result.status.value,
        index=result.index,
        error=None if result.error is None else str(result.error),
    )


def of_cancel(result: CancelResult[Any], target: str) -> dict[str, Any]:
    """The outcome of a cancel of ``target``'s deployment."""
    arn = getattr(result.resource, "arn", None)
    return event(
        "cancel",
        target=target,
        target_arn=arn if isinstance(arn, str) else None,
        deployment_id=result.deployment_id,
        status=result.status,
        outcome=result.outcome.value,
        message=result.message,
    )


class JsonLines:
    """Writes events, one compact JSON object per line, flushed at once."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout

    def write(self, document: dict[str, Any]) -> None:
        self.stream.write(json.dumps(document, default=str, separators=(",", ":")) + "\n")
        self.stream.flush()
