"""Outcome rules on one action combine, and a rule that never matched is reported."""

from __future__ import annotations

import logging

import pytest

import aioproton
from aioproton import models
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.emulator.backend import OutcomeScript
from aioproton.testing import ProtonFaults

ROLE = "arn:aws:iam::123456789012:role/proton-service"
SOURCE = models.TemplateVersionSourceInputS3(
    models.S3ObjectSource(bucket="templates-bucket", key="bundle.tar.gz")
)
SPEC = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 10.0.0.0/16\n"
SETTLE = 30.0


async def published_template(proton: aioproton.ProtonClient, emulator: Emulator) -> None:
    await proton.create_environment_template(name="base")
    await proton.create_environment_template_version(template_name="base", source=SOURCE)
    emulator.advance(SETTLE)
    await proton.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
    )


async def environment(proton: aioproton.ProtonClient, emulator: Emulator) -> None:
    await published_template(proton, emulator)
    await proton.create_environment(
        name="prod",
        template_name="base",
        template_major_version="1",
        spec=SPEC,
        proton_service_role_arn=ROLE,
    )
    emulator.advance(SETTLE)


async def test_a_slow_deployment_can_also_be_cancelled_too_late(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_faults: ProtonFaults
) -> None:
    await environment(proton_client, proton_emulator)
    slow = proton_faults.slow_deployment("environment/prod", seconds=7200)
    late = proton_faults.cancel_too_late("environment/prod")
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    proton_emulator.advance(600)
    # The first rule applies: still deploying long after the default duration.
    assert (await proton_client.get_environment(name="prod")).deployment_status == "IN_PROGRESS"
    await proton_client.cancel_environment_deployment(environment_name="prod")
    proton_emulator.advance(7200)
    # The second rule applies too: the cancel lost the race.
    env = await proton_client.get_environment(name="prod")
    assert env.deployment_status == "SUCCEEDED"
    assert (slow.used, late.used) == (1, 1)


async def test_a_slow_deployment_can_also_fail(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_faults: ProtonFaults
) -> None:
    await environment(proton_client, proton_emulator)
    proton_faults.slow_deployment("environment/*", seconds=500)
    proton_faults.fail_deployment("environment/prod", message="slow and broken")
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    proton_emulator.advance(499)
    assert (await proton_client.get_environment(name="prod")).deployment_status == "IN_PROGRESS"
    proton_emulator.advance(1)
    env = await proton_client.get_environment(name="prod")
    assert (env.deployment_status, env.deployment_status_message) == ("FAILED", "slow and broken")


def test_rules_deciding_the_same_thing_queue_up() -> None:
    script = OutcomeScript()
    script.add("environment/*", outcome="fail", message="first")
    script.add("environment/prod", outcome="fail", message="second")
    script.add("environment/prod", seconds=9)
    first = script.take("environment/prod", "deploy")
    second = script.take("environment/prod", "deploy")
    assert first is not None and second is not None
    assert (first.outcome, first.message, first.seconds) == ("fail", "first", 9)
    assert (second.outcome, second.message, second.seconds) == ("fail", "second", None)
    assert script.take("environment/prod", "deploy") is None


def test_a_plain_rule_claims_its_action_as_a_success() -> None:
    script = OutcomeScript()
    script.add("component/c1")
    script.add("component/c1", outcome="fail", cancel="too_late")
    first = script.take("component/c1", "deploy")
    second = script.take("component/c1", "deploy")
    # The second rule also decides the outcome, so it waits for the next action whole.
    assert first is not None and (first.outcome, first.cancel) == ("succeed", "cancelled")
    assert second is not None and (second.outcome, second.cancel) == ("fail", "too_late")


def test_a_combined_decision_names_the_path_and_action() -> None:
    script = OutcomeScript()
    script.add("service/*", action="any", seconds=3)
    script.add("service/api", action="delete", outcome="fail")
    taken = script.take("service/api", "delete")
    assert taken is not None
    assert taken.to_dict() == {
        "target": "service/api",
        "action": "delete",
        "outcome": "fail",
        "cancel": "cancelled",
        "times": 1,
        "used": 1,
        "seconds": 3,
    }
    # Stored rules are untouched apart from their use counts.
    assert [rule.used for rule in script.rules] == [1, 1]
    assert script.rules[0].target == "service/*"


async def test_a_rule_that_matched_nothing_is_logged_at_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="aioproton.emulator"):
        async with Emulator(clock=ManualClock()) as emulator:
            faults = ProtonFaults(emulator)
            async with emulator.client() as proton:
                wrong = faults.fail_registration("base")
                right = faults.fail_registration("environment-template/base:*")
                await proton.create_environment_template(name="base")
                await proton.create_environment_template_version(
                    template_name="base", source=SOURCE
                )
                emulator.advance(SETTLE)
                versions = await proton.list_environment_template_versions(template_name="base")
    assert [v.status for v in versions.template_versions] == ["REGISTRATION_FAILED"]
    assert (wrong.used, right.used) == (0, 1)
    unused = [r for r in caplog.records if "matched no" in r.getMessage()]
    assert len(unused) == 1
    record = unused[0]
    assert "'base'" in record.getMessage()
    assert "environment-template/NAME:MAJOR.MINOR" in record.getMessage()
    assert getattr(record, "target", None) == "base"
    assert getattr(record, "rule_action", None) == "register"


async def test_used_and_cleared_rules_are_not_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="aioproton.emulator"):
        async with Emulator(clock=ManualClock()) as emulator:
            faults = ProtonFaults(emulator)
            faults.fail_deployment("environment/never")
            faults.clear()
    assert not [r for r in caplog.records if "matched no" in r.getMessage()]


def test_the_docstrings_name_the_path_shapes() -> None:
    for documented in (ProtonFaults, OutcomeScript.add):
        text = documented.__doc__ or ""
        for shape in (
            "environment/NAME",
            "service/NAME/service-instance/NAME",
            "service/NAME/pipeline",
            "component/NAME",
            "environment-template/NAME:MAJOR.MINOR",
        ):
            assert shape in text, (documented, shape)
