"""The client tests' folder settings: the plugin's emulator with one-minute deployments,
a client whose retries give up fast, and a scripted server for answers the emulator
never gives."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import attrs
import pytest
from aiohttp import web

import aioproton
from aioproton.emulator.backend import Timings

from ..recipes import FAST_RETRIES
from .tls_support import Pki, make_pki

HERE = Path(__file__).resolve().parent
EMULATOR = pytest.mark.proton_emulator(timings=Timings(deploy_seconds=60))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """This folder's tests run on an emulator with one-minute deployments, unless marked."""
    for item in items:
        if item.path.is_relative_to(HERE) and item.get_closest_marker(EMULATOR.name) is None:
            item.add_marker(EMULATOR)


@pytest.fixture
def proton_client_settings() -> dict[str, Any]:
    return {"retry": FAST_RETRIES}


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


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA with a server and a client certificate, made once per run with ``openssl``
    (the tests that use it are skipped where there is no ``openssl``)."""
    return make_pki(tmp_path_factory.mktemp("pki"))
