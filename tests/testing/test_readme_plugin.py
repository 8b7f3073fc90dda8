"""The README's plugin section, copied into a new project with no pytest configuration.

What a team does first: ``pip install "aioproton[pytest]"``, paste the README's tests,
run ``pytest``. The project here has no ini file at all (pytest-asyncio in its default
strict mode) and a small ``my_app`` for the snippet to call.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"

MY_APP = """
from aioproton.workflow import Waiters

SPEC = "proton: EnvironmentSpec\\nspec: {}\\n"


async def bootstrap(proton):
    await proton.create_environment_template(name="base")
    version = await proton.create_environment_template_version(
        template_name="base", source={"s3": {"bucket": "bundles", "key": "base.tar.gz"}}
    )
    numbers = {"major_version": version.major_version, "minor_version": version.minor_version}
    await Waiters(proton, clock=proton.clock).environment_template_version_registered(
        "base", timeout=600, **numbers
    )
    await proton.update_environment_template_version(
        template_name="base", status="PUBLISHED", **numbers
    )
    await proton.create_environment(
        name="dev",
        template_name="base",
        template_major_version=version.major_version,
        spec=SPEC,
        proton_service_role_arn="arn:aws:iam::123456789012:role/proton-service",
    )
"""


def plugin_snippets() -> list[str]:
    section = README.read_text(encoding="utf-8").split("### Testing your own code", 1)[1]
    section = section.split("\n### ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_tests_pass_in_a_new_project(pytester: pytest.Pytester) -> None:
    snippets = plugin_snippets()
    assert len(snippets) == 2
    assert "import my_app" not in snippets[0]
    pytester.makepyfile(
        my_app=MY_APP,
        test_readme_async=f"import my_app\n{snippets[0]}",
        test_readme_mock=snippets[1],
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
