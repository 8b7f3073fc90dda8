"""Linked repositories and their sync definitions.

Readings: creating a repository that is already linked answers with it when the inputs
are identical and is a ConflictException otherwise; deleting one that a sync
configuration, an environment or the account settings use is a ConflictException.
Sync definitions list the template sync configurations (TEMPLATE_SYNC) or service sync
configurations (SERVICE_SYNC) reading from the repository: ``parent`` is the
repository, ``target`` the template or service, ``directory`` the subdirectory (``/``
when none) or the service's spec file.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConflictException, ResourceNotFoundException
from . import _arns, _idempotency, _tags
from ._account import repository_key
from ._canonical import differences
from ._engine import Call
from ._pagination import paginate, single_page
from ._records import Repository, ServiceSyncConfig, TemplateSyncConfig
from ._serde import given, members
from ._world import Region

OUTPUT = "repository"


def render(region: Region, repo: Repository, *, summary: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(_arns.repository(repo.provider, repo.name)),
        **members(repo, "name", "provider", "connectionArn"),
    }
    if not summary:
        out.update(given(members(repo, "encryptionKey")))
    return out


def get(region: Region, provider: str, name: str) -> Repository:
    repo = region.repositories.get(repository_key(provider, name))
    if repo is None:
        raise ResourceNotFoundException(f"Repository {provider}:{name} is not linked.")
    return repo


def create(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    key = repository_key(p["provider"], p["name"])
    existing = region.repositories.get(key)
    if existing is not None:
        changed = differences(call.operation, existing.created_with, p)
        if changed:
            raise ConflictException(
                f"Repository {key} is already linked with different parameters "
                f"({', '.join(changed)})."
            )
        return {OUTPUT: render(region, existing)}
    _tags.check(call, p.get("tags"))
    repo = Repository(
        provider=p["provider"],
        name=p["name"],
        connection_arn=p["connectionArn"],
        created_with=_idempotency.created_with(call),
        encryption_key=p.get("encryptionKey"),
    )
    region.repositories[key] = repo
    path = _arns.repository(repo.provider, repo.name)
    _idempotency.forget(call, path)
    _tags.store(region, path, p.get("tags"))
    return {OUTPUT: render(region, repo)}


def read(call: Call) -> dict[str, Any]:
    p = call.params
    return {OUTPUT: render(call.region, get(call.region, p["provider"], p["name"]))}


def _users(region: Region, repo: Repository) -> list[str]:
    same = (repo.provider, repo.name)
    users = [
        f"template sync configuration of {c.template_name}"
        for c in region.template_sync_configs.values()
        if (c.repository_provider, c.repository_name) == same
    ]
    users += [
        f"service sync configuration of {c.service_name}"
        for c in region.service_sync_configs.values()
        if (c.repository_provider, c.repository_name) == same
    ]
    users += [
        f"environment {e.name}"
        for e in region.environments.values()
        if e.provisioning_repository
        and (e.provisioning_repository["provider"], e.provisioning_repository["name"]) == same
    ]
    settings = region.settings.pipeline_provisioning_repository
    if settings and (settings["provider"], settings["name"]) == same:
        users.append("the account settings")
    return users


def delete(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    path = _arns.repository(p["provider"], p["name"])
    repo = region.repositories.get(repository_key(p["provider"], p["name"]))
    if repo is None:
        return _idempotency.repeat_delete(
            call, path, f"Repository {p['provider']}:{p['name']} is not linked."
        )
    users = _users(region, repo)
    if users:
        raise ConflictException(f"Repository {repo.provider}:{repo.name} is used by {users[0]}.")
    body = {OUTPUT: render(region, repo)}
    del region.repositories[repository_key(repo.provider, repo.name)]
    _tags.drop(region, path)
    _idempotency.bury(call, path, body)
    return body


def list_all(call: Call) -> dict[str, Any]:
    region = call.region
    return paginate(
        call,
        list(region.repositories.values()),
        key=lambda r: [r.name, r.provider],
        render=lambda r: render(region, r, summary=True),
        result_key="repositories",
    )


def sync_definitions(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    same = (p["repositoryProvider"], p["repositoryName"])
    parent = f"{p['repositoryProvider'].lower()}:{p['repositoryName']}"

    def reads_here(c: TemplateSyncConfig | ServiceSyncConfig) -> bool:
        return (c.repository_provider, c.repository_name) == same

    # (target, branch, directory) of each configuration reading from the repository
    found: list[tuple[str, str, str]]
    if p["syncType"] == "TEMPLATE_SYNC":
        configs = region.template_sync_configs.values()
        found = [
            (c.template_name, c.branch, c.subdirectory or "/") for c in configs if reads_here(c)
        ]
    else:
        services = region.service_sync_configs.values()
        found = [(c.service_name, c.branch, c.file_path) for c in services if reads_here(c)]
    items = [
        {"target": target, "parent": parent, "branch": branch, "directory": directory}
        for target, branch, directory in sorted(found, key=lambda item: item[0])
    ]
    return single_page(call, items, dict, "syncDefinitions")


HANDLERS = {
    "CreateRepository": create,
    "GetRepository": read,
    "DeleteRepository": delete,
    "ListRepositories": list_all,
    "ListRepositorySyncDefinitions": sync_definitions,
}
