"""The ``async with`` protocol shared by everything that holds a connection or a server.

Entering opens the object once; leaving closes it, even when the block raised.
"""

from __future__ import annotations

import abc
from typing import TypeVar

_R = TypeVar("_R", bound="AsyncResource")


class AsyncResource(abc.ABC):
    """Base for objects used as ``async with obj:``; subclasses define ``_enter`` and ``aclose``."""

    @abc.abstractmethod
    async def _enter(self) -> None:
        """Acquire what the object holds; ``async with`` calls it once on entry."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release what the object holds; safe to call more than once."""

    async def __aenter__(self: _R) -> _R:
        await self._enter()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
