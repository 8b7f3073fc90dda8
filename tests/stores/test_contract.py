"""Every token store aioproton ships meets the contract written in ``TokenStore``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aioproton.testing import TokenStoreContract
from aioproton.workflow import MemoryTokenStore, PostgresTokenStore, SqliteTokenStore


class TestMemoryTokenStore(TokenStoreContract):
    @pytest.fixture
    def store(self) -> MemoryTokenStore:
        return MemoryTokenStore()


class TestSqliteTokenStore(TokenStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> SqliteTokenStore:
        return SqliteTokenStore(tmp_path / "tokens.db")

    @pytest.fixture
    def store_in_process(self, tmp_path: Path) -> tuple[str, list[Any]]:
        return ("aioproton.workflow:SqliteTokenStore", [str(tmp_path / "tokens.db")])


class TestPostgresTokenStore(TokenStoreContract):
    @pytest.fixture
    async def store(self, proton_postgres_url: str) -> AsyncIterator[PostgresTokenStore]:
        async with PostgresTokenStore(proton_postgres_url) as store:
            yield store

    @pytest.fixture
    def store_in_process(self, proton_postgres_url: str) -> tuple[str, list[Any]]:
        return ("aioproton.workflow:PostgresTokenStore", [proton_postgres_url])
