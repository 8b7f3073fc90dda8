"""Start-up in a fresh process: ``python -m benchmarks._startup JOB``.

Times what a program pays before its first answer: importing the client and creating
it (opened, for the async ones), then the first call. Only the standard library is
imported before the clock starts (asyncio included, for every async client alike), so
nothing of any client is preloaded; ``JOB`` carries everything else as JSON (the
floor's signed request too). The result is one JSON line on stdout, in seconds: wall
clock, and the CPU time of the process (every thread) for start-up, which a core shared
with other work barely changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any


async def _async(job: dict[str, Any]) -> dict[str, float]:
    peer, settings, name = job["peer"], job["settings"], job["environment"]
    async with contextlib.AsyncExitStack() as stack:
        started, cpu_started = time.perf_counter(), time.process_time()
        if peer == "aioproton":
            import aioproton

            proton = await stack.enter_async_context(aioproton.ProtonClient(**settings))
            opened, cpu_opened = time.perf_counter(), time.process_time()
            await proton.get_environment(name=name)
        elif peer == "aiobotocore":
            from aiobotocore.session import get_session

            client = get_session().create_client("proton", **settings)
            client = await stack.enter_async_context(client)
            opened, cpu_opened = time.perf_counter(), time.process_time()
            await client.get_environment(name=name)
        elif peer == "capo-proton":
            from capo_proton import AsyncProtonClient

            capo = AsyncProtonClient(
                region=settings["region_name"],
                endpoint=settings["endpoint_url"],
                credentials={
                    "access_key": settings["aws_access_key_id"],
                    "secret_key": settings["aws_secret_access_key"],
                },
            )
            capo = await stack.enter_async_context(capo)
            opened, cpu_opened = time.perf_counter(), time.process_time()
            await capo.get_environment(name)
        else:  # the floor
            import aiohttp

            session = await stack.enter_async_context(aiohttp.ClientSession())
            opened, cpu_opened = time.perf_counter(), time.process_time()
            body, headers = job["floor_request"]
            url = settings["endpoint_url"] + "/"
            async with session.post(url, data=body, headers=headers) as response:
                json.loads(await response.read())
        answered = time.perf_counter()
    return {
        "startup": opened - started,
        "startup_cpu": cpu_opened - cpu_started,
        "first_call": answered - opened,
    }


def _boto3(job: dict[str, Any]) -> dict[str, float]:
    started, cpu_started = time.perf_counter(), time.process_time()
    import boto3

    client: Any = boto3.session.Session().client("proton", **job["settings"])
    opened, cpu_opened = time.perf_counter(), time.process_time()
    client.get_environment(name=job["environment"])
    answered = time.perf_counter()
    client.close()
    return {
        "startup": opened - started,
        "startup_cpu": cpu_opened - cpu_started,
        "first_call": answered - opened,
    }


def main(argv: list[str]) -> int:
    job = json.loads(argv[1])
    result = _boto3(job) if job["peer"] == "boto3" else asyncio.run(_async(job))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
