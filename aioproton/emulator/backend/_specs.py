"""Spec documents: the YAML an environment or a service is deployed with.

An environment spec is ``proton: EnvironmentSpec`` with an optional ``spec`` mapping of
inputs. A service spec is ``proton: ServiceSpec`` with ``instances`` (a list of
``{name, environment, spec}``) and an optional ``pipeline`` mapping. Problems are
ValidationExceptions that say where: the line and column of a YAML syntax error, or
the path of the member at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs
import yaml

from ..errors import ValidationException

CURRENT_VALUE = "${Proton::CURRENT_VAL}"
_NAME = re.compile(r"^[0-9A-Za-z]+[0-9A-Za-z_\-]*$")


@attrs.frozen
class InstanceSpec:
    name: str
    environment: str
    inputs: dict[str, Any]


@attrs.frozen
class ServiceSpec:
    instances: tuple[InstanceSpec, ...]
    pipeline: dict[str, Any] | None

    def instance(self, name: str) -> InstanceSpec | None:
        return next((item for item in self.instances if item.name == name), None)


def _invalid(member: str, where: str, problem: str) -> ValidationException:
    location = f"{member}.{where}" if where else member
    return ValidationException(f"Invalid {member}: {location}: {problem}")


def load(text: str, member: str) -> Any:
    """Parse YAML, turning a syntax error into a ValidationException with its position."""
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise ValidationException(f"Invalid {member}: {problem}") from exc
        raise ValidationException(
            f"Invalid {member}: YAML error at line {mark.line + 1}, column {mark.column + 1}: "
            f"{problem}"
        ) from exc
    except yaml.YAMLError as exc:
        raise ValidationException(f"Invalid {member}: {exc}") from exc


def load_file(raw: bytes, path: str, error: Callable[[str], Exception]) -> Any:
    """The YAML document in a bundle's or repository's file at ``path``, or ``error``
    raised with what is wrong with it."""
    try:
        return yaml.safe_load(raw)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise error(f"{path} is not valid YAML: {exc}") from exc


def _document(text: str, member: str, kind: str) -> dict[str, Any]:
    data = load(text, member)
    if not isinstance(data, dict):
        raise _invalid(member, "", "the document must be a mapping")
    if data.get("proton") != kind:
        raise _invalid(member, "proton", f"must be {kind!r}")
    return data


def _mapping(data: dict[str, Any], key: str, member: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid(member, where, "must be a mapping")
    return value


def environment_spec(text: str, member: str = "spec") -> dict[str, Any]:
    """The inputs of an environment spec."""
    data = _document(text, member, "EnvironmentSpec")
    return _mapping(data, "spec", member, "spec")


def service_spec(text: str, member: str = "spec", *, need_instances: bool = True) -> ServiceSpec:
    data = _document(text, member, "ServiceSpec")
    raw = data.get("instances")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise _invalid(member, "instances", "must be a list")
    if need_instances and not raw:
        raise _invalid(member, "instances", "at least one instance is required")
    instances: list[InstanceSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"instances[{index}]"
        if not isinstance(item, dict):
            raise _invalid(member, where, "must be a mapping")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise _invalid(member, f"{where}.name", "required string")
        if len(name) > 100 or not _NAME.match(name):
            raise _invalid(member, f"{where}.name", f"{name!r} is not a valid resource name")
        if name in seen:
            raise _invalid(member, f"{where}.name", f"duplicate instance name {name!r}")
        seen.add(name)
        environment = item.get("environment")
        if not isinstance(environment, str) or not environment:
            raise _invalid(member, f"{where}.environment", "required string")
        inputs = _mapping(item, "spec", member, f"{where}.spec")
        instances.append(InstanceSpec(name, environment, inputs))
    pipeline = None
    if "pipeline" in data and data["pipeline"] is not None:
        pipeline = _mapping(data, "pipeline", member, "pipeline")
    return ServiceSpec(tuple(instances), pipeline)


def same_inputs(requested: dict[str, Any], current: dict[str, Any]) -> bool:
    """Whether ``requested`` keeps ``current``, honouring ``${Proton::CURRENT_VAL}``."""
    resolved = {
        key: current.get(key) if value == CURRENT_VALUE else value
        for key, value in requested.items()
    }
    return resolved == current
