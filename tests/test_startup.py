"""What start-up imports, checked by structure (never by time).

A program pays for every module it imports before its first answer: ``import
aioproton`` loads nothing but the package itself, a client pulls in neither the
emulator's server nor the workflow layer nor optional stores, and ``aioproton --help``
answers without botocore or aiohttp. Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import attrs

from aioproton import models

#: Imported only by features that need them, never by the client itself.
NOT_FOR_THE_CLIENT = (
    "aiohttp.web",
    "aioproton.emulator",
    "aioproton.workflow",
    "aioproton.testing",
    "aioproton.cli",
    "yaml",
    "jsonschema",
    "psycopg",
)


def modules_after(code: str) -> set[str]:
    """The modules loaded in a fresh interpreter once ``code`` has run."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_importing_the_package_loads_nothing_else() -> None:
    modules = modules_after("import aioproton")
    assert "aioproton" in modules
    assert loaded(modules, ("botocore", "aiobotocore", "aiohttp", "anyio", "attrs")) == []
    assert loaded(modules, ("aioproton",)) == ["aioproton", "aioproton._lazy"]


def test_a_client_loads_no_server_workflow_or_optional_stores() -> None:
    code = textwrap.dedent(
        """
        import asyncio

        import aioproton

        async def main():
            settings = dict(
                region_name="us-east-1",
                endpoint_url="http://127.0.0.1:9",
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="example",
            )
            async with aioproton.ProtonClient(**settings) as proton:
                assert proton.max_concurrency > 0

        asyncio.run(main())
        """
    )
    modules = modules_after(code)
    assert "aioproton._client" in modules
    assert loaded(modules, NOT_FOR_THE_CLIENT) == []


def test_public_names_and_models_load_on_first_use() -> None:
    modules = modules_after(
        "import aioproton\nfrom aioproton import models\nassert models.Tag(key='k', value='v')"
    )
    assert "aioproton._generated.models" in modules
    assert loaded(modules, ("aioproton._client", "botocore", "aiohttp")) == []


def test_help_imports_neither_botocore_nor_aiohttp() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "aioproton", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "aioproton.cli._main" in imported
    heavy = ("botocore", "aiobotocore", "aiohttp", "anyio", "aioproton._client")
    assert loaded(imported, (*heavy, "aioproton.workflow")) == []


def test_generated_classes_leave_equality_hashing_and_repr_to_the_base() -> None:
    # attrs compiles each method it writes; only __init__ is written per class.
    for cls in models.STRUCTURES.values():
        assert attrs.has(cls)
        own = vars(cls)
        assert "__init__" in own
        assert not {"__eq__", "__hash__", "__repr__"} & set(own), cls
