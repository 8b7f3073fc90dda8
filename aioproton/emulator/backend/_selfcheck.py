"""Check a response against the operation's output shape, as an SDK would read it.

The model validator covers required members, enums, lengths, patterns and unions;
this adds what it leaves out for outputs: timestamps must be JSON numbers, and no
member may be ``null``.
"""

from __future__ import annotations

from typing import Any

import botocore.model

from ..._service_model import operation_model
from ..._validation import format_path, validate


def _walk(
    shape: botocore.model.Shape, value: Any, path: tuple[str | int, ...], problems: list[str]
) -> None:
    where = format_path(path) or "(response)"
    if value is None:
        problems.append(f"{where}: null is not allowed; omit the member")
        return
    kind = shape.type_name
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{where}: timestamp must be epoch seconds, got {value!r}")
    elif kind == "structure" and isinstance(value, dict):
        members = shape.members
        for name, item in value.items():
            if name in members:
                _walk(members[name], item, (*path, name), problems)
    elif kind == "list" and isinstance(value, list):
        member = shape.member
        for index, item in enumerate(value):
            _walk(member, item, (*path, index), problems)


def check_response(operation: str, response: dict[str, Any]) -> list[str]:
    """Every way ``response`` breaks the output shape of ``operation`` (empty when valid)."""
    shape = operation_model(operation).output_shape
    if shape is None:
        return [] if response == {} else ["this operation returns an empty object"]
    problems = [problem.render() for problem in validate(shape, response)]
    _walk(shape, response, (), problems)
    return problems
