"""Pagination for the List operations: items, pages and resumable tokens.

A :class:`Paginator` is a description of a listing, not a running one: every
``async for`` starts over from its starting token, holds one page at a time (memory
stays constant whatever the total), never mutates the caller's arguments, and holds no
connection between pages, so breaking out early leaks nothing. ``pages()`` exposes a
``resume_token`` after each page: store it, and a crashed process continues with
``starting_token=`` exactly where it stopped. The last page's token is an end marker
(``page.is_last``): resuming from it lists nothing, so a checkpoint saved after the
last page never starts the listing over. A resume token remembers a digest of each
list parameter, so reusing it with other parameters is refused with their names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any, Generic, Protocol, TypeVar

import attrs

from ._codec import encode_arguments, python_name
from ._generated.facts import OPERATIONS, PAGINATORS
from .errors import PaginationError, ParameterValidationError

__all__ = ["Page", "Paginator"]

T = TypeVar("T")

_RESUME_PREFIX = "aioproton-resume:"


class _Invoker(Protocol):
    """What a paginator calls: a client's ``_invoke``."""

    async def _invoke(self, operation: str, arguments: dict[str, Any]) -> Any: ...


@attrs.frozen
class Page(Generic[T]):
    """One page of results.

    Attributes:
        items: the items of this page (after any ``max_items`` cut).
        next_token: the service's token for the following page, ``None`` on the last page.
        resume_token: pass it as ``starting_token=`` to continue right after this page's
            last item; on the last page, an end marker that lists nothing more.
        is_last: whether nothing follows this page.
    """

    items: tuple[T, ...]
    next_token: str | None
    resume_token: str
    is_last: bool = False


@attrs.frozen
class _Resume:
    """Where a listing stopped, as carried in a resume token."""

    #: The service's token of the page to read (``None``: the first page).
    token: str | None
    #: Items of that page already seen.
    skip: int = 0
    #: The page size that page was read with.
    size: int | None = None
    #: Nothing is left.
    end: bool = False
    #: A digest of each list parameter (``None``: a token from the service).
    params: dict[str, str] | None = None
    #: The List operation that issued the token.
    operation: str | None = None

    def encode(self) -> str:
        payload = json.dumps(attrs.asdict(self), separators=(",", ":"), sort_keys=True)
        return _RESUME_PREFIX + base64.urlsafe_b64encode(payload.encode()).decode()


def _digests(operation: str, arguments: dict[str, Any]) -> dict[str, str]:
    """A short digest of each list parameter given, by its Python name."""
    wire = encode_arguments(OPERATIONS[operation].input_shape, arguments)
    return {
        python_name(name): hashlib.sha256(
            json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()
        ).hexdigest()[:16]
        for name, value in wire.items()
    }


def _decode_resume(operation: str, starting_token: str) -> _Resume:
    if not starting_token.startswith(_RESUME_PREFIX):
        return _Resume(starting_token)  # a token straight from the service
    try:
        payload = json.loads(base64.urlsafe_b64decode(starting_token[len(_RESUME_PREFIX) :]))
        token, skip, size = payload["token"], payload["skip"], payload["size"]
        end, params = payload.get("end", False), payload.get("params")
        issuer = payload.get("operation")
        if (
            not (token is None or isinstance(token, str))
            or not isinstance(skip, int)
            or skip < 0
            or not (size is None or isinstance(size, int))
            or not isinstance(end, bool)
            or not (issuer is None or isinstance(issuer, str))
            or not (
                params is None
                or (isinstance(params, dict) and all(isinstance(v, str) for v in params.values()))
            )
        ):
            raise ValueError(payload)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise ParameterValidationError(
            f"starting_token is not a resume token aioproton produced: {starting_token[:40]!r}",
            operation=operation,
            problems=["starting_token: malformed resume token"],
        ) from exc
    if issuer is not None and issuer != operation:
        raise ParameterValidationError(
            f"starting_token was issued by {issuer}, not {operation}: resume a listing with "
            "the operation that issued its token",
            operation=operation,
            problems=[f"starting_token: issued by {issuer}"],
        )
    return _Resume(token, skip, size, end, params, issuer)


def _check_parameters(operation: str, issued: dict[str, str], now: dict[str, str]) -> None:
    """Refuse a resume token issued for a listing with other parameters, naming them."""
    problems = []
    for name in sorted(issued.keys() | now.keys()):
        if name not in now:
            problems.append(f"{name}: given when the token was issued, not now")
        elif name not in issued:
            problems.append(f"{name}: given now, not when the token was issued")
        elif issued[name] != now[name]:
            problems.append(f"{name}: another value than when the token was issued")
    if problems:
        raise ParameterValidationError(
            "starting_token was issued for this listing with other parameters ("
            + "; ".join(problems)
            + "); pass the parameters it was issued with, or start over without "
            "starting_token",
            operation=operation,
            problems=[f"starting_token: {problem}" for problem in problems],
        )


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
        digests = _digests(self._operation, self._arguments)
        start = (
            _decode_resume(self._operation, self._starting_token)
            if self._starting_token
            else _Resume(None)
        )
        if start.params is not None:
            _check_parameters(self._operation, start.params, digests)
        if start.end:
            return

        def stop(token: str | None, skip: int = 0, size: int | None = None) -> _Resume:
            """Where to resume after an item: past the last page, the end marker."""
            end = token is None and skip == 0
            return _Resume(token, skip, size, end, digests, self._operation)

        token, skip = start.token, start.skip
        # A resume point inside a page is only meaningful with that page's size.
        size = start.size if skip else self._page_size
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
                resume = stop(token, end, size) if end < len(items) else stop(next_token)
                yield Page(
                    items=page_items[:remaining],
                    next_token=next_token,
                    resume_token=resume.encode(),
                    is_last=resume.end,
                )
                return
            if remaining is not None:
                remaining -= len(page_items)
            after = stop(next_token)
            yield Page(
                items=page_items,
                next_token=next_token,
                resume_token=after.encode(),
                is_last=after.end,
            )
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
