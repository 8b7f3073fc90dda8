"""Enums that accept values the model does not know yet.

A service may add an enum value at any time; a client that crashes on it would turn a
harmless model change into an outage. ``OpenEnum`` keeps the known values as real
members and represents any other value as a pseudo-member that compares equal to its
string, so ``status == "NEW_STATE"`` and ``status.known`` both work.
"""

from __future__ import annotations

import enum


class OpenEnum(str, enum.Enum):
    """A ``str`` enum that never rejects a value from the service."""

    @classmethod
    def _missing_(cls, value: object) -> OpenEnum | None:
        if not isinstance(value, str):
            return None
        pseudo = str.__new__(cls, value)
        pseudo._name_ = value
        pseudo._value_ = value
        return pseudo

    @property
    def known(self) -> bool:
        """Whether the installed model defines this value."""
        return self._name_ in type(self).__members__

    def __str__(self) -> str:
        return str(self.value)
