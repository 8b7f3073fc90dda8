"""A small daemon for the restart test: create components, then roll a template out.

``python daemon_worker.py URL TOKENS_DB`` prints one JSON line per finished step, so the
test can kill it at a chosen point and start it again. Every step goes through the
durable token store, so a restarted worker repeats nothing that already took effect.
"""

from __future__ import annotations

import json
import sys

import anyio

import aioproton
from aioproton.workflow import (
    IdempotentCalls,
    Rollout,
    RolloutResult,
    SqliteTokenStore,
    Waiters,
)

COMPONENTS = 4
MANIFEST = "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n"
TEMPLATE_FILE = "Resources: {}\n"


def say(**event: object) -> None:
    print(json.dumps(event), flush=True)


async def main(url: str, tokens: str) -> None:
    store = SqliteTokenStore(tokens)
    async with aioproton.ProtonClient(
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDDAEMON0000000000",
        aws_secret_access_key="daemon-secret",
    ) as proton:
        calls = IdempotentCalls(store=store)
        for index in range(COMPONENTS):
            component = await calls.call(
                f"daemon/component/{index}",
                proton.create_component,
                name=f"d{index}",
                environment_name="prod",
                manifest=MANIFEST,
                template_file=TEMPLATE_FILE,
            )
            say(component=component.name)

        def report(result: RolloutResult) -> None:
            say(item=result.target.path, status=result.status.value)

        rollout = Rollout(
            proton,
            service_template="web",
            version="1.1",
            concurrency=2,
            store=store,
            waiters=Waiters(proton, min_delay=0.05, max_delay=0.3),
            wait_timeout=120,
        )
        outcome = await rollout.run(on_result=report)
        say(done=True, ok=outcome.ok)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2])
