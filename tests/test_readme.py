"""The README's tour runs: every Python snippet of it, against a prepared emulator.

The snippets are the first code a newcomer copies; this keeps them from rotting. Each
runs in a namespace holding an open ``proton`` client on an emulator that already has
what the tour talks about (an environment ``prod``, a service ``api`` on template
``web`` with versions up to 1.3). The plugin example is a test of the reader's own
code and is exercised by ``tests/testing`` instead.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, Timings

from .recipes import MANIFEST, TEMPLATE_FILE, World

README = Path(__file__).resolve().parents[1] / "README.md"


def tour_snippets() -> list[str]:
    tour = README.read_text().split("## A short tour", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", tour, flags=re.DOTALL)
    return [block for block in blocks if "def test_" not in block]


@pytest.fixture
async def prepared() -> AsyncIterator[dict[str, Any]]:
    clock = ManualClock()
    async with (
        Emulator(clock=clock, timings=Timings(deploy_seconds=60)) as emulator,
        aioproton.ProtonClient(**emulator.client_settings, clock=clock) as proton,
    ):
        world = World(emulator, proton, settle=600)
        await world.environment_template("base")
        await world.service_template("web", ("1.0", "1.1", "1.2", "1.3"))
        await world.environment("prod", minor="0")
        await world.service("api", [("frontend", "prod"), ("backend", "prod")], minor="0")
        # A deployment in flight, for the waiter snippet to follow.
        await proton.update_environment(name="prod", deployment_type="CURRENT_VERSION")
        yield {"proton": proton, "manifest": MANIFEST, "template": TEMPLATE_FILE}


def test_the_tour_has_its_snippets() -> None:
    snippets = tour_snippets()
    assert len(snippets) >= 7
    assert any("Rollout(" in s for s in snippets)


async def test_every_tour_snippet_runs(
    prepared: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the snippets in order, as the README says; imports carry over between them."""
    monkeypatch.chdir(tmp_path)  # the snippets write files such as tokens.db
    namespace = dict(prepared)
    for index, snippet in enumerate(tour_snippets()):
        lines = snippet.splitlines()
        imports = [line for line in lines if line.startswith(("import ", "from "))]
        body = [line for line in lines if line not in imports]
        source = "\n".join(imports) + "\nasync def snippet():\n"
        source += textwrap.indent("\n".join(body), "    ") + "\n"
        exec(compile(source, f"README snippet {index}", "exec"), namespace)
        await namespace["snippet"]()
