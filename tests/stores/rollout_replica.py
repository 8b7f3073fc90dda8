"""One replica of a shared rollout (run by the tests).

``python rollout_replica.py ENDPOINT STATE TEMPLATE VERSION [TOKENS]`` joins the shared
rollout of service template TEMPLATE to VERSION, kept in STATE (a SQLite file or a
PostgreSQL URL), with its client tokens in the PostgreSQL database TOKENS when given
(shared by the replicas) or in memory (its own). It prints ``holder ID`` (its name in
the claims) first, ``finished PATH STATUS`` as it records each item and, at the end,
the report as JSON on its last line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

import aioproton
from aioproton.workflow import (
    FixedDelay,
    Plan,
    Rollout,
    RolloutResult,
    RolloutStateStore,
    SqliteRolloutStateStore,
    Step,
    TokenStore,
    Waiters,
)


@asynccontextmanager
async def state_store(where: str) -> AsyncIterator[RolloutStateStore]:
    if where.startswith("postgresql://"):
        from aioproton.workflow import PostgresRolloutStateStore

        async with PostgresRolloutStateStore(where) as store:
            yield store
    else:
        yield SqliteRolloutStateStore(where)


@asynccontextmanager
async def token_store(where: str | None) -> AsyncIterator[TokenStore | None]:
    if where is None:
        yield None
        return
    from aioproton.workflow import PostgresTokenStore

    async with PostgresTokenStore(where) as store:
        yield store


def finished(result: RolloutResult) -> None:
    print(f"finished {result.target.path} {result.status.value}", flush=True)


async def main(
    endpoint: str, where: str, template: str, version: str, tokens: str | None = None
) -> None:
    retry = aioproton.RetryPolicy(max_attempts=12, initial_delay=0.01, max_delay=0.05)
    async with (
        aioproton.ProtonClient(
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIDREPLICA000000000",
            aws_secret_access_key="replica-secret",
            retry=retry,
        ) as proton,
        state_store(where) as state,
        token_store(tokens) as store,
    ):
        rollout = Rollout(
            proton,
            service_template=template,
            version=version,
            concurrency=8,
            plan=Plan([Step("50%")]),
            state=state,
            store=store,
            shared=True,
            claim_ttl=5.0,
            claim_poll=0.05,
            waiters=Waiters(proton, schedule=FixedDelay(0.02)),
        )
        print(f"holder {rollout.holder}", flush=True)
        report = await rollout.run(on_result=finished)
    print(
        json.dumps(
            {
                "stopped": report.stopped.value if report.stopped else None,
                "statuses": {r.target.path: r.status.value for r in report.results},
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    endpoint, where, template, version, *tokens = sys.argv[1:]
    anyio.run(main, endpoint, where, template, version, tokens[0] if tokens else None)
