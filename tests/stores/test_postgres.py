"""PostgresTokenStore beyond the contract: its tables, its errors, a cut connection."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from aioproton.workflow import PostgresTokenStore, StoreConnectionError, StoreError

REPO_ROOT = Path(__file__).resolve().parents[2]


async def query(url: str, sql: str) -> list[tuple[object, ...]]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        cursor = await connection.execute(sql)
        return await cursor.fetchall() if cursor.description else []


async def test_first_use_creates_the_tables_and_their_schema_versions(
    proton_postgres_url: str,
) -> None:
    async with PostgresTokenStore(proton_postgres_url) as store:
        await store.claim("k", "fp", 1.0)
    async with PostgresTokenStore(proton_postgres_url) as again:
        assert (await again.claim("k", "fp", 2.0)).created_at == 1.0
    tables = await query(
        proton_postgres_url,
        "SELECT tablename FROM pg_tables WHERE tablename LIKE 'aioproton%' ORDER BY 1",
    )
    assert tables == [("aioproton_client_tokens",), ("aioproton_leases",), ("aioproton_schema",)]
    versions = await query(proton_postgres_url, "SELECT * FROM aioproton_schema ORDER BY 1")
    assert versions == [("client_tokens", 1), ("leases", 1)]


async def test_a_newer_schema_is_refused(proton_postgres_url: str) -> None:
    async with PostgresTokenStore(proton_postgres_url):
        pass
    await query(proton_postgres_url, "UPDATE aioproton_schema SET version = 99")
    with pytest.raises(StoreError, match="upgrade aioproton"):
        async with PostgresTokenStore(proton_postgres_url):
            pytest.fail("opened a store with a newer schema")


async def test_a_cut_connection_is_replaced(proton_postgres_url: str) -> None:
    async with PostgresTokenStore(proton_postgres_url) as store:
        first = await store.claim("k", "fp", 1.0)
        cut = await query(
            proton_postgres_url,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'aioproton tokens'",
        )
        assert cut[0][0] >= 1
        assert (await store.claim("k", "fp", 2.0)).token == first.token
        assert await store.get("k") == first


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_an_unreachable_server_is_a_typed_error_without_the_password() -> None:
    url = f"postgresql://app:s3cret-pw@127.0.0.1:{free_port()}/automation"
    with pytest.raises(StoreConnectionError) as caught:
        async with PostgresTokenStore(url, connect_timeout=2):
            pytest.fail("connected to nothing")
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert f"app@127.0.0.1:{url.split(':')[3].split('/')[0]}/automation" in message
    assert "check the URL" in message
    assert "s3cret-pw" not in repr(PostgresTokenStore(url))


async def test_bad_urls_and_settings_are_refused() -> None:
    with pytest.raises(StoreError, match="postgresql://user@host"):
        PostgresTokenStore("postgresql://[nonsense")
    with pytest.raises(StoreError, match="postgresql://user@host"):
        PostgresTokenStore("db.internal:5432")
    with pytest.raises(ValueError, match="pool_size"):
        PostgresTokenStore("postgresql://app@db/x", pool_size=0)


async def test_a_store_that_is_not_open_says_how_to_open_it(proton_postgres_url: str) -> None:
    store = PostgresTokenStore(proton_postgres_url)
    with pytest.raises(StoreError, match="async with PostgresTokenStore"):
        await store.claim("k", "fp", 1.0)


async def test_its_lease_store_shares_the_database(proton_postgres_url: str) -> None:
    async with PostgresTokenStore(proton_postgres_url) as store:
        leases = store.leases()
        async with leases.hold("target", ttl=10) as lease:
            assert lease.fencing_token == 1
    assert await query(proton_postgres_url, "SELECT holder FROM aioproton_leases") == [(None,)]


@pytest.mark.slow
def test_without_the_extra_the_import_says_what_to_install() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['psycopg'] = None\n"
            "from aioproton.workflow import PostgresTokenStore",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "pip install 'aioproton[postgres]'" in result.stderr
