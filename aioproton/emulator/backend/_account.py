"""Account settings: the pipeline roles and the pipeline provisioning repository.

An empty string removes a role. The repository must be linked (CreateRepository);
UpdateAccountSettings does not list ResourceNotFoundException, so a dangling one is a
ValidationException.
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
