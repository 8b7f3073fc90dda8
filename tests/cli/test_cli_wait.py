"""``aioproton wait`` / ``watch``: following something to its end, and the exit codes."""

from __future__ import annotations

import subprocess

import anyio
import pytest

from aioproton import models

from ..recipes import PIPELINE_ROLE, env_template, environment, service_spec, template_version
from .conftest import collect, polled

pytestmark = pytest.mark.slow

FAST = ("--poll-interval", "0.05")


async def test_follows_a_deployment_to_success(
    proton_emulator, proton_client, proton_waiters, start_cli
):
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, "dev", settle=False)
    url = proton_emulator.endpoint_url

    async with start_cli(
        "wait",
        "--endpoint-url",
        url,
        "environment",
        "dev",
        *FAST,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        await polled(proton_emulator, "GetEnvironment", 3)
        proton_emulator.advance(3600)
        result = await collect(process)

    assert result.returncode == 0, result.stderr
    assert result.lines[0].endswith("environment/dev: IN_PROGRESS")
    assert result.lines[1].endswith("environment/dev: SUCCEEDED")
    assert result.lines[-1].startswith("environment/dev: SUCCEEDED after ")
    assert result.stderr == ""


async def test_watch_is_the_same_command(proton_emulator, deployed, run_cli):
    result = await run_cli(
        "watch", "environment", "dev", "--endpoint-url", proton_emulator.endpoint_url
    )
    assert result.returncode == 0, result.stderr
    assert result.lines[-1].startswith("environment/dev: SUCCEEDED after")


async def test_a_failed_deployment_exits_3(
    proton_emulator, proton_client, proton_waiters, proton_faults, start_cli
):
    await env_template(proton_client, proton_emulator)
    proton_faults.fail_deployment("environment/dev", message="stack rolled back")
    await environment(proton_client, proton_emulator, "dev", settle=False)

    async with start_cli(
        "wait",
        "environment",
        "dev",
        "--endpoint-url",
        proton_emulator.endpoint_url,
        *FAST,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        await polled(proton_emulator, "GetEnvironment", 2)
        proton_emulator.advance(3600)
        result = await collect(process)

    assert result.returncode == 3
    assert result.lines[-1].startswith("environment/dev: FAILED after ")
    assert result.lines[-1].endswith(": stack rolled back")
    assert "Traceback" not in result.stderr


async def test_a_cancelled_deployment_exits_4(proton_emulator, proton_client, deployed, start_cli):
    await proton_client.update_environment(
        name="dev", deployment_type=models.DeploymentUpdateType.CURRENT_VERSION
    )
    async with start_cli(
        "wait",
        "environment",
        "dev",
        "--endpoint-url",
        proton_emulator.endpoint_url,
        *FAST,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        await polled(proton_emulator, "GetEnvironment", 2)
        await proton_client.cancel_environment_deployment(environment_name="dev")
        proton_emulator.advance(3600)
        result = await collect(process)

    assert result.returncode == 4
    assert result.lines[-1].startswith("environment/dev: CANCELLED after ")


async def test_a_timeout_exits_5(proton_emulator, proton_client, proton_waiters, run_cli):
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, "dev", settle=False)

    result = await run_cli(
        "wait",
        "--endpoint-url",
        proton_emulator.endpoint_url,
        "--timeout",
        "0.3",
        "environment",
        "dev",
        *FAST,
    )

    assert result.returncode == 5
    assert result.lines[-1].startswith("environment/dev: still IN_PROGRESS after ")
    assert result.lines[-1].endswith("timed out")


async def test_quiet_prints_only_the_outcome(proton_emulator, deployed, run_cli):
    result = await run_cli(
        "wait", "-q", "environment", "dev", "--endpoint-url", proton_emulator.endpoint_url
    )
    assert result.returncode == 0
    assert len(result.lines) == 1 and result.lines[0].startswith("environment/dev: SUCCEEDED")


async def test_every_kind_of_subject(
    proton_emulator, proton_client, proton_waiters, deployed, run_cli
):
    await proton_client.create_service_template(name="web")
    await proton_client.update_account_settings(pipeline_service_role_arn=PIPELINE_ROLE)
    await template_version(proton_client, proton_emulator, "service", "web")
    await proton_client.create_service(
        name="api",
        template_name="web",
        template_major_version="1",
        spec=service_spec(("one", "dev")),
    )
    await proton_waiters.service_created("api", timeout=3600)
    instance = await proton_client.get_service_instance(service_name="api", name="one")
    url = ("--endpoint-url", proton_emulator.endpoint_url)
    cases = {
        ("service", "api"): "service/api: ACTIVE",
        ("service-instance", "api", "one"): "service/api/service-instance/one: SUCCEEDED",
        ("service-pipeline", "api"): "service/api/pipeline: SUCCEEDED",
        ("deployment", instance.last_attempted_deployment_id): (
            f"deployment/{instance.last_attempted_deployment_id}: SUCCEEDED"
        ),
        ("environment-template-version", "base", "1.0"): "environment-template/base:1.0: PUBLISHED",
        ("service-template-version", "web", "1.0"): "service-template/web:1.0: PUBLISHED",
    }
    results = {}

    async def wait_for(subject: tuple[str, ...]) -> None:
        results[subject] = await run_cli("wait", *url, *subject)

    async with anyio.create_task_group() as group:
        for subject in cases:
            group.start_soon(wait_for, subject)
    for subject, expected in cases.items():
        result = results[subject]
        assert result.returncode == 0, (subject, result.stdout, result.stderr)
        assert result.lines[-1].startswith(f"{expected} after "), (subject, result.lines)
