"""Environments: create, update (the deploymentType matrix), delete, list.

Provisioning mode follows the parameters: ``provisioningRepository`` (self-managed)
excludes the role, connection and CodeBuild role; otherwise exactly one of
``protonServiceRoleArn`` / ``environmentAccountConnectionId``, or a ``codebuildRoleArn``,
is needed; a template with ``provisioning=CUSTOMER_MANAGED`` needs none. Violations are
ValidationExceptions. A provisioning repository that is not linked is a
ResourceNotFoundException. Role ARNs, the description and the connection are metadata:
they change at once, while the template version and spec change only when the
deployment succeeds. A ``spec`` with deploymentType NONE is a ValidationException.
An environment whose connection was deleted or rejected can only deploy again with a
new, connected ``environmentAccountConnectionId`` (ValidationException otherwise).
Self-managed and CodeBuild deployments end on their timer like the others; a
NotifyResourceDeploymentStatusChange can end them earlier and attach outputs.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConflictException, ResourceNotFoundException, ValidationException
from . import (
    _arns,
    _connections,
    _deployable,
    _deployment_lifecycle,
    _idempotency,
    _placeholders,
    _schemas,
    _specs,
    _tags,
    _version_rules,
)
from ._account import repository_branch
from ._deployable import ENVIRONMENT, get_environment, render_deployed
from ._deployment_lifecycle import environment_state
from ._engine import Call
from ._pagination import paginate
from ._records import DELETE_IN_PROGRESS, Environment, Template
from ._serde import given
from ._templates import get as get_template
from ._world import Region

OUTPUT = "environment"


def render(region: Region, env: Environment, *, summary: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(_arns.environment(env.name)),
        "name": env.name,
    }
    render_deployed(env, out)
    optional = {
        "description": env.description,
        "protonServiceRoleArn": env.proton_service_role_arn,
        "environmentAccountConnectionId": env.connection_id,
        "environmentAccountId": env.environment_account_id,
        "componentRoleArn": env.component_role_arn,
        "provisioning": env.provisioning,
    }
    if not summary:
        optional["codebuildRoleArn"] = env.codebuild_role_arn
        optional["spec"] = env.spec
    out.update(given(optional))
    if env.provisioning_repository is not None and not summary:
        out["provisioningRepository"] = dict(env.provisioning_repository)
    return out


def _check_create_provisioning(call: Call, template: Template) -> None:
    p = call.params
    if template.provisioning == "CUSTOMER_MANAGED":
        return
    role = p.get("protonServiceRoleArn")
    connection = p.get("environmentAccountConnectionId")
    if "provisioningRepository" in p:
        if role or connection or p.get("codebuildRoleArn"):
            raise ValidationException(
                "provisioningRepository (self-managed provisioning) cannot be combined with "
                "protonServiceRoleArn, environmentAccountConnectionId or codebuildRoleArn."
            )
        return
    if role and connection:
        raise ValidationException(
            "Specify either protonServiceRoleArn or environmentAccountConnectionId, not both."
        )
    if not (role or connection or p.get("codebuildRoleArn")):
        raise ValidationException(
            "Specify protonServiceRoleArn, environmentAccountConnectionId, codebuildRoleArn "
            "or provisioningRepository."
        )


def create(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    name = p["name"]
    existing = region.environments.get(name)
    if existing is not None:
        _idempotency.repeat_create(
            call,
            f"Environment {name}",
            existing,
            deleting=existing.deploy.status == DELETE_IN_PROGRESS,
        )
        return {OUTPUT: render(region, existing)}
    template = get_template(region, "environment", p["templateName"])
    version = _version_rules.for_create(
        template, p["templateMajorVersion"], p.get("templateMinorVersion")
    )
    _schemas.check_environment(version, _specs.environment_spec(p["spec"]))
    _check_create_provisioning(call, template)
    repository = None
    if "provisioningRepository" in p:
        repository = repository_branch(
            call, p["provisioningRepository"], missing=ResourceNotFoundException
        )
    connection = None
    if p.get("environmentAccountConnectionId"):
        connection = _connections.usable(call, p["environmentAccountConnectionId"], name)
    call.engine.check_quota(len(region.environments), call.quotas.environments, "environments")
    _tags.check(call, p.get("tags"))
    env = Environment(
        uid=call.engine.new_id(),
        name=name,
        created_at=call.now,
        template_name=template.name,
        major=version.major,
        minor=version.minor,
        spec=p["spec"],
        deploy=_deployable.new_deploy(call.now),
        created_with=_idempotency.created_with(call),
        description=p.get("description"),
        proton_service_role_arn=p.get("protonServiceRoleArn"),
        connection_id=connection.id if connection else None,
        environment_account_id=connection.environment_account_id if connection else None,
        provisioning_repository=repository,
        codebuild_role_arn=p.get("codebuildRoleArn"),
        component_role_arn=p.get("componentRoleArn"),
        provisioning=template.provisioning,
    )
    region.environments[name] = env
    path = _arns.environment(name)
    _idempotency.forget(call, path)
    _tags.store(region, path, p.get("tags"))
    _start(call, env, "create", (env.major, env.minor, env.spec))
    return {OUTPUT: render(region, env)}


def _start(call: Call, env: Environment, action: str, target: tuple[int, int, str] | None) -> None:
    """Start deploying ``env`` to ``(major, minor, spec)``, or deleting it (``None``)."""
    current = environment_state(env.template_name, env.major, env.minor, env.spec)
    _deployment_lifecycle.start(
        call,
        ENVIRONMENT,
        env,
        action=action,
        environment_name=env.name,
        initial_state=None if action == "create" else current,
        target_state=None if target is None else environment_state(env.template_name, *target),
    )


def _check_update_provisioning(call: Call, env: Environment) -> None:
    p = call.params
    role = p.get("protonServiceRoleArn")
    connection = p.get("environmentAccountConnectionId")
    repository = p.get("provisioningRepository")
    if connection and role:
        raise ValidationException(
            "environmentAccountConnectionId and protonServiceRoleArn cannot both be changed "
            "in one call."
        )
    if env.connection_id is not None:
        if role or repository:
            raise ValidationException(
                f"Environment {env.name} provisions through an environment account connection; "
                "don't pass protonServiceRoleArn or provisioningRepository."
            )
        if connection and connection != env.connection_id:
            conn = _connections.usable(call, connection, env.name)
            if conn.environment_account_id != env.environment_account_id:
                raise ValidationException(
                    f"Environment account connection {conn.id} was created in account "
                    f"{conn.environment_account_id}, not in {env.environment_account_id}."
                )
        return
    if connection:
        raise ValidationException(
            f"Environment {env.name} does not provision through an environment account "
            "connection and cannot be switched to one."
        )
    if env.provisioning == "CUSTOMER_MANAGED":
        return
    if env.provisioning_repository is not None and role:
        raise ValidationException(
            f"Environment {env.name} uses self-managed provisioning; don't pass "
            "protonServiceRoleArn."
        )
    if env.provisioning_repository is None and repository:
        raise ValidationException(
            f"Environment {env.name} uses AWS-managed provisioning; don't pass "
            "provisioningRepository."
        )


def update(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    env = get_environment(region, p["name"])
    _deployable.ensure_idle(env.deploy, f"Environment {env.name}")
    template = get_template(region, "environment", env.template_name)
    target = _version_rules.for_update(template, (env.major, env.minor), p)
    spec = p.get("spec")
    if spec is not None:
        _specs.environment_spec(spec)
        spec = _placeholders.environment(spec, env.spec)
    if target is not None:
        inputs = _specs.environment_spec(spec if spec is not None else env.spec)
        _schemas.check_environment(_version_rules.find(template, *target), inputs)
    _check_update_provisioning(call, env)
    if target is not None and env.connection_id is not None:
        connection = p.get("environmentAccountConnectionId") or env.connection_id
        found = _connections.find(call, connection)
        if found is None or found[1].status != _connections.CONNECTED:
            raise ValidationException(
                f"Environment {env.name} provisions through environment account connection "
                f"{connection}, which is no longer connected; pass a new "
                "environmentAccountConnectionId."
            )
    repository = None
    if "provisioningRepository" in p:
        repository = repository_branch(
            call, p["provisioningRepository"], missing=ResourceNotFoundException
        )
    if "environmentAccountConnectionId" in p:
        env.connection_id = p["environmentAccountConnectionId"]
    if repository is not None:
        env.provisioning_repository = repository
    for member, attribute in (
        ("description", "description"),
        ("protonServiceRoleArn", "proton_service_role_arn"),
        ("codebuildRoleArn", "codebuild_role_arn"),
        ("componentRoleArn", "component_role_arn"),
    ):
        if member in p:
            setattr(env, attribute, p[member])
    env.modified = True
    if target is not None:
        _start(call, env, "update", (*target, spec if spec is not None else env.spec))
    return {OUTPUT: render(region, env)}


def delete(call: Call) -> dict[str, Any]:
    region = call.region
    name = call.params["name"]
    env = region.environments.get(name)
    if env is None:
        return _idempotency.repeat_delete(
            call, _arns.environment(name), f"Environment {name} does not exist."
        )
    if env.deploy.status == DELETE_IN_PROGRESS:
        return {OUTPUT: render(region, env)}
    _deployable.ensure_idle(env.deploy, f"Environment {name}")
    instances = [
        f"{s.name}/{i.name}"
        for s in region.services.values()
        for i in s.instances.values()
        if i.environment_name == name
    ]
    if instances:
        raise ConflictException(
            f"Environment {name} has service instances deployed in it: {', '.join(instances)}."
        )
    components = [c.name for c in region.components.values() if c.environment_name == name]
    if components:
        raise ConflictException(
            f"Environment {name} has components associated with it: {', '.join(components)}."
        )
    _start(call, env, "delete", None)
    return {OUTPUT: render(region, env)}


def read(call: Call) -> dict[str, Any]:
    return {OUTPUT: render(call.region, get_environment(call.region, call.params["name"]))}


def list_all(call: Call) -> dict[str, Any]:
    region = call.region
    items = list(region.environments.values())
    filters = call.params.get("environmentTemplates")
    if filters:
        for item in filters:
            get_template(region, "environment", item["templateName"])
        wanted = {(f["templateName"], int(f["majorVersion"])) for f in filters}
        items = [e for e in items if (e.template_name, e.major) in wanted]
    return paginate(
        call,
        items,
        key=lambda e: [e.name],
        render=lambda e: render(region, e, summary=True),
        result_key="environments",
    )


HANDLERS = {
    "CreateEnvironment": create,
    "GetEnvironment": read,
    "UpdateEnvironment": update,
    "DeleteEnvironment": delete,
    "ListEnvironments": list_all,
    **_deployable.handlers(ENVIRONMENT, lambda call, env: render(call.region, env)),
}
