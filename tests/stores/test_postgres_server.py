"""The throwaway PostgreSQL server of the test fixtures: a skip locally, a failure in CI."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from aioproton.testing import PostgresServer
from aioproton.testing._postgres import (
    BIN_DIR_VARIABLE,
    PostgresUnavailableError,
    proton_postgres,
)


def test_missing_binaries_fail_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(BIN_DIR_VARIABLE, str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(PostgresUnavailableError, match="point it at PostgreSQL's bin"):
        next(proton_postgres())


def test_missing_binaries_skip_outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(BIN_DIR_VARIABLE, str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=str(tmp_path)):
        next(proton_postgres())


def test_each_database_is_fresh_and_the_files_go_with_the_server(
    proton_postgres: PostgresServer,
) -> None:
    first, second = proton_postgres.create_database(), proton_postgres.create_database()
    assert first != second
    with psycopg.connect(first, autocommit=True) as connection:
        connection.execute("CREATE TABLE t (x int)")
    with psycopg.connect(second) as connection:
        row = connection.execute("SELECT count(*) FROM pg_tables WHERE tablename = 't'")
        assert row.fetchone() == (0,)
    with PostgresServer.start() as server:
        directory = server.directory
        assert (directory / "data" / "PG_VERSION").exists()
    assert not directory.exists()
