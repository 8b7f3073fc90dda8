"""The contract every token store meets, as a test class to subclass.

Written down in :class:`~aioproton.workflow.TokenStore`; checked here, the same way for
the stores aioproton ships and for one of your own (DynamoDB, Redis, ...)::

    class TestMyStore(TokenStoreContract):
        @pytest.fixture
        async def store(self):
            async with MyStore(table="tokens-test") as store:
                yield store

        @pytest.fixture
        def store_in_process(self):
            # How another process opens the same store: "module:callable" and its
            # positional arguments (JSON). Return None if it cannot be shared.
            return ("my_package.stores:MyStore", ["tokens-test"])

The tests are ``async``: run them with pytest-asyncio in auto mode, or add
``pytestmark = pytest.mark.asyncio`` (and async fixtures it knows) in strict mode.
The store must purge by itself (:class:`~aioproton.workflow.purge.AutoPurge` with its
defaults), since the contract checks that too.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import anyio
import pytest

from ..workflow.purge import AutoPurge
from ..workflow.tokens import TokenStore

__all__ = ["TokenStoreContract"]

#: Proton's limit on the length of a client token.
_MAX_TOKEN_LENGTH = 64
_LIFETIME = 8 * 3600.0

_CHILD = """
import importlib, json, sys
import anyio

async def main():
    target, args = json.loads(sys.argv[1])
    module, _, name = target.partition(":")
    store = getattr(importlib.import_module(module), name)(*args)
    tokens = []

    async def claim():
        tokens.append((await store.claim("shared", "fp-child", 2.0)).token)

    async def claims():
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(claim)

    if hasattr(store, "__aenter__"):
        async with store:
            await claims()
    else:
        await claims()
    print(json.dumps(tokens))

anyio.run(main)
"""


class TokenStoreContract:
    """Subclass with a ``store`` fixture (a fresh, open store) to check a store."""

    #: How many processes claim one key at once in the cross-process test.
    processes = 4

    @pytest.fixture
    def store_in_process(self) -> tuple[str, list[Any]] | None:
        """``("module:factory", [args])`` opening the same store in another process."""
        return None

    async def test_a_claim_keeps_the_first_token_fingerprint_and_time(
        self, store: TokenStore
    ) -> None:
        """A second claim of a key returns the first record; another key gets another token."""
        first = await store.claim("release-1/component/web", "fp-a", 100.0)
        again = await store.claim("release-1/component/web", "fp-b", 200.0)
        other = await store.claim("release-1/component/api", "fp-a", 100.0)
        assert again.token == first.token
        assert (again.fingerprint, again.created_at, again.result) == ("fp-a", 100.0, None)
        assert other.token != first.token
        assert 0 < len(first.token) <= _MAX_TOKEN_LENGTH
        assert first.age(160.5) == 60.5

    async def test_concurrent_claims_of_one_key_from_many_tasks_get_one_token(
        self, store: TokenStore
    ) -> None:
        """Fifty tasks claiming one key at once all get the same token."""
        records: list[tuple[str, str, float]] = []

        async def claim(index: int) -> None:
            record = await store.claim("shared", f"fp-{index}", 1.0 + index)
            records.append((record.token, record.fingerprint, record.created_at))

        async with anyio.create_task_group() as group:
            for index in range(50):
                group.start_soon(claim, index)
        assert len(records) == 50
        assert len(set(records)) == 1

    async def test_concurrent_claims_of_one_key_from_processes_get_one_token(
        self, store: TokenStore, store_in_process: tuple[str, list[Any]] | None
    ) -> None:
        """Processes sharing the store claim one key and all get the same token."""
        if store_in_process is None:
            pytest.skip("this store is not shared between processes")
        tokens: list[str] = []

        async def child() -> None:
            result = await anyio.run_process(
                [sys.executable, "-c", _CHILD, json.dumps(store_in_process)], check=True
            )
            tokens.extend(json.loads(result.stdout))

        async def here() -> None:
            tokens.append((await store.claim("shared", "fp-parent", 1.0)).token)

        async with anyio.create_task_group() as group:
            for _ in range(self.processes):
                group.start_soon(child)
            group.start_soon(here)
        assert len(tokens) == self.processes * 10 + 1
        assert len(set(tokens)) == 1
        final = await store.claim("shared", "fp-late", 3.0)
        assert final.token == tokens[0]

    async def test_renew_replaces_token_fingerprint_time_and_result(
        self, store: TokenStore
    ) -> None:
        """``renew`` gives a key a new token, fingerprint and time and drops its result."""
        old = await store.claim("k", "fp-a", 100.0)
        await store.record_result("k", "arn:aws:proton:us-east-1:123456789012:component/web")
        renewed = await store.renew("k", "fp-b", 500.0)
        assert renewed.token != old.token
        assert (renewed.fingerprint, renewed.created_at, renewed.result) == ("fp-b", 500.0, None)
        assert (await store.claim("k", "fp-c", 600.0)).token == renewed.token
        fresh = await store.renew("never-claimed", "fp", 700.0)
        assert (await store.claim("never-claimed", "fp-x", 800.0)).token == fresh.token

    async def test_an_old_record_is_kept_until_purged(self, store: TokenStore) -> None:
        """A record past the token lifetime stays until a purge removes it."""
        first = await store.claim("k", "fp", 1000.0)
        later = await store.claim("k", "fp", 1000.0 + _LIFETIME + 60)
        assert later.token == first.token
        assert later.age(1000.0 + _LIFETIME + 60) > _LIFETIME

    async def test_purge_forgets_only_older_records(self, store: TokenStore) -> None:
        """``purge`` removes records strictly older than its limit and counts them."""
        old = await store.claim("old", "fp", 100.0)
        await store.claim("young", "fp", 900.0)
        await store.claim("edge", "fp", 800.0)
        assert await store.purge(older_than=800.0) == 1
        assert await store.purge(older_than=800.0) == 0
        assert (await store.claim("old", "fp", 1000.0)).token != old.token
        assert (await store.claim("edge", "fp", 1000.0)).created_at == 800.0

    async def test_claims_purge_records_past_the_token_lifetime(self, store: TokenStore) -> None:
        """Claims purge expired records on the store's ``AutoPurge`` schedule."""
        defaults = AutoPurge()
        assert defaults.every is not None
        start = 10_000.0
        old = await store.claim("old", "fp", start)
        later = start + defaults.keep + defaults.every + 1
        await store.claim("new", "fp", later)
        again = await store.claim("old", "fp", later)
        assert again.token != old.token
        assert again.created_at == later

    async def test_results_are_recorded_and_returned(self, store: TokenStore) -> None:
        """``record_result`` keeps a result that later claims return."""
        await store.claim("k", "fp", 1.0)
        await store.record_result("k", "arn:one")
        assert (await store.claim("k", "fp", 2.0)).result == "arn:one"
        await store.record_result("k", "arn:two")
        assert (await store.claim("k", "fp", 3.0)).result == "arn:two"
        await store.record_result("unknown", "arn:x")
        assert (await store.claim("unknown", "fp", 4.0)).result is None

    async def test_discard_forgets_one_key(self, store: TokenStore) -> None:
        """``discard`` forgets one key and leaves the others."""
        gone = await store.claim("gone", "fp", 1.0)
        kept = await store.claim("kept", "fp", 1.0)
        await store.discard("gone")
        await store.discard("never-claimed")
        assert (await store.claim("gone", "fp", 5.0)).token != gone.token
        assert (await store.claim("kept", "fp", 5.0)).token == kept.token
