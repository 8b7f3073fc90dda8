"""A replica that creates components through IdempotentCalls (run by the tests).

``python replica_worker.py ENDPOINT STORE_FACTORY STORE_ARG COUNT`` creates components
``c0`` .. ``c{COUNT-1}`` in environment ``prod``, each under its own idempotency key,
all at once, and prints ``{key: arn}`` as JSON.
"""

from __future__ import annotations

import importlib
import json
import sys

import anyio

import aioproton
from aioproton.workflow import IdempotentCalls, TokenStore

MANIFEST = "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n"
TEMPLATE_FILE = "Resources: {}\n"


async def create_all(proton: aioproton.ProtonClient, store: TokenStore, count: int) -> None:
    calls = IdempotentCalls(store=store)
    arns: dict[str, str] = {}

    async def create(index: int) -> None:
        key = f"replicas/component/{index}"
        component = await calls.call(
            key,
            proton.create_component,
            name=f"c{index}",
            environment_name="prod",
            manifest=MANIFEST,
            template_file=TEMPLATE_FILE,
        )
        arns[key] = component.arn

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
    ) as proton:
        if hasattr(store, "__aenter__"):
            async with store:
                await create_all(proton, store, count)
        else:
            await create_all(proton, store, count)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
