"""The errors of the workflow layer, all under :class:`~aioproton.errors.ProtonError`.

::

    ProtonError
    ├── WaiterError                      a wait ended without reaching the state it waited for
    │   ├── DeploymentFailedError        FAILED, or a service's *_FAILED state
    │   ├── DeploymentCancelledError     CANCELLED while waiting for a deployment
    │   ├── DeleteFailedError            DELETE_FAILED
    │   ├── RegistrationFailedError      a template version's REGISTRATION_FAILED
    │   ├── ResourceGoneError            the resource vanished while waiting for something else
    │   └── WaitTimeoutError             the deadline or the attempt cap came first (a TimeoutError)
    ├── IdempotencyError                 one logical request could not be made exactly once
    │   ├── TokenExpiredError            the stored client token is too old to reuse safely
    │   └── StateConflictError           after an unclear outcome, the resource shows another change
    └── BulkError                        a bulk run ended with failed items

Waiter errors carry what the caller needs to report or decide: the last ``status`` and
``status_message``, the number of ``attempts`` (polls), the ``elapsed`` clock seconds,
the ``history`` of state changes seen and the last ``resource`` read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ProtonError
from .states import StateChange

__all__ = [
    "BulkError",
    "DeleteFailedError",
    "DeploymentCancelledError",
    "DeploymentFailedError",
    "IdempotencyError",
    "RegistrationFailedError",
    "ResourceGoneError",
    "StateConflictError",
    "TokenExpiredError",
    "WaitTimeoutError",
    "WaiterError",
]


class WaiterError(ProtonError):
    """A wait ended without the state it was waiting for."""

    default_code = "WaiterError"

    def __init__(
        self,
        message: str,
        *,
        waiter: str,
        operation: str | None,
        status: str | None,
        status_message: str | None,
        attempts: int,
        elapsed: float,
        history: Sequence[StateChange[Any]],
        resource: Any,
    ) -> None:
        super().__init__(message, operation=operation)
        self.waiter = waiter
        self.status = status
        self.status_message = status_message
        self.attempts = attempts
        self.elapsed = elapsed
        self.history: tuple[StateChange[Any], ...] = tuple(history)
        self.resource = resource

    @property
    def statuses(self) -> tuple[str, ...]:
        """The statuses seen, in order (for logs and assertions)."""
        return tuple(change.status for change in self.history)


class DeploymentFailedError(WaiterError):
    """The deployment (or a service create/update) ended in a failed state."""

    default_code = "DeploymentFailed"


class DeploymentCancelledError(WaiterError):
    """The deployment was cancelled before it finished."""

    default_code = "DeploymentCancelled"


class DeleteFailedError(WaiterError):
    """The service could not delete the resource (DELETE_FAILED)."""

    default_code = "DeleteFailed"


class RegistrationFailedError(WaiterError):
    """The template version bundle was rejected (REGISTRATION_FAILED)."""

    default_code = "RegistrationFailed"


class ResourceGoneError(WaiterError):
    """The resource disappeared while the wait expected it to stay."""

    default_code = "ResourceGone"


class WaitTimeoutError(WaiterError, TimeoutError):
    """The deadline or the attempt cap was reached while the resource was still busy."""

    default_code = "WaitTimeout"


class IdempotencyError(ProtonError):
    """One logical request could not be guaranteed to take effect exactly once."""

    default_code = "IdempotencyError"


class TokenExpiredError(IdempotencyError):
    """The idempotency key's client token is older than the service remembers tokens.

    Proton forgets a client token 8 hours after its first use; sending it again after
    that would create a second resource instead of returning the first. aioproton
    refuses rather than risk a duplicate when it cannot tell from the resource itself
    whether the first request took effect.
    """

    default_code = "TokenExpired"

    def __init__(self, message: str, *, operation: str, key: str, age: float) -> None:
        super().__init__(message, operation=operation)
        self.key = key
        self.age = age


class StateConflictError(IdempotencyError):
    """After a request with an unclear outcome, the resource shows a different change.

    The request may or may not have been applied, and the resource now holds values
    that are not the ones asked for: someone else changed it, or an earlier request
    with other parameters did. Nothing is retried; read the resource and decide.
    """

    default_code = "StateConflict"

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        resource: Any,
        differences: Sequence[str],
    ) -> None:
        super().__init__(message, operation=operation)
        self.resource = resource
        self.differences: tuple[str, ...] = tuple(differences)


class BulkError(ProtonError):
    """A bulk run ended with failed items; ``summary`` holds every result."""

    default_code = "BulkFailed"

    def __init__(self, message: str, *, summary: Any, failures: Sequence[Any]) -> None:
        super().__init__(message)
        self.summary = summary
        self.failures: tuple[Any, ...] = tuple(failures)
