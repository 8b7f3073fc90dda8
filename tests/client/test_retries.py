"""One retry owner: which failures are retried, how often, and with which client token."""

from __future__ import annotations

import pytest

import aioproton
from aioproton import models
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, FaultSettings

from .conftest import ScriptedServer

SOURCE = models.TemplateVersionSourceInputS3(models.S3ObjectSource(bucket="b-1", key="k"))

COMPONENT = {
    "component": {
        "arn": "arn:aws:proton:us-east-1:123456789012:component/c1",
        "name": "c1",
        "environmentName": "prod",
        "deploymentStatus": "IN_PROGRESS",
        "createdAt": 1767225600,
        "lastModifiedAt": 1767225600,
    }
}
SERVER_ERROR = {"__type": "InternalServerException", "message": "boom"}
THROTTLED = {"__type": "ThrottlingException", "message": "Rate exceeded"}


async def test_a_client_token_is_generated_once_and_reused_on_every_attempt(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(500, SERVER_ERROR)
    scripted.reply(500, SERVER_ERROR)
    scripted.reply(200, COMPONENT)
    async with scripted.client() as proton:
        component = await proton.create_component(
            name="c1", environment_name="prod", manifest="m", template_file="t"
        )
    assert component.name == "c1"
    tokens = [r["body"]["clientToken"] for r in scripted.received]
    assert len(tokens) == 3
    assert len(set(tokens)) == 1
    assert tokens[0]


async def test_a_caller_token_is_sent_unchanged(scripted: ScriptedServer) -> None:
    scripted.reply(200, COMPONENT)
    async with scripted.client() as proton:
        await proton.create_component(
            name="c1",
            environment_name="prod",
            manifest="m",
            template_file="t",
            client_token="daemon-key-42",
        )
    assert scripted.received[0]["body"]["clientToken"] == "daemon-key-42"


async def test_two_logical_calls_get_two_tokens(scripted: ScriptedServer) -> None:
    scripted.reply(200, COMPONENT)
    scripted.reply(200, COMPONENT)
    async with scripted.client() as proton:
        for _ in range(2):
            await proton.create_component(
                name="c1", environment_name="prod", manifest="m", template_file="t"
            )
    first, second = (r["body"]["clientToken"] for r in scripted.received)
    assert first != second


async def test_a_non_idempotent_call_is_not_repeated_after_a_server_error(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(500, SERVER_ERROR)
    async with scripted.client() as proton:
        with pytest.raises(aioproton.InternalServerError) as caught:
            await proton.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    assert len(scripted.received) == 1
    assert caught.value.ambiguous
    assert not caught.value.retry_safe
    assert caught.value.fault == "server"


async def test_a_throttled_call_is_retried_even_when_not_idempotent(
    scripted: ScriptedServer,
) -> None:
    scripted.reply(429, THROTTLED)
    scripted.reply(
        200,
        {
            "environment": {
                "arn": "arn:aws:proton:us-east-1:123456789012:environment/prod",
                "name": "prod",
                "templateName": "base",
                "templateMajorVersion": "1",
                "templateMinorVersion": "0",
                "deploymentStatus": "IN_PROGRESS",
                "createdAt": 1767225600,
                "lastDeploymentAttemptedAt": 1767225600,
                "lastDeploymentSucceededAt": 1767225600,
            }
        },
    )
    async with scripted.client() as proton:
        env = await proton.update_environment(name="prod", deployment_type="CURRENT_VERSION")
    assert env.deployment_status is models.DeploymentStatus.IN_PROGRESS
    assert len(scripted.received) == 2


async def test_attempts_stop_at_the_policy_limit_and_botocore_adds_none(
    scripted: ScriptedServer,
) -> None:
    for _ in range(10):
        scripted.reply(500, SERVER_ERROR)
    policy = aioproton.RetryPolicy(max_attempts=3, initial_delay=0.001, max_delay=0.002)
    async with scripted.client(retry=policy) as proton:
        with pytest.raises(aioproton.InternalServerError):
            await proton.get_environment(name="prod")
    assert len(scripted.received) == 3


async def test_never_means_one_attempt(scripted: ScriptedServer) -> None:
    scripted.reply(429, THROTTLED)
    async with scripted.client(retry=aioproton.RetryPolicy.never()) as proton:
        with pytest.raises(aioproton.ThrottlingError) as caught:
            await proton.get_environment(name="prod")
    assert len(scripted.received) == 1
    assert caught.value.retry_safe
    assert caught.value.http_status == 429


async def test_client_side_validation_sends_nothing(scripted: ScriptedServer) -> None:
    async with scripted.client() as proton:
        with pytest.raises(aioproton.ParameterValidationError) as caught:
            await proton.create_environment(
                name="prod",
                spec="x" * 70000,
                template_name="base",
                template_major_version="1",
            )
    assert scripted.received == []
    assert caught.value.problems == ["spec: length 70000 exceeds 51200"]
    assert isinstance(caught.value, aioproton.ValidationError)


async def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        aioproton.RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="initial_delay must be positive"):
        aioproton.RetryPolicy(initial_delay=0)


async def test_commit_then_drop_never_makes_a_second_resource(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    await proton_client.create_environment_template(name="base")
    proton_emulator.faults.configure(
        FaultSettings(
            drop_rate=0.5, operations=frozenset({"CreateEnvironmentTemplateVersion"}), seed=3
        )
    )
    for _ in range(10):
        await proton_client.create_environment_template_version(template_name="base", source=SOURCE)
    proton_emulator.faults.clear()
    versions = await proton_client.paginate.list_environment_template_versions(
        template_name="base", major_version=None
    ).collect()
    majors = {v.major_version for v in versions}
    assert len(majors) == 10  # one new major version per logical create, no more
    records = proton_emulator.requests.select(operation="CreateEnvironmentTemplateVersion")
    dropped = [r for r in records if r.status == "dropped"]
    assert dropped  # the fault really happened...
    assert all(r.committed for r in dropped)  # ...after the server had acted
    tokens = {r.client_token for r in records}
    assert len(tokens) == 10  # and every retry carried its call's token


async def test_backoff_and_the_time_budget_run_on_the_client_clock(
    scripted: ScriptedServer,
) -> None:
    for _ in range(100):
        scripted.reply(500, SERVER_ERROR)
    clock = ManualClock()
    start = clock.now()
    policy = aioproton.RetryPolicy(
        max_attempts=100, initial_delay=1.0, max_delay=4.0, max_elapsed=30.0
    )
    async with scripted.client(retry=policy, clock=clock) as proton:
        with pytest.raises(aioproton.InternalServerError):
            await proton.get_environment(name="prod")
    attempts = len(scripted.received)
    assert 2 < attempts < 100  # the 30 s budget, not the attempt cap, ended it
    assert clock.now() - start >= 30.0  # ...measured on the manual clock, slept instantly
