"""Replica processes sharing one token store create each component exactly once."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest

import aioproton
from aioproton.emulator import Emulator

from ..recipes import World

pytestmark = pytest.mark.slow

WORKER = Path(__file__).with_name("replica_worker.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
REPLICAS = 3
COMPONENTS = 20


@pytest.fixture(params=["sqlite", "postgres"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return "aioproton.workflow:SqliteTokenStore", str(tmp_path / "tokens.db")
    url: str = request.getfixturevalue("proton_postgres_url")
    return "aioproton.workflow:PostgresTokenStore", url


async def test_three_replicas_with_the_same_keys_create_each_component_once(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    shared_store: tuple[str, str],
) -> None:
    world = World(proton_emulator, proton_client)
    await world.environment_template("base")
    await world.environment("prod")
    outputs: list[dict[str, str]] = []

    async def replica() -> None:
        result = await anyio.run_process(
            [
                sys.executable,
                str(WORKER),
                proton_emulator.endpoint_url,
                *shared_store,
                str(COMPONENTS),
            ],
            cwd=REPO_ROOT,
            check=True,
        )
        outputs.append(json.loads(result.stdout))

    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            for _ in range(REPLICAS):
                group.start_soon(replica)

    assert len(outputs) == REPLICAS
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(outputs[0]) == COMPONENTS
    components = [c async for c in proton_client.paginate.list_components()]
    assert sorted(c.name for c in components) == sorted(f"c{i}" for i in range(COMPONENTS))
    assert {c.arn for c in components} == set(outputs[0].values())
