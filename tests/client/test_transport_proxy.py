"""A real forward proxy on 127.0.0.1 carries the client's traffic when HTTP_PROXY says so,
and is bypassed when NO_PROXY names the endpoint's host."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import aiohttp
import anyio
import attrs
import pytest
from aiohttp import web

import aioproton
from aioproton.emulator import Emulator

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "transfer-encoding", "host"}


@attrs.define
class ForwardProxy:
    """Forwards absolute-form ``http://`` requests (no CONNECT) and remembers them."""

    url: str = ""
    seen: list[tuple[str, str | None, str | None]] = attrs.field(factory=list)


@pytest.fixture
async def forward_proxy() -> AsyncIterator[ForwardProxy]:
    proxy = ForwardProxy()
    async with aiohttp.ClientSession(auto_decompress=False) as upstream:

        async def forward(request: web.Request) -> web.Response:
            proxy.seen.append(
                (
                    str(request.url),
                    request.headers.get("X-Amz-Target"),
                    request.headers.get("Proxy-Authorization"),
                )
            )
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
            async with upstream.request(
                request.method, request.url, headers=headers, data=await request.read()
            ) as answer:
                body = await answer.read()
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
                kept.pop("Content-Length", None)
                return web.Response(status=answer.status, body=body, headers=kept)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        proxy.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            yield proxy
        finally:
            with anyio.CancelScope(shield=True):
                await runner.cleanup()


@pytest.fixture
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.mark.usefixtures("no_proxy_settings")
async def test_http_proxy_carries_signed_traffic(
    forward_proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_url = forward_proxy.url.replace("http://", "http://user:pa%20ss@")
    monkeypatch.setenv("HTTP_PROXY", user_url)
    async with Emulator(auth="strict") as emu, emu.client() as proton:
        template = await proton.create_environment_template(name="through-proxy")
        await proton.get_environment_template(name="through-proxy")
        endpoint_url = emu.endpoint_url
    assert template.name == "through-proxy"
    targets = [target for _, target, _ in forward_proxy.seen]
    assert targets == [
        "AwsProton20200720.CreateEnvironmentTemplate",
        "AwsProton20200720.GetEnvironmentTemplate",
    ]
    assert all(url == f"{endpoint_url}/" for url, _, _ in forward_proxy.seen)
    expected = "Basic " + base64.b64encode(b"user:pa ss").decode()
    assert {auth for _, _, auth in forward_proxy.seen} == {expected}


@pytest.mark.usefixtures("no_proxy_settings")
async def test_no_proxy_bypasses_the_proxy(
    forward_proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with Emulator() as emu, emu.client() as proton:
        await proton.get_account_settings()
    assert forward_proxy.seen == []
    assert emu.requests.count(operation="GetAccountSettings") == 1


@pytest.mark.usefixtures("no_proxy_settings")
async def test_proxies_from_the_client_settings(forward_proxy: ForwardProxy) -> None:
    async with Emulator() as emu, emu.client(proxies={"http": forward_proxy.url}) as proton:
        await proton.get_account_settings()
    assert [target for _, target, _ in forward_proxy.seen] == [
        "AwsProton20200720.GetAccountSettings"
    ]


@pytest.mark.usefixtures("no_proxy_settings")
async def test_an_unreachable_proxy_is_a_connection_error_that_was_never_sent() -> None:
    async with (
        Emulator() as emu,
        emu.client(
            proxies={"http": "http://127.0.0.1:9"}, retry=aioproton.RetryPolicy.never()
        ) as proton,
    ):
        with pytest.raises(aioproton.ProtonConnectionError) as caught:
            await proton.cancel_environment_deployment(environment_name="prod")
    assert caught.value.retry_safe
    assert not caught.value.ambiguous
