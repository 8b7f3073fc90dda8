"""A replica that creates templates and versions through IdempotentCalls (run by the tests).

``python replica_worker.py ENDPOINT STORE_FACTORY STORE_ARG COUNT`` opens its client and
token store, prints ``ready`` and waits for a line on stdin (the tests' barrier: every
replica starts at once). Then, for each ``i`` below COUNT, it creates environment
template ``t{i}`` (a name-keyed create: its key ``replicas/template/{i}`` is
not needed, the name is the key) and a version of it (a client-token create under
the logical key ``replicas/version/{i}``), many at a time, and prints
``{template: version arn}`` as JSON.
"""

from __future__ import annotations

import importlib
import json
import sys

import anyio
import anyio.to_thread

import aioproton
from aioproton import models
from aioproton.workflow import DurableRetry, IdempotentCalls, TokenStore

BUNDLE = models.TemplateVersionSourceInputS3(
    models.S3ObjectSource(bucket="templates-bucket", key="bundle.tar.gz")
)
#: Logical requests in flight at once in one replica.
CONCURRENCY = 25


async def create_all(proton: aioproton.ProtonClient, store: TokenStore, count: int) -> None:
    calls = IdempotentCalls(
        store=store, retry=DurableRetry(deadline=120, initial_delay=0.02, max_delay=0.2)
    )
    arns: dict[str, str] = {}
    limiter = anyio.CapacityLimiter(CONCURRENCY)

    async def create(index: int) -> None:
        async with limiter:
            name = f"t{index}"
            await calls.call(
                f"replicas/template/{index}", proton.create_environment_template, name=name
            )
            version = await calls.call(
                f"replicas/version/{index}",
                proton.create_environment_template_version,
                template_name=name,
                source=BUNDLE,
            )
            arns[name] = version.arn

    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(create, index)
    print(json.dumps(arns), flush=True)


async def main(endpoint: str, factory: str, argument: str, count: int) -> None:
    module, _, name = factory.partition(":")
    store = getattr(importlib.import_module(module), name)(argument)
    async with aioproton.ProtonClient(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDREPLICA000000000",
        aws_secret_access_key="replica-secret",
        retry=aioproton.RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.05),
    ) as proton:
        if hasattr(store, "__aenter__"):
            async with store:
                await barrier()
                await create_all(proton, store, count)
        else:
            await barrier()
            await create_all(proton, store, count)


async def barrier() -> None:
    print("ready", flush=True)
    await anyio.to_thread.run_sync(sys.stdin.readline)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
