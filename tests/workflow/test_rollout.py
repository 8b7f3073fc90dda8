"""Rolling a template version out: dry run, real run, resume, failures, both template kinds."""

from __future__ import annotations

import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.workflow import (
    Rollout,
    RolloutAction,
    RolloutResult,
    RolloutStatus,
    StopReason,
)

from ..recipes import World


@pytest.fixture
async def fleet(world: World) -> World:
    """Environments e1..e5 on base 1.0, e6 on 1.1 and e7 on 2.0."""
    await world.environment_template("base", ("1.0", "1.1", "2.0"))
    for index in range(1, 6):
        await world.environment(f"e{index}", major="1", minor="0")
    await world.environment("e6", major="1", minor="1")
    await world.environment("e7", major="2", minor="0")
    return world


def by_name(results: tuple[RolloutResult, ...]) -> dict[str, RolloutStatus]:
    return {result.target.path.split("/")[-1]: result.status for result in results}


async def versions(proton: aioproton.ProtonClient) -> dict[str, str]:
    return {
        env.name: f"{env.template_major_version}.{env.template_minor_version}"
        async for env in proton.paginate.list_environments()
    }


async def test_dry_run_reports_the_plan_and_changes_nothing(
    fleet: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    rollout = Rollout(proton_client, environment_template="base", version="1.1", clock=proton_clock)
    report = await rollout.run(dry_run=True)
    assert report.dry_run
    assert report.version == "1.1"
    assert by_name(report.results) == {
        **{f"e{index}": RolloutStatus.PLANNED for index in range(1, 6)},
        "e6": RolloutStatus.ALREADY_CURRENT,
        "e7": RolloutStatus.SKIPPED_NEWER,
    }
    plan = {item.target.path: item.action for item in await rollout.plan()}
    assert plan["environment/e1"] is RolloutAction.MINOR_VERSION
    assert proton_emulator.requests.count(operation="UpdateEnvironment") == 0
    assert "environment/e1" in str(report)
    assert "5 planned" in str(report)


async def test_a_minor_rollout_updates_every_environment_behind(
    fleet: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    streamed: list[RolloutResult] = []
    rollout = Rollout(
        proton_client, environment_template="base", version="1.1", concurrency=3, clock=proton_clock
    )
    report = await rollout.run(on_result=streamed.append)
    assert report.ok
    assert by_name(report.results) == {
        **{f"e{index}": RolloutStatus.UPDATED for index in range(1, 6)},
        "e6": RolloutStatus.ALREADY_CURRENT,
        "e7": RolloutStatus.SKIPPED_NEWER,
    }
    assert sorted(r.target.path for r in streamed) == sorted(r.target.path for r in report.results)
    assert all(r.deployment_id for r in report.results if r.status is RolloutStatus.UPDATED)
    assert proton_emulator.requests.count(operation="UpdateEnvironment", committed=True) == 5
    assert await versions(proton_client) == {
        **{f"e{index}": "1.1" for index in range(1, 7)},
        "e7": "2.0",
    }


async def test_a_bare_major_rolls_out_its_recommended_minor_as_a_major_update(
    fleet: World, proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    report = await Rollout(
        proton_client, environment_template="base", version="2", clock=proton_clock
    ).run()
    assert report.version == "2.0"
    assert {r.action for r in report.results if r.status is RolloutStatus.UPDATED} == {
        RolloutAction.MAJOR_VERSION
    }
    assert set((await versions(proton_client)).values()) == {"2.0"}


async def test_a_rollout_resumes_without_redoing_work(
    fleet: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    # A previous run updated e1 and had started e2 when it stopped.
    await proton_client.update_environment(
        name="e1", deployment_type="MINOR_VERSION", template_minor_version="1"
    )
    fleet.settle()
    await proton_client.update_environment(
        name="e2", deployment_type="MINOR_VERSION", template_minor_version="1"
    )
    sent = proton_emulator.requests.count(operation="UpdateEnvironment")
    report = await Rollout(
        proton_client, environment_template="base", version="1.1", clock=proton_clock
    ).run()
    statuses = by_name(report.results)
    assert statuses["e1"] is RolloutStatus.ALREADY_CURRENT
    assert statuses["e2"] is RolloutStatus.UPDATED, "waited for, not sent again"
    assert proton_emulator.requests.count(operation="UpdateEnvironment") - sent == 3
    assert report.ok
    again = await Rollout(
        proton_client, environment_template="base", version="1.1", clock=proton_clock
    ).run()
    assert {r.status for r in again.results} == {
        RolloutStatus.ALREADY_CURRENT,
        RolloutStatus.SKIPPED_NEWER,
    }
    assert proton_emulator.requests.count(operation="UpdateEnvironment") - sent == 3


async def test_failed_items_are_reported_and_retried_by_the_next_run(
    fleet: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    proton_emulator.script("environment/e3", action="deploy", outcome="fail", message="quota")
    report = await Rollout(
        proton_client, environment_template="base", version="1.1", clock=proton_clock
    ).run()
    assert not report.ok
    [failed] = report.failed
    assert failed.target.path == "environment/e3"
    assert failed.status is RolloutStatus.FAILED
    assert "quota" in (failed.message or "")
    assert isinstance(failed.error, aioproton.workflow.DeploymentFailedError)
    assert report.count(RolloutStatus.UPDATED) == 4
    retry = await Rollout(
        proton_client, environment_template="base", version="1.1", clock=proton_clock
    ).run()
    assert by_name(retry.results)["e3"] is RolloutStatus.UPDATED


async def test_fail_fast_stops_the_rollout(
    fleet: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    proton_emulator.script("environment/e*", action="deploy", outcome="fail", times=None)
    report = await Rollout(
        proton_client,
        environment_template="base",
        version="1.1",
        concurrency=1,
        fail_fast=True,
        clock=proton_clock,
    ).run()
    assert report.count(RolloutStatus.FAILED) == 1
    assert report.count(RolloutStatus.NOT_STARTED) == 4, "the rest never started"
    assert report.stopped is StopReason.FAIL_FAST
    assert proton_emulator.requests.count(operation="UpdateEnvironment") == 1


async def test_a_service_template_rollout_updates_instances_with_client_tokens(
    world: World,
    proton_client: aioproton.ProtonClient,
    proton_emulator: Emulator,
    proton_clock: ManualClock,
) -> None:
    await world.environment_template("base", ("1.0",))
    await world.environment("prod")
    await world.service_template("web", ("1.0", "1.1"))
    await world.service("api", [("one", "prod"), ("two", "prod")], minor="0")
    await world.service("www", [("one", "prod")], minor="0")
    rollout = Rollout(
        proton_client,
        service_template="web",
        version="1.1",
        concurrency=2,
        max_rate=50,
        clock=proton_clock,
    )
    report = await rollout.run()
    assert proton_client.rate_limiter is None, "the rollout's limiter is removed afterwards"
    assert rollout.rate_limiter is not None
    assert rollout.rate_limiter.succeeded > 0  # type: ignore[attr-defined]
    assert sorted(r.target.path for r in report.results) == [
        "service/api/service-instance/one",
        "service/api/service-instance/two",
        "service/www/service-instance/one",
    ]
    assert {r.status for r in report.results} == {RolloutStatus.UPDATED}
    updates = proton_emulator.requests.select(operation="UpdateServiceInstance")
    assert len(updates) == 3
    assert all(r.client_token for r in updates)
    async for instance in proton_client.paginate.list_service_instances():
        assert (instance.template_major_version, instance.template_minor_version) == ("1", "1")


async def test_only_published_versions_are_rolled_out(
    world: World, proton_client: aioproton.ProtonClient, proton_clock: ManualClock
) -> None:
    await world.environment_template("base", ("1.0",))
    await proton_client.create_environment_template_version(
        template_name="base",
        major_version="1",
        source=aioproton.models.TemplateVersionSourceInputS3(
            value=aioproton.models.S3ObjectSource(bucket="bundles", key="draft.tgz")
        ),
    )
    world.settle()
    with pytest.raises(ValueError, match="DRAFT"):
        await Rollout(
            proton_client, environment_template="base", version="1.1", clock=proton_clock
        ).run()
    with pytest.raises(ValueError, match="exactly one"):
        Rollout(proton_client, version="1.1")
