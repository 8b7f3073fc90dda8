"""Template versions: numbering, registration, publishing and the delete guards.

A new version is REGISTRATION_IN_PROGRESS and becomes DRAFT or REGISTRATION_FAILED when
its registration time has passed: its bundle is read and checked then (``_bundles``),
and a version whose bundle no source has gets a placeholder schema; only
``Update*TemplateVersion(status=PUBLISHED)`` publishes a DRAFT. Readings: a
``majorVersion`` that does not exist is a ValidationException; publishing a version
still registering is a ConflictException, publishing a failed one or asking for any
other status change a ValidationException, re-publishing a PUBLISHED version a no-op.
Listing without ``majorVersion`` gives one entry per major: its recommended minor, or
its latest minor when none is published. Compatible environment templates must name an
existing environment template and major version (ResourceNotFoundException). A version
may be deleted while it is still registering (its registration is then forgotten).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConflictException, ResourceNotFoundException, ValidationException
from . import _arns, _bundles, _idempotency, _tags, _version_rules
from ._engine import Call, Engine
from ._pagination import paginate
from ._records import (
    DRAFT,
    PUBLISHED,
    REGISTRATION_FAILED,
    REGISTRATION_IN_PROGRESS,
    Template,
    TemplateVersion,
)
from ._serde import given, members
from ._templates import get as get_template
from ._templates import label, per_kind
from ._world import EventKind, Region

_ENV_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "EnvironmentInputs"
  types:
    EnvironmentInputs:
      type: object
      description: "Inputs of the environment."
      properties: {}
"""

_SERVICE_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  service_input_type: "ServiceInstanceInputs"
  types:
    ServiceInstanceInputs:
      type: object
      description: "Inputs of each service instance."
      properties: {}
"""


def placeholder_schema(template: Template) -> str:
    if template.kind == "environment":
        return _ENV_SCHEMA
    if not template.has_pipeline:
        return _SERVICE_SCHEMA
    return (
        "schema:\n"
        '  format:\n    openapi: "3.0.0"\n'
        '  service_input_type: "ServiceInstanceInputs"\n'
        '  pipeline_input_type: "PipelineInputs"\n'
        "  types:\n"
        "    ServiceInstanceInputs:\n      type: object\n"
        '      description: "Inputs of each service instance."\n      properties: {}\n'
        "    PipelineInputs:\n      type: object\n"
        '      description: "Inputs of the service pipeline."\n      properties: {}\n'
    )


def output_key(kind: str) -> str:
    return f"{kind}TemplateVersion"


def render(
    region: Region, template: Template, version: TemplateVersion, *, summary: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(
            _arns.template_version(template.kind, template.name, version.major, version.minor)
        ),
        "templateName": template.name,
        "majorVersion": str(version.major),
        "minorVersion": str(version.minor),
        **members(version, "status", "createdAt", "lastModifiedAt"),
    }
    out.update(given({"description": version.description}))
    if version.status_message:
        out["statusMessage"] = version.status_message
    recommended = _version_rules.recommended_minor(template, version.major)
    if recommended is not None:
        out["recommendedMinorVersion"] = str(recommended)
    if not summary:
        if version.schema is not None:
            out["schema"] = version.schema
        if template.kind == "service":
            out["compatibleEnvironmentTemplates"] = [
                dict(item) for item in version.compatible_environment_templates
            ]
            if version.supported_component_sources is not None:
                out["supportedComponentSources"] = list(version.supported_component_sources)
    return out


def _check_compatible(region: Region, items: list[dict[str, str]]) -> list[dict[str, str]]:
    checked = []
    for item in items:
        env_template = region.environment_templates.get(item["templateName"])
        if env_template is None:
            raise ResourceNotFoundException(
                f"Compatible environment template {item['templateName']} does not exist."
            )
        major = int(item["majorVersion"])
        if not any(v.major == major for v in env_template.versions.values()):
            raise ResourceNotFoundException(
                f"Major version {major} of environment template {item['templateName']} "
                "does not exist."
            )
        checked.append({"templateName": item["templateName"], "majorVersion": str(major)})
    return checked


def _resolve_token(call: Call, kind: str) -> Callable[[str], dict[str, Any] | None]:
    def resolve(resource: str) -> dict[str, Any] | None:
        name, number, registration_id = resource.split("|")
        template = call.region.templates(kind).get(name)
        version = template.versions.get(number) if template else None
        if template is None or version is None or version.registration_id != registration_id:
            return None
        return {output_key(kind): render(call.region, template, version)}

    return resolve


def create(call: Call, kind: str) -> dict[str, Any]:
    p = call.params
    region = call.region
    template = get_template(region, kind, p["templateName"])
    replayed = _idempotency.replay(call, _resolve_token(call, kind))
    if replayed is not None:
        return replayed
    call.engine.check_quota(
        len(template.versions), call.quotas.versions_per_template, "versions per template"
    )
    existing = _version_rules.ordered(template)
    if p.get("majorVersion") is None:
        major = max((v.major for v in existing), default=0) + 1
        minor = 0
    else:
        major = int(p["majorVersion"])
        minors = [v.minor for v in existing if v.major == major]
        if not minors:
            raise ValidationException(
                f"Major version {major} of {label(kind, template.name)} does not exist; "
                "omit majorVersion to create a new major version."
            )
        minor = max(minors) + 1
    compatible: list[dict[str, str]] = []
    if kind == "service":
        compatible = _check_compatible(region, p["compatibleEnvironmentTemplates"])
    path = _arns.template_version(kind, template.name, major, minor)
    inherited = _tags.of(region, _arns.template(kind, template.name))
    _tags.check(call, p.get("tags"), inherited)
    plan = call.engine.plan(path, "register")
    version = TemplateVersion(
        major=major,
        minor=minor,
        status=REGISTRATION_IN_PROGRESS,
        created_at=call.now,
        last_modified_at=call.now,
        registration_id=call.engine.new_id(),
        source=dict(p["source"]),
        description=p.get("description"),
        compatible_environment_templates=compatible,
        supported_component_sources=(
            list(p["supportedComponentSources"]) if "supportedComponentSources" in p else None
        ),
        planned_outcome=plan.outcome,
        planned_message=plan.message,
    )
    template.versions[version.number] = version
    _idempotency.forget(call, path)
    _tags.store(region, path, p.get("tags"), inherited)
    call.engine.schedule(
        region, plan.seconds, EventKind.REGISTER, kind, template.name, version.number,
        version.registration_id,
    )  # fmt: skip
    _idempotency.remember(call, f"{template.name}|{version.number}|{version.registration_id}")
    return {output_key(kind): render(region, template, version)}


def on_registered(engine: Engine, region: Region, ref: list[str]) -> None:
    kind, name, number, registration_id = ref
    template = region.templates(kind).get(name)
    version = template.versions.get(number) if template else None
    if template is None or version is None or version.registration_id != registration_id:
        return
    if version.status != REGISTRATION_IN_PROGRESS:
        return
    version.last_modified_at = engine.now
    if version.planned_outcome == "succeed":
        try:
            registration = _bundles.register(engine.bundles, template, version)
        except _bundles.BundleError as exc:
            version.status = REGISTRATION_FAILED
            version.status_message = str(exc)
            return
        version.status = DRAFT
        if registration is None:
            version.schema = placeholder_schema(template)
        else:
            version.schema = registration.schema
            version.schema_from_bundle = True
            version.pipeline_engine = registration.pipeline_engine
    else:
        version.status = REGISTRATION_FAILED
        version.status_message = version.planned_message or (
            "The template bundle could not be registered."
        )


def read(call: Call, kind: str) -> dict[str, Any]:
    p = call.params
    template = get_template(call.region, kind, p["templateName"])
    version = _version_rules.find(template, int(p["majorVersion"]), int(p["minorVersion"]))
    return {output_key(kind): render(call.region, template, version)}


def _change_status(version: TemplateVersion, status: str, what: str) -> None:
    if status == version.status:
        return
    if status == PUBLISHED:
        if version.status == REGISTRATION_IN_PROGRESS:
            raise ConflictException(f"{what} is still registering and cannot be published yet.")
        if version.status == REGISTRATION_FAILED:
            raise ValidationException(f"{what} failed to register and cannot be published.")
        version.status = PUBLISHED
        return
    raise ValidationException(
        f"{what} is {version.status}; the only status change allowed is DRAFT to PUBLISHED."
    )


def update(call: Call, kind: str) -> dict[str, Any]:
    p = call.params
    region = call.region
    template = get_template(region, kind, p["templateName"])
    version = _version_rules.find(template, int(p["majorVersion"]), int(p["minorVersion"]))
    what = f"Version {version.number} of {label(kind, template.name).lower()}"
    compatible = None
    if kind == "service" and "compatibleEnvironmentTemplates" in p:
        compatible = _check_compatible(region, p["compatibleEnvironmentTemplates"])
    if "status" in p:
        _change_status(version, p["status"], what)
    if "description" in p:
        version.description = p["description"]
    if compatible is not None:
        version.compatible_environment_templates = compatible
    if kind == "service" and "supportedComponentSources" in p:
        version.supported_component_sources = list(p["supportedComponentSources"])
    version.last_modified_at = call.now
    return {output_key(kind): render(region, template, version)}


def in_use(region: Region, kind: str, name: str) -> set[tuple[int, int]]:
    """Versions a resource is deployed on or is being deployed to."""
    used: set[tuple[int, int]] = set()
    targets: list[tuple[int, int, str | None]] = []
    if kind == "environment":
        for env in region.environments.values():
            if env.template_name == name:
                targets.append((env.major, env.minor, env.deploy.active_id))
    else:
        for service in region.services.values():
            if service.template_name != name:
                continue
            for instance in service.instances.values():
                targets.append((instance.major, instance.minor, instance.deploy.active_id))
            if service.pipeline is not None:
                pipe = service.pipeline
                targets.append((pipe.major, pipe.minor, pipe.deploy.active_id))
    for major, minor, active in targets:
        used.add((major, minor))
        dep = region.deployments.get(active or "")
        if dep is not None and dep.target_state:
            state = next(iter(dep.target_state.values()))
            used.add((int(state["templateMajorVersion"]), int(state["templateMinorVersion"])))
    return used


def delete(call: Call, kind: str) -> dict[str, Any]:
    p = call.params
    region = call.region
    major, minor = int(p["majorVersion"]), int(p["minorVersion"])
    path = _arns.template_version(kind, p["templateName"], major, minor)
    template = region.templates(kind).get(p["templateName"])
    version = template.versions.get(f"{major}.{minor}") if template else None
    if template is None or version is None:
        return _idempotency.repeat_delete(
            call,
            path,
            f"Version {major}.{minor} of {label(kind, p['templateName']).lower()} does not exist.",
        )
    what = f"Version {version.number} of {label(kind, template.name).lower()}"
    if (major, minor) in in_use(region, kind, template.name):
        raise ConflictException(f"{what} is in use by deployed resources.")
    others = [v for v in template.versions.values() if v is not version]
    if _version_rules.recommended(template) == (major, minor) and others:
        raise ConflictException(
            f"{what} is the template's recommended version; it can only be deleted last."
        )
    same_major = [v for v in others if v.major == major]
    if _version_rules.recommended_minor(template, major) == minor and same_major:
        raise ConflictException(
            f"{what} is the recommended minor version of major version {major}; it can only "
            "be deleted when it is the last minor version of that major version."
        )
    body = {output_key(kind): render(region, template, version)}
    del template.versions[version.number]
    _tags.drop(region, path)
    _idempotency.bury(call, path, body)
    return body


def list_all(call: Call, kind: str) -> dict[str, Any]:
    p = call.params
    region = call.region
    template = get_template(region, kind, p["templateName"])
    versions = _version_rules.ordered(template)
    if p.get("majorVersion") is not None:
        major = int(p["majorVersion"])
        chosen = [v for v in versions if v.major == major]
    else:
        chosen = []
        for major in sorted({v.major for v in versions}):
            minors = [v for v in versions if v.major == major]
            best = _version_rules.recommended_minor(template, major)
            chosen.append(next((v for v in minors if v.minor == best), minors[-1]))
    return paginate(
        call,
        chosen,
        key=lambda v: [v.major, v.minor],
        render=lambda v: render(region, template, v, summary=True),
        result_key="templateVersions",
    )


HANDLERS = per_kind(
    {
        "Create{}TemplateVersion": create,
        "Get{}TemplateVersion": read,
        "Update{}TemplateVersion": update,
        "Delete{}TemplateVersion": delete,
        "List{}TemplateVersions": list_all,
    }
)
