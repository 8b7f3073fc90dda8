"""The state file keeps a row per record: what a request changed is all it writes.

Every step of a mixed workload is checked against the file itself (the rows, read by
a second reader, assemble into exactly the backend's snapshot), a restart restores
that snapshot, a change writes the same few rows however much is stored, format 1
files are migrated, and a kill -9 under concurrent creates loses no acknowledged one.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest

import aioproton
from aioproton import models
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.emulator._persistence import StateFile, StateFileError

from ..recipes import BUNDLE, SETTLE, arn, env_template, environment, service, service_template

REGION = "aws:123456789012:us-east-1"


def normal(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """A snapshot as JSON data; pending events in time order (their heap order is free)."""
    assert snapshot is not None
    data: dict[str, Any] = json.loads(json.dumps(snapshot))
    data["world"]["events"].sort(key=lambda event: event["seq"])
    return data


def on_disk(path: Path) -> dict[str, Any]:
    """What a restart would restore, read by a second connection while the first runs."""
    reader = StateFile(path)
    reader.open()
    try:
        return normal(reader.load())
    finally:
        reader.close()


def durable(path: Path, clock: ManualClock) -> Emulator:
    return Emulator(clock=clock, state_file=path, check_responses=True)


def rows_written(emu: Emulator) -> int:
    assert emu.state_file is not None
    return emu.state_file.rows_written


async def test_every_step_is_on_disk_and_a_restart_restores_the_same_snapshot(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite"
    clock = ManualClock()
    async with durable(path, clock) as emu, emu.client(clock=emu.clock) as proton:

        def check() -> None:
            assert on_disk(path) == normal(emu.backend.snapshot())

        await env_template(proton, emu)
        await service_template(proton, emu)
        check()
        await environment(proton, emu, "prod")
        await environment(proton, emu, "stage", settle=False)  # a pending deployment
        check()
        await service(proton, emu, "api", (("i1", "prod"), ("i2", "prod")))
        for i in range(30):
            await proton.create_environment_template(name=f"t{i}", description="first")
        for i in range(0, 30, 3):
            await proton.update_environment_template(name=f"t{i}", description="second")
        for i in range(1, 30, 3):
            await proton.delete_environment_template(name=f"t{i}")
        check()
        await proton.tag_resource(
            resource_arn=arn("environment-template/t0"),
            tags=[models.Tag(key="team", value="blue"), models.Tag(key="tier", value="1")],
        )
        await proton.untag_resource(resource_arn=arn("environment-template/t0"), tag_keys=["tier"])
        await proton.update_service_instance(
            service_name="api",
            name="i1",
            deployment_type="CURRENT_VERSION",
            spec="proton: ServiceSpec\ninstances:\n  - name: i1\n    environment: prod\n",
        )
        await proton.delete_environment(name="stage")  # while its deployment runs
        check()
        emu.advance(SETTLE)
        check()
        await proton.delete_service(name="api")
        emu.script("environment/prod", action="deploy", outcome="fail")
        await proton.update_environment(name="prod", deployment_type="CURRENT_VERSION")
        check()
        emu.advance(SETTLE)
        check()
        before = normal(emu.backend.snapshot())
    async with durable(path, clock) as emu:
        assert normal(emu.backend.snapshot()) == before
        assert emu.backend.revision == before["world"]["revision"]


async def test_a_change_writes_the_same_rows_however_much_is_stored(tmp_path: Path) -> None:
    clock = ManualClock()
    async with durable(tmp_path / "state.sqlite", clock) as emu, emu.client() as proton:
        written: list[tuple[int, int]] = []
        for stored in (5, 95):
            while len((await proton.list_environment_templates()).templates) < stored:
                count = len((await proton.list_environment_templates()).templates)
                await proton.create_environment_template(name=f"filler{count}")
            start = rows_written(emu)
            await proton.create_environment_template(name=f"new{stored}")
            created = rows_written(emu) - start
            start = rows_written(emu)
            await proton.update_environment_template(name="filler0", description=f"{stored}")
            updated = rows_written(emu) - start
            # a call with a client token scans every stored token (to drop stale ones)
            new_version = proton.create_environment_template_version
            for _ in range(stored - len(emu.backend.world.regions[REGION].tokens)):
                await new_version(template_name="new5", source=BUNDLE)
            start = rows_written(emu)
            await new_version(template_name="filler0", source=BUNDLE)
            versioned = rows_written(emu) - start
            written.append((created, updated, versioned))
        assert written[0] == written[1]
        # the template, its token, its registration event and the state row, at most
        assert all(1 <= n <= 4 for row in written for n in row), written
        start = rows_written(emu)
        await proton.get_environment_template(name="filler0")
        await proton.list_environment_templates()
        assert rows_written(emu) == start  # reads write nothing


async def test_a_format_1_file_loads_and_is_rewritten_in_rows(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    clock = ManualClock()
    async with Emulator(clock=clock) as memory, memory.client() as proton:
        await proton.create_environment_template(name="old", description="format 1")
        snapshot = memory.backend.snapshot()
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE emulator_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "format INTEGER NOT NULL, revision INTEGER NOT NULL, snapshot TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO emulator_state VALUES (1, 1, ?, ?)",
            (snapshot["world"]["revision"], json.dumps(snapshot)),
        )
    db.close()
    async with durable(path, clock) as emu:
        assert normal(emu.backend.snapshot()) == normal(snapshot)
        assert on_disk(path) == normal(snapshot)  # migrated on open
    with sqlite3.connect(path) as db:
        (fmt,) = db.execute("SELECT format FROM emulator_state").fetchone()
        keys = [key for (key,) in db.execute("SELECT key FROM records")]
    db.close()
    assert (fmt, keys) == (2, ["old"])
    async with durable(path, clock) as emu, emu.client() as proton:
        template = await proton.get_environment_template(name="old")
        assert template.description == "format 1"


async def test_a_file_of_an_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    async with durable(path, ManualClock()) as emu, emu.client() as proton:
        await proton.create_environment_template(name="kept")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE emulator_state SET format = 99")
    db.close()
    emulator = durable(path, ManualClock())
    with pytest.raises(StateFileError, match="has state format 99, expected 2"):
        await emulator.start()
    assert not emulator.running


@pytest.mark.parametrize(
    ("table", "body", "message"),
    [
        ("records", "not json", "a record that is not valid JSON"),
        ("regions", "[1]", "does not hold a region object"),
        ("records", "[" * 100_000, "a record nested too deeply"),
    ],
)
async def test_a_damaged_row_is_a_state_file_error(
    tmp_path: Path, table: str, body: str, message: str
) -> None:
    path = tmp_path / "state.sqlite"
    async with durable(path, ManualClock()) as emu, emu.client() as proton:
        await proton.create_environment_template(name="kept")
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE {table} SET body = ?", (body,))
    db.close()
    emulator = durable(path, ManualClock())
    with pytest.raises(StateFileError, match=message):
        await emulator.start()
    assert not emulator.running


async def test_a_record_of_no_region_is_a_state_file_error(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    async with durable(path, ManualClock()) as emu, emu.client() as proton:
        await proton.create_environment_template(name="kept")
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM regions")
    db.close()
    emulator = durable(path, ManualClock())
    with pytest.raises(StateFileError, match="a record of no known region"):
        await emulator.start()


def client_for(url: str) -> aioproton.ProtonClient:
    return aioproton.ProtonClient(
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDPERSIST",
        aws_secret_access_key="secret",
        retry=aioproton.RetryPolicy.never(),
    )


@pytest.mark.slow
async def test_kill_9_under_concurrent_creates_loses_no_acknowledged_one(
    tmp_path: Path, launch_emulator: Any
) -> None:
    path = tmp_path / "state.sqlite"
    acknowledged: list[str] = []
    attempted: set[str] = set()
    async with launch_emulator("--state-file", str(path)) as child, client_for(child.url) as proton:
        enough = anyio.Event()

        async def create(worker: int) -> None:
            for i in range(20):
                name = f"w{worker}-{i}"
                attempted.add(name)
                try:
                    await proton.create_environment_template(name=name)
                except aioproton.ProtonError:
                    return  # the emulator was killed under this call
                acknowledged.append(name)
                if len(acknowledged) >= 40:
                    enough.set()

        async def kill() -> None:
            await enough.wait()
            child.process.kill()

        with anyio.fail_after(120):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(kill)
                for worker in range(5):
                    tasks.start_soon(create, worker)
        assert await child.process.wait() != 0
    assert len(acknowledged) >= 40
    async with launch_emulator("--state-file", str(path)) as child:
        async with client_for(child.url) as proton:
            listed = {t.name for t in (await proton.list_environment_templates()).templates}
        assert await child.stop() == 0
    assert set(acknowledged) <= listed <= attempted


@pytest.mark.slow
async def test_a_failed_commit_is_an_error_and_the_next_one_rewrites_everything(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite"
    async with (
        durable(path, ManualClock()) as emu,
        emu.client(retry=aioproton.RetryPolicy.never()) as proton,
    ):
        await proton.create_environment_template(name="before")
        blocker = sqlite3.connect(path, timeout=0, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # no other writer until it ends
        try:
            with pytest.raises(aioproton.ProtonError, match="internal error"):
                await proton.create_environment_template(name="during")
            with pytest.raises(StateFileError, match="cannot write the state file"):
                emu.script("environment/prod", action="deploy", outcome="fail")
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert (
            "during"
            not in on_disk(path)["world"]["regions"]["aws:123456789012:us-east-1"][
                "environment_templates"
            ]
        )
        await proton.create_environment_template(name="after")
        assert on_disk(path) == normal(emu.backend.snapshot())
        names = [t.name for t in (await proton.list_environment_templates()).templates]
        assert sorted(names) == ["after", "before", "during"]


async def test_many_concurrent_requests_share_commits_and_all_finish(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    async with durable(path, ManualClock()) as emu, emu.client() as proton:

        async def create(i: int) -> None:
            await proton.create_environment_template(name=f"c{i}")
            await proton.get_environment_template(name=f"c{i}")

        with anyio.fail_after(120):
            async with anyio.create_task_group() as tasks:
                for i in range(100):
                    tasks.start_soon(create, i)
        assert on_disk(path) == normal(emu.backend.snapshot())
        templates = on_disk(path)["world"]["regions"][REGION]["environment_templates"]
        assert len(templates) == 100
