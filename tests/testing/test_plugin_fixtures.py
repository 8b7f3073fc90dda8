"""The plugin's own promises: fresh state per test, a controllable clock, faults, settings."""

from __future__ import annotations

import pytest

import aioproton
from aioproton.clock import ManualClock, SystemClock
from aioproton.emulator import Emulator, FaultSettings
from aioproton.testing import EmulatorThread, ProtonFaults

SOURCE = {"s3": {"bucket": "my-templates", "key": "base.tar.gz"}}
SPEC = "proton: EnvironmentSpec\nspec: {}\n"
ROLE = "arn:aws:iam::123456789012:role/proton-service"

# Emulators seen by earlier tests of this module, to check later ones get new ones.
_SEEN: list[Emulator] = []


async def _published_environment_template(proton: aioproton.ProtonClient, clock: ManualClock):
    await proton.create_environment_template(name="base")
    await proton.create_environment_template_version(template_name="base", source=SOURCE)
    clock.advance(3600)
    await proton.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
    )


class TestIsolation:
    async def test_first_test_leaves_state_behind(self, proton_emulator, proton_client):
        await proton_client.create_environment_template(name="left-behind")
        proton_emulator.faults.configure(FaultSettings(error_rate=1.0))
        _SEEN.append(proton_emulator)

    async def test_next_test_gets_a_fresh_emulator(self, proton_emulator, proton_client):
        assert _SEEN, "runs after test_first_test_leaves_state_behind"
        previous = _SEEN[-1]
        assert not previous.running  # closed at the end of the previous test
        assert proton_emulator is not previous
        assert not proton_emulator.faults.settings.active
        listing = await proton_client.list_environment_templates()
        assert not listing.templates

    async def test_client_is_bound_to_the_emulator(self, proton_emulator, proton_client):
        assert proton_client.config.endpoint_url == proton_emulator.endpoint_url
        await proton_client.get_account_settings()
        assert proton_emulator.requests.count(operation="GetAccountSettings") == 1


class TestClock:
    async def test_clock_is_the_emulators_manual_clock(self, proton_emulator, proton_clock):
        assert isinstance(proton_clock, ManualClock)
        assert proton_clock is proton_emulator.clock

    async def test_advancing_the_clock_finishes_deployments(self, proton_client, proton_clock):
        await _published_environment_template(proton_client, proton_clock)
        env = await proton_client.create_environment(
            name="dev",
            template_name="base",
            template_major_version="1",
            spec=SPEC,
            proton_service_role_arn=ROLE,
        )
        assert env.deployment_status == "IN_PROGRESS"
        env = await proton_client.get_environment(name="dev")
        assert env.deployment_status == "IN_PROGRESS"  # no time has passed

        proton_clock.advance(3600)

        env = await proton_client.get_environment(name="dev")
        assert env.deployment_status == "SUCCEEDED"

    async def test_waiters_use_the_emulator_clock(
        self, proton_emulator, proton_client, proton_waiters
    ):
        await proton_client.create_environment_template(name="base")
        await proton_client.create_environment_template_version(template_name="base", source=SOURCE)
        version = await proton_waiters.environment_template_version_registered(
            "base", "1", "0", timeout=60
        )
        assert version.status == "DRAFT"
        assert proton_waiters.clock is proton_emulator.clock

    @pytest.mark.proton_emulator(clock=SystemClock())
    def test_proton_clock_refuses_another_clock(self, request):
        with pytest.raises(TypeError, match="ManualClock"):
            request.getfixturevalue("proton_clock")

    async def test_client_retries_sleep_on_the_emulator_clock(
        self, proton_client, proton_faults, proton_clock
    ):
        before = proton_clock.now()
        proton_faults.throttle(times=3)
        await proton_client.get_account_settings()
        assert proton_clock.now() > before


class TestClientSettings:
    async def test_by_default_the_client_takes_no_settings_but_the_clock(
        self, proton_emulator, proton_client, proton_client_settings
    ):
        assert proton_client_settings == {}
        assert proton_client.clock is proton_emulator.clock
        assert proton_client.config.retry == aioproton.RetryPolicy()


class TestClientSettingsOverridden:
    @pytest.fixture
    def proton_client_settings(self):
        return {"retry": aioproton.RetryPolicy.never(), "clock": SystemClock()}

    async def test_an_overriding_fixture_chooses_the_client_settings(
        self, proton_emulator, proton_client, proton_faults
    ):
        assert isinstance(proton_client.clock, SystemClock)
        assert proton_client.config.endpoint_url == proton_emulator.endpoint_url
        proton_faults.throttle(times=1)
        with pytest.raises(aioproton.ThrottlingError):
            await proton_client.get_account_settings()
        assert proton_emulator.requests.count(operation="GetAccountSettings") == 1


class TestFaults:
    async def test_is_a_protonfaults_for_this_emulator(self, proton_emulator, proton_faults):
        assert isinstance(proton_faults, ProtonFaults)
        assert proton_faults.emulator is proton_emulator

    async def test_faults_add_up(self, proton_faults):
        proton_faults.throttle(times=2, operations=["CreateEnvironmentTemplate"])
        proton_faults.server_errors(0.5)
        settings = proton_faults.settings
        assert settings.throttle_burst == 2
        assert settings.error_rate == 0.5
        assert settings.operations == {"CreateEnvironmentTemplate"}

    async def test_adding_a_fault_keeps_what_is_left_of_a_burst(
        self, proton_emulator, proton_faults
    ):
        proton_faults.throttle(times=2)
        async with proton_emulator.client(retry=aioproton.RetryPolicy.never()) as once:
            with pytest.raises(aioproton.ThrottlingError):
                await once.get_account_settings()
        proton_faults.latency(1)
        assert proton_faults.emulator.faults.burst_remaining == 1

    async def test_scoped_server_errors(self, proton_client, proton_faults):
        proton_faults.server_errors(operations=["CreateEnvironmentTemplate"])
        await proton_client.get_account_settings()
        with pytest.raises(aioproton.InternalServerError):
            await proton_client.create_environment_template(name="base")
        assert proton_faults.injected("error", operation="CreateEnvironmentTemplate") >= 1
        assert proton_faults.injected(operation="GetAccountSettings") == 0

    async def test_clear_removes_faults_and_scripts(self, proton_client, proton_faults):
        proton_faults.server_errors()
        proton_faults.fail_deployment("environment/*")
        proton_faults.clear()
        assert not proton_faults.settings.active
        assert not proton_faults.emulator.backend.script.rules
        await proton_client.get_account_settings()

    async def test_drop_after_commit_commits(self, proton_emulator, proton_client, proton_faults):
        proton_faults.drop_after_commit(operations=["CreateEnvironmentTemplate"])
        async with proton_emulator.client(retry=aioproton.RetryPolicy.never()) as once:
            with pytest.raises(aioproton.ProtonConnectionError):
                await once.create_environment_template(name="base")
        proton_faults.clear()
        assert len(proton_faults.committed("CreateEnvironmentTemplate")) == 1
        template = await proton_client.get_environment_template(name="base")
        assert template.name == "base"

    async def test_slow_deployment(self, proton_client, proton_clock, proton_faults):
        await _published_environment_template(proton_client, proton_clock)
        proton_faults.slow_deployment("environment/dev", seconds=10_000)
        await proton_client.create_environment(
            name="dev",
            template_name="base",
            template_major_version="1",
            spec=SPEC,
            proton_service_role_arn=ROLE,
        )
        proton_clock.advance(9_000)
        assert (await proton_client.get_environment(name="dev")).deployment_status == "IN_PROGRESS"
        proton_clock.advance(1_001)
        assert (await proton_client.get_environment(name="dev")).deployment_status == "SUCCEEDED"

    async def test_configure_takes_settings_or_fields_not_both(self, proton_faults):
        assert proton_faults.configure(reset_rate=0.25).reset_rate == 0.25
        with pytest.raises(TypeError):
            proton_faults.configure(FaultSettings(), error_rate=1.0)


class TestSettings:
    @pytest.mark.proton_emulator(region="eu-west-1", deploy_seconds=42)
    async def test_marker_settings(self, proton_emulator, proton_client):
        assert proton_emulator.region == "eu-west-1"
        assert proton_emulator.backend.timings.deploy_seconds == 42
        template = await proton_client.create_environment_template(name="base")
        assert ":eu-west-1:" in template.arn

    async def test_defaults_check_responses_on_a_manual_clock(self, proton_emulator):
        assert isinstance(proton_emulator.clock, ManualClock)
        assert proton_emulator._server.check_responses

    @pytest.mark.proton_emulator("positional")
    def test_marker_refuses_positional_arguments(self, request):
        with pytest.raises(TypeError, match="keyword arguments only"):
            request.getfixturevalue("proton_emulator")

    async def test_factory_makes_independent_emulators(self, proton_emulator_factory):
        first = await proton_emulator_factory()
        second = await proton_emulator_factory(auth="strict", region="ap-south-1")
        assert first.endpoint_url != second.endpoint_url
        assert second.auth == "strict" and second.region == "ap-south-1"
        async with first.client() as proton:
            await proton.create_environment_template(name="only-in-first")
        async with second.client() as proton:
            assert not (await proton.list_environment_templates()).templates
        _SEEN.append(second)

    async def test_factory_emulators_are_closed_after_the_test(self):
        assert not _SEEN[-1].running


class TestEndpoint:
    def test_is_served_from_a_thread(self, proton_endpoint):
        import boto3

        assert isinstance(proton_endpoint, EmulatorThread)
        proton = boto3.client("proton", **proton_endpoint.client_settings)
        proton.create_environment_template(name="base")
        assert [r.operation for r in proton_endpoint.requests] == ["CreateEnvironmentTemplate"]

    def test_controls_run_on_the_emulator_thread(self, proton_endpoint):
        import boto3
        from botocore.config import Config

        once = Config(retries={"total_max_attempts": 1})
        proton = boto3.client("proton", config=once, **proton_endpoint.client_settings)
        proton.create_environment_template(name="base")
        proton.create_environment_template_version(
            templateName="base", source={"s3": {"bucket": "my-templates", "key": "b.tgz"}}
        )
        proton_endpoint.advance(3600)
        version = proton.get_environment_template_version(
            templateName="base", majorVersion="1", minorVersion="0"
        )["environmentTemplateVersion"]
        assert version["status"] == "DRAFT"

        proton_endpoint.configure_faults(error_rate=1.0, operations=["ListEnvironments"])
        with pytest.raises(proton.exceptions.InternalServerException):
            proton.list_environments()
        proton_endpoint.reset()
        assert proton.list_environment_templates()["templates"] == []

    def test_outside_its_block_it_refuses_calls(self):
        server = EmulatorThread()
        with pytest.raises(RuntimeError, match="not running"):
            server.advance(1)
