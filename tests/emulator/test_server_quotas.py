"""Quotas raised per emulator, as AWS raises them on request: in Python, on the command
line, through the pytest marker and the control endpoint."""

from __future__ import annotations

import subprocess
import sys

import pytest

import aioproton
from aioproton import ProtonClient
from aioproton.emulator import Emulator, EmulatorControl, EmulatorControlError, Quotas
from aioproton.emulator.__main__ import build_parser
from aioproton.emulator.backend._limits import parse_quota
from aioproton.errors import ConfigurationError


@pytest.mark.proton_emulator(quotas={"templates": 150})
async def test_a_raised_template_quota_allows_exactly_that_many(
    proton_client: ProtonClient,
) -> None:
    for number in range(150):
        await proton_client.create_environment_template(name=f"t{number}")
    with pytest.raises(aioproton.ServiceQuotaExceededError) as refused:
        await proton_client.create_environment_template(name="t150")
    assert refused.value.http_status == 402
    names = {t.name async for t in proton_client.paginate.list_environment_templates()}
    assert names == {f"t{number}" for number in range(150)}


@pytest.mark.parametrize(
    ("quotas", "message"),
    [
        ({"environment": 5}, "unknown quota 'environment'; the quotas are: templates"),
        ({"environments": 0}, "quota environments must be a positive integer, not 0"),
        ({"components": -3}, "must be a positive integer, not -3"),
        ({"components": "7"}, "must be a positive integer, not '7'"),
        ({"components": True}, "must be a positive integer, not True"),
    ],
)
def test_emulator_refuses_unknown_or_non_positive_quotas(
    quotas: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Emulator(quotas=quotas)  # type: ignore[arg-type]


def test_quotas_not_given_keep_their_defaults() -> None:
    emulator = Emulator(quotas={"environments": 20000, "components": 300})
    assert emulator.backend.quotas == Quotas(environments=20000, components=300)
    assert emulator.backend.quotas.templates == 100


def test_the_cli_flag_is_parsed_and_repeatable() -> None:
    args = build_parser().parse_args(["--quota", "environments=20000", "--quota", "templates=7"])
    assert dict(parse_quota(text) for text in args.quota) == {
        "environments": 20000,
        "templates": 7,
    }


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("environments", "give a quota as NAME=N"),
        ("environments=lots", "give a quota as NAME=N"),
        ("environments=0", "quota environments must be a positive integer"),
        ("planets=3", "unknown quota 'planets'"),
    ],
)
def test_the_cli_refuses_a_bad_quota_with_a_usage_error(flag: str, message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aioproton.emulator", "--quota", flag],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


async def test_the_control_endpoint_reads_and_sets_quotas(proton_emulator: Emulator) -> None:
    async with EmulatorControl(proton_emulator.endpoint_url) as control:
        assert await control.quotas() == Quotas().to_dict()
        raised = await control.set_quotas(environments=20000, components=250)
        assert raised["environments"] == 20000
        assert raised["components"] == 250
        assert raised["templates"] == 100
        assert proton_emulator.backend.quotas.environments == 20000
        await control.reset()
        assert (await control.quotas())["environments"] == 20000
        with pytest.raises(EmulatorControlError) as unknown:
            await control.set_quotas(planets=3)
        assert unknown.value.status == 400
        assert "unknown quota 'planets'" in unknown.value.message
        with pytest.raises(EmulatorControlError) as negative:
            await control.set_quotas(environments=-1)
        assert negative.value.status == 400
        assert "positive integer" in negative.value.message
        assert (await control.quotas())["environments"] == 20000


@pytest.mark.proton_emulator(quotas={"environments": 1})
async def test_a_lowered_quota_from_the_control_endpoint_is_enforced(
    proton_emulator: Emulator, proton_client: ProtonClient
) -> None:
    async with EmulatorControl(proton_emulator.endpoint_url) as control:
        await control.set_quotas(templates=1)
    await proton_client.create_environment_template(name="one")
    with pytest.raises(aioproton.ServiceQuotaExceededError):
        await proton_client.create_service_template(name="two")
