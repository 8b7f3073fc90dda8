"""``${Proton::CURRENT_VAL}``: an input that keeps the value it has now.

Reference §11: *"``"${Proton::CURRENT_VAL}"`` as a value means 'keep the currently stored
value' [G]"*; §7.5: *"a kept instance must have the same environment and inputs, and
pipeline inputs must be unchanged (``"${Proton::CURRENT_VAL}"`` placeholders keep
current values)"*. The service substitutes the value, so what is stored (and shown by
GetService, GetServiceInstance, GetEnvironment and the pipeline) is the real value, and
a later request that spells the value out matches it.

Readings where the reference is silent [I]: the placeholder is recognised as the whole
value of a top-level input (of an environment's ``spec``, of an instance's ``spec`` or of
``pipeline``); the current value is the one the resource is deployed with now (an
instance's own spec, the pipeline's own spec, the environment's spec); a placeholder
with no current value (a new instance, an input the resource does not have) is a
ValidationException. A document without placeholders is stored exactly as sent; one
with placeholders is stored re-serialised with the values filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from ..errors import ValidationException
from ._records import Service
from ._specs import CURRENT_VALUE, load

Inputs = dict[str, Any]


def _uses_placeholder(inputs: Any) -> bool:
    return isinstance(inputs, dict) and any(value == CURRENT_VALUE for value in inputs.values())


def _fill(inputs: Inputs, current: Inputs | None, where: str, owner: str) -> Inputs:
    filled: Inputs = {}
    for key, value in inputs.items():
        if value != CURRENT_VALUE:
            filled[key] = value
            continue
        if current is None or key not in current:
            raise ValidationException(
                f"Invalid spec: {where}.{key}: {CURRENT_VALUE} keeps a current value, but "
                f"{owner} has no current value for {key}; spell the value out."
            )
        filled[key] = current[key]
    return filled


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def environment(text: str, current_spec: str) -> str:
    """An environment spec with its placeholders replaced from ``current_spec``."""
    data = load(text, "spec")
    if not isinstance(data, dict) or not _uses_placeholder(data.get("spec")):
        return text
    current = load(current_spec, "spec")
    inputs = current.get("spec") if isinstance(current, dict) else None
    data["spec"] = _fill(
        data["spec"], inputs if isinstance(inputs, dict) else {}, "spec", "the environment"
    )
    return _dump(data)


def instance_inputs(spec_text: str, name: str) -> Inputs | None:
    """The inputs of instance ``name`` in a stored service spec document."""
    data = load(spec_text, "spec")
    items = data.get("instances") if isinstance(data, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("name") == name:
            inputs = item.get("spec")
            return inputs if isinstance(inputs, dict) else {}
    return None


def pipeline_inputs(spec_text: str) -> Inputs | None:
    """The pipeline inputs of a stored service spec document."""
    data = load(spec_text, "spec")
    inputs = data.get("pipeline") if isinstance(data, dict) else None
    return inputs if isinstance(inputs, dict) else None


def current_instance_inputs(service: Service, name: str) -> Inputs | None:
    """What instance ``name`` of ``service`` is deployed with now (``None``: no such instance)."""
    instance = service.instances.get(name)
    if instance is None:
        return None
    found = instance_inputs(instance.spec, name)
    return found if found is not None else instance_inputs(service.spec, name)


def current_pipeline_inputs(service: Service) -> Inputs | None:
    return None if service.pipeline is None else pipeline_inputs(service.pipeline.spec)


def service_spec(text: str, service: Service) -> str:
    """A spec for ``service`` with its placeholders replaced by the current values."""
    return _service(
        text,
        lambda name: current_instance_inputs(service, name),
        current_pipeline_inputs(service),
    )


def _service(
    text: str,
    current_instance: Callable[[str], Inputs | None],
    current_pipeline: Inputs | None,
) -> str:
    data = load(text, "spec")
    if not isinstance(data, dict):
        return text
    items = data.get("instances")
    entries = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    pipeline = data.get("pipeline")
    if not _uses_placeholder(pipeline) and not any(
        _uses_placeholder(item.get("spec")) for item in entries
    ):
        return text
    for index, item in enumerate(entries):
        if _uses_placeholder(item.get("spec")):
            name = str(item.get("name"))
            item["spec"] = _fill(
                item["spec"],
                current_instance(name),
                f"instances[{index}].spec",
                f"service instance {name}",
            )
    if isinstance(pipeline, dict) and _uses_placeholder(pipeline):
        data["pipeline"] = _fill(pipeline, current_pipeline, "pipeline", "the pipeline")
    return _dump(data)
