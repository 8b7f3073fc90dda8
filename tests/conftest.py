"""What every folder shares: a test that needs another process is marked ``slow``.

The fast loop (``pytest -m "not slow"``) leaves such tests out. Tests that start a
process themselves carry the mark in their module; a test that gets its process from
one of these fixtures gets it here, wherever it is written.
"""

from __future__ import annotations

import pytest

#: Fixtures that start a process, or hand the test something to start one with.
PROCESS_FIXTURES = frozenset(
    {
        "launch_emulator",  # python -m aioproton.emulator
        "run_cli",  # the CLI, run to its end
        "start_cli",  # the CLI, running while the test acts
        "proton_postgres",  # a PostgreSQL server for the session
        "proton_postgres_url",
        "store_in_process",  # a token store opened again by child processes
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if PROCESS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    # The documentation site's browser tests run first, in a fresh test process: late in
    # a full run, the site's search was seen never to answer, while alone it always does.
    items.sort(key=lambda item: item.path.parent.name != "docs")
