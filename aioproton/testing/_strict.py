"""The async fixtures again, declared for pytest-asyncio's strict mode.

In strict mode pytest-asyncio drives only fixtures declared with
``pytest_asyncio.fixture``; registered after :mod:`.plugin`, these declarations take
precedence over its plain ones. A test that anyio's plugin runs instead gets the plain
function back for its setup, so the fixture runs on that test's own event loop.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import pytest
import pytest_asyncio

from . import _fixtures

F = TypeVar("F", bound=Callable[..., Any])

#: Each strict-mode copy, and the plain function it was copied from.
_PLAIN: dict[object, Callable[..., Any]] = {}


def _copy(func: F) -> F:
    """A second function object running the same code, so marking it leaves ``func`` plain."""
    assert isinstance(func, types.FunctionType)
    copy = types.FunctionType(
        func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__
    )
    copy.__kwdefaults__ = func.__kwdefaults__
    copy.__annotations__ = func.__annotations__
    copy.__doc__ = func.__doc__
    copy.__module__ = func.__module__
    _PLAIN[copy] = func
    return copy  # type: ignore[return-value]


proton_emulator = pytest_asyncio.fixture(_copy(_fixtures.proton_emulator))
proton_client = pytest_asyncio.fixture(_copy(_fixtures.proton_client))
proton_emulator_factory = pytest_asyncio.fixture(_copy(_fixtures.proton_emulator_factory))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    copy = fixturedef.func
    plain = _PLAIN.get(copy)
    if plain is None or "anyio_backend" not in request.fixturenames:
        return (yield)
    fixturedef.func = plain  # type: ignore[misc]
    try:
        return (yield)
    finally:
        fixturedef.func = copy  # type: ignore[misc]
