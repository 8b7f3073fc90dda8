"""Template version rules: recommendations, defaults, the deploymentType matrix, staleness.

Also which environments a service template version may deploy into. Readings of
undocumented cases: MINOR_VERSION with no newer minor redeploys the current
version; MINOR_VERSION may name any published minor of the current major; a version
that exists but is not PUBLISHED is a ValidationException; one that does not exist is a
ResourceNotFoundException.
"""

from __future__ import annotations

from typing import Any

from ..errors import ResourceNotFoundException, ValidationException
from ._records import PUBLISHED, Environment, Template, TemplateVersion


def ordered(template: Template) -> list[TemplateVersion]:
    return sorted(template.versions.values(), key=lambda v: (v.major, v.minor))


def recommended_minor(template: Template, major: int) -> int | None:
    """The highest published minor of ``major``."""
    minors = [
        v.minor for v in template.versions.values() if v.major == major and v.status == PUBLISHED
    ]
    return max(minors) if minors else None


def recommended(template: Template) -> tuple[int, int] | None:
    """The highest published ``(major, minor)`` of the template."""
    published = [(v.major, v.minor) for v in template.versions.values() if v.status == PUBLISHED]
    return max(published) if published else None


def recommended_text(template: Template) -> str | None:
    best = recommended(template)
    return None if best is None else f"{best[0]}.{best[1]}"


def _label(template: Template) -> str:
    return f"{template.kind} template {template.name}"


def find(template: Template, major: int, minor: int) -> TemplateVersion:
    version = template.versions.get(f"{major}.{minor}")
    if version is None:
        raise ResourceNotFoundException(
            f"Version {major}.{minor} of {_label(template)} does not exist."
        )
    return version


def usable(template: Template, major: int, minor: int) -> TemplateVersion:
    """A version that exists and is PUBLISHED."""
    version = find(template, major, minor)
    if version.status != PUBLISHED:
        raise ValidationException(
            f"Version {major}.{minor} of {_label(template)} is {version.status}; "
            "only PUBLISHED versions can be deployed."
        )
    return version


def _default_minor(template: Template, major: int) -> int:
    minor = recommended_minor(template, major)
    if minor is None:
        if not any(v.major == major for v in template.versions.values()):
            raise ResourceNotFoundException(
                f"Major version {major} of {_label(template)} does not exist."
            )
        raise ValidationException(
            f"Major version {major} of {_label(template)} has no PUBLISHED minor version."
        )
    return minor


def for_create(template: Template, major: str | None, minor: str | None) -> TemplateVersion:
    """The version a new resource deploys: ``major`` (or the recommended), minor defaulted."""
    if major is None:
        best = recommended(template)
        if best is None:
            raise ValidationException(f"{_label(template)} has no PUBLISHED version.")
        if minor is not None:
            return usable(template, best[0], int(minor))
        return usable(template, *best)
    chosen_major = int(major)
    chosen_minor = int(minor) if minor is not None else _default_minor(template, chosen_major)
    return usable(template, chosen_major, chosen_minor)


def for_update(
    template: Template,
    current: tuple[int, int],
    params: dict[str, Any],
    *,
    spec_required: bool = False,
) -> tuple[int, int] | None:
    """The version an Update* request deploys (``None`` for NONE), per the deploymentType matrix.

    NONE takes no ``spec`` (ValidationException), except where the operation requires
    one (``spec_required``, UpdateServicePipeline): there NONE ignores it.
    """
    deployment_type = params["deploymentType"]
    major: str | None = params.get("templateMajorVersion")
    minor: str | None = params.get("templateMinorVersion")
    current_major = current[0]
    if deployment_type in ("NONE", "CURRENT_VERSION"):
        if major is not None or minor is not None:
            raise ValidationException(
                f"deploymentType {deployment_type} does not take templateMajorVersion or "
                "templateMinorVersion."
            )
        if deployment_type == "CURRENT_VERSION":
            return current
        if params.get("spec") is not None and not spec_required:
            raise ValidationException("deploymentType NONE does not take a spec.")
        return None
    if deployment_type == "MINOR_VERSION":
        if major is not None and int(major) != current_major:
            raise ValidationException(
                "deploymentType MINOR_VERSION cannot change the major version; use MAJOR_VERSION."
            )
        if minor is not None:
            usable(template, current_major, int(minor))
            return current_major, int(minor)
        target_minor = recommended_minor(template, current_major)
        if target_minor is None:
            raise ValidationException(
                f"Major version {current_major} of {_label(template)} has no PUBLISHED "
                "minor version."
            )
        return current_major, target_minor
    # MAJOR_VERSION
    if major is not None:
        target_major = int(major)
        if target_major <= current_major:
            raise ValidationException(
                f"deploymentType MAJOR_VERSION needs a major version higher than "
                f"{current_major}, got {target_major}."
            )
    else:
        best = recommended(template)
        if best is None or best[0] <= current_major:
            raise ValidationException(
                f"{_label(template)} has no PUBLISHED major version higher than {current_major}."
            )
        target_major = best[0]
    target_minor = int(minor) if minor is not None else _default_minor(template, target_major)
    usable(template, target_major, target_minor)
    return target_major, target_minor


UP_TO_DATE = "UP_TO_DATE"
BEHIND_MINOR = "BEHIND_MINOR"
BEHIND_MAJOR = "BEHIND_MAJOR"


def staleness(template: Template | None, major: int, minor: int) -> str:
    """How a deployed version compares with the template's recommendations."""
    if template is None:
        return UP_TO_DATE
    best = recommended(template)
    if best is not None and best[0] > major:
        return BEHIND_MAJOR
    best_minor = recommended_minor(template, major)
    if best_minor is not None and best_minor > minor:
        return BEHIND_MINOR
    return UP_TO_DATE


def check_compatible(version: TemplateVersion, env: Environment, template_name: str) -> None:
    """A service template version deploys only into the environment templates it lists."""
    wanted = {"templateName": env.template_name, "majorVersion": str(env.major)}
    if wanted not in version.compatible_environment_templates:
        raise ValidationException(
            f"Environment {env.name} ({env.template_name} major version {env.major}) is not "
            f"compatible with version {version.number} of service template {template_name}."
        )
