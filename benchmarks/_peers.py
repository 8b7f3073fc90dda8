"""Each client, opened the way its users open it, behind the same three calls.

``get`` is one GetEnvironment; ``count`` pages through every ListEnvironments item with
the client's own paginator (100 a page) and keeps none of them; ``warm`` reads the
first page, so that whatever a listing loads on first use is loaded before the timing.
Every client gets a connection pool as large as the concurrency it is driven at:
botocore (so boto3 and aiobotocore) defaults to 10 connections and capo-proton's HTTP
stack to 10 per host, which would otherwise cap them at concurrency 100. Nothing else
is tuned: each client keeps its own defaults (validation, retries, parsing). Only
public APIs are used, so a client's new internals are measured as they land.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

import attrs

from ._config import ENVIRONMENT, PAGE_SIZE

if TYPE_CHECKING:
    from aioproton.emulator import ClientSettings


@attrs.frozen
class AsyncPeer:
    get: Callable[[], Awaitable[object]]
    count: Callable[[], Awaitable[int]]
    warm: Callable[[], Awaitable[int]]


@attrs.frozen
class SyncPeer:
    get: Callable[[], object]
    count: Callable[[], int]
    warm: Callable[[], int]


def _config(limit: int | None) -> dict[str, int]:
    """botocore's PaginationConfig: 100 a page, ``limit`` items at most."""
    return {"PageSize": PAGE_SIZE} if limit is None else {"PageSize": PAGE_SIZE, "MaxItems": limit}


@asynccontextmanager
async def open_async(
    peer: str, settings: ClientSettings, pool: int, *, pages: int = 1
) -> AsyncIterator[AsyncPeer]:
    """An open async client: aioproton, aiobotocore, capo-proton or the floor.

    ``pages`` is how many listing pages the floor prepares requests for.
    """
    if peer == "floor":
        async with _floor(settings, pool, pages) as opened:
            yield opened
        return
    opener = {"aioproton": _aioproton, "aiobotocore": _aiobotocore, "capo-proton": _capo}[peer]
    async with opener(settings, pool) as opened:
        yield opened


@asynccontextmanager
async def _aioproton(settings: ClientSettings, pool: int) -> AsyncIterator[AsyncPeer]:
    import aioproton

    async with aioproton.ProtonClient(**settings, max_pool_connections=pool) as proton:

        async def get() -> object:
            return await proton.get_environment(name=ENVIRONMENT)

        async def count(limit: int | None = None) -> int:
            items = 0
            async for _ in proton.paginate.list_environments(page_size=PAGE_SIZE, max_items=limit):
                items += 1
            return items

        yield AsyncPeer(get, count, lambda: count(PAGE_SIZE))


@asynccontextmanager
async def _aiobotocore(settings: ClientSettings, pool: int) -> AsyncIterator[AsyncPeer]:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    config = AioConfig(max_pool_connections=pool)
    async with get_session().create_client("proton", **settings, config=config) as client:

        async def get() -> object:
            return await client.get_environment(name=ENVIRONMENT)

        async def count(limit: int | None = None) -> int:
            items = 0
            paginator = client.get_paginator("list_environments")
            async for page in paginator.paginate(PaginationConfig=_config(limit)):
                for _ in page["environments"]:
                    items += 1
            return items

        yield AsyncPeer(get, count, lambda: count(PAGE_SIZE))


@asynccontextmanager
async def _capo(settings: ClientSettings, pool: int) -> AsyncIterator[AsyncPeer]:
    from capo_proton import AsyncProtonClient
    from zapros import AsyncStdNetworkHandler

    handler = AsyncStdNetworkHandler(
        http1={"max_connections_per_host": pool, "max_idle_connections_per_host": pool}
    )
    client = AsyncProtonClient(
        http_handler=handler,
        region=settings["region_name"],
        endpoint=settings["endpoint_url"],
        credentials={
            "access_key": settings["aws_access_key_id"],
            "secret_key": settings["aws_secret_access_key"],
        },
    )
    async with client:

        async def get() -> object:
            return await client.get_environment(ENVIRONMENT)

        async def count() -> int:
            items = 0
            async for _ in client.iter_list_environments(max_results=PAGE_SIZE):
                items += 1
            return items

        async def warm() -> int:
            # What the iterator calls for each page.
            page = await client.list_environments(max_results=PAGE_SIZE)
            return len(page["environments"])

        yield AsyncPeer(get, count, warm)


@asynccontextmanager
async def _floor(settings: ClientSettings, pool: int, pages: int) -> AsyncIterator[AsyncPeer]:
    import aiohttp

    from ._floor import get_request, list_requests

    url, region = settings["endpoint_url"], settings["region_name"]
    get_body, get_headers = get_request(url, region)
    listing = list_requests(url, region, pages)
    connector = aiohttp.TCPConnector(limit=pool)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(body: str, headers: dict[str, str]) -> Any:
            async with session.post(url + "/", data=body, headers=headers) as response:
                data = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"the floor's request failed: {data[:300]!r}")
                return json.loads(data)

        async def get() -> object:
            return await post(get_body, get_headers)

        async def count(limit: int | None = None) -> int:
            items, token = 0, ""
            while True:
                page = await post(*listing[token])
                for _ in page["environments"]:
                    items += 1
                token = page.get("nextToken") or ""
                if not token or (limit is not None and items >= limit):
                    return items

        yield AsyncPeer(get, count, lambda: count(PAGE_SIZE))


@contextmanager
def open_boto3(settings: ClientSettings, pool: int) -> Iterator[SyncPeer]:
    """A boto3 client: thread-safe, so one client serves every thread."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    client: Any = session.client("proton", **settings, config=Config(max_pool_connections=pool))

    def get() -> object:
        return client.get_environment(name=ENVIRONMENT)

    def count(limit: int | None = None) -> int:
        items = 0
        paginator = client.get_paginator("list_environments")
        for page in paginator.paginate(PaginationConfig=_config(limit)):
            for _ in page["environments"]:
                items += 1
        return items

    try:
        yield SyncPeer(get, count, lambda: count(PAGE_SIZE))
    finally:
        client.close()
