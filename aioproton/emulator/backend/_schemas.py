"""Template schemas: reading them, comparing minors, and checking specs against them.

Reference §11: *"The schema is OpenAPI-3 flavoured"*::

    schema:
      format:
        openapi: "3.0.0"
      environment_input_type: "MyEnvInput"   # service templates: service_input_type
      types:                                 #   (+ pipeline_input_type)
        MyEnvInput:
          type: object
          properties: { my_input: { type: string, default: "x" } }
          required: [ my_input ]

and *"spec-vs-schema validation (required inputs, defaults) is optional fidelity [I]"*.
Here it is done with ``jsonschema`` (Draft 4, the dialect OpenAPI 3.0 schema objects
follow) for the specs of versions whose schema came from a real bundle (``_bundles``);
versions registered opaquely keep accepting any inputs.

Readings [I], the reference being silent:

- An environment schema needs ``environment_input_type``; a service schema needs
  ``service_input_type`` and may have ``pipeline_input_type``. Each names an
  ``object`` type under ``types``; ``$ref: "#/types/Name"`` reaches the other types.
- Defaults are applied before checking, so a required input with a default may be left
  out; the spec is stored as sent. Inputs the type does not declare are refused (as if
  ``additionalProperties: false``) unless the type sets ``additionalProperties`` itself.
  Pipeline inputs for a schema without a pipeline input type are refused.
- A minor version is backward compatible with an earlier minor when it keeps every input
  type and every input, does not change an input's ``type`` or drop one of its ``enum``
  values, and requires no new input that has no default.

Errors are ValidationExceptions that name the member, the input and the fix.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Collection
from typing import Any

import jsonschema
import jsonschema.exceptions
import yaml

from ..errors import ValidationException
from ._records import TemplateVersion
from ._specs import ServiceSpec

ROLES = {
    "environment": "environment_input_type",
    "service": "service_input_type",
    "pipeline": "pipeline_input_type",
}
Validator = jsonschema.Draft4Validator


class SchemaError(ValueError):
    """The schema document is not a usable template schema."""


def parse(text: str, kind: str) -> dict[str, dict[str, Any]]:
    """The JSON Schema of each input role (``environment``, ``service``, ``pipeline``)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SchemaError(f"not valid YAML: {exc}") from exc
    schema = data.get("schema") if isinstance(data, dict) else None
    if not isinstance(schema, dict):
        raise SchemaError("the document must hold a 'schema' mapping")
    fmt = schema.get("format")
    if not isinstance(fmt, dict) or not str(fmt.get("openapi", "")).startswith("3."):
        raise SchemaError('schema.format.openapi must be "3.0.0"')
    types = schema.get("types")
    if not isinstance(types, dict) or not types:
        raise SchemaError("schema.types must map type names to their definitions")
    wanted = ["environment"] if kind == "environment" else ["service"]
    optional = ["pipeline"] if kind == "service" else []
    roles: dict[str, dict[str, Any]] = {}
    for role in wanted + optional:
        key = ROLES[role]
        name = schema.get(key)
        if name is None and role in optional:
            continue
        if not isinstance(name, str) or name not in types:
            raise SchemaError(f"schema.{key} must name one of schema.types")
        body = types[name]
        if not isinstance(body, dict) or body.get("type") != "object":
            raise SchemaError(f"schema.types.{name} must be a type: object definition")
        _check_refs(body, types, f"schema.types.{name}")
        resolved: dict[str, Any] = {"title": name, "types": types, **body}
        resolved.setdefault("additionalProperties", False)
        try:
            Validator.check_schema(resolved)
        except jsonschema.exceptions.SchemaError as exc:
            raise SchemaError(f"schema.types.{name}: {exc.message}") from exc
        roles[role] = resolved
    return roles


def _check_refs(node: Any, types: dict[str, Any], where: str) -> None:
    """Every ``$ref`` must name one of ``types`` (``#/types/Name``)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None and (
            not isinstance(ref, str)
            or not ref.startswith("#/types/")
            or ref.removeprefix("#/types/") not in types
        ):
            raise SchemaError(f"{where}: $ref {ref!r} must be #/types/<a type of schema.types>")
        for key, value in node.items():
            _check_refs(value, types, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _check_refs(value, types, f"{where}[{index}]")


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    found = schema.get("properties")
    return found if isinstance(found, dict) else {}


def incompatibility(old_text: str, new_text: str, kind: str) -> str | None:
    """Why ``new_text`` is not backward compatible with ``old_text`` (``None``: it is)."""
    old = parse(old_text, kind)
    new = parse(new_text, kind)
    for role, before in old.items():
        after = new.get(role)
        if after is None:
            return f"it drops the {ROLES[role]}"
        old_props, new_props = _properties(before), _properties(after)
        for name, was in old_props.items():
            now = new_props.get(name)
            if now is None:
                return f"it removes input {name} of {after['title']}"
            if isinstance(was, dict) and isinstance(now, dict):
                if was.get("type") != now.get("type"):
                    return f"it changes the type of input {name}"
                dropped = set(map(str, was.get("enum") or [])) - set(
                    map(str, now.get("enum") or [])
                )
                if now.get("enum") is not None and dropped:
                    return f"it drops allowed values of input {name}: {', '.join(sorted(dropped))}"
        required_before = set(before.get("required") or [])
        for name in after.get("required") or []:
            has_default = isinstance(new_props.get(name), dict) and "default" in new_props[name]
            if name not in required_before and not has_default:
                return f"it makes input {name} required without a default"
    return None


def _roles(version: TemplateVersion, kind: str) -> dict[str, dict[str, Any]] | None:
    if not version.schema_from_bundle or version.schema is None:
        return None
    return parse(version.schema, kind)


def check_inputs(
    version: TemplateVersion, kind: str, role: str, inputs: dict[str, Any], where: str
) -> None:
    """Refuse ``inputs`` (at ``where`` in the spec) that do not fit ``version``'s schema."""
    roles = _roles(version, kind)
    if roles is None:
        return
    schema = roles.get(role)
    if schema is None:
        if inputs:
            raise ValidationException(
                f"Invalid spec: {where}: version {version.number} of the template has no "
                f"{ROLES[role]}, so it takes no {role} inputs; remove them."
            )
        return
    filled = copy.deepcopy(inputs)
    for name, definition in _properties(schema).items():
        if name not in filled and isinstance(definition, dict) and "default" in definition:
            filled[name] = copy.deepcopy(definition["default"])
    errors = list(Validator(schema).iter_errors(filled))
    # An unknown input is most often a misspelt one: name it before what it leaves missing.
    unknown = [e for e in errors if e.validator == "additionalProperties" and not e.path]
    error = unknown[0] if unknown else jsonschema.exceptions.best_match(errors)
    if error is not None:
        raise ValidationException(_message(error, schema, where))


def _message(
    error: jsonschema.exceptions.ValidationError, schema: dict[str, Any], where: str
) -> str:
    type_name = schema["title"]
    location = ".".join([where, *map(str, error.absolute_path)])
    if error.validator == "additionalProperties" and not error.absolute_path:
        known = sorted(_properties(schema))
        given = error.instance if isinstance(error.instance, dict) else {}
        unknown = sorted(set(given) - set(known))
        hints = [
            f"did you mean {close[0]!r} for {name!r}?"
            for name in unknown
            if (close := difflib.get_close_matches(name, known, n=1))
        ]
        return (
            f"Invalid spec: {location}: {', '.join(map(repr, unknown))} is not an input of "
            f"{type_name}; its inputs are {', '.join(known) or 'none'}. "
            + (" ".join(hints) if hints else "Check the spelling.")
        )
    if error.validator == "required":
        return (
            f"Invalid spec: {location}: {error.message}; {type_name} requires it and it has "
            "no default."
        )
    return f"Invalid spec: {location}: {error.message} ({type_name})."


def check_environment(version: TemplateVersion, inputs: dict[str, Any]) -> None:
    """An environment spec's inputs against ``version``'s schema."""
    check_inputs(version, "environment", "environment", inputs, "spec.spec")


def check_service(
    version: TemplateVersion,
    spec: ServiceSpec,
    *,
    instances: Collection[str] = (),
    pipeline: bool = False,
) -> None:
    """The named instances' inputs, and the pipeline's when asked, against the schema."""
    for index, item in enumerate(spec.instances):
        if item.name in instances:
            where = f"spec.instances[{index}].spec"
            check_inputs(version, "service", "service", item.inputs, where)
    if pipeline:
        check_inputs(version, "service", "pipeline", spec.pipeline or {}, "spec.pipeline")
