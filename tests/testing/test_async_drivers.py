"""Which async plugin runs the plugin's async fixtures, and the message when none will.

Each case runs pytest on a small project in a temporary folder (pytest's own
``pytester``), in a child process that loads aioproton's plugin from its entry point as
an installed aioproton does.
"""

from __future__ import annotations

import pytest

from aioproton.testing import _drivers

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow

ASYNC_TESTS = """
import pytest


async def test_first(proton_client):
    assert (await proton_client.list_environments()).environments == ()


async def test_second(proton_client):
    assert (await proton_client.list_environments()).environments == ()
"""

MARKED_TESTS = """
import pytest


@pytest.mark.asyncio
async def test_marked(proton_client, proton_clock):
    await proton_client.create_environment_template(name="base")
    proton_clock.advance(60)
    assert (await proton_client.get_environment_template(name="base")).name == "base"


def test_sync_code(proton_endpoint):
    import boto3

    proton = boto3.client("proton", **proton_endpoint.client_settings)
    assert proton.list_environments()["environments"] == []
"""

ANYIO_TESTS = """
import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_under_anyio(proton_client):
    assert (await proton_client.list_environments()).environments == ()
"""


#: pytest-asyncio's own setting, so that it does not warn; unknown without it.
LOOP_SCOPE = "asyncio_default_fixture_loop_scope = function\n"


def _project(pytester: pytest.Pytester, ini: str = LOOP_SCOPE, **tests: str) -> None:
    pytester.makeini(f"[pytest]\nfilterwarnings = error\naddopts = -p no:cacheprovider\n{ini}")
    pytester.makepyfile(**tests)


def _message(template: str, **fields: str) -> str:
    """The first line of a reason as pytest prints it in the failure section."""
    return template.format(**fields)[:60]


def test_without_pytest_asyncio_every_test_says_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, "", test_async=ASYNC_TESTS, test_anyio=ANYIO_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:asyncio")
    result.assert_outcomes(errors=2, passed=1)
    out = result.stdout.str()
    # One failure section per test (the short summary repeats it in full only under CI).
    reason = _message(_drivers.NO_PLUGIN, fixture="proton_emulator")
    assert sum(line.startswith(reason) for line in out.splitlines()) == 2
    assert 'pip install "aioproton[pytest]"' in out
    assert "AssertionError" not in out


def test_in_strict_mode_an_unmarked_test_says_to_mark_it_or_set_auto(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, test_async=ASYNC_TESTS, test_marked=MARKED_TESTS)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=2, passed=2)
    out = result.stdout.str()
    for test in ("test_first", "test_second"):
        expected = _message(_drivers.STRICT_MODE, test=test, fixture="proton_emulator")
        assert expected in out
    assert "not natively supported" not in out
    assert "AssertionError" not in out


def test_in_auto_mode_unmarked_tests_run(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        f"{LOOP_SCOPE}asyncio_mode = auto\n",
        test_async=ASYNC_TESTS,
        test_marked=MARKED_TESTS,
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=4)


@pytest.mark.parametrize("plugins", [(), ("-p", "no:asyncio")], ids=["strict", "anyio-only"])
def test_anyio_marked_tests_run(pytester: pytest.Pytester, plugins: tuple[str, ...]) -> None:
    _project(pytester, LOOP_SCOPE if not plugins else "", test_anyio=ANYIO_TESTS)
    pytester.runpytest_subprocess(*plugins).assert_outcomes(passed=1)
