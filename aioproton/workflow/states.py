"""What a status means to a wait, and the state changes a wait reports.

A leaf of the workflow layer: the waiters and the errors that carry a wait's history
both build on it, and it builds on nothing of theirs.

- :class:`WaitVerdict`: what one status means for the wait (keep polling, done, failed...).
- the verdict tables: every final state of each kind of wait, from botocore's acceptors
  plus the states botocore leaves polling (CANCELLED for a deployment, DELETE_FAILED, a
  resource deleted underneath).
- :class:`StateChange`: one status change, naming the resource it happened to.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Generic, TypeVar

import attrs

from .._generated import models

__all__ = [
    "DEPLOYED",
    "DEPLOYMENT_FINISHED",
    "GONE",
    "REGISTERED",
    "RESOURCE_DELETED",
    "SERVICE_DELETED",
    "SERVICE_SETTLED",
    "SETTLED",
    "StateChange",
    "WaitVerdict",
]

R = TypeVar("R")

#: The status a waiter reports once the resource no longer exists.
GONE = "DELETED"


class WaitVerdict(enum.Enum):
    """What a status means for the wait."""

    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELETE_FAILED = "delete failed"
    REGISTRATION_FAILED = "registration failed"
    GONE = "gone"


@attrs.frozen(kw_only=True)
class StateChange(Generic[R]):
    """The status of one resource changed (or was seen for the first time).

    It names its resource, so one ``on_change`` shared by many waiters can tell which
    resource moved: ``kind`` and ``names`` always, ``arn`` and ``deployment_id`` once a
    read has shown them.
    """

    #: The waiter that saw it, e.g. ``EnvironmentDeployed``.
    waiter: str
    #: ``environment``, ``service instance``, ``service pipeline``, ``component``,
    #: ``service``, ``deployment``, ``environment template version`` or
    #: ``service template version``.
    kind: str
    #: The names that identify it, in the order its Get operation takes them:
    #: ``("api", "one")`` for service instance ``one`` of service ``api``.
    names: tuple[str, ...]
    #: The resource part of its ARN, e.g. ``service/api/service-instance/one``.
    subject: str
    #: Its ARN (for a deployment record: the record's own ARN), once read.
    arn: str | None = None
    #: The deployment whose status this is, where the resource names one.
    deployment_id: str | None = None
    previous: str | None
    status: str
    message: str | None
    #: The poll that saw it (1 = the first).
    attempt: int
    #: Clock seconds since the wait began.
    elapsed: float
    #: Clock time of the poll.
    at: float
    #: The resource as read (``None`` once it is gone).
    resource: R | None = attrs.field(default=None, repr=False)


_D = models.DeploymentStatus
_S = models.ServiceStatus
_V = models.TemplateVersionStatus

#: A deployment that must succeed.
DEPLOYED: Mapping[str, WaitVerdict] = {
    _D.SUCCEEDED: WaitVerdict.SUCCESS,
    _D.FAILED: WaitVerdict.FAILED,
    _D.CANCELLED: WaitVerdict.CANCELLED,
    _D.DELETE_FAILED: WaitVerdict.DELETE_FAILED,
    _D.DELETE_COMPLETE: WaitVerdict.GONE,
}
#: A deployment that must end, however it ends (after a cancel, or when resuming).
SETTLED: Mapping[str, WaitVerdict] = {
    _D.CANCELLED: WaitVerdict.SUCCESS,
    _D.SUCCEEDED: WaitVerdict.SUCCESS,
    _D.FAILED: WaitVerdict.SUCCESS,
    _D.DELETE_FAILED: WaitVerdict.DELETE_FAILED,
    _D.DELETE_COMPLETE: WaitVerdict.GONE,
}
#: A deployment record (GetDeployment) that must succeed.
DEPLOYMENT_FINISHED: Mapping[str, WaitVerdict] = {
    _D.SUCCEEDED: WaitVerdict.SUCCESS,
    _D.DELETE_COMPLETE: WaitVerdict.SUCCESS,
    _D.FAILED: WaitVerdict.FAILED,
    _D.CANCELLED: WaitVerdict.CANCELLED,
    _D.DELETE_FAILED: WaitVerdict.DELETE_FAILED,
}
#: A deployed resource being deleted (gone is success).
RESOURCE_DELETED: Mapping[str, WaitVerdict] = {_D.DELETE_FAILED: WaitVerdict.DELETE_FAILED}

_CREATE_FAILED = (
    _S.CREATE_FAILED,
    _S.CREATE_FAILED_CLEANUP_COMPLETE,
    _S.CREATE_FAILED_CLEANUP_FAILED,
)
_UPDATE_FAILED = (
    _S.UPDATE_FAILED,
    _S.UPDATE_FAILED_CLEANUP_COMPLETE,
    _S.UPDATE_FAILED_CLEANUP_FAILED,
    _S.UPDATE_COMPLETE_CLEANUP_FAILED,
)
#: A service being created or updated.
SERVICE_SETTLED: Mapping[str, WaitVerdict] = {
    _S.ACTIVE: WaitVerdict.SUCCESS,
    **dict.fromkeys(_CREATE_FAILED, WaitVerdict.FAILED),
    **dict.fromkeys(_UPDATE_FAILED, WaitVerdict.FAILED),
    _S.DELETE_FAILED: WaitVerdict.DELETE_FAILED,
}
#: A service being deleted (gone is success).
SERVICE_DELETED: Mapping[str, WaitVerdict] = {_S.DELETE_FAILED: WaitVerdict.DELETE_FAILED}
#: A template version being registered.
REGISTERED: Mapping[str, WaitVerdict] = {
    _V.DRAFT: WaitVerdict.SUCCESS,
    _V.PUBLISHED: WaitVerdict.SUCCESS,
    _V.REGISTRATION_FAILED: WaitVerdict.REGISTRATION_FAILED,
}
