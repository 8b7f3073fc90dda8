"""A dict that notes which of its records were reached, for the state file.

The state file (``aioproton.emulator._persistence``) writes only the records a request
may have changed; the world keeps every record in one of these, so that question has
an answer without comparing the whole state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_values

V = TypeVar("V")
_MISSING: Any = object()

#: Field metadata of the record maps: the state file keeps one row per key of these.
RECORDS = "aioproton.records"


class RecordMap(dict[str, V]):
    """A dict of records that notes every key a caller reached since :meth:`take`.

    Every way to a stored record passes here: by key (``[]``, ``get``, ``setdefault``,
    assignment, ``del``, ``pop``, ``update``, ``clear``), which notes that key, or
    through ``values()``/``items()``, which notes the whole map as scanned (a record
    handed out may be changed in place). Keys, ``in`` and ``len`` reach no record.
    """

    __slots__ = ("reached", "scanned")

    def __init__(self, items: Iterable[tuple[str, V]] | dict[str, V] = (), /) -> None:
        super().__init__(items)
        self.reached: dict[str, None] = {}
        self.scanned = False

    def take(self) -> tuple[list[str], bool]:
        """The keys reached and whether the map was scanned, since the last take."""
        reached, scanned = list(self.reached), self.scanned
        self.reached.clear()
        self.scanned = False
        return reached, scanned

    def __getitem__(self, key: str) -> V:
        self.reached[key] = None
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.reached[key] = None
        return super().get(key, default)

    def __setitem__(self, key: str, value: V) -> None:
        self.reached[key] = None
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.reached[key] = None
        super().__delitem__(key)

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        self.reached[key] = None
        if default is _MISSING:
            return super().pop(key)
        return super().pop(key, default)

    def popitem(self) -> tuple[str, V]:
        key, value = super().popitem()
        self.reached[key] = None
        return key, value

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.reached[key] = None
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        incoming = dict(*args, **kwargs)
        self.reached.update(dict.fromkeys(incoming))
        super().update(incoming)

    def clear(self) -> None:
        self.reached.update(dict.fromkeys(self))
        super().clear()

    def copy(self) -> dict[str, V]:
        self.scanned = True
        return dict(super().items())

    def values(self) -> dict_values[str, V]:
        self.scanned = True
        return super().values()

    def items(self) -> dict_items[str, V]:
        self.scanned = True
        return super().items()


def record_maps(cls: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    """Make every dict field a :class:`RecordMap` (on construction and on assignment)."""
    return [
        f.evolve(converter=RecordMap, metadata={**f.metadata, RECORDS: True})
        if str(f.type).startswith("dict[")
        else f
        for f in fields
    ]
