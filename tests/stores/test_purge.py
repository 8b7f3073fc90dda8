"""Automatic purge: when it runs, what it logs, and its settings."""

from __future__ import annotations

import logging

import pytest

from aioproton.workflow import TOKEN_LIFETIME, AutoPurge, MemoryTokenStore
from aioproton.workflow.purge import SERVICE_TOKEN_LIFETIME


def test_the_purge_keeps_records_for_the_service_token_lifetime_and_more() -> None:
    assert SERVICE_TOKEN_LIFETIME == TOKEN_LIFETIME
    assert AutoPurge().keep > TOKEN_LIFETIME


async def test_a_claim_purges_at_most_once_per_interval_and_logs_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryTokenStore(auto_purge=AutoPurge(keep=TOKEN_LIFETIME, every=600))
    caplog.set_level(logging.DEBUG, logger="aioproton.workflow.purge")
    await store.claim("a", "fp", 0.0)
    await store.claim("b", "fp", 100.0)
    await store.claim("c", "fp", TOKEN_LIFETIME + 50)  # due: 'a' is past the lifetime
    await store.claim("d", "fp", TOKEN_LIFETIME + 500)  # not due yet: 'b' stays
    assert len(store) == 3
    records = [r for r in caplog.records if r.name == "aioproton.workflow.purge"]
    assert [r.__dict__["purged"] for r in records] == [0, 1]
    assert records[1].levelno == logging.INFO
    assert records[1].__dict__["store"] == "memory"
    assert records[1].__dict__["older_than"] == 50.0
    await store.claim("e", "fp", TOKEN_LIFETIME + 700)  # due again: 'b' goes
    assert len(store) == 3


async def test_automatic_purge_can_be_turned_off() -> None:
    store = MemoryTokenStore(auto_purge=AutoPurge(every=None))
    await store.claim("a", "fp", 0.0)
    await store.claim("b", "fp", 10 * TOKEN_LIFETIME)
    assert len(store) == 2
    assert await store.purge(older_than=1.0) == 1


def test_bad_purge_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="every must be positive"):
        AutoPurge(every=0)
    with pytest.raises(ValueError, match="keep"):
        AutoPurge(keep=60)
