"""The shapes of the model facts that the generated ``facts`` module lists.

``scripts/codegen.py`` decides each fact once, from the botocore model (idempotency-token
members, the ``idempotent`` trait, output shapes) and, where the model carries no
structural fact, from the operation's verb and a reviewed list of name-keyed creates.
Everything else (retries, idempotent calls, pagination, waiters) reads these facts and
never tests an operation's name, so a model update changes behaviour in one reviewed,
generated diff.
"""

from __future__ import annotations

import enum

import attrs


class OperationKind(enum.Enum):
    """How a repeat of an operation's request behaves; every operation has exactly one.

    The kinds are tried in this order, so an update with a client token is
    ``CLIENT_TOKEN`` and an update the model marks ``idempotent`` is ``OTHER``.
    """

    #: Carries an idempotency-token member: the service performs each token once.
    CLIENT_TOKEN = "client-token"
    #: A create without a token that answers an identical repeat with the existing
    #: resource, keyed by its name (CreateEnvironment, CreateService, Create*Template).
    NAME_KEYED_CREATE = "name-keyed create"
    #: A delete: a repeat succeeds, and a resource already gone counts as deleted.
    DELETE = "delete"
    #: An update with neither a token nor the ``idempotent`` trait: a resend may apply it
    #: twice, so it is never resent blindly.
    TOKENLESS_UPDATE = "token-less update"
    #: Reads (Get, List): no effect on the service.
    READ_ONLY = "read-only"
    #: Everything else (cancels, tags, other creates and updates); whether a repeat is
    #: safe is the ``idempotent`` trait's to say.
    OTHER = "other"


class ResultShape(enum.Enum):
    """What the typed method of an operation returns."""

    #: The output's single member, unwrapped. When the model leaves it optional (every
    #: delete, whose repeat may answer ``{}``), a missing member is returned as ``None``.
    MEMBER = "member"
    #: The whole output structure (it has several members).
    OUTPUT = "output"
    #: ``None``: the output has no members.
    NOTHING = "nothing"


@attrs.frozen
class OperationFacts:
    """What the model says about one operation."""

    name: str
    method: str
    input_shape: str | None
    output_shape: str | None
    kind: OperationKind
    #: Whether a success makes a new resource (an absent resource means it did not).
    creates: bool
    result: ResultShape
    #: The single output member a method returns unwrapped (``None``: not ``MEMBER``).
    result_member: str | None
    #: Whether that member is always present (a missing one is a response error).
    result_required: bool
    idempotent: bool
    #: The wire name of the idempotency-token member, if the operation has one.
    client_token: str | None
    errors: tuple[str, ...]
    #: Whether the AWS model marks the operation deprecated (all of Proton's are: AWS
    #: Proton accepts no new customers), and the model's message saying why.
    deprecated: bool = False
    deprecated_message: str | None = None

    @property
    def read_only(self) -> bool:
        """Whether the operation only reads (sending it changes nothing)."""
        return self.kind is OperationKind.READ_ONLY

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
