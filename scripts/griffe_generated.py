"""A griffe extension for the docs site: the generated enums and union aliases are shown.

``aioproton._generated.models`` makes its enums with the functional API and its union
aliases on first use (both cheaper to import than the statements), and keeps their
statements under ``if TYPE_CHECKING:`` for type checkers and for these docs. Griffe
takes what sits there for names that do not exist at run time, so ``aioproton.models``'
wildcard import would drop them; they do exist, so this marks them as they are.
``mkdocs.yml`` loads it (``extensions:``).
"""

from __future__ import annotations

from typing import Any

import griffe

MODULE = "aioproton._generated.models"


class GeneratedAtRunTime(griffe.Extension):
    def on_module_members(self, *, mod: griffe.Module, **kwargs: Any) -> None:
        # Before the package's wildcard imports are expanded (that follows the visit).
        if mod.path != MODULE:
            return
        module = mod
        exported = set(module.exports or ())
        for name, member in module.members.items():
            if name in exported and not member.is_alias and not member.runtime:
                member.runtime = True
