"""Reading a resource back to learn whether a request with an unclear outcome took effect.

When a request fails ambiguously (the connection dropped, the read timed out, the
service answered 5xx), it may or may not have been applied. For requests that cannot
simply be sent again (updates without a client token), or whose token is too old to
protect a resend, the resource itself is the only witness. Each rule here reads it and
answers one of three things:

- ``MATCH``: the resource shows the requested change; the request took effect.
- ``ABSENT``: no trace of it; sending the request (again) is safe.
- ``DIFFERENT``: the resource shows another change; neither success nor safe to resend.

Deployments are compared through their deployment record: an update that took effect
started a new deployment (its id differs from the one read before sending) whose
``targetState`` carries the requested template version and spec.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import yaml

from .._client import ProtonClient
from .._generated import models
from ..errors import ResourceNotFoundError

__all__ = ["Reconciled", "Reconciler", "Verdict", "reconciler_for"]


class Verdict(enum.Enum):
    """How a resource found on the service compares with the request that made it."""

    MATCH = "match"
    ABSENT = "absent"
    DIFFERENT = "different"


@attrs.frozen(kw_only=True)
class Reconciled:
    """What a reconciler found: a verdict, the resource read and any differences.

    Attributes:
        verdict: MATCH (the request took effect), ABSENT (it did not) or DIFFERENT (a
            resource of that name exists with other parameters).
        resource: The resource as read, if any.
        differences: The parameters that differ, for DIFFERENT.
    """

    verdict: Verdict
    resource: Any = attrs.field(default=None, repr=False)
    differences: tuple[str, ...] = ()

    @property
    def arn(self) -> str | None:
        arn = getattr(self.resource, "arn", None)
        return arn if isinstance(arn, str) else None


Read = Callable[[ProtonClient, Mapping[str, Any]], Awaitable[Any]]
Check = Callable[[ProtonClient, Mapping[str, Any], str | None, Any], Awaitable[Reconciled]]


@attrs.frozen
class Reconciler:
    """How to tell, for one operation, whether a request took effect.

    ``baseline`` (optional) reads what the check compares against, before the first
    attempt is sent; ``check`` reads the resource after an unclear outcome.
    """

    check: Check
    baseline: Read | None = None


def _same_document(wanted: str, actual: str) -> bool:
    """Spec documents are YAML: equal if they parse to the same value."""
    if wanted == actual:
        return True
    try:
        return bool(yaml.safe_load(wanted) == yaml.safe_load(actual))
    except yaml.YAMLError:
        return False


def _differences(params: Mapping[str, Any], actual: Mapping[str, Any]) -> tuple[str, ...]:
    """Every requested value (not None) that the resource does not hold."""
    found = []
    for name, have in actual.items():
        want = params.get(name)
        if want is None:
            continue
        if name in _DOCUMENTS:
            # Some responses omit documents; only a document that is there can differ.
            same = have is None or _same_document(str(want), str(have))
        else:
            same = have is not None and str(want) == str(have)
        if not same:
            found.append(f"{name}: requested {_short(want)}, found {_short(have)}")
    return tuple(found)


_DOCUMENTS = frozenset({"spec", "service_spec", "template_file", "manifest"})


def _short(value: object) -> str:
    text = repr(str(value)) if value is not None else "nothing"
    return text if len(text) <= 60 else text[:57] + "...'"


def _judge(resource: Any, differences: tuple[str, ...]) -> Reconciled:
    verdict = Verdict.DIFFERENT if differences else Verdict.MATCH
    return Reconciled(verdict=verdict, resource=resource, differences=differences)


async def _absent_if_missing(read: Awaitable[Any]) -> Any:
    try:
        return await read
    except ResourceNotFoundError:
        return None


# ---------------------------------------------------------------------- name-keyed creates


def _name_keyed_create(
    read: Callable[[ProtonClient, str], Awaitable[Any]], *fields: str
) -> Reconciler:
    """A create keyed by name took effect if the named resource holds what was asked."""

    async def check(
        proton: ProtonClient, params: Mapping[str, Any], token: str | None, baseline: Any
    ) -> Reconciled:
        resource = await _absent_if_missing(read(proton, params["name"]))
        if resource is None:
            return Reconciled(verdict=Verdict.ABSENT)
        return _judge(
            resource, _differences(params, {name: getattr(resource, name) for name in fields})
        )

    return Reconciler(check)


# ---------------------------------------------------------------------- client-token requests


def _by_token(resource: Any, token: str | None) -> Reconciled:
    """Resources that record ``lastClientRequestToken`` say who changed them last."""
    if resource is None:
        return Reconciled(verdict=Verdict.ABSENT)
    last = getattr(resource, "last_client_request_token", None)
    if token is not None and last == token:
        return Reconciled(verdict=Verdict.MATCH, resource=resource)
    return Reconciled(
        verdict=Verdict.DIFFERENT,
        resource=resource,
        differences=(f"last changed by client token {last!r}, not {token!r}",),
    )


async def _check_create_component(
    proton: ProtonClient, params: Mapping[str, Any], token: str | None, baseline: Any
) -> Reconciled:
    return _by_token(await _absent_if_missing(proton.get_component(name=params["name"])), token)


async def _check_create_service_instance(
    proton: ProtonClient, params: Mapping[str, Any], token: str | None, baseline: Any
) -> Reconciled:
    instance = await _absent_if_missing(
        proton.get_service_instance(service_name=params["service_name"], name=params["name"])
    )
    return _by_token(instance, token)


def _check_token_update(resource: Any, token: str | None) -> Reconciled:
    judged = _by_token(resource, token)
    if judged.verdict is Verdict.DIFFERENT:
        # Another token changed it last: ours never landed, or landed and was superseded.
        return Reconciled(verdict=Verdict.ABSENT, resource=resource, differences=judged.differences)
    return judged


async def _check_update_component(
    proton: ProtonClient, params: Mapping[str, Any], token: str | None, baseline: Any
) -> Reconciled:
    return _check_token_update(await proton.get_component(name=params["name"]), token)


async def _check_update_service_instance(
    proton: ProtonClient, params: Mapping[str, Any], token: str | None, baseline: Any
) -> Reconciled:
    instance = await proton.get_service_instance(
        service_name=params["service_name"], name=params["name"]
    )
    return _check_token_update(instance, token)


# ---------------------------------------------------------------------- updates without a token


async def _deployment_verdict(
    proton: ProtonClient,
    params: Mapping[str, Any],
    resource: Any,
    baseline: str | None,
) -> Reconciled:
    """A deploying update took effect if a new deployment targets what was asked."""
    if params.get("deployment_type") == models.DeploymentUpdateType.NONE:
        return _judge(resource, _differences(params, {"description": resource.description}))
    latest = resource.last_attempted_deployment_id
    if latest is None or latest == baseline:
        return Reconciled(verdict=Verdict.ABSENT, resource=resource)
    deployment = await proton.get_deployment(id=latest)
    state = deployment.target_state
    value = getattr(state, "value", None)
    if value is None:
        return Reconciled(
            verdict=Verdict.DIFFERENT,
            resource=resource,
            differences=("the new deployment has no target state",),
        )
    return _judge(
        resource,
        _differences(
            params,
            {
                "template_major_version": value.template_major_version,
                "template_minor_version": value.template_minor_version,
                "spec": value.spec,
            },
        ),
    )


async def _pipeline_verdict(
    proton: ProtonClient, params: Mapping[str, Any], service: Any, baseline: Any
) -> Reconciled:
    if service.pipeline is None:
        return Reconciled(verdict=Verdict.ABSENT, resource=service)
    return await _deployment_verdict(proton, params, service.pipeline, baseline)


async def _service_verdict(
    proton: ProtonClient, params: Mapping[str, Any], service: Any, baseline: Any
) -> Reconciled:
    differences = _differences(params, {"spec": service.spec, "description": service.description})
    if differences and service.last_modified_at == baseline:
        return Reconciled(verdict=Verdict.ABSENT, resource=service)
    return _judge(service, differences)


def _token_less_update(
    read: Read,
    mark: Callable[[Any], Any],
    verdict: Callable[[ProtonClient, Mapping[str, Any], Any, Any], Awaitable[Reconciled]],
) -> Reconciler:
    """Read the resource before sending (its ``mark``) and after an unclear outcome."""

    async def baseline(proton: ProtonClient, params: Mapping[str, Any]) -> Any:
        return mark(await read(proton, params))

    async def check(
        proton: ProtonClient, params: Mapping[str, Any], token: str | None, before: Any
    ) -> Reconciled:
        return await verdict(proton, params, await read(proton, params), before)

    return Reconciler(check, baseline)


_RECONCILERS: dict[str, Reconciler] = {
    "CreateEnvironment": _name_keyed_create(
        lambda proton, name: proton.get_environment(name=name),
        "template_name",
        "template_major_version",
        "template_minor_version",
        "spec",
        "description",
    ),
    "CreateService": _name_keyed_create(
        lambda proton, name: proton.get_service(name=name),
        "template_name",
        "spec",
        "description",
        "branch_name",
        "repository_id",
    ),
    "CreateEnvironmentTemplate": _name_keyed_create(
        lambda proton, name: proton.get_environment_template(name=name),
        "description",
        "display_name",
        "encryption_key",
        "provisioning",
    ),
    "CreateServiceTemplate": _name_keyed_create(
        lambda proton, name: proton.get_service_template(name=name),
        "description",
        "display_name",
        "encryption_key",
        "pipeline_provisioning",
    ),
    "CreateComponent": Reconciler(_check_create_component),
    "CreateServiceInstance": Reconciler(_check_create_service_instance),
    "UpdateComponent": Reconciler(_check_update_component),
    "UpdateServiceInstance": Reconciler(_check_update_service_instance),
    "UpdateEnvironment": _token_less_update(
        lambda proton, params: proton.get_environment(name=params["name"]),
        lambda env: env.last_attempted_deployment_id,
        _deployment_verdict,
    ),
    "UpdateServicePipeline": _token_less_update(
        lambda proton, params: proton.get_service(name=params["service_name"]),
        lambda service: (
            None if service.pipeline is None else service.pipeline.last_attempted_deployment_id
        ),
        _pipeline_verdict,
    ),
    "UpdateService": _token_less_update(
        lambda proton, params: proton.get_service(name=params["name"]),
        lambda service: service.last_modified_at,
        _service_verdict,
    ),
}


def reconciler_for(operation: str) -> Reconciler | None:
    """The read-back rule for ``operation``, if aioproton has one."""
    return _RECONCILERS.get(operation)
