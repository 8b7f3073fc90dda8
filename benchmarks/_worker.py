"""One client's measurements in a fresh process: ``python -m benchmarks._worker JOB``.

Each client runs in its own interpreter so that none inherits another's imports,
caches, threads or heap, and so its CPU time is its own. ``JOB`` is JSON; the result is
one JSON line on stdout: one figure per table row.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import anyio

from . import _measure, _waiter
from ._config import PAGE_SIZE, ROLLOUT_REGION, settings
from ._peers import open_async, open_boto3
from ._rollout import ROLLOUTS

Figures = dict[str, float]


def _pages(items: int) -> int:
    return -(-items // PAGE_SIZE)


async def _async_client(job: dict[str, Any]) -> Figures:
    peer, canned, emulator = job["peer"], settings(job["canned"]), settings(job["emulator"])
    items, calls, figures = job["list_items"], job["throughput_calls"], {}
    async with open_async(peer, canned, 1, pages=_pages(items)) as client:
        figures["cpu_call"] = await _measure.cpu_per_call(client.get, job["cpu_calls"])
        await client.warm()
        figures["cpu_item"] = await _measure.cpu_per_item(client.count, items)
    for server, config in (("canned", canned), ("emulator", emulator)):
        for concurrency in job["concurrency"]:
            async with open_async(peer, config, concurrency) as client:
                rate, cpu = await _measure.throughput(client.get, calls, concurrency)
            figures[f"{server}_rate_{concurrency}"] = rate
            if server == "canned" and concurrency == max(job["concurrency"]):
                figures[f"cpu_call_{concurrency}"] = cpu
    return figures


def _boto3_client(job: dict[str, Any]) -> Figures:
    canned, emulator = settings(job["canned"]), settings(job["emulator"])
    items, calls, figures = job["list_items"], job["throughput_calls"], {}
    with open_boto3(canned, 1) as client:
        figures["cpu_call"] = _measure.cpu_per_call_sync(client.get, job["cpu_calls"])
        client.warm()
        figures["cpu_item"] = _measure.cpu_per_item_sync(client.count, items)
    for server, config in (("canned", canned), ("emulator", emulator)):
        for concurrency in job["concurrency"]:
            with open_boto3(config, concurrency) as client:
                rate, cpu = _measure.throughput_sync(client.get, calls, concurrency)
            figures[f"{server}_rate_{concurrency}"] = rate
            if server == "canned" and concurrency == max(job["concurrency"]):
                figures[f"cpu_call_{concurrency}"] = cpu
    return figures


def run(job: dict[str, Any]) -> Any:
    if job["kind"] == "waiter":
        return _waiter.run(job)
    if job["kind"] == "rollout":
        rollout = ROLLOUTS[job["peer"]]
        config = settings(job["url"], ROLLOUT_REGION)
        return anyio.run(rollout, config, job["template"], job["version"], job["concurrency"])
    if job["peer"] == "boto3":
        return _boto3_client(job)
    return anyio.run(_async_client, job)


def main(argv: list[str]) -> int:
    job = json.loads(argv[1])
    print(json.dumps(run(job)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
