"""The outcome script: globs, actions, ordering, counts, durations and its JSON form."""

from __future__ import annotations

import pytest

import aioproton
from aioproton.emulator import Emulator
from aioproton.emulator.backend import OutcomeScript, ScriptRule

from ..recipes import SETTLE, environment, service, world


async def _instance_statuses(proton: aioproton.ProtonClient) -> dict[str, str]:
    listed = await proton.list_service_instances(service_name="api")
    return {i.name: str(i.deployment_status) for i in listed.service_instances}


async def test_globs_actions_and_counts(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    delete_rule = proton_emulator.script(
        "service/api/service-instance/*", action="delete", outcome="fail"
    )
    every = proton_emulator.script(
        "service/api/service-instance/*", action="deploy", outcome="fail", times=None
    )
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION"
    )
    await proton_client.create_service_instance(
        service_name="api",
        name="i2",
        spec="proton: ServiceSpec\ninstances:\n  - {name: i2, environment: prod}\n",
    )
    proton_emulator.advance(SETTLE)
    assert await _instance_statuses(proton_client) == {"i1": "FAILED", "i2": "FAILED"}
    assert every.used == 2 and not every.exhausted
    assert delete_rule.used == 0  # deploys do not consume a delete rule


async def test_first_matching_rule_wins_in_order(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    first = proton_emulator.script("environment/*", outcome="fail", message="first")
    second = proton_emulator.script("environment/prod", outcome="fail", message="second")
    for expected in ("first", "second"):
        await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
        proton_emulator.advance(SETTLE)
        env = await proton_client.get_environment(name="prod")
        assert env.deployment_status_message == expected
    assert first.exhausted and second.exhausted
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    proton_emulator.advance(SETTLE)
    assert (await proton_client.get_environment(name="prod")).deployment_status == "SUCCEEDED"


async def test_seconds_override_the_duration(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    proton_emulator.script("environment/prod", seconds=100)
    await proton_client.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    proton_emulator.advance(99)
    assert (await proton_client.get_environment(name="prod")).deployment_status == "IN_PROGRESS"
    proton_emulator.advance(1)
    assert (await proton_client.get_environment(name="prod")).deployment_status == "SUCCEEDED"
    proton_emulator.script("environment/staging", seconds=0)
    await environment(proton_client, proton_emulator, "staging", settle=False)
    proton_emulator.advance(0)
    assert (await proton_client.get_environment(name="staging")).deployment_status == "SUCCEEDED"
    proton_emulator.script("service/slow", seconds=50)
    await service(proton_client, proton_emulator, "slow", settle=False)
    proton_emulator.advance(10)
    slow = await proton_client.get_service(name="slow")
    assert slow.status == "CREATE_IN_PROGRESS"
    assert slow.pipeline is not None and slow.pipeline.deployment_status == "SUCCEEDED"


def test_rules_as_json() -> None:
    rule = ScriptRule.from_dict(
        {"target": "component/*", "action": "delete", "outcome": "fail", "message": "m",
         "seconds": 1.5, "cancel": "too_late", "times": None}
    )  # fmt: skip
    assert ScriptRule.from_dict(rule.to_dict()) == rule
    script = OutcomeScript()
    script.append(rule)
    assert script.take("component/c1", "deploy") is None
    assert script.take("component/c1", "delete") is rule
    assert rule.used == 1
    restored = OutcomeScript()
    restored.load(script.to_list())
    assert restored.rules == [rule]
    script.clear()
    assert script.rules == []


@pytest.mark.parametrize(
    "data",
    [
        {"action": "deploy"},
        {"target": ""},
        {"target": "x", "action": "explode"},
        {"target": "x", "outcome": "maybe"},
        {"target": "x", "cancel": "never"},
        {"target": "x", "seconds": -1},
        {"target": "x", "seconds": "soon"},
        {"target": "x", "times": 0},
        {"target": "x", "extra": 1},
    ],
)
def test_bad_rules_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ScriptRule.from_dict(data)
