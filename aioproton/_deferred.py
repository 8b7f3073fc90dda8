"""Generated attrs classes that attrs finishes on first use, and enums made on first use.

Finishing some 240 model classes with attrs (a new slotted class and a compiled
``__init__`` each) was most of the cost of importing the client, and a program uses a
handful of them. So the generated module runs its class statements (cheap) with a
decorator that only records each class, takes the names out of the module, and looks
them up here through the module's ``__getattr__``: the first lookup applies the
recorded ``attrs.frozen`` options, exactly as the decorator would have at import, and
puts the finished class in the module. Type checkers see plain ``attrs.frozen``
classes (the module imports the real decorator under ``TYPE_CHECKING``).

Enums are made from their members with the functional API on first use, and union
aliases and the class tables are built then too. Finishing a class also finishes the
classes and enums its annotations name, so every name they use is in the module's
namespace (where ``typing.get_type_hints`` and the like look them up).
"""

from __future__ import annotations

import functools
import inspect
import operator
import re
import threading
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

import attrs

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Getter = Callable[[str], Any]


class DeferredClasses:
    """The deferred classes, type aliases and tables of one generated module."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self._namespace = namespace
        self._module = str(namespace.get("__name__", "?"))
        self._pending: dict[str, tuple[type, dict[str, Any]]] = {}
        self._aliases: dict[str, tuple[str, ...]] = {}
        self._enums: dict[str, tuple[type[Enum], str, tuple[tuple[str, str], ...]]] = {}
        self._tables: dict[str, Callable[[Getter], Any]] = {}
        self._lock = threading.RLock()

    def frozen(self, **options: Any) -> Callable[[type], type]:
        """Record the class and the ``attrs.frozen`` options it is to be finished with."""

        def record(cls: type) -> type:
            self._pending[cls.__name__] = (cls, options)
            return cls

        return record

    def alias(self, name: str, members: Iterable[str]) -> None:
        """A union type alias of deferred classes, built when first looked up."""
        self._aliases[name] = tuple(members)

    def enum(
        self, base: type[Enum], name: str, doc: str, members: Iterable[tuple[str, str]]
    ) -> None:
        """An enum class made when first looked up (``base`` with ``members``)."""
        self._enums[name] = (base, doc, tuple(members))

    def table(self, name: str, build: Callable[[Getter], Any]) -> None:
        """A module value built from deferred classes (``build`` receives the lookup)."""
        self._tables[name] = build

    def seal(self) -> None:
        """Take the recorded classes out of the module, so lookups come here."""
        for name in self._pending:
            self._namespace.pop(name, None)

    def names(self) -> list[str]:
        """Every name of the module, finished or not (the module's ``__dir__``)."""
        names = (self._namespace, self._pending, self._aliases, self._enums, self._tables)
        return sorted({name for found in names for name in found})

    def lookup(self, name: str) -> Any:
        """The module attribute ``name``, finishing it first (the module's ``__getattr__``)."""
        namespace = self._namespace
        with self._lock:
            if name in namespace:
                return namespace[name]
            if name in self._pending:
                value: Any = self._finish(name)
            elif name in self._enums:
                value = self._make_enum(name)
            elif name in self._aliases:
                classes = [self.lookup(member) for member in self._aliases[name]]
                value = functools.reduce(operator.or_, classes)
            elif name in self._tables:
                value = self._tables[name](self.lookup)
            else:
                raise AttributeError(f"module {self._module!r} has no attribute {name!r}")
            namespace[name] = value
            return value

    def _make_enum(self, name: str) -> type[Enum]:
        """The enum the class statement would make: same members, module and name."""
        base, doc, members = self._enums[name]
        # The functional API (its stub lacks ``qualname``, hence the cast).
        functional: Any = base
        made: type[Enum] = functional(name, members, module=self._module, qualname=name)
        made.__doc__ = doc
        return made

    def _finish(self, name: str) -> type:
        raw, options = self._pending[name]
        cls: type = attrs.frozen(raw, **options)
        self._namespace[name] = cls
        # What the annotations name, so get_type_hints() finds it in the namespace.
        for annotation in inspect.get_annotations(raw).values():
            for word in _IDENTIFIER.findall(str(annotation)):
                if word != name and any(
                    word in d for d in (self._pending, self._enums, self._aliases)
                ):
                    self.lookup(word)
        return cls
