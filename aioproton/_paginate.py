"""Pagination for the List operations: items, pages and resumable tokens.

A :class:`Paginator` is a description of a listing, not a running one: every
``async for`` starts over from its starting token, holds one page at a time (memory
stays constant whatever the total), never mutates the caller's arguments, and holds no
connection between pages, so breaking out early leaks nothing. ``pages()`` exposes a
``resume_token`` after each page: store it, and a crashed process continues with
``starting_token=`` exactly where it stopped.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from typing import Any, Generic, Protocol, TypeVar

import attrs

from ._codec import python_name
from ._generated.facts import PAGINATORS
from .errors import PaginationError, ParameterValidationError

__all__ = ["Page", "Paginator"]

T = TypeVar("T")

_RESUME_PREFIX = "aioproton-resume:"


class _Invoker(Protocol):
    async def _invoke(self, operation: str, arguments: dict[str, Any]) -> Any: ...


@attrs.frozen
class Page(Generic[T]):
    """One page of results.

    Attributes:
        items: the items of this page (after any ``max_items`` cut).
        next_token: the service's token for the following page, ``None`` on the last page.
        resume_token: pass it as ``starting_token=`` to continue right after this page's
            last item (``None`` when nothing is left).
    """

    items: tuple[T, ...]
    next_token: str | None
    resume_token: str | None


def _encode_resume(token: str | None, skip: int, size: int | None) -> str:
    payload = json.dumps(
        {"token": token, "skip": skip, "size": size}, separators=(",", ":")
    ).encode()
    return _RESUME_PREFIX + base64.urlsafe_b64encode(payload).decode()


def _decode_resume(operation: str, starting_token: str) -> tuple[str | None, int, int | None]:
    """Return (service token, items to skip on that page, page size it was read with)."""
    if not starting_token.startswith(_RESUME_PREFIX):
        return starting_token, 0, None  # a token straight from the service
    try:
        payload = json.loads(base64.urlsafe_b64decode(starting_token[len(_RESUME_PREFIX) :]))
        token, skip, size = payload["token"], payload["skip"], payload["size"]
        if (
            not (token is None or isinstance(token, str))
            or not isinstance(skip, int)
            or skip < 0
            or not (size is None or isinstance(size, int))
        ):
            raise ValueError(payload)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ParameterValidationError(
            f"starting_token is not a resume token aioproton produced: {starting_token[:40]!r}",
            operation=operation,
            problems=["starting_token: malformed resume token"],
        ) from exc
    return token, skip, size


class Paginator(Generic[T]):
    """The items (``async for``) and pages (:meth:`pages`) of one List call."""

    def __init__(self, client: _Invoker, operation: str, arguments: dict[str, Any]) -> None:
        facts = PAGINATORS[operation]
        arguments = {k: v for k, v in arguments.items() if k != "self"}
        self._page_size: int | None = arguments.pop("page_size", None)
        self._max_items: int | None = arguments.pop("max_items", None)
        self._starting_token: str | None = arguments.pop("starting_token", None)
        self._client = client
        self._operation = operation
        self._arguments = arguments
        self._result_attribute = python_name(facts.result_key)
        self._limit_argument = python_name(facts.limit_key) if facts.limit_key else None
        problems = []
        if self._max_items is not None and self._max_items < 1:
            problems.append(f"max_items: must be at least 1, got {self._max_items}")
        if self._page_size is not None and self._page_size < 1:
            problems.append(f"page_size: must be at least 1, got {self._page_size}")
        if problems:
            raise ParameterValidationError(
                "invalid pagination settings: " + "; ".join(problems),
                operation=operation,
                problems=problems,
            )

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self) -> list[T]:
        """All items in a list; bounded by ``max_items`` when set."""
        return [item async for item in self]

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield pages; each carries the token to resume from after it."""
        token, skip, size = (
            _decode_resume(self._operation, self._starting_token)
            if self._starting_token
            else (None, 0, None)
        )
        # A resume point inside a page is only meaningful with that page's size.
        size = size if skip else self._page_size
        remaining = self._max_items
        seen: set[str] = set()
        while True:
            arguments = dict(self._arguments)
            if token is not None:
                arguments["next_token"] = token
            if size is not None and self._limit_argument is not None:
                arguments[self._limit_argument] = size
            output = await self._client._invoke(self._operation, arguments)
            items: tuple[T, ...] = tuple(getattr(output, self._result_attribute) or ())
            next_token: str | None = output.next_token or None
            offset, skip = skip, 0
            page_items = items[offset:]
            if remaining is not None and len(page_items) >= remaining:
                end = offset + remaining
                resume = _encode_resume(token, end, size) if end < len(items) else next_token
                yield Page(items=page_items[:remaining], next_token=next_token, resume_token=resume)
                return
            if remaining is not None:
                remaining -= len(page_items)
            yield Page(items=page_items, next_token=next_token, resume_token=next_token)
            if next_token is None:
                return
            if next_token in seen or next_token == token:
                raise PaginationError(
                    f"the service returned the token {next_token[:40]!r} twice; "
                    "stopping instead of looping",
                    operation=self._operation,
                )
            seen.add(next_token)
            token, size = next_token, self._page_size
