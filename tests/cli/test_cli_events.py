"""``--output json`` events and ``wait --deployment-id``."""

from __future__ import annotations

import datetime
import io
import json
import subprocess
from typing import Any

import pytest

from aioproton.cli._events import SHAPE, JsonLines, of_bulk_result, of_cancel
from aioproton.workflow import EnvironmentTarget, cancel_deployment, run_bulk

from ..recipes import ENV_SPEC, env_template, environment
from .conftest import collect, polled, ticking
from .test_cli_rollout import fleet, rollout_args  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.slow

FAST = ("--poll-interval", "0.05")


def events(stdout: str) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in stdout.splitlines()]
    for document in parsed:
        assert list(document)[: len(SHAPE)] == list(SHAPE)
        assert document["time"].endswith("Z")
        moment = datetime.datetime.fromisoformat(document["time"].replace("Z", "+00:00"))
        assert moment.utcoffset() == datetime.timedelta(0)
    return parsed


async def test_wait_prints_one_json_event_per_state_change_and_one_for_the_end(
    proton_emulator, proton_client, proton_waiters, start_cli
):
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, "dev", settle=False)
    url = proton_emulator.endpoint_url
    async with start_cli(
        "wait",
        "environment",
        "dev",
        "--endpoint-url",
        url,
        "--output",
        "json",
        *FAST,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        await polled(proton_emulator, "GetEnvironment", 3)
        proton_emulator.advance(3600)
        result = await collect(process)

    assert result.returncode == 0, result.stderr
    found = events(result.stdout)
    assert [(e["event"], e["status"]) for e in found] == [
        ("state_change", "IN_PROGRESS"),
        ("state_change", "SUCCEEDED"),
        ("wait_end", "SUCCEEDED"),
    ]
    assert {e["target"] for e in found} == {"environment/dev"}
    assert all(e["target_arn"].endswith(":environment/dev") for e in found)
    deployment = (await proton_client.get_environment(name="dev")).last_attempted_deployment_id
    assert {e["deployment_id"] for e in found} == {deployment}
    assert all(e["request_id"] for e in found)
    assert found[-1]["exit_code"] == 0 and found[-1]["outcome"] == "ok"
    assert result.stderr == ""


async def test_wait_deployment_id_follows_that_deployment_not_the_latest(
    proton_emulator, proton_client, proton_waiters, proton_faults, run_cli
):
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, "dev", settle=False)
    first = await proton_waiters.environment_deployed("dev", timeout=3600)
    proton_faults.fail_deployment("environment/dev", message="stack rolled back")
    await proton_client.update_environment(
        name="dev", deployment_type="CURRENT_VERSION", spec=ENV_SPEC
    )
    second = (await proton_client.get_environment(name="dev")).last_attempted_deployment_id
    assert second != first.last_attempted_deployment_id
    url = proton_emulator.endpoint_url
    common = ("wait", "--endpoint-url", url, "--output", "json", *FAST)
    async with ticking(proton_emulator):
        old = await run_cli(
            *common, "--deployment-id", first.last_attempted_deployment_id, "environment", "dev"
        )
        new = await run_cli(*common, "environment", "dev", "--deployment-id", second)

    assert old.returncode == 0, old.stderr
    assert events(old.stdout)[-1]["status"] == "SUCCEEDED"
    assert new.returncode == 3, new.stderr
    end = events(new.stdout)[-1]
    assert (end["event"], end["status"], end["deployment_id"]) == ("wait_end", "FAILED", second)
    assert end["message"] == "stack rolled back"


async def test_wait_deployment_id_of_another_resource_is_refused(
    proton_emulator, proton_client, proton_waiters, run_cli
):
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, "dev", settle=False)
    await environment(proton_client, proton_emulator, "qa", settle=False)
    other = (await proton_client.get_environment(name="qa")).last_attempted_deployment_id
    url = proton_emulator.endpoint_url
    result = await run_cli(
        "wait", "environment", "dev", "--endpoint-url", url, "--deployment-id", other
    )

    assert result.returncode == 1
    assert f"deployment {other} is a deployment of" in result.stderr
    assert "environment/qa" in result.stderr and "give the id of one of" in result.stderr
    assert "Traceback" not in result.stderr


async def test_wait_deployment_id_needs_a_kind_with_deployments(proton_emulator, run_cli):
    url = proton_emulator.endpoint_url
    result = await run_cli("wait", "--deployment-id", "x", "service", "api", "--endpoint-url", url)
    assert result.returncode == 2
    assert "--deployment-id follows a deployment of" in result.stderr


@pytest.mark.usefixtures("fleet")
async def test_rollout_prints_the_plan_each_item_and_the_end_as_json(proton_emulator, run_cli):
    async with ticking(proton_emulator):
        result = await run_cli(*rollout_args(proton_emulator, "--output", "json"))

    assert result.returncode == 0, result.stderr
    found = events(result.stdout)
    assert found[0]["event"] == "rollout_plan" and found[0]["items"] == 4
    items = [e for e in found if e["event"] == "rollout_item"]
    assert sorted(e["target"] for e in items) == [
        f"service/api/service-instance/{name}" for name in ("four", "one", "three", "two")
    ]
    assert all(e["status"] == "UPDATED" and e["deployment_id"] for e in items)
    assert found[-1]["event"] == "rollout_end"
    assert found[-1]["counts"] == {"UPDATED": 4} and found[-1]["exit_code"] == 0


async def test_bulk_and_cancel_events_have_the_same_shape(
    proton_emulator, proton_client, proton_waiters, proton_faults
):
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, "dev", settle=False)
    await proton_waiters.environment_deployed("dev", timeout=3600)
    proton_faults.slow_deployment("environment/dev", seconds=600)
    await proton_client.update_environment(
        name="dev", deployment_type="CURRENT_VERSION", spec=ENV_SPEC
    )
    target = EnvironmentTarget("dev")
    cancelled = await cancel_deployment(proton_client, target, timeout=3600)
    summary = await run_bulk([target], lambda t: t.get(proton_client), concurrency=1)

    out = io.StringIO()
    lines = JsonLines(out)
    lines.write(of_cancel(cancelled, target.path))
    lines.write(of_bulk_result(summary.results[0], target.path))
    cancel, bulk = events(out.getvalue())
    assert cancel["event"] == "cancel" and cancel["target"] == "environment/dev"
    assert cancel["target_arn"].endswith(":environment/dev")
    assert cancel["deployment_id"] == cancelled.deployment_id and cancel["status"] == "CANCELLED"
    assert bulk["event"] == "bulk_item" and bulk["status"] == "SUCCEEDED"
    assert bulk["target"] == "environment/dev" and bulk["error"] is None
