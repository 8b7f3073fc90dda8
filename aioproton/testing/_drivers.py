"""Which async plugin drives a test, and a clear failure when none will.

The emulator and the client fixtures are async: a test that uses them needs
pytest-asyncio (in auto mode, or strict mode with ``@pytest.mark.asyncio``) or anyio's
plugin (``@pytest.mark.anyio``). Without one, pytest's own messages point elsewhere
("async def functions are not natively supported" although pytest-asyncio is
installed), so the first such fixture fails the test with what to install or set.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from . import _fixtures

#: The async fixture functions, by code object: the strict-mode copies share it.
_ASYNC_CODE = frozenset(
    func.__code__
    for func in (
        _fixtures.proton_emulator,
        _fixtures.proton_client,
        _fixtures.proton_emulator_factory,
    )
)

NO_PLUGIN = (
    "{fixture!r} is an async fixture, and no async test plugin is active to run it. "
    'Install pytest-asyncio (pip install "aioproton[pytest]") and set asyncio_mode = '
    '"auto" under [tool.pytest.ini_options] in pyproject.toml (or asyncio_mode = auto '
    "in pytest.ini), or mark the test @pytest.mark.anyio to run it with anyio's plugin."
)
STRICT_MODE = (
    "{test!r} is an async test that uses {fixture!r}, but pytest-asyncio runs in strict "
    "mode here, so it runs only tests marked @pytest.mark.asyncio. Mark the test "
    '@pytest.mark.asyncio, or set asyncio_mode = "auto" under [tool.pytest.ini_options] '
    "in pyproject.toml (or asyncio_mode = auto in pytest.ini)."
)


def asyncio_mode(config: pytest.Config) -> str:
    """pytest-asyncio's mode: the ``--asyncio-mode`` option, else the ini setting."""
    mode = config.getoption("asyncio_mode", None)
    if mode is None:
        mode = config.getini("asyncio_mode")
    return str(mode)


def undriven_reason(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> str:
    """Why no async plugin will run this aioproton fixture or its test; '' when one will."""
    # pytest-asyncio may have put its synchronous wrapper (functools.wraps) in place.
    code = getattr(inspect.unwrap(fixturedef.func), "__code__", None)
    if code not in _ASYNC_CODE or "anyio_backend" in request.fixturenames:
        return ""
    config = request.config
    if not config.pluginmanager.has_plugin("asyncio"):
        return NO_PLUGIN.format(fixture=fixturedef.argname)
    if asyncio_mode(config) != "strict":
        return ""
    test = request.node
    function = getattr(test, "obj", None)
    if inspect.iscoroutinefunction(function) and test.get_closest_marker("asyncio") is None:
        return STRICT_MODE.format(test=test.name, fixture=fixturedef.argname)
    return ""


def fail_undriven(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> None:
    """Fail the test now, with the reason, if no async plugin will run the fixture.

    The failure is cached on the fixture as pytest caches its own, so that the fixture's
    teardown runs and the next test starts clean.
    """
    reason = undriven_reason(fixturedef, request)
    if not reason:
        return
    try:
        pytest.fail(reason, pytrace=False)
    except pytest.fail.Exception as error:
        key = fixturedef.cache_key(request)  # type: ignore[arg-type]
        fixturedef.cached_result = (None, key, (error, error.__traceback__))
        raise
