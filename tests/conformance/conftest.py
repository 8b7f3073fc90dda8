"""Fixtures of the conformance suite: one emulator process for the whole session.

The emulator runs out of process (``python -m aioproton.emulator``) with
``--check-responses``; the clients are plain boto3 clients whose every response is
checked again, on the client side, by a :class:`ResponseChecker`. The tests in
``test_summary.py`` read what the whole suite did, so they always run last.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._support import (
    DEPLOY_SECONDS,
    OTHER_ACCESS_KEY,
    OTHER_ACCOUNT,
    Control,
    EmulatorProcess,
    ResponseChecker,
    make_client,
    start_emulator,
)

SUMMARY_MODULE = "test_summary.py"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the summary tests after every other test of the session."""
    summary = [item for item in items if item.path.name == SUMMARY_MODULE and _ours(item)]
    if summary:
        rest = [item for item in items if item not in summary]
        items[:] = rest + summary


def _ours(item: pytest.Item) -> bool:
    return item.path.parent == HERE


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The emulator process; at the end, SIGTERM must stop it with exit code 0."""
    stderr_path = tmp_path_factory.mktemp("conformance") / "emulator.stderr"
    with start_emulator(
        stderr_path,
        "--deploy-seconds",
        str(DEPLOY_SECONDS),
        "--check-responses",
        "--account",
        f"{OTHER_ACCESS_KEY}:{OTHER_ACCOUNT}",
    ) as child:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", child.url), child.url
        yield child
        code = child.stop()
    stderr = child.stderr
    assert code == 0, f"the emulator exited with {code}: {stderr}"
    # --check-responses logs each response that breaks the model as an ERROR, and a
    # failure inside the emulator logs a traceback: neither may have happened.
    assert [line for line in stderr.splitlines() if " ERROR " in line] == []
    assert "Traceback" not in stderr, stderr


@pytest.fixture(scope="session")
def control(emulator: EmulatorProcess) -> Control:
    return Control(emulator.url)


@pytest.fixture(scope="session")
def checker() -> ResponseChecker:
    return ResponseChecker()


@pytest.fixture(scope="session")
def proton(emulator: EmulatorProcess, checker: ResponseChecker) -> Iterator[Any]:
    """A boto3 Proton client for account 123456789012."""
    client = make_client(emulator.url)
    checker.attach(client)
    yield client
    client.close()


@pytest.fixture(scope="session")
def other_account(emulator: EmulatorProcess, checker: ResponseChecker) -> Iterator[Any]:
    """A boto3 Proton client acting as account 111122223333."""
    client = make_client(emulator.url, access_key=OTHER_ACCESS_KEY)
    checker.attach(client)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _responses_conform(checker: ResponseChecker) -> Iterator[None]:
    """Every response a test received matches the model (checked when the test ends)."""
    seen = len(checker.violations)
    yield
    assert checker.violations[seen:] == []


@pytest.fixture
def fresh(control: Control) -> Control:
    """An emulator with no resources and no script rules."""
    control.reset()
    return control
