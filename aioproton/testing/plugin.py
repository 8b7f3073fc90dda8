"""The pytest plugin: a fresh local Proton for every test, the way moto gives one AWS.

Loaded by its ``pytest11`` entry point (``-p no:aioproton`` turns it off). Fixtures,
all function-scoped, so no state leaks from one test to the next:

- ``proton_emulator``: an :class:`~aioproton.emulator.Emulator` on a ManualClock that
  checks its own responses; ``@pytest.mark.proton_emulator(**settings)`` changes its
  settings for one test (any ``Emulator`` keyword, e.g. ``deploy_seconds=600``).
- ``proton_client``: an open :class:`~aioproton.ProtonClient` bound to it; its retries
  back off on the emulator's clock.
- ``proton_client_settings``: the ``ProtonClient`` keyword arguments ``proton_client``
  is built with (empty by default); override this fixture in a conftest or module to
  choose them, e.g. ``{"retry": aioproton.RetryPolicy.never()}``.
- ``proton_clock``: that ManualClock (``proton_clock.advance(600)``).
- ``proton_waiters``: :class:`~aioproton.workflow.Waiters` on that clock, so waits end
  at once instead of sleeping for real.
- ``proton_faults``: :class:`~aioproton.testing.ProtonFaults` (throttling, 500s,
  commit-then-drop, failed or slow deployments).
- ``proton_emulator_factory``: ``await proton_emulator_factory(**settings)`` for more
  emulators, or other settings; each is closed after the test.
- ``proton_endpoint``: an emulator served from a background thread, for synchronous
  code (boto3): ``boto3.client("proton", **proton_endpoint.client_settings)``.
- ``proton_postgres`` (session) and ``proton_postgres_url`` (a fresh database per test):
  a throwaway PostgreSQL server (:class:`~aioproton.testing.PostgresServer`).

The async fixtures are plain async fixtures, driven on the test's own event loop by the
async plugin that runs the test: pytest-asyncio (in auto mode for every async test; in
its default strict mode for tests marked ``@pytest.mark.asyncio``, for which this plugin
declares them as pytest-asyncio fixtures), or anyio's plugin for tests marked
``@pytest.mark.anyio`` with the asyncio backend, beside pytest-asyncio in strict mode
only (its auto mode claims anyio's tests too). The emulator and the client need asyncio.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from . import _drivers, _fixtures, _postgres

#: The name the ``pytest11`` entry point registers this module under.
ENTRY_POINT = "aioproton"

# Typed ``Any``: pytest types a fixture as a private class of its own.
proton_emulator: Any = pytest.fixture(_fixtures.proton_emulator)
proton_client: Any = pytest.fixture(_fixtures.proton_client)
proton_client_settings: Any = pytest.fixture(_fixtures.proton_client_settings)
proton_emulator_factory: Any = pytest.fixture(_fixtures.proton_emulator_factory)
proton_clock: Any = pytest.fixture(_fixtures.proton_clock)
proton_faults: Any = pytest.fixture(_fixtures.proton_faults)
proton_waiters: Any = pytest.fixture(_fixtures.proton_waiters)
proton_endpoint: Any = pytest.fixture(_fixtures.proton_endpoint)
proton_postgres: Any = pytest.fixture(scope="session")(_postgres.proton_postgres)
proton_postgres_url: Any = pytest.fixture(_postgres.proton_postgres_url)

_STRICT_PLUGIN = "aioproton.testing.strict"


def pytest_plugin_registered(
    plugin: object, plugin_name: str, manager: pytest.PytestPluginManager
) -> None:
    """Once registered (by the entry point, ``-p`` or ``pytest_plugins``), block the other
    name this module goes by, so a second way of loading it is a no-op, not an error."""
    if plugin is not sys.modules[__name__]:
        return
    for alias in (ENTRY_POINT, __name__):
        if alias != plugin_name and manager.get_plugin(alias) is None:
            manager.set_blocked(alias)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; in pytest-asyncio's strict mode, the async fixtures' driver too."""
    config.addinivalue_line(
        "markers",
        f"{_fixtures.MARKER}(**settings): Emulator keyword arguments for this test's "
        "proton_emulator and proton_endpoint fixtures",
    )
    manager = config.pluginmanager
    if (
        manager.has_plugin("asyncio")
        and _drivers.asyncio_mode(config) == "strict"
        and not manager.has_plugin(_STRICT_PLUGIN)
    ):
        from . import _strict

        manager.register(_strict, _STRICT_PLUGIN)


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> None:
    """Fail a test whose aioproton async fixture no async plugin will run, saying why."""
    _drivers.fail_undriven(fixturedef, request)
