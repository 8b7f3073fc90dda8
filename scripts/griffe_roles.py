"""A griffe extension for the docs site: Sphinx roles in docstrings become links.

The docstrings say ``:class:`~aioproton.emulator.Emulator```, ``:mod:`.waiters``` and
``:meth:`Waiters.deployed```, as Sphinx would read them. mkdocstrings renders Markdown,
so this turns each role into an optional cross-reference: a link where the object is
documented on the site, plain code where it is not (a private helper), never a broken
link. ``mkdocs.yml`` loads it (``extensions:``); the docstrings stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|mod|data|attr|exc|obj|const|type):"
    r"`(?P<tilde>~)?(?P<target>[\w.]+?)(?P<call>\(\))?`"
)


def _walk(obj: griffe.Object) -> Any:
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)  # type: ignore[arg-type]


def _module_of(obj: griffe.Object) -> griffe.Module:
    while not obj.is_module:
        assert obj.parent is not None
        obj = obj.parent
    return obj  # type: ignore[return-value]


def _absolute(obj: griffe.Object, target: str) -> str:
    """``target`` as a full dotted path, as far as ``obj``'s scope tells."""
    if target.startswith("."):
        module = _module_of(obj)
        base = module.path if module.is_init_module else module.path.rpartition(".")[0]
        rest = target.lstrip(".")
        for _ in range(len(target) - len(rest) - 1):
            base = base.rpartition(".")[0]
        return f"{base}.{rest}"
    scope = obj if obj.is_module or obj.is_class else obj.parent
    head, _, tail = target.partition(".")
    while scope is not None:
        try:
            resolved = scope.resolve(head)
        except (griffe.NameResolutionError, AttributeError):
            scope = scope.parent
            continue
        return f"{resolved}.{tail}" if tail else resolved
    return target


def _canonical(root: griffe.Object, path: str) -> str:
    """The path where the object behind ``path`` is defined (aliases followed)."""
    parts = path.split(".")
    if parts[0] != root.path:
        return path
    node: Any = root
    try:
        for part in parts[1:]:
            node = node.members[part]
        return str(node.final_target.path if node.is_alias else node.path)
    except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return path


class SphinxRoles(griffe.Extension):
    """Rewrites Sphinx roles in every docstring of the package into autorefs."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in _walk(pkg):
            docstring = obj.docstring
            if docstring is None or ":" not in docstring.value:
                continue

            def link(match: re.Match[str], obj: griffe.Object = obj) -> str:
                target = match["target"]
                shown = target.rpartition(".")[2] if match["tilde"] else target.lstrip(".")
                shown += match["call"] or ""
                identifier = _absolute(obj, target)
                canonical = _canonical(pkg, identifier)
                return (
                    f'<autoref identifier="{identifier}" slug="{canonical}" optional>'
                    f"<code>{shown}</code></autoref>"
                )

            docstring.value = ROLE.sub(link, docstring.value)
