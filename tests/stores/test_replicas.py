"""Replica processes sharing one token store create each resource exactly once.

Three processes start at once (a barrier on their stdin) and each issues the same 200
logical creates: 100 name-keyed creates (environment templates ``t0`` .. ``t99``) and
100 client-token creates (one version of each, under the same logical keys in every
replica), while the emulator throttles a fifth of them and drops the answer to some
after carrying them out. The server ends with exactly 200 resources.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest
from anyio.streams.text import TextReceiveStream

import aioproton
from aioproton.emulator import Emulator
from aioproton.testing import ProtonFaults

pytestmark = pytest.mark.slow

WORKER = Path(__file__).with_name("replica_worker.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
REPLICAS = 3
LOGICAL = 100
CREATES = ("CreateEnvironmentTemplate", "CreateEnvironmentTemplateVersion")


@pytest.fixture(params=["postgres", "sqlite"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return "aioproton.workflow:SqliteTokenStore", str(tmp_path / "tokens.db")
    url: str = request.getfixturevalue("proton_postgres_url")
    return "aioproton.workflow:PostgresTokenStore", url


async def run_replicas(endpoint: str, store: tuple[str, str]) -> list[dict[str, str]]:
    """Start the replicas, release them together once all are ready, read their answers."""
    outputs: list[dict[str, str]] = []
    ready = [anyio.Event() for _ in range(REPLICAS)]
    go = anyio.Event()

    async def replica(index: int) -> None:
        command = [sys.executable, str(WORKER), endpoint, *store, str(LOGICAL)]
        async with await anyio.open_process(command, cwd=REPO_ROOT) as process:
            assert process.stdout is not None and process.stdin is not None
            lines = TextReceiveStream(process.stdout)
            pending = ""
            async for chunk in lines:
                pending += chunk
                while "\n" in pending:
                    line, pending = pending.split("\n", 1)
                    if line == "ready":
                        ready[index].set()
                        await go.wait()
                        await process.stdin.send(b"go\n")
                    else:
                        outputs.append(json.loads(line))
            assert await process.wait() == 0

    with anyio.fail_after(180):
        async with anyio.create_task_group() as group:
            for index in range(REPLICAS):
                group.start_soon(replica, index)
            for event in ready:
                await event.wait()
            go.set()
    return outputs


async def test_three_replicas_issuing_the_same_200_creates_make_200_resources(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    proton_faults: ProtonFaults,
    shared_store: tuple[str, str],
) -> None:
    proton_faults.throttle(rate=0.2, operations=CREATES)
    proton_faults.drop_after_commit(rate=0.1)

    outputs = await run_replicas(proton_emulator.endpoint_url, shared_store)
    proton_faults.clear()

    names = {f"t{index}" for index in range(LOGICAL)}
    assert len(outputs) == REPLICAS
    assert outputs[0] == outputs[1] == outputs[2], "every replica got the same versions"
    assert set(outputs[0]) == names
    templates = [t async for t in proton_client.paginate.list_environment_templates()]
    assert sorted(t.name for t in templates) == sorted(names)
    versions = [
        version
        for name in sorted(names)
        async for version in proton_client.paginate.list_environment_template_versions(
            template_name=name
        )
    ]
    assert len(templates) + len(versions) == 2 * LOGICAL
    assert {v.arn for v in versions} == set(outputs[0].values())
    assert {(v.major_version, v.minor_version) for v in versions} == {("1", "0")}
    # The retry path ran: throttled and dropped answers were resent, and repeats of a
    # create reached the server without making a second resource.
    assert proton_faults.injected("throttle") > 0
    assert proton_faults.injected("drop") > 0
    for operation in CREATES:
        assert len(proton_faults.committed(operation)) > LOGICAL
