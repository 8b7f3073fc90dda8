"""``Structure``: the base of the generated model classes.

attrs compiles every method it generates, and doing that for some 240 classes was most
of the cost of ``import aioproton``. So attrs generates only ``__init__`` for them (the
decoding hot path); equality, hashing and ``repr`` are inherited from here, read the
attrs fields at call time and behave as attrs' own do (``tests/client/
test_model_classes.py`` compares them).
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs


class Structure:
    """Equality, hashing and ``repr`` over the attrs fields of a generated class."""

    __slots__ = ()
    __attrs_attrs__: ClassVar[tuple[attrs.Attribute[Any], ...]]  # set by attrs

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, field.name) for field in self.__attrs_attrs__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Structure)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((self.__class__, self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{field.name}={getattr(self, field.name)!r}"
            for field in self.__attrs_attrs__
            if field.repr
        )
        return f"{self.__class__.__qualname__.rsplit('>.', 1)[-1]}({shown})"
