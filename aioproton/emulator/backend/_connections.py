"""Environment account connections (EACs).

A connection is created by, stored with and ARN-ed in the environment account; the
management account it names accepts or rejects it. Connections are visible to every
account of the same partition and region, and one account may play both parts.
Readings: accepting a CONNECTED or rejecting a REJECTED connection returns it
unchanged; accepting a REJECTED one, rejecting one an environment uses, and requesting
a second PENDING/CONNECTED connection for the same environment name and management
account are ConflictExceptions; the wrong side calling is an AccessDeniedException.
``roleArn`` is optional on input but required on output, so a connection made with only
``codebuildRoleArn`` reports that role as ``roleArn`` (one of the two is required).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import (
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from . import _arns, _idempotency, _tags
from ._engine import Call
from ._pagination import paginate
from ._records import Connection
from ._serde import given, members
from ._world import Region

PENDING = "PENDING"
CONNECTED = "CONNECTED"
REJECTED = "REJECTED"

OUTPUT = "environmentAccountConnection"


def render(owner: Region, conn: Connection, *, summary: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": owner.arn(_arns.connection(conn.id)),
        **members(conn, "id", "environmentName", "environmentAccountId", "managementAccountId"),
        **members(conn, "roleArn", "status", "requestedAt", "lastModifiedAt"),
    }
    out.update(given(members(conn, "componentRoleArn")))
    if not summary:
        out.update(given(members(conn, "codebuildRoleArn")))
    return out


def _all(call: Call) -> Iterator[tuple[Region, Connection]]:
    for region in call.engine.neighbours(call.region):
        for conn in region.connections.values():
            yield region, conn


def find(call: Call, connection_id: str) -> tuple[Region, Connection] | None:
    for region in call.engine.neighbours(call.region):
        conn = region.connections.get(connection_id)
        if conn is not None:
            return region, conn
    return None


def get(call: Call, connection_id: str) -> tuple[Region, Connection]:
    found = find(call, connection_id)
    if found is None:
        raise ResourceNotFoundException(
            f"Environment account connection {connection_id} does not exist."
        )
    return found


def _as_environment_account(call: Call, conn: Connection) -> None:
    if conn.environment_account_id != call.ctx.account_id:
        raise AccessDeniedException(
            f"Only the environment account {conn.environment_account_id} can change "
            f"connection {conn.id}."
        )


def _as_management_account(call: Call, conn: Connection) -> None:
    if conn.management_account_id != call.ctx.account_id:
        raise AccessDeniedException(
            f"Only the management account {conn.management_account_id} can accept or reject "
            f"connection {conn.id}."
        )


def usable(call: Call, connection_id: str, environment_name: str) -> Connection:
    """A connection an environment in the caller's account may provision through."""
    _, conn = get(call, connection_id)
    if conn.status != CONNECTED:
        raise ValidationException(f"Environment account connection {conn.id} is {conn.status}.")
    if conn.management_account_id != call.ctx.account_id:
        raise ValidationException(
            f"Environment account connection {conn.id} belongs to management account "
            f"{conn.management_account_id}."
        )
    if conn.environment_name != environment_name:
        raise ValidationException(
            f"Environment account connection {conn.id} is for environment "
            f"{conn.environment_name}, not {environment_name}."
        )
    return conn


def used_by(call: Call, conn: Connection) -> list[str]:
    """Environments (in the management account's regions) provisioning through ``conn``."""
    names = []
    for region in call.engine.neighbours(call.region):
        if region.account_id != conn.management_account_id:
            continue
        names += [e.name for e in region.environments.values() if e.connection_id == conn.id]
    return names


def create(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region

    def resolve(resource: str) -> dict[str, Any] | None:
        conn = region.connections.get(resource)
        return None if conn is None else {OUTPUT: render(region, conn)}

    replayed = _idempotency.replay(call, resolve)
    if replayed is not None:
        return replayed
    role = p.get("roleArn") or p.get("codebuildRoleArn")
    if role is None:
        raise ValidationException("Specify roleArn or codebuildRoleArn.")
    for _, other in _all(call):
        if (
            other.environment_name == p["environmentName"]
            and other.management_account_id == p["managementAccountId"]
            and other.status in (PENDING, CONNECTED)
        ):
            raise ConflictException(
                f"Connection {other.id} already links environment {other.environment_name} "
                f"to management account {other.management_account_id}."
            )
    call.engine.check_quota(
        len(region.connections), call.quotas.connections_per_account,
        "environment account connections",
    )  # fmt: skip
    _tags.check(call, p.get("tags"))
    conn = Connection(
        id=call.engine.new_id(),
        environment_name=p["environmentName"],
        environment_account_id=call.ctx.account_id,
        management_account_id=p["managementAccountId"],
        role_arn=role,
        status=PENDING,
        requested_at=call.now,
        last_modified_at=call.now,
        codebuild_role_arn=p.get("codebuildRoleArn"),
        component_role_arn=p.get("componentRoleArn"),
    )
    region.connections[conn.id] = conn
    _tags.store(region, _arns.connection(conn.id), p.get("tags"))
    _idempotency.remember(call, conn.id)
    return {OUTPUT: render(region, conn)}


def read(call: Call) -> dict[str, Any]:
    owner, conn = get(call, call.params["id"])
    return {OUTPUT: render(owner, conn)}


def accept(call: Call) -> dict[str, Any]:
    owner, conn = get(call, call.params["id"])
    _as_management_account(call, conn)
    if conn.status == REJECTED:
        raise ConflictException(f"Connection {conn.id} was rejected and cannot be accepted.")
    if conn.status == PENDING:
        conn.status = CONNECTED
        conn.last_modified_at = call.now
    return {OUTPUT: render(owner, conn)}


def reject(call: Call) -> dict[str, Any]:
    owner, conn = get(call, call.params["id"])
    _as_management_account(call, conn)
    if conn.status != REJECTED:
        users = used_by(call, conn)
        if users:
            raise ConflictException(
                f"Connection {conn.id} is used by environment {users[0]} and cannot be rejected."
            )
        conn.status = REJECTED
        conn.last_modified_at = call.now
    return {OUTPUT: render(owner, conn)}


def update(call: Call) -> dict[str, Any]:
    p = call.params
    owner, conn = get(call, p["id"])
    _as_environment_account(call, conn)
    if "roleArn" in p:
        conn.role_arn = p["roleArn"]
    if "codebuildRoleArn" in p:
        conn.codebuild_role_arn = p["codebuildRoleArn"]
    if "componentRoleArn" in p:
        conn.component_role_arn = p["componentRoleArn"]
    conn.last_modified_at = call.now
    return {OUTPUT: render(owner, conn)}


def delete(call: Call) -> dict[str, Any]:
    connection_id = call.params["id"]
    found = find(call, connection_id)
    path = _arns.connection(connection_id)
    if found is None:
        return _idempotency.repeat_delete(
            call, path, f"Environment account connection {connection_id} does not exist."
        )
    owner, conn = found
    _as_environment_account(call, conn)
    body = {OUTPUT: render(owner, conn)}
    del owner.connections[conn.id]
    _tags.drop(owner, path)
    _idempotency.bury(call, path, body)
    return body


def list_all(call: Call) -> dict[str, Any]:
    p = call.params
    me = call.ctx.account_id
    if p["requestedBy"] == "MANAGEMENT_ACCOUNT":
        items = [(r, c) for r, c in _all(call) if c.management_account_id == me]
    else:
        items = [(r, c) for r, c in _all(call) if c.environment_account_id == me]
    if p.get("environmentName") is not None:
        items = [(r, c) for r, c in items if c.environment_name == p["environmentName"]]
    if p.get("statuses"):
        items = [(r, c) for r, c in items if c.status in p["statuses"]]
    return paginate(
        call,
        items,
        key=lambda item: [item[1].environment_name, item[1].id],
        render=lambda item: render(item[0], item[1], summary=True),
        result_key="environmentAccountConnections",
    )


HANDLERS = {
    "CreateEnvironmentAccountConnection": create,
    "GetEnvironmentAccountConnection": read,
    "AcceptEnvironmentAccountConnection": accept,
    "RejectEnvironmentAccountConnection": reject,
    "UpdateEnvironmentAccountConnection": update,
    "DeleteEnvironmentAccountConnection": delete,
    "ListEnvironmentAccountConnections": list_all,
}
