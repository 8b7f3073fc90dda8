"""Proton's deprecation: a model fact per operation, and one warning per process on AWS."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from aioproton import _deprecation, _service_model
from aioproton._generated.facts import OPERATIONS
from aioproton.emulator import Emulator


def test_operation_facts_carry_the_models_deprecation() -> None:
    described = _service_model.service_description()["operations"]
    for name, facts in OPERATIONS.items():
        assert facts.deprecated is _service_model.operation_model(name).deprecated
        assert facts.deprecated_message == described[name].get("deprecatedMessage")
    # Today every Proton operation is deprecated: AWS Proton takes no new customers.
    assert all(facts.deprecated for facts in OPERATIONS.values())


@pytest.mark.parametrize(
    ("url", "aws"),
    [
        ("https://proton.us-east-1.amazonaws.com", True),
        ("https://proton-fips.us-gov-west-1.amazonaws.com/", True),
        ("https://proton.cn-north-1.amazonaws.com.cn", True),
        ("https://proton.us-east-1.api.aws", True),
        ("http://127.0.0.1:4566", False),
        ("http://localhost:8080/", False),
        ("http://proton-emulator:4566", False),
        ("https://amazonaws.com.example.org", False),
    ],
)
def test_aws_endpoints_are_told_apart_by_the_partitions_dns_suffixes(url: str, aws: bool) -> None:
    assert _deprecation.is_aws_endpoint(url) is aws


async def test_an_emulator_client_never_warns(proton_emulator: Emulator) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with proton_emulator.client() as proton:
            await proton.list_environments()
    assert [w for w in caught if issubclass(w.category, DeprecationWarning)] == []


SCRIPT = textwrap.dedent(
    """
    import asyncio, warnings
    import pytest
    from aioproton import ProtonClient
    from aioproton.emulator import Emulator

    KEYS = dict(region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE",
                aws_secret_access_key="not-a-secret")

    async def main():
        warnings.simplefilter("error")  # any other warning fails the run
        async with Emulator() as emu, emu.client():
            pass  # an emulator client: no warning
        with pytest.warns(DeprecationWarning, match="AWS Proton is deprecated") as first:
            async with ProtonClient(**KEYS):
                pass
        assert len(first) == 1, [str(w.message) for w in first]
        assert first[0].filename == __file__, first[0].filename  # points at the caller
        with warnings.catch_warnings(record=True) as again:
            warnings.simplefilter("always")
            async with ProtonClient(**KEYS):
                pass
        assert again == [], [str(w.message) for w in again]
        print("one warning", first[0].message)

    asyncio.run(main())
    """
)


@pytest.mark.slow
def test_the_first_aws_client_of_a_process_warns_once(tmp_path: Path) -> None:
    """In a fresh process: the warning is once per process, so this suite may have used it."""
    script = tmp_path / "aws_clients.py"
    script.write_text(SCRIPT, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "one warning AWS Proton is deprecated: AWS Proton is not accepting new customers" in (
        result.stdout
    )
