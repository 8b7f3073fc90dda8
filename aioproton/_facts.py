"""The shapes of the model facts that the generated ``facts`` module lists.

The workflow layer (retries, pagination, waiters) decides from these facts, not from
operation names scattered through the code, so a model update changes behaviour in
one reviewed, generated diff.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class OperationFacts:
    """What the model says about one operation."""

    name: str
    method: str
    input_shape: str | None
    output_shape: str | None
    #: The single output member a method returns unwrapped (``None``: return the output).
    result_member: str | None
    #: Whether that member is always present (a missing one is a response error).
    result_required: bool
    idempotent: bool
    #: The wire name of the idempotency-token member, if the operation has one.
    client_token: str | None
    read_only: bool
    errors: tuple[str, ...]

    @property
    def replay_safe(self) -> bool:
        """Whether sending the identical request twice cannot cause a second effect."""
        return self.read_only or self.idempotent or self.client_token is not None


@attrs.frozen
class PaginatorFacts:
    operation: str
    input_token: str
    output_token: str
    limit_key: str | None
    result_key: str


@attrs.frozen
class Acceptor:
    state: str
    matcher: str
    expected: str | bool | int
    argument: str | None = None


@attrs.frozen
class WaiterFacts:
    name: str
    operation: str
    delay: float
    max_attempts: int
    acceptors: tuple[Acceptor, ...]
    description: str = ""
