"""Template sync: a commit to a synced branch registers the template's next version.

Reference §5.1: *"Template sync creates versions the same way (always landing in
DRAFT) [G]."* §5.5: *"``RepositorySyncAttempt.status`` QUEUED, INITIATED, IN_PROGRESS,
SUCCEEDED, FAILED: driven by git pushes"*; *"``ResourceSyncAttempt.status`` INITIATED,
IN_PROGRESS, SUCCEEDED, FAILED: same; ``GetTemplateSyncStatus`` /
``GetServiceInstanceSyncStatus`` return ``latestSync``, ``latestSuccessfulSync``,
``desiredState`` (all optional) [M]."* §7.9: *"``GetTemplateSyncStatus(templateName,
templateType, templateVersion)``: ``templateVersion`` is a **major** version number
[G]."* §3.2: ``RepositorySyncAttempt`` {startedAt, status, events}, ``ResourceSyncAttempt``
{startedAt, status, target, initialRevision, targetRevision, events}, ``Revision``
{repositoryName, repositoryProvider, branch, directory, sha}; *"Example event types seen:
``CLONE_STARTED``, ``CONFIG_UPDATED``, ``STARTING_SYNC`` (free strings) [X]."*

Readings [I] (the reference is silent on these):

- Layout: the template's bundle for major ``N`` is the directory
  ``<subdirectory>/<templateName>/v<N>/`` of the synced branch (the repository root when
  the configuration has no subdirectory). A change to that directory's files registers
  the next minor of major ``N``; a ``v<N>`` directory for a major the template does not
  have registers a new major (numbered as ``Create*TemplateVersion`` without
  ``majorVersion`` numbers it). A service template's compatible environment templates
  come from ``v<N>/.compatible-envs`` (one ``name:major`` a line), else from the
  template's latest version; that file is not part of the bundle.
- The first check of a configuration syncs every ``v<N>`` directory present, as linking
  a repository makes it the template's source.
- Lazy, like every lifecycle here: the branch head is read when a request arrives, for
  each configuration at most once every :data:`POLL_SECONDS` of the emulator's clock;
  the sync status operations and the control API's ``POST /_emulator/sync`` read it at
  once. A repository that nothing maps to a local directory is never read, and its
  statuses stay empty, as before.
- A sync attempt starts IN_PROGRESS when the commit is noticed (events ``CLONE_STARTED``
  and ``STARTING_SYNC`` on the repository, ``STARTING_SYNC`` on the template) and ends
  when the version's registration ends: SUCCEEDED (``SYNC_SUCCEEDED``) when it lands in
  DRAFT, FAILED (``SYNC_FAILED``, with the bundle's reason) when it is rejected or the
  version cannot be created. ``initialRevision`` is the commit synced before (the target
  commit on a first sync); ``desiredState`` is the latest attempt's target revision.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..errors import ServiceError, ValidationException
from . import _template_versions
from ._account import repository_key
from ._engine import Call, Engine, RequestContext
from ._git import GitError, GitRepositories
from ._records import (
    DRAFT,
    PUBLISHED,
    REGISTRATION_FAILED,
    ServiceSyncConfig,
    Template,
    TemplateSyncConfig,
)
from ._world import Region

logger = logging.getLogger("aioproton.emulator")

POLL_SECONDS = 5.0
KEEP_ATTEMPTS = 20
SYNC_TYPE = "TEMPLATE_SYNC"
COMPATIBLE_ENVS = ".compatible-envs"
_MAJOR_DIRECTORY = re.compile(r"^v([1-9][0-9]{0,8})$")
_Config = TypeVar("_Config", TemplateSyncConfig, ServiceSyncConfig)
_RENDERED = ("startedAt", "status", "target", "initialRevision", "targetRevision", "events")


def event(kind: str, text: str, at: float, external_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "event": text, "time": at}
    if external_id is not None:
        out["externalId"] = external_id
    return out


def poll(engine: Engine, region: Region, *, force: bool = False) -> None:
    """Settle finished attempts, then read the branch of every configuration that is due."""
    poll_configs(engine, region, region.template_sync_configs.values(), _settle, _check, force)


def poll_configs(
    engine: Engine,
    region: Region,
    configs: Iterable[_Config],
    settle: Callable[[Region, _Config], None],
    check: Callable[[Engine, GitRepositories, Region, _Config], None],
    force: bool,
) -> None:
    """The polling template and service sync share: ``check`` the configurations due."""
    git = engine.bundles.git
    for config in list(configs):
        settle(region, config)
        due = config.checked_at is None or engine.now - config.checked_at >= POLL_SECONDS
        if not (force or due):
            continue
        if git.location(config.repository_provider, config.repository_name) is None:
            continue
        config.checked_at = engine.now
        check(engine, git, region, config)


def poll_all(engine: Engine) -> None:
    """Read every configuration's branch now (the control API's poke)."""
    for region in list(engine.world.regions.values()):
        poll(engine, region, force=True)
    engine.changed()


def revision(
    config: TemplateSyncConfig | ServiceSyncConfig, directory: str, sha: str
) -> dict[str, Any]:
    """A sync attempt's ``initialRevision`` or ``targetRevision``."""
    return {
        "repositoryName": config.repository_name,
        "repositoryProvider": config.repository_provider,
        "branch": config.branch,
        "directory": directory,
        "sha": sha,
    }


def record_repository(
    engine: Engine,
    region: Region,
    config: TemplateSyncConfig | ServiceSyncConfig,
    sync_type: str,
    sha: str | None,
    error: str | None,
) -> None:
    """Record a read of the configuration's branch, when it saw something new."""
    provider, name, branch = config.repository_provider, config.repository_name, config.branch
    repo = region.repositories.get(repository_key(provider, name))
    if repo is None:
        return
    key = f"{branch}|{sync_type}"
    last = repo.sync_attempts.get(key)
    if last is not None and last.get("sha") == sha and last.get("error") == error:
        return
    where = f"{provider}:{name} ({branch})"
    events = [event("CLONE_STARTED", f"Cloning {where}.", engine.now)]
    if error is None:
        events.append(event("STARTING_SYNC", f"Syncing commit {sha}.", engine.now, sha))
    else:
        events.append(event("CLONE_FAILED", error, engine.now))
    attempt = {
        "startedAt": engine.now,
        "status": "SUCCEEDED" if error is None else "FAILED",
        "events": events,
    }
    repo.sync_attempts[key] = {"sha": sha, "error": error, "attempt": attempt}


def _check(
    engine: Engine, git: GitRepositories, region: Region, config: TemplateSyncConfig
) -> None:
    provider, name = config.repository_provider, config.repository_name
    try:
        sha = git.head(provider, name, config.branch)
    except GitError as exc:
        record_repository(engine, region, config, SYNC_TYPE, None, str(exc))
        return
    record_repository(engine, region, config, SYNC_TYPE, sha, None)
    kind = config.template_type.lower()
    template = region.templates(kind).get(config.template_name)
    if template is None:
        return
    root = (config.subdirectory or "").strip("/")
    template_dir = f"{root}/{template.name}" if root else template.name
    for entry in git.directories(provider, name, sha, template_dir):
        match = _MAJOR_DIRECTORY.match(entry)
        if match is None:
            continue
        directory = f"{template_dir}/{entry}"
        tree = git.tree(provider, name, sha, directory)
        if tree is None or config.synced.get(directory) == tree:
            continue
        config.synced[directory] = tree
        _register(engine, git, region, config, template, directory, int(match.group(1)), sha)
    engine.changed()


def _previous_sha(config: TemplateSyncConfig, directory: str) -> str | None:
    for attempt in reversed(config.attempts):
        if attempt["targetRevision"]["directory"] == directory:
            return str(attempt["targetRevision"]["sha"])
    return None


def _compatible(
    git: GitRepositories, config: TemplateSyncConfig, template: Template, directory: str, sha: str
) -> list[dict[str, str]]:
    raw = git.read(
        config.repository_provider, config.repository_name, sha, f"{directory}/{COMPATIBLE_ENVS}"
    )
    if raw is not None:
        pairs = []
        for line in raw.decode(errors="replace").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            env_name, _, major = line.partition(":")
            if not major.strip().isdigit():
                raise ValidationException(
                    f"{directory}/{COMPATIBLE_ENVS}: {line!r} is not 'template-name:major'."
                )
            pairs.append({"templateName": env_name.strip(), "majorVersion": major.strip()})
        return pairs
    versions = sorted(template.versions.values(), key=lambda v: (v.major, v.minor))
    if not versions:
        raise ValidationException(
            f"{directory} has no {COMPATIBLE_ENVS} file and service template {template.name} "
            "has no earlier version to take its compatible environment templates from."
        )
    return [dict(item) for item in versions[-1].compatible_environment_templates]


def _register(
    engine: Engine,
    git: GitRepositories,
    region: Region,
    config: TemplateSyncConfig,
    template: Template,
    directory: str,
    major: int,
    sha: str,
) -> None:
    kind = template.kind
    attempt: dict[str, Any] = {
        "startedAt": engine.now,
        "status": "IN_PROGRESS",
        "target": template.name,
        "initialRevision": revision(config, directory, _previous_sha(config, directory) or sha),
        "targetRevision": revision(config, directory, sha),
        "events": [],
        "major": str(major),
    }
    config.attempts.append(attempt)
    del config.attempts[:-KEEP_ATTEMPTS]
    source = {
        "git": {
            "provider": config.repository_provider,
            "name": config.repository_name,
            "sha": sha,
            "directory": directory,
        }
    }
    params: dict[str, Any] = {"templateName": template.name, "source": source}
    if any(v.major == major for v in template.versions.values()):
        params["majorVersion"] = str(major)
    facts = {"template": template.name, "directory": directory, "sha": sha}
    try:
        if kind == "service":
            params["compatibleEnvironmentTemplates"] = _compatible(
                git, config, template, directory, sha
            )
        ctx = RequestContext(region.account_id, region.region, "template-sync", region.partition)
        operation = f"Create{kind.title()}TemplateVersion"
        out = _template_versions.create(Call(engine, ctx, region, operation, params), kind)
    except ServiceError as exc:
        attempt["status"] = "FAILED"
        attempt["events"].append(event("SYNC_FAILED", str(exc), engine.now))
        logger.info("template sync failed: %s", exc, extra={**facts, "reason": str(exc)})
        return
    version = out[_template_versions.output_key(kind)]
    number = f"{version['majorVersion']}.{version['minorVersion']}"
    attempt["major"] = version["majorVersion"]
    attempt["version"] = number
    attempt["registrationId"] = template.versions[number].registration_id
    attempt["events"].append(
        event("STARTING_SYNC", f"Registering version {number} from commit {sha}.", engine.now, sha)
    )
    logger.info("template sync registers version %s", number, extra={**facts, "version": number})


def _settle(region: Region, config: TemplateSyncConfig) -> None:
    """End the attempts whose version's registration has ended."""
    template = region.templates(config.template_type.lower()).get(config.template_name)
    for attempt in config.attempts:
        if attempt["status"] != "IN_PROGRESS":
            continue
        number = attempt["version"]
        version = template.versions.get(number) if template is not None else None
        if version is None or version.registration_id != attempt["registrationId"]:
            attempt["status"] = "FAILED"
            attempt["events"].append(
                event("SYNC_FAILED", f"Version {number} was deleted.", attempt["startedAt"])
            )
        elif version.status in (DRAFT, PUBLISHED):
            attempt["status"] = "SUCCEEDED"
            attempt["events"].append(
                event("SYNC_SUCCEEDED", f"Version {number} registered.", version.last_modified_at)
            )
        elif version.status == REGISTRATION_FAILED:
            attempt["status"] = "FAILED"
            reason = version.status_message or "The template bundle could not be registered."
            attempt["events"].append(event("SYNC_FAILED", reason, version.last_modified_at))


def render_attempt(attempt: dict[str, Any]) -> dict[str, Any]:
    return {key: attempt[key] for key in _RENDERED}


def template_status(config: TemplateSyncConfig, major: str) -> dict[str, Any]:
    """The GetTemplateSyncStatus output for ``major``."""
    mine = [a for a in config.attempts if a["major"] == major]
    if not mine:
        return {}
    succeeded = [a for a in mine if a["status"] == "SUCCEEDED"]
    out = {"latestSync": render_attempt(mine[-1]), "desiredState": dict(mine[-1]["targetRevision"])}
    if succeeded:
        out["latestSuccessfulSync"] = render_attempt(succeeded[-1])
    return out


def repository_status(
    region: Region, provider: str, name: str, branch: str, sync_type: str
) -> dict[str, Any]:
    """The GetRepositorySyncStatus output."""
    repo = region.repositories.get(repository_key(provider, name))
    last = repo.sync_attempts.get(f"{branch}|{sync_type}") if repo is not None else None
    return {} if last is None else {"latestSync": dict(last["attempt"])}
