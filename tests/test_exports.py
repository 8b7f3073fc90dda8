"""Every type a public signature names can be imported from the public packages.

Walks the signatures (parameters and return types, resolved with ``get_type_hints``) of
every callable and class that ``aioproton`` and ``aioproton.workflow`` export, methods
and properties included, and fails on an aioproton type that neither package (nor
``aioproton.models``) exports: a user must be able to name what they are given.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from typing import Any

import aioproton
import aioproton.workflow as workflow
from aioproton import models

PUBLIC = (aioproton, workflow)

#: Signatures that take internal plumbing, each for a stated reason.
INTERNAL = {
    # Made by ProtonClient (``proton.paginate``) from the client itself, never by users.
    "Paginator.__init__",
    "GeneratedPaginators.__init__",
}


def exported_types() -> set[type]:
    found = set()
    for module in (*PUBLIC, models):
        for name in getattr(module, "__all__", dir(module)):
            value = getattr(module, name, None)
            if inspect.isclass(value):
                found.add(value)
    return found


def types_in(hint: Any) -> Iterator[type]:
    """Every class a type hint mentions (unions, generics, TypeVars, TypedDict fields)."""
    if isinstance(hint, typing.TypeVar):
        for constraint in hint.__constraints__:
            yield from types_in(constraint)
        if hint.__bound__ is not None:
            yield from types_in(hint.__bound__)
        return
    if typing.get_origin(hint) is not None:
        yield from types_in(typing.get_origin(hint))
        for argument in typing.get_args(hint):
            for part in argument if isinstance(argument, list) else [argument]:
                yield from types_in(part)
        return
    if isinstance(hint, type):
        yield hint
        if typing.is_typeddict(hint):
            for field in typing.get_type_hints(hint).values():
                yield from types_in(field)


def public_signatures() -> Iterator[tuple[str, Callable[..., Any]]]:
    for module in PUBLIC:
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value):
                yield name, value
            if not inspect.isclass(value):
                continue
            for klass in value.__mro__:
                if not klass.__module__.startswith("aioproton"):
                    continue
                for attribute, member in vars(klass).items():
                    if attribute.startswith("_") and attribute != "__init__":
                        continue
                    if isinstance(member, property):
                        member = member.fget
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if inspect.isfunction(member):
                        yield f"{klass.__name__}.{attribute}", member


def test_every_type_in_a_public_signature_is_exported() -> None:
    exported = exported_types()
    missing: dict[str, set[str]] = {}
    walked = 0
    for where, function in public_signatures():
        if where in INTERNAL:
            continue
        walked += 1
        for hint in typing.get_type_hints(function).values():
            for kind in types_in(hint):
                if kind.__module__.startswith("aioproton") and kind not in exported:
                    missing.setdefault(f"{kind.__module__}.{kind.__qualname__}", set()).add(where)
    assert walked > 300  # the 87 operations, the workflow classes, ...
    assert not missing, "\n".join(f"{name} (in {sorted(at)})" for name, at in missing.items())


def test_the_walk_sees_types_inside_generics_unions_and_keyword_sets() -> None:
    mentioned = set(types_in(list[aioproton.Page[models.Environment]] | None))
    assert {aioproton.Page, models.Environment, list} <= mentioned
    keywords = dict(public_signatures())["Waiters.deployed"]
    found = {kind for hint in typing.get_type_hints(keywords).values() for kind in types_in(hint)}
    assert {workflow.WaitOptions, workflow.PollSchedule, workflow.DeploymentTarget} <= found


def test_top_level_all_is_sorted_and_every_name_exists() -> None:
    for name in aioproton.__all__:
        assert getattr(aioproton, name) is not None
    assert aioproton.__all__ == sorted(aioproton.__all__)
