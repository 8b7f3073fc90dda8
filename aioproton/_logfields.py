"""The names of the ``extra=`` fields on aioproton's log records, in one place.

A JSON log formatter sees these as record attributes; every layer uses the same name
for the same fact, so one query (``idempotency_key="release-42/web"``) finds a request's
whole story across the client, the idempotency layer and the waiters.
"""

from __future__ import annotations

from typing import Any

OPERATION = "operation"
ATTEMPT = "attempt"
MAX_ATTEMPTS = "max_attempts"
DELAY = "delay"
ERROR_CODE = "error_code"
REQUEST_ID = "request_id"
RETRY_SAFE = "retry_safe"
AMBIGUOUS = "ambiguous"
IDEMPOTENCY_KEY = "idempotency_key"
TARGET_ARN = "target_arn"
TARGET = "target"
DEPLOYMENT_ID = "deployment_id"
STATUS = "status"
PREVIOUS_STATUS = "previous_status"
WAITER = "waiter"
VERDICT = "verdict"
ELAPSED = "elapsed"
DEADLINE = "deadline"
RATE = "rate"
PREVIOUS_RATE = "previous_rate"
TOKEN_AGE = "token_age"
ACTION = "action"
VERSION = "version"
OUTCOME = "outcome"
ITEM = "item"
INDEX = "index"
ITEMS = "items"
CONCURRENCY = "concurrency"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
NOT_STARTED = "not_started"

#: Every field name above (tests check records against it).
ALL = frozenset(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)


def error_fields(error: BaseException) -> dict[str, Any]:
    """The fields that describe a failed attempt (code, request id, retry safety)."""
    return {
        ERROR_CODE: getattr(error, "code", type(error).__name__),
        REQUEST_ID: getattr(error, "request_id", None),
        RETRY_SAFE: getattr(error, "retry_safe", False),
        AMBIGUOUS: getattr(error, "ambiguous", False),
    }
