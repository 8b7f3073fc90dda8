"""One client's measurements in a fresh process: ``python -m benchmarks._worker JOB``.

Each client runs in its own interpreter so that none inherits another's imports,
caches, threads or heap, and so its CPU time and traced memory are its own. ``JOB`` is
JSON; the result is one JSON line on stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import anyio

from . import _measure, _waiter
from ._config import MAIN_REGION, ROLLOUT_REGION
from ._fixtures import settings
from ._peers import open_async, open_boto3
from ._rollout import ROLLOUTS

Samples = dict[str, list[float]]


def _sample(samples: Samples, key: str, value: float) -> None:
    samples.setdefault(key, []).append(value)


async def _async_client(job: dict[str, Any]) -> Samples:
    peer, config, repeats = job["peer"], settings(job["url"], MAIN_REGION), job["repeats"]
    samples: Samples = {}
    async with open_async(peer, config, 1) as client:
        for _ in range(repeats):
            for key, value in (await _measure.latency(client.get, job["latency_calls"])).items():
                _sample(samples, key, value)
    for concurrency in job["concurrency"]:
        async with open_async(peer, config, concurrency) as client:
            for _ in range(repeats):
                rate = await _measure.throughput(client.get, job["throughput_calls"], concurrency)
                _sample(samples, f"throughput_{concurrency}", rate)
    async with open_async(peer, config, 1) as client:
        expected = job["list_items"]
        await client.warm()
        for _ in range(repeats):
            for key, value in (await _measure.page_time(client.count, expected)).items():
                _sample(samples, key, value)
        _sample(samples, "page_peak_bytes", await _measure.page_memory(client.count, expected))
    return samples


def _boto3_client(job: dict[str, Any]) -> Samples:
    config, repeats = settings(job["url"], MAIN_REGION), job["repeats"]
    samples: Samples = {}
    with open_boto3(config, 1) as client:
        for _ in range(repeats):
            for key, value in _measure.latency_sync(client.get, job["latency_calls"]).items():
                _sample(samples, key, value)
    for concurrency in job["concurrency"]:
        with open_boto3(config, concurrency) as client:
            for _ in range(repeats):
                rate = _measure.throughput_sync(client.get, job["throughput_calls"], concurrency)
                _sample(samples, f"throughput_{concurrency}", rate)
    with open_boto3(config, 1) as client:
        expected = job["list_items"]
        client.warm()
        for _ in range(repeats):
            for key, value in _measure.page_time_sync(client.count, expected).items():
                _sample(samples, key, value)
        _sample(samples, "page_peak_bytes", _measure.page_memory_sync(client.count, expected))
    return samples


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
