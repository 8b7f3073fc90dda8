"""``--token-store`` takes a PostgreSQL URL as well as a SQLite path."""

from __future__ import annotations

import socket

import psycopg
import pytest

from .conftest import ticking
from .test_cli_rollout import fleet, rollout_args

pytestmark = pytest.mark.slow

__all__ = ["fleet"]


async def test_a_rollout_keeps_its_tokens_in_postgresql(
    proton_emulator, proton_client, fleet, run_cli, proton_postgres_url: str
):
    async with ticking(proton_emulator):
        result = await run_cli(
            *rollout_args(proton_emulator, "--rate", "50", "--token-store", proton_postgres_url)
        )

    assert result.returncode == 0, result.stderr
    assert result.lines[-1] == "4 items: 4 updated"
    async with await psycopg.AsyncConnection.connect(proton_postgres_url) as connection:
        cursor = await connection.execute("SELECT count(*) FROM aioproton_client_tokens")
        assert await cursor.fetchone() == (4,)
    assert proton_emulator.requests.count(operation="UpdateServiceInstance", status=200) == 4


async def test_an_unreachable_database_is_one_line_without_the_password(
    proton_emulator, fleet, run_cli
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://app:s3cret-pw@127.0.0.1:{port}/automation"
    result = await run_cli(*rollout_args(proton_emulator, "--token-store", url))

    assert result.returncode == 1, result.stderr
    assert "cannot connect to PostgreSQL at app@127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert proton_emulator.requests.count(operation="UpdateServiceInstance") == 0
