"""Snapshots, restores, resets, revisions and determinism under a seed."""

from __future__ import annotations

import json

import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator

from ..recipes import BUNDLE, SETTLE, env_template, environment, world


def _client(emu: Emulator) -> aioproton.ProtonClient:
    return emu.client(retry=aioproton.RetryPolicy.never())


async def test_restore_resumes_pending_lifecycles(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await env_template(proton_client, proton_emulator)
    proton_emulator.script(
        "environment/prod", action="deploy", outcome="fail", message="later", times=2
    )
    created = await environment(proton_client, proton_emulator, settle=False)
    await proton_client.create_environment_template_version(
        template_name="base", source=BUNDLE, client_token="tok"
    )
    snapshot = json.loads(json.dumps(proton_emulator.backend.snapshot()))
    clock = ManualClock(proton_emulator.clock.now())
    async with Emulator(clock=clock, check_responses=True) as restored:
        restored.backend.restore(snapshot)
        async with _client(restored) as other:
            env = await other.get_environment(name="prod")
            assert env.deployment_status == "IN_PROGRESS"
            assert env.last_attempted_deployment_id == created.last_attempted_deployment_id
            restored.advance(SETTLE)
            failed = await other.get_environment(name="prod")
            assert (failed.deployment_status, failed.deployment_status_message) == (
                "FAILED",
                "later",
            )
            replay = await other.create_environment_template_version(
                template_name="base", source=BUNDLE, client_token="tok"
            )
            assert replay.major_version == "2" and replay.status == "DRAFT"
            await other.update_environment(name="prod", deployment_type="CURRENT_VERSION")
            restored.advance(SETTLE)
            again = await other.get_environment(name="prod")
            assert again.deployment_status == "FAILED"  # the second use of the rule
            assert [r.used for r in restored.backend.script.rules] == [2]


async def test_pending_events_are_kept_by_kind_name(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, settle=False)
    snapshot = json.loads(json.dumps(proton_emulator.backend.snapshot()))
    assert [event["kind"] for event in snapshot["world"]["events"]] == ["deploy"]
    snapshot["world"]["events"][0]["kind"] = "teleport"
    with pytest.raises(ValueError, match="teleport"):
        proton_emulator.backend.restore(snapshot)
    env = await proton_client.get_environment(name="prod")  # the refused restore changed nothing
    assert env.deployment_status == "IN_PROGRESS"
    proton_emulator.advance(SETTLE)
    assert (await proton_client.get_environment(name="prod")).deployment_status == "SUCCEEDED"


async def test_revision_counts_changes(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    start = proton_emulator.backend.revision
    await proton_client.list_environment_templates()
    assert proton_emulator.backend.revision == start
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, settle=False)
    before = proton_emulator.backend.revision
    proton_emulator.advance(SETTLE)
    assert proton_emulator.backend.revision > before  # the deployment finished on its own
    proton_emulator.reset()
    assert proton_emulator.backend.revision > before
    assert list((await proton_client.list_environment_templates()).templates) == []
    assert proton_emulator.backend.script.rules == []


async def _deployment_ids(seed: int) -> list[str]:
    async with (
        Emulator(clock=ManualClock(), seed=seed, check_responses=True) as emu,
        _client(emu) as proton,
    ):
        await world(proton, emu)
        assert json.dumps(emu.backend.snapshot())
        return [d.id for d in (await proton.list_deployments()).deployments]


async def test_same_seed_same_ids() -> None:
    first = await _deployment_ids(7)
    assert first == await _deployment_ids(7)
    other = await _deployment_ids(8)
    assert other != first
    assert all(i == i.lower() for i in other)
