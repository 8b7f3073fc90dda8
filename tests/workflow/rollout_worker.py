"""A process that resumes a rollout from its stored state (run by the tests).

``python rollout_worker.py ENDPOINT STATE_DB`` resumes the canary rollout of service
template ``web`` 1.1 kept in the SQLite file STATE_DB (tokens in the same file) and
prints its report as JSON: ``{"stopped": ..., "statuses": {path: status}}``.
"""

from __future__ import annotations

import json
import sys

import anyio

import aioproton
from aioproton.workflow import (
    FixedDelay,
    Rollout,
    SqliteRolloutStateStore,
    SqliteTokenStore,
    Waiters,
    canary,
)


async def main(endpoint: str, database: str) -> None:
    async with aioproton.ProtonClient(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDRESUME0000000000",
        aws_secret_access_key="resume-secret",
    ) as proton:
        rollout = Rollout(
            proton,
            service_template="web",
            version="1.1",
            concurrency=10,
            plan=canary(first=1, then="10%"),
            order_by=lambda item: item.path,
            store=SqliteTokenStore(database),
            state=SqliteRolloutStateStore(database),
            waiters=Waiters(proton, schedule=FixedDelay(0.02)),
        )
        report = await rollout.run()
    print(
        json.dumps(
            {
                "stopped": report.stopped.value if report.stopped else None,
                "statuses": {r.target.path: r.status.value for r in report.results},
                "previous": {r.target.path: r.previous_version for r in report.results},
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2])
