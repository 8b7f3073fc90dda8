"""Validate a request against every constraint of the model.

botocore checks only required members, types and minimums; the Proton service also
enforces maximum lengths, patterns, enum values, ranges, list sizes and unions. This
one validator serves both sides: the client runs it before sending (so nothing invalid
leaves the process) and the emulator runs it on every request it receives (so it
rejects what the service rejects). It works on wire-format values (camelCase members,
plain JSON types) and reports every problem with the path of the member at fault.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import botocore.model

PathSegment = str | int


@attrs.frozen
class Problem:
    """One violated rule, e.g. ``spec: length 70000 exceeds 51200``.

    ``name`` renders member names (the client passes ``xform_name`` to show parameter
    names); a key the caller sent that the model does not know (``unknown``) is shown as
    sent, with the ``suggestion`` of the member it most likely meant.
    """

    path: tuple[PathSegment, ...]
    rule: str
    unknown: bool = False
    suggestion: str | None = None

    def render(self, name: Callable[[str], str] = str) -> str:
        where = format_path(self.path, name, last_as_sent=self.unknown) or "(request)"
        hint = f"; did you mean {name(self.suggestion)!r}?" if self.suggestion else ""
        return f"{where}: {self.rule}{hint}"


def format_path(
    path: Sequence[PathSegment], name: Callable[[str], str] = str, *, last_as_sent: bool = False
) -> str:
    text = ""
    for index, segment in enumerate(path):
        if isinstance(segment, int):
            text += f"[{segment}]"
            continue
        shown = segment if last_as_sent and index == len(path) - 1 else name(segment)
        text += f".{shown}" if text else shown
    return text


def validate(
    shape: botocore.model.Shape | None,
    value: Any,
    *,
    allow_unknown_members: bool = False,
) -> list[Problem]:
    """Return every rule ``value`` breaks (an empty list when it is valid)."""
    problems: list[Problem] = []
    if shape is None:
        if value not in (None, {}):
            problems.append(Problem((), "this operation takes no parameters"))
        return problems
    _Walker(problems, allow_unknown_members).visit(shape, value, ())
    return problems


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(_to_end_of_string(pattern))


def _to_end_of_string(pattern: str) -> str:
    """``pattern`` with each ``$`` anchor written ``\\Z``.

    In Python ``$`` also matches before a final newline, so ``^[a-z]+$`` would accept
    ``"web\\n"``; the model means the end of the value. Unanchored patterns keep their
    search semantics (the model's patterns are not implicitly anchored).
    """
    out: list[str] = []
    escaped = in_class = False
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            # A ']' first in a class (``[]a]``, ``[^]a]``) is a literal.
            opened = pattern[index - 1] == "[" or pattern[index - 2 : index] == "[^"
            in_class = not (char == "]" and not opened)
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append("\\Z")
            continue
        out.append(char)
    return "".join(out)


def _suggestion(key: str, members: Iterable[str]) -> str | None:
    """The member a caller most likely meant by an unknown ``key`` (case, ``_``, typos)."""
    members = list(members)
    folded = key.replace("_", "").lower()
    for member in members:
        if member.lower() == folded:
            return member
    close = difflib.get_close_matches(key, members, n=1, cutoff=0.8)
    return close[0] if close else None


def _type_name(value: Any) -> str:
    return type(value).__name__


@attrs.define
class _Walker:
    problems: list[Problem]
    allow_unknown_members: bool

    def fail(self, path: tuple[PathSegment, ...], rule: str) -> None:
        self.problems.append(Problem(path, rule))

    def expect(self, ok: bool, value: Any, path: tuple[PathSegment, ...], kind: str) -> bool:
        """Whether ``value`` has the type the shape wants (``ok``); a problem if not."""
        if not ok:
            self.fail(path, f"expected {kind}, got {_type_name(value)}")
        return ok

    def visit(self, shape: botocore.model.Shape, value: Any, path: tuple[PathSegment, ...]) -> None:
        kind = shape.type_name
        if kind == "structure":
            self.structure(shape, value, path)
        elif kind == "list":
            self.list(shape, value, path)
        elif kind == "map":
            self.map(shape, value, path)
        elif kind == "string":
            self.string(shape, value, path)
        elif kind in ("integer", "long"):
            self.integer(shape, value, path)
        elif kind == "boolean":
            self.expect(isinstance(value, bool), value, path, "a boolean")
        elif kind in ("float", "double", "timestamp"):
            # On the wire (awsJson 1.0) a timestamp is a number of epoch seconds.
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            self.expect(number, value, path, "a number")

    def structure(
        self, shape: botocore.model.StructureShape, value: Any, path: tuple[PathSegment, ...]
    ) -> None:
        if not self.expect(isinstance(value, Mapping), value, path, "an object"):
            return
        members = shape.members
        for name in shape.required_members:
            if value.get(name) is None:
                self.fail((*path, name), "required but missing")
        present = []
        for name, member_value in value.items():
            member_shape = members.get(name)
            if member_shape is None:
                if not self.allow_unknown_members:
                    self.problems.append(
                        Problem(
                            (*path, str(name)),
                            f"unknown member of {shape.name}",
                            unknown=True,
                            suggestion=_suggestion(str(name), members),
                        )
                    )
                continue
            if member_value is None:
                continue
            present.append(name)
            self.visit(member_shape, member_value, (*path, name))
        if shape.is_tagged_union and len(present) != 1:
            detail = f"got {len(present)} ({', '.join(sorted(present))})" if present else "got none"
            self.fail(path, f"union {shape.name} needs exactly one member, {detail}")

    def list(
        self, shape: botocore.model.ListShape, value: Any, path: tuple[PathSegment, ...]
    ) -> None:
        listed = isinstance(value, Sequence) and not isinstance(value, (str, bytes, Mapping))
        if not self.sized(shape, value, path, listed, "a list", "items"):
            return
        for index, item in enumerate(value):
            self.visit(shape.member, item, (*path, index))

    def map(
        self, shape: botocore.model.MapShape, value: Any, path: tuple[PathSegment, ...]
    ) -> None:
        if not self.sized(shape, value, path, isinstance(value, Mapping), "an object", "entries"):
            return
        for key, item in value.items():
            self.visit(shape.key, key, (*path, str(key)))
            self.visit(shape.value, item, (*path, str(key)))

    def string(
        self, shape: botocore.model.StringShape, value: Any, path: tuple[PathSegment, ...]
    ) -> None:
        if not self.sized(shape, value, path, isinstance(value, str), "a string", "length"):
            return
        enum = shape.enum
        if enum and value not in enum:
            self.fail(path, f"{value!r} is not one of {', '.join(enum)}")
            return
        pattern = shape.metadata.get("pattern")
        if pattern is not None and _compiled(pattern).search(value) is None:
            shown = value if len(value) <= 40 else value[:37] + "..."
            self.fail(path, f"{shown!r} does not match pattern {pattern}")

    def integer(
        self, shape: botocore.model.Shape, value: Any, path: tuple[PathSegment, ...]
    ) -> None:
        integer = isinstance(value, int) and not isinstance(value, bool)
        if not self.expect(integer, value, path, "an integer"):
            return
        self.bounds(shape, value, path, "value", maximum="the maximum ")

    def sized(
        self,
        shape: botocore.model.Shape,
        value: Any,
        path: tuple[PathSegment, ...],
        ok: bool,
        kind: str,
        what: str,
    ) -> bool:
        """A list, map or string: its type (see :meth:`expect`), then its size in ``what``;
        whether the value is worth looking into."""
        if not self.expect(ok, value, path, kind):
            return False
        self.bounds(shape, len(value), path, what)
        return True

    def bounds(
        self,
        shape: botocore.model.Shape,
        size: int,
        path: tuple[PathSegment, ...],
        what: str,
        *,
        maximum: str = "",
    ) -> None:
        """``size`` within the shape's ``min`` and ``max`` (``maximum`` names the upper one)."""
        low = shape.metadata.get("min")
        high = shape.metadata.get("max")
        if low is not None and size < low:
            self.fail(path, f"{what} {size} is below the minimum {low}")
        elif high is not None and size > high:
            self.fail(path, f"{what} {size} exceeds {maximum}{high}")
