"""Loads the aioproton pytest plugin for these tests, unless its entry point already did.

``pytest_plugins`` is refused in a conftest below the rootdir, so the plugin is
registered from ``pytest_configure``, under the entry point's name.
"""

from __future__ import annotations

import pytest

from aioproton.testing import plugin


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, plugin.ENTRY_POINT)
