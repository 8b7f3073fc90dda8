"""Account settings: the pipeline roles and the pipeline provisioning repository.

An empty string removes a role. The repository must be linked (CreateRepository);
UpdateAccountSettings does not list ResourceNotFoundException, so a dangling one is a
ValidationException.

A service whose template has a pipeline needs a pipeline role: reference §7.5, *"the
account needs a pipeline role (``UpdateAccountSettings.pipelineServiceRoleArn`` /
``pipelineCodebuildRoleArn``) [G]"*. The reference gives no error; the real service was
reported answering ``ValidationException: Operation cannot be run until pipeline roles
have been configured`` (aws-samples/aws-proton-cloudformation-sample-templates#44), so
that is the answer here, with the advice appended. Which role counts [I]: a pipeline
whose bundle manifest uses the ``codebuild`` rendering engine needs the CodeBuild role;
one read from a bundle with another engine needs the pipeline service role; an opaque
bundle (nothing read) accepts either.
"""

from __future__ import annotations

from typing import Any

from ..errors import ValidationException
from . import _arns
from ._engine import Call
from ._world import Region


def repository_key(provider: str, name: str) -> str:
    return f"{provider}:{name}"


def repository_branch(
    call: Call, value: dict[str, str], *, missing: type[Exception]
) -> dict[str, str]:
    """A ``{provider, name, branch}`` input as a stored RepositoryBranch of a linked repo."""
    key = repository_key(value["provider"], value["name"])
    if key not in call.region.repositories:
        raise missing(
            f"Repository {value['provider']}:{value['name']} is not linked; "
            "create it with CreateRepository first."
        )
    return {
        "arn": call.arn(_arns.repository(value["provider"], value["name"])),
        "branch": value["branch"],
        "name": value["name"],
        "provider": value["provider"],
    }


def require_pipeline_role(region: Region, engine: str | None) -> None:
    """Refuse a pipeline the account has no role for (``engine``: the bundle's, if read)."""
    settings = region.settings
    if engine == "codebuild":
        present, member = settings.pipeline_codebuild_role_arn, "pipelineCodebuildRoleArn"
    elif engine is not None:
        present, member = settings.pipeline_service_role_arn, "pipelineServiceRoleArn"
    else:
        present = settings.pipeline_service_role_arn or settings.pipeline_codebuild_role_arn
        member = "pipelineServiceRoleArn (or pipelineCodebuildRoleArn)"
    if not present:
        raise ValidationException(
            "Operation cannot be run until pipeline roles have been configured; call "
            f"UpdateAccountSettings with {member} first."
        )


def render(region: Region) -> dict[str, Any]:
    settings = region.settings
    out: dict[str, Any] = {}
    if settings.pipeline_service_role_arn:
        out["pipelineServiceRoleArn"] = settings.pipeline_service_role_arn
    if settings.pipeline_codebuild_role_arn:
        out["pipelineCodebuildRoleArn"] = settings.pipeline_codebuild_role_arn
    if settings.pipeline_provisioning_repository:
        out["pipelineProvisioningRepository"] = dict(settings.pipeline_provisioning_repository)
    return out


def get_account_settings(call: Call) -> dict[str, Any]:
    return {"accountSettings": render(call.region)}


def update_account_settings(call: Call) -> dict[str, Any]:
    p = call.params
    settings = call.region.settings
    repository = None
    if p.get("deletePipelineProvisioningRepository") and "pipelineProvisioningRepository" in p:
        raise ValidationException(
            "deletePipelineProvisioningRepository cannot be combined with "
            "pipelineProvisioningRepository."
        )
    if "pipelineProvisioningRepository" in p:
        repository = repository_branch(
            call, p["pipelineProvisioningRepository"], missing=ValidationException
        )
    if "pipelineServiceRoleArn" in p:
        settings.pipeline_service_role_arn = p["pipelineServiceRoleArn"] or None
    if "pipelineCodebuildRoleArn" in p:
        settings.pipeline_codebuild_role_arn = p["pipelineCodebuildRoleArn"] or None
    if repository is not None:
        settings.pipeline_provisioning_repository = repository
    if p.get("deletePipelineProvisioningRepository"):
        settings.pipeline_provisioning_repository = None
    return {"accountSettings": render(call.region)}


HANDLERS = {
    "GetAccountSettings": get_account_settings,
    "UpdateAccountSettings": update_account_settings,
}
