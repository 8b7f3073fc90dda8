"""The state file: every acknowledged change survives a restart, even after kill -9."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest

import aioproton
from aioproton import models
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, FaultSettings


def client_for(url: str) -> aioproton.ProtonClient:
    return aioproton.ProtonClient(
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDPERSIST",
        aws_secret_access_key="secret",
        retry=aioproton.RetryPolicy.never(),
    )


async def test_state_survives_an_in_process_restart(tmp_path: Path) -> None:
    clock = ManualClock()
    path = tmp_path / "state.sqlite"
    async with (
        Emulator(clock=clock, state_file=path) as emu,
        client_for(emu.endpoint_url) as p,
    ):
        await p.create_environment_template(name="kept", description="survives")
        await p.tag_resource(
            resource_arn="arn:aws:proton:us-east-1:123456789012:environment-template/kept",
            tags=[models.Tag(key="team", value="blue")],
        )
    assert path.exists()
    async with (
        Emulator(clock=clock, state_file=path) as emu,
        client_for(emu.endpoint_url) as p,
    ):
        template = await p.get_environment_template(name="kept")
        assert template.description == "survives"
        tags = await p.list_tags_for_resource(
            resource_arn="arn:aws:proton:us-east-1:123456789012:environment-template/kept"
        )
        assert [(t.key, t.value) for t in tags.tags] == [("team", "blue")]


async def test_a_dropped_request_is_already_on_disk(tmp_path: Path) -> None:
    clock = ManualClock()
    path = tmp_path / "state.sqlite"
    async with (
        Emulator(clock=clock, state_file=path) as emu,
        client_for(emu.endpoint_url) as p,
    ):
        emu.faults.configure(FaultSettings(drop_rate=1.0))
        with pytest.raises(aioproton.ProtonConnectionError):
            await p.create_environment_template(name="committed")
        # read the file while the emulator still runs: the commit was written first
        with sqlite3.connect(path) as db:
            keys = [key for (key,) in db.execute("SELECT key FROM records")]
        assert "committed" in keys


async def test_reads_do_not_rewrite_the_file(tmp_path: Path) -> None:
    clock = ManualClock()
    path = tmp_path / "state.sqlite"
    async with (
        Emulator(clock=clock, state_file=path) as emu,
        client_for(emu.endpoint_url) as p,
    ):
        await p.create_environment_template(name="once")
        with sqlite3.connect(path) as db:
            (first,) = db.execute("SELECT revision FROM emulator_state").fetchone()
        await p.get_environment_template(name="once")
        await p.list_environment_templates()
        with sqlite3.connect(path) as db:
            (second,) = db.execute("SELECT revision FROM emulator_state").fetchone()
        assert first == second == emu.backend.revision


async def test_reset_is_persisted(tmp_path: Path) -> None:
    clock = ManualClock()
    path = tmp_path / "state.sqlite"
    async with (
        Emulator(clock=clock, state_file=path) as emu,
        client_for(emu.endpoint_url) as p,
    ):
        await p.create_environment_template(name="forgotten")
        emu.reset()
    async with (
        Emulator(clock=clock, state_file=path) as emu,
        client_for(emu.endpoint_url) as p,
    ):
        assert (await p.list_environment_templates()).templates == ()


async def test_a_file_that_is_not_sqlite_fails_the_start(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_text("this is not a database")
    emu = Emulator(state_file=path)
    with pytest.raises(Exception, match="not a usable state file"):
        await emu.start()
    assert not emu.running


@pytest.mark.slow
async def test_acknowledged_changes_survive_kill_9(tmp_path: Path, launch_emulator: Any) -> None:
    path = tmp_path / "state.sqlite"
    names = [f"t{i}" for i in range(5)]
    async with launch_emulator("--state-file", str(path)) as child:
        async with client_for(child.url) as proton:
            for name in names:
                await proton.create_environment_template(name=name)
            await proton.update_environment_template(name="t0", description="changed")
            await proton.delete_environment_template(name="t4")
        child.process.kill()
        with anyio.fail_after(10):
            assert await child.process.wait() != 0
    async with launch_emulator("--state-file", str(path)) as child:
        async with client_for(child.url) as proton:
            listed = await proton.list_environment_templates()
            assert sorted(t.name for t in listed.templates) == names[:4]
            assert (await proton.get_environment_template(name="t0")).description == "changed"
        assert await child.stop() == 0
