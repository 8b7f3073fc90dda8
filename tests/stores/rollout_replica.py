"""One replica of a shared rollout (run by the tests and examples).

``python rollout_replica.py ENDPOINT STATE TEMPLATE VERSION`` joins the shared rollout
of service template TEMPLATE to VERSION, kept in STATE (a SQLite file or a PostgreSQL
URL), prints ``claimed PATH`` as it starts each item and, at the end, the report as
JSON on its last line.
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


def finished(result: RolloutResult) -> None:
    print(f"finished {result.target.path} {result.status.value}", flush=True)


async def main(endpoint: str, where: str, template: str, version: str) -> None:
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
    ):
        rollout = Rollout(
            proton,
            service_template=template,
            version=version,
            concurrency=8,
            plan=Plan([Step("50%")]),
            state=state,
            shared=True,
            claim_ttl=5.0,
            claim_poll=0.05,
            waiters=Waiters(proton, schedule=FixedDelay(0.02)),
        )
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
    anyio.run(main, *sys.argv[1:5])
