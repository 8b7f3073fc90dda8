"""Fixtures: an in-process emulator on a manual clock and a client bound to it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import attrs
import pytest
from aiohttp import web

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Timings

FAST_RETRIES = aioproton.RetryPolicy(max_attempts=4, initial_delay=0.001, max_delay=0.005)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(
        clock=ManualClock(), timings=Timings(deploy_seconds=60), check_responses=True
    ) as emu:
        yield emu


@pytest.fixture
async def proton(emulator: Emulator) -> AsyncIterator[aioproton.ProtonClient]:
    async with aioproton.ProtonClient(**emulator.client_settings, retry=FAST_RETRIES) as client:
        yield client


@attrs.define
class ScriptedServer:
    """A real HTTP server on 127.0.0.1 that answers from a script, for the cases the
    emulator never produces (unknown error codes, garbage bodies, stalls)."""

    url: str
    replies: list[tuple[int, str]]
    received: list[dict[str, Any]] = attrs.field(factory=list)
    stall: float = 0.0

    def reply(self, status: int, body: dict[str, Any] | str) -> None:
        self.replies.append((status, body if isinstance(body, str) else json.dumps(body)))

    def client(self, **kwargs: Any) -> aioproton.ProtonClient:
        settings: dict[str, Any] = {
            "endpoint_url": self.url,
            "region_name": "us-east-1",
            "aws_access_key_id": "AKIDEXAMPLE",
            "aws_secret_access_key": "secret",
            "retry": FAST_RETRIES,
        }
        settings.update(kwargs)
        return aioproton.ProtonClient(**settings)


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer(url="", replies=[])

    async def handle(request: web.Request) -> web.Response:
        server.received.append(
            {
                "target": request.headers.get("X-Amz-Target"),
                "user_agent": request.headers.get("User-Agent"),
                "body": await request.json(),
            }
        )
        if server.stall:
            await anyio.sleep(server.stall)
        status, body = server.replies.pop(0) if server.replies else (200, "{}")
        return web.Response(
            status=status,
            body=body,
            content_type="application/x-amz-json-1.0",
            headers={"x-amzn-RequestId": f"req-{len(server.received)}"},
        )

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        with anyio.CancelScope(shield=True):
            await runner.cleanup()
