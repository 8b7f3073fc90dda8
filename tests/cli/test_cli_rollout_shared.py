"""``aioproton rollout --shared`` (replicas split one rollout) and ``--order-by/--group-by``."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from ..recipes import environment, service_spec
from .conftest import collect, ticking
from .rollouts import INSTANCES, fleet_of_four, rollout_args

pytestmark = pytest.mark.slow

PATHS = [f"service/api/service-instance/{name}" for name in INSTANCES]


@pytest.fixture
async def fleet(proton_emulator, proton_client, proton_waiters, deployed) -> str:
    """Service ``api`` with four instances on ``web`` 1.0, and ``web`` 1.1 published."""
    return await fleet_of_four(proton_client, proton_emulator, proton_waiters)


def waves(lines: list[str]) -> list[list[str]]:
    """The items of each wave a dry run lists."""
    return [line.split(": ", 2)[2].split(", ") for line in lines if line.startswith("wave ")]


async def test_shared_without_a_token_store_is_a_usage_error(proton_emulator, fleet, run_cli):
    result = await run_cli(*rollout_args(proton_emulator, "--shared"))
    assert result.returncode == 2
    assert "--shared needs --token-store" in result.stderr
    assert "--token-store postgresql://" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert proton_emulator.requests.count(operation="UpdateServiceInstance") == 0


async def test_two_replicas_update_each_instance_once(
    proton_emulator, proton_client, fleet, start_cli, tmp_path: Path
):
    store = str(tmp_path / "shared.db")
    args = rollout_args(proton_emulator, "--shared", "--token-store", store, "--concurrency", "1")
    results = []

    async def finish(process) -> None:
        results.append(await collect(process, within=60.0))

    async with (
        ticking(proton_emulator, step=5.0, every=0.02),
        start_cli(*args, stdout=-1, stderr=-1) as first,
        start_cli(*args, stdout=-1, stderr=-1) as second,
        anyio.create_task_group() as group,
    ):
        group.start_soon(finish, first)
        group.start_soon(finish, second)

    assert [result.returncode for result in results] == [0, 0], [r.stderr for r in results]
    for result in results:  # every replica reports the whole rollout
        assert result.lines[-1] == "4 items: 4 updated", result.stdout
    handled = [
        line.split(" ", 1)[1].split(":")[0]
        for result in results
        for line in result.lines
        if line.endswith(": UPDATED 1.0 -> 1.1")
    ]
    assert sorted(handled) == sorted(PATHS)  # each item handled by one replica
    assert proton_emulator.requests.count(operation="UpdateServiceInstance", status=200) == 4
    async for instance in proton_client.paginate.list_service_instances(service_name="api"):
        assert (instance.template_major_version, instance.template_minor_version) == ("1", "1")


async def test_order_by_environment_orders_the_waves(
    proton_emulator, proton_client, proton_waiters, fleet, run_cli
):
    """A service listed after ``api`` whose instance is in ``aaa``, before ``dev``."""
    await environment(proton_client, proton_emulator, "aaa", settle=False)
    await proton_waiters.environment_deployed("aaa", timeout=3600)
    await proton_client.create_service(
        name="zoo",
        template_name="web",
        template_major_version="1",
        template_minor_version="0",
        spec=service_spec(("zz", "aaa")),
    )
    await proton_waiters.service_created("zoo", timeout=3600)
    plan = ("--dry-run", "--plan", "one-at-a-time")
    plain = await run_cli(*rollout_args(proton_emulator, *plan))
    ordered = await run_cli(*rollout_args(proton_emulator, *plan, "--order-by", "environment"))
    assert plain.returncode == ordered.returncode == 0, ordered.stderr
    zoo = "service/zoo/service-instance/zz"
    assert waves(plain.lines)[0] != [zoo]  # the listing's order is another one
    assert waves(ordered.lines)[0] == [zoo], ordered.stdout
    assert sorted(wave[0] for wave in waves(ordered.lines)[1:]) == sorted(PATHS)


async def test_group_by_keeps_each_group_in_waves_of_its_own(proton_emulator, fleet, run_cli):
    by_name = await run_cli(*rollout_args(proton_emulator, "--dry-run", "--group-by", "name"))
    by_environment = await run_cli(
        *rollout_args(proton_emulator, "--dry-run", "--group-by", "environment")
    )
    assert by_name.returncode == by_environment.returncode == 0, by_name.stderr
    assert sorted(wave[0] for wave in waves(by_name.lines)) == sorted(PATHS)
    assert all(len(wave) == 1 for wave in waves(by_name.lines))
    assert [sorted(wave) for wave in waves(by_environment.lines)] == [sorted(PATHS)]  # all "dev"


async def test_an_unknown_field_is_a_usage_error(proton_emulator, fleet, run_cli):
    result = await run_cli(*rollout_args(proton_emulator, "--order-by", "colour"))
    assert result.returncode == 2
    assert "invalid choice: 'colour'" in result.stderr
    assert "'environment', 'name', 'path'" in result.stderr
