"""The public surface: ``aioproton.workflow.__all__`` names every public name, and only those.

That every type in a public signature is exported is checked in ``tests/test_exports.py``.
"""

from __future__ import annotations

import importlib
import pkgutil

import aioproton.workflow as workflow


def test_every_public_name_of_the_modules_is_re_exported() -> None:
    exported = set(workflow.__all__)
    for module_info in pkgutil.iter_modules(workflow.__path__):
        module = importlib.import_module(f"aioproton.workflow.{module_info.name}")
        for name in getattr(module, "__all__", ()):
            if name.isupper() and name != "TOKEN_LIFETIME":
                continue  # tables of statuses stay in their module
            if module_info.name == "reconcile" and name not in exported:
                continue  # the idempotency layer's rules, reachable through their module
            assert name in exported, f"aioproton.workflow.{module_info.name}.{name}"


def test_every_exported_name_exists_and_all_is_sorted() -> None:
    for name in workflow.__all__:
        assert getattr(workflow, name) is not None
    assert workflow.__all__ == sorted(workflow.__all__, key=lambda n: (not n.isupper(), n))
