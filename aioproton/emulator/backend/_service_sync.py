"""Service sync: the service spec in a linked repository deploys the instances it names.

Reference §7.9: *"``CreateServiceSyncConfig(serviceName, repositoryName,
repositoryProvider, branch, filePath)``: One per service [I]; the service must exist
[I]. … Deleting the config never deletes instances [G]."* §7.6:
*"``CreateServiceInstance`` … adds one instance to an existing service (used by service
sync) [M]."* §5.5: a sync blocker is *"Created automatically … when a synced service is
changed manually"*; *"``ResourceSyncAttempt.status`` INITIATED, IN_PROGRESS, SUCCEEDED,
FAILED … ``GetServiceInstanceSyncStatus`` return[s] ``latestSync``,
``latestSuccessfulSync``, ``desiredState`` (all optional) [M]."*

Readings [I] (the reference is silent on these):

- ``filePath`` names the ``proton-ops`` file on the synced branch::

      sync:
        services:
          <serviceName>:
            spec: path/to/spec.yaml     # from the repository root

  and that spec is a ServiceSpec document. When the ops file or the spec changes, each
  instance the spec names whose entry (environment, inputs) differs from what it runs
  is deployed as ``UpdateServiceInstance(CURRENT_VERSION, spec)`` would, or created as
  ``CreateServiceInstance`` would (the recommended version). Instances the spec leaves
  out are not touched (removing one takes ``UpdateService``), nor is the pipeline.
  These calls are sync's own: they raise no sync blocker.
- An ACTIVE blocker on the service or the instance stops that instance's sync: its
  attempt FAILS with the blocker's reason until the blocker is resolved and the
  repository changes again. An ops file or spec that cannot be read or parsed fails
  the attempt of every instance the service has.
- Noticed as template sync notices commits (``_template_sync``: on requests, at most
  once every ``POLL_SECONDS`` of the clock, at once for the status operation and the
  control API's poke). An instance's attempt is IN_PROGRESS while its deployment runs
  and ends with it (SUCCEEDED, or FAILED with the deployment's message);
  ``targetRevision`` and ``desiredState`` name the spec file at the synced commit, and
  ``initialRevision`` the commit synced before (the same commit on a first sync).
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import ServiceError, ValidationException
from . import _service_instances, _specs
from ._deployable import get_instance
from ._engine import Call, Engine, RequestContext
from ._git import GitError, GitRepositories
from ._records import SUCCEEDED, TERMINAL, Service, ServiceSyncConfig
from ._sync import SYNC_REQUEST_ID
from ._template_sync import event, poll_configs, record_repository, render_attempt, revision
from ._world import Region

logger = logging.getLogger("aioproton.emulator")

SYNC_TYPE = "SERVICE_SYNC"
KEEP_ATTEMPTS = 20


def poll(engine: Engine, region: Region, *, force: bool = False) -> None:
    """Settle finished attempts, then read the branch of every configuration that is due."""
    poll_configs(engine, region, region.service_sync_configs.values(), _settle, _check, force)


def poll_all(engine: Engine) -> None:
    for region in list(engine.world.regions.values()):
        poll(engine, region, force=True)


def _read_spec(git: GitRepositories, config: ServiceSyncConfig, sha: str) -> tuple[str, str]:
    """The spec file's path and text at ``sha``; a ValidationException says what is wrong."""
    provider, name = config.repository_provider, config.repository_name
    ops_path = config.file_path.strip("/")
    raw = git.read(provider, name, sha, ops_path)
    if raw is None:
        raise ValidationException(f"The proton-ops file {ops_path} does not exist.")
    ops = _specs.load_file(raw, ops_path, ValidationException)
    services = ops.get("sync", {}).get("services") if isinstance(ops, dict) else None
    entry = services.get(config.service_name) if isinstance(services, dict) else None
    spec_path = entry.get("spec") if isinstance(entry, dict) else None
    if not isinstance(spec_path, str) or not spec_path:
        raise ValidationException(f"{ops_path} must name sync.services.{config.service_name}.spec.")
    spec_path = spec_path.removeprefix("./").strip("/")
    text = git.read(provider, name, sha, spec_path)
    if text is None:
        raise ValidationException(f"The service spec {spec_path} does not exist.")
    try:
        return spec_path, text.decode()
    except UnicodeDecodeError as exc:
        raise ValidationException(f"The service spec {spec_path} is not UTF-8 text.") from exc


def _check(engine: Engine, git: GitRepositories, region: Region, config: ServiceSyncConfig) -> None:
    try:
        sha = git.head(config.repository_provider, config.repository_name, config.branch)
    except GitError as exc:
        record_repository(engine, region, config, SYNC_TYPE, None, str(exc))
        return
    record_repository(engine, region, config, SYNC_TYPE, sha, None)
    service = region.services.get(config.service_name)
    if service is None:
        return
    spec_path = config.file_path.strip("/")
    try:
        spec_path, text = _read_spec(git, config, sha)
        spec = _specs.service_spec(text, need_instances=False)
    except ValidationException as exc:
        if config.synced_spec != f"error:{sha}":
            config.synced_spec = f"error:{sha}"
            for name in service.instances:
                _attempt(engine, config, name, spec_path, sha, error=str(exc))
            engine.changed()
        return
    if text == config.synced_spec:
        return
    config.synced_spec = text
    for entry in spec.instances:
        if not _differs(service, entry):
            continue
        _apply(engine, region, config, service, entry, text, spec_path, sha)
    engine.changed()


def _differs(service: Service, entry: _specs.InstanceSpec) -> bool:
    instance = service.instances.get(entry.name)
    if instance is None:
        return True
    try:
        running = _specs.service_spec(instance.spec, need_instances=False).instance(entry.name)
    except ValidationException:
        return True
    return running is None or (running.environment, running.inputs) != (
        entry.environment,
        entry.inputs,
    )


def _blocker(region: Region, service: str, instance: str) -> str | None:
    for blocker in region.blockers.values():
        if blocker.status != "ACTIVE" or blocker.service_name != service:
            continue
        if blocker.service_instance_name in (None, instance):
            return f"Blocked by sync blocker {blocker.id}: {blocker.created_reason}"
    return None


def _attempt(
    engine: Engine,
    config: ServiceSyncConfig,
    instance: str,
    spec_path: str,
    sha: str,
    *,
    error: str | None = None,
) -> dict[str, Any]:
    history = config.attempts.setdefault(instance, [])
    initial = history[-1]["targetRevision"]["sha"] if history else sha
    attempt: dict[str, Any] = {
        "startedAt": engine.now,
        "status": "IN_PROGRESS" if error is None else "FAILED",
        "target": instance,
        "initialRevision": revision(config, spec_path, initial),
        "targetRevision": revision(config, spec_path, sha),
        "events": [event("STARTING_SYNC", f"Syncing {spec_path} at {sha}.", engine.now, sha)],
    }
    if error is not None:
        attempt["events"].append(event("SYNC_FAILED", error, engine.now))
        facts = {"service": config.service_name, "instance": instance, "sha": sha}
        logger.info("service sync failed: %s", error, extra={**facts, "reason": error})
    history.append(attempt)
    del history[:-KEEP_ATTEMPTS]
    return attempt


def _apply(
    engine: Engine,
    region: Region,
    config: ServiceSyncConfig,
    service: Service,
    entry: _specs.InstanceSpec,
    text: str,
    spec_path: str,
    sha: str,
) -> None:
    blocked = _blocker(region, service.name, entry.name)
    if blocked is not None:
        _attempt(engine, config, entry.name, spec_path, sha, error=blocked)
        return
    exists = entry.name in service.instances
    ctx = RequestContext(region.account_id, region.region, SYNC_REQUEST_ID, region.partition)
    params: dict[str, Any] = {"serviceName": service.name, "name": entry.name, "spec": text}
    try:
        if exists:
            params["deploymentType"] = "CURRENT_VERSION"
            call = Call(engine, ctx, region, "UpdateServiceInstance", params)
            _service_instances.update(call)
        else:
            call = Call(engine, ctx, region, "CreateServiceInstance", params)
            _service_instances.create(call)
    except ServiceError as exc:
        _attempt(engine, config, entry.name, spec_path, sha, error=str(exc))
        return
    attempt = _attempt(engine, config, entry.name, spec_path, sha)
    attempt["deploymentId"] = service.instances[entry.name].deploy.active_id
    logger.info(
        "service sync deploys instance %s",
        entry.name,
        extra={"service": service.name, "instance": entry.name, "sha": sha},
    )


def _settle(region: Region, config: ServiceSyncConfig) -> None:
    """End the attempts whose deployment has ended."""
    for history in config.attempts.values():
        for attempt in history:
            if attempt["status"] != "IN_PROGRESS":
                continue
            dep = region.deployments.get(attempt.get("deploymentId") or "")
            if dep is not None and dep.status not in TERMINAL:
                continue
            ok = dep is not None and dep.status == SUCCEEDED
            at = dep.last_modified_at if dep is not None else attempt["startedAt"]
            attempt["status"] = "SUCCEEDED" if ok else "FAILED"
            if ok:
                attempt["events"].append(event("SYNC_SUCCEEDED", "Deployed.", at))
            else:
                reason = (dep.message if dep is not None else None) or "The deployment ended."
                attempt["events"].append(event("SYNC_FAILED", reason, at))


def instance_status(call: Call) -> dict[str, Any]:
    """GetServiceInstanceSyncStatus: this instance's latest attempts."""
    p = call.params
    get_instance(call.region, p["serviceName"], p["serviceInstanceName"])
    poll(call.engine, call.region, force=True)
    config = call.region.service_sync_configs.get(p["serviceName"])
    history = config.attempts.get(p["serviceInstanceName"], []) if config is not None else []
    if not history:
        return {}
    out = {
        "latestSync": render_attempt(history[-1]),
        "desiredState": dict(history[-1]["targetRevision"]),
    }
    succeeded = [a for a in history if a["status"] == "SUCCEEDED"]
    if succeeded:
        out["latestSuccessfulSync"] = render_attempt(succeeded[-1])
    return out


HANDLERS = {"GetServiceInstanceSyncStatus": instance_status}
