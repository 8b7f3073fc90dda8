"""Idempotency: client tokens, name-keyed creates and repeated deletes.

Client tokens (the seven operations with a ``clientToken`` member) are remembered per
account, region and operation for eight hours of the backend's clock, with a
fingerprint of every other modelled input member and the identity (``uid``) of the
resource they produced or touched. A repeat with the same inputs answers with that
resource in its current state and does nothing else; other inputs are an idempotent
parameter mismatch; an expired token, or a resource deleted since, starts over.

Deleted resources leave a :class:`Tombstone`: a repeated synchronous delete answers
with the deleted resource's metadata for eight hours (``{}`` afterwards), a repeated
asynchronous delete that has completed answers ``{}``, and a name that never existed
is a ResourceNotFoundException.

Name-keyed creates (templates, environments, services) compare every modelled input
member, tags included; "modified since" means an Update* call on the resource since it
was created (for an environment, any UpdateEnvironment).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..errors import ConflictException, ResourceNotFoundException, idempotent_parameter_mismatch
from ._canonical import differences, fingerprint, modelled
from ._engine import Call
from ._records import TokenRecord, Tombstone

TOKEN_TTL = 8 * 3600.0
TOMBSTONE_TTL = 8 * 3600.0

Resolver = Callable[[str], "dict[str, Any] | None"]


class NameKeyed(Protocol):
    """A resource created by name: what it was created with, and whether it changed since."""

    created_with: dict[str, Any]
    modified: bool


def _token_key(call: Call) -> str | None:
    token = call.params.get("clientToken")
    if not token:
        return None
    return f"{call.operation}|{token}"


def replay(call: Call, resolve: Resolver) -> dict[str, Any] | None:
    """The answer to a repeated token, or ``None`` when the call is a new action.

    ``resolve(resource)`` renders the remembered resource if it still exists.
    """
    key = _token_key(call)
    if key is None:
        return None
    record = call.region.tokens.get(key)
    if record is None:
        return None
    if call.now - record.created_at >= TOKEN_TTL:
        del call.region.tokens[key]
        return None
    if record.fingerprint != fingerprint(call.operation, call.params, exclude=("clientToken",)):
        raise idempotent_parameter_mismatch(
            f"clientToken {call.params['clientToken']!r} was used with different parameters "
            f"for {call.operation}."
        )
    return resolve(record.resource)


def remember(call: Call, resource: str) -> None:
    """Record the token of a call that just acted on ``resource``."""
    key = _token_key(call)
    if key is None:
        return
    tokens = call.region.tokens
    for stale in [k for k, rec in tokens.items() if call.now - rec.created_at >= TOKEN_TTL]:
        del tokens[stale]
    tokens[key] = TokenRecord(
        fingerprint(call.operation, call.params, exclude=("clientToken",)), resource, call.now
    )


def created_with(call: Call) -> dict[str, Any]:
    """The inputs of a name-keyed create, kept to judge a repeat."""
    return modelled(call.operation, call.params)


def repeat_create(call: Call, what: str, existing: NameKeyed, *, deleting: bool = False) -> None:
    """Check a name-keyed create that names an existing resource (§8.2).

    Returns normally when the caller should answer with the existing resource.
    """
    changed = differences(call.operation, existing.created_with, call.params)
    if changed:
        raise idempotent_parameter_mismatch(
            f"{what} already exists with different parameters ({', '.join(changed)})."
        )
    if deleting:
        raise ConflictException(f"{what} is being deleted.")
    if existing.modified:
        raise ConflictException(f"{what} already exists and was modified since it was created.")


def bury(call: Call, key: str, body: dict[str, Any]) -> None:
    call.region.tombstones[key] = Tombstone(body, call.now)


def exhume(call: Call, key: str) -> dict[str, Any] | None:
    """The answer to deleting something already deleted, or ``None`` if it never existed."""
    tomb = call.region.tombstones.get(key)
    if tomb is None:
        return None
    if call.now - tomb.deleted_at >= TOMBSTONE_TTL:
        return {}
    return dict(tomb.body)


def repeat_delete(call: Call, key: str, missing: str) -> dict[str, Any]:
    """Answer a delete of what is gone from its tombstone; ``missing`` when it never existed."""
    previous = exhume(call, key)
    if previous is None:
        raise ResourceNotFoundException(missing)
    return previous


def forget(call: Call, key: str) -> None:
    """A resource was created again under this key."""
    call.region.tombstones.pop(key, None)
