"""Injected faults: what the client observes and what the request log says."""

from __future__ import annotations

import time
from typing import Any

import pytest

import aioproton
from aioproton import models
from aioproton.clock import ManualClock
from aioproton.emulator import (
    Emulator,
    EmulatorControl,
    FaultInjector,
    FaultSettings,
)

S3_SOURCE = models.TemplateVersionSourceInputS3(
    models.S3ObjectSource(bucket="templates-bucket", key="env.tar.gz")
)


async def test_throttle_rate_answers_429_before_processing(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.faults.configure(FaultSettings(throttle_rate=1.0))
    with pytest.raises(aioproton.ThrottlingError) as caught:
        await proton_client.create_environment_template(name="throttled")
    assert caught.value.http_status == 429
    assert caught.value.retry_safe
    proton_emulator.faults.clear()
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_environment_template(name="throttled")
    first = proton_emulator.requests.records[0]
    assert (first.status, first.error_code, first.committed, first.fault) == (
        429,
        "ThrottlingException",
        False,
        "throttle",
    )


async def test_error_rate_answers_500_before_processing(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.faults.configure(FaultSettings(error_rate=1.0))
    with pytest.raises(aioproton.InternalServerError) as caught:
        await proton_client.create_environment_template(name="failed")
    assert caught.value.http_status == 500
    assert caught.value.fault == "server"
    proton_emulator.faults.clear()
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_environment_template(name="failed")
    assert (
        proton_emulator.requests.count(error_code="InternalServerException", committed=False) == 1
    )


async def test_throttle_burst_throttles_exactly_the_next_n_requests(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.faults.configure(FaultSettings(throttle_burst=2))
    outcomes = []
    for _ in range(4):
        try:
            await proton_client.get_account_settings()
            outcomes.append("ok")
        except aioproton.ThrottlingError:
            outcomes.append("throttled")
    assert outcomes == ["throttled", "throttled", "ok", "ok"]
    assert proton_emulator.faults.burst_remaining == 0
    assert [r.status for r in proton_emulator.requests] == [429, 429, 200, 200]


@pytest.mark.slow
async def test_latency_delays_the_response(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.faults.configure(FaultSettings(latency_min_ms=80, latency_max_ms=80))
    started = time.monotonic()
    await proton_client.get_account_settings()
    assert time.monotonic() - started >= 0.075
    proton_emulator.faults.clear()
    started = time.monotonic()
    await proton_client.get_account_settings()
    assert time.monotonic() - started < 0.075


async def test_reset_closes_the_connection_before_processing(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.faults.configure(FaultSettings(reset_rate=1.0))
    with pytest.raises(aioproton.ProtonConnectionError) as caught:
        await proton_client.create_environment_template(name="reset")
    assert caught.value.ambiguous
    proton_emulator.faults.clear()
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.get_environment_template(name="reset")
    record = proton_emulator.requests.records[0]
    assert record.status == "reset"
    assert record.fault == "reset"
    assert not record.committed
    assert record.operation == "CreateEnvironmentTemplate"


async def test_drop_commits_then_drops_the_connection(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.faults.configure(FaultSettings(drop_rate=1.0))
    with pytest.raises(aioproton.ProtonConnectionError) as caught:
        await proton_client.create_environment_template(name="dropped", display_name="Dropped")
    assert caught.value.ambiguous
    proton_emulator.faults.clear()
    # The client saw nothing, yet the template exists.
    template = await proton_client.get_environment_template(name="dropped")
    assert template.display_name == "Dropped"
    record = proton_emulator.requests.records[0]
    assert (record.status, record.committed, record.fault, record.error_code) == (
        "dropped",
        True,
        "drop",
        None,
    )
    assert (
        proton_emulator.requests.count(operation="CreateEnvironmentTemplate", committed=True) == 1
    )


async def test_drop_records_the_client_token_of_the_lost_request(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.create_environment_template(name="tokens")
    proton_emulator.faults.configure(
        FaultSettings(drop_rate=1.0, operations={"CreateEnvironmentTemplateVersion"})
    )
    token = "5b0f5dd6-3f4f-4a1e-9f57-6f1a2f5a7c01"
    with pytest.raises(aioproton.ProtonConnectionError):
        await proton_client.create_environment_template_version(
            template_name="tokens",
            source=S3_SOURCE,
            client_token=token,
        )
    proton_emulator.faults.clear()
    dropped = proton_emulator.requests.select(status="dropped")
    assert len(dropped) == 1
    assert dropped[0].client_token == token
    assert dropped[0].committed
    versions = await proton_client.list_environment_template_versions(template_name="tokens")
    assert len(versions.template_versions) == 1


async def test_operations_filter_limits_the_faults(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    proton_emulator.faults.configure(
        FaultSettings(throttle_rate=1.0, operations={"ListEnvironmentTemplates"})
    )
    await proton_client.get_account_settings()
    await proton_client.create_environment_template(name="unaffected")
    with pytest.raises(aioproton.ThrottlingError):
        await proton_client.list_environment_templates()
    assert [r.fault for r in proton_emulator.requests] == [None, None, "throttle"]


async def test_faults_are_deterministic_under_the_seed() -> None:
    clock = ManualClock()

    async def outcomes(seed: int) -> list[Any]:
        settings = FaultSettings(throttle_rate=0.3, error_rate=0.3)
        async with (
            Emulator(clock=clock, seed=seed, faults=settings) as emu,
            aioproton.ProtonClient(
                **emu.client_settings, retry=aioproton.RetryPolicy.never()
            ) as proton,
        ):
            for _ in range(30):
                try:
                    await proton.get_account_settings()
                except (aioproton.ThrottlingError, aioproton.InternalServerError):
                    pass
            return [r.status for r in emu.requests]

    first = await outcomes(7)
    assert first == await outcomes(7)
    assert set(first) == {200, 429, 500}
    assert first != await outcomes(8)


def test_configure_reseeds_and_rearms_the_burst() -> None:
    injector = FaultInjector(seed=3)

    def faults() -> list[str | None]:
        return [injector.plan("GetAccountSettings").fault for _ in range(20)]

    injector.configure(FaultSettings(drop_rate=0.5))
    plain = faults()
    assert {"drop", None} == set(plain)
    injector.configure(FaultSettings(drop_rate=0.5, throttle_burst=1))
    with_burst = faults()
    # the burst takes the first request without shifting the later random decisions
    assert with_burst == ["throttle", *plain[1:]]
    injector.configure(FaultSettings(drop_rate=0.5, seed=99))
    assert faults() != plain


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"throttle_rate": 1.5}, "throttle_rate must be between 0 and 1"),
        ({"error_rate": -0.1}, "error_rate must be between 0 and 1"),
        ({"latency_min_ms": 50, "latency_max_ms": 10}, "latency_max_ms"),
        ({"operations": {"NoSuchOperation"}}, "unknown operations: NoSuchOperation"),
        ({"throttle_burst": -1}, "throttle_burst"),
    ],
)
def test_bad_fault_settings_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultSettings(**fields)


def test_fault_settings_round_trip_through_json() -> None:
    settings = FaultSettings(
        throttle_rate=0.1,
        drop_rate=0.2,
        latency_min_ms=1,
        latency_max_ms=5,
        operations={"GetEnvironment", "ListEnvironments"},
        seed=4,
    )
    assert FaultSettings.from_dict(settings.to_dict()) == settings
    with pytest.raises(ValueError, match="unknown fault settings: typo"):
        FaultSettings.from_dict({"typo": 1})
    with pytest.raises(ValueError, match="throttle_rate must be a number"):
        FaultSettings.from_dict({"throttle_rate": "often"})


async def test_faults_never_touch_the_control_endpoint(proton_emulator: Emulator) -> None:
    proton_emulator.faults.configure(FaultSettings(throttle_rate=1.0, reset_rate=1.0))
    async with EmulatorControl(proton_emulator.endpoint_url) as control:
        health = await control.health()
        assert health["status"] == "ok"
        await control.clear_requests()
        assert (await control.faults()).reset_rate == 1.0
    assert len(proton_emulator.requests) == 0
