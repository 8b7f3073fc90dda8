"""botocore's ``proxies_config`` against real HTTPS proxies on 127.0.0.1: the proxy's CA
bundle and client certificate are honoured where aiohttp can honour them, and every
setting it cannot honour is a ConfigurationError before anything is sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import attrs
import pytest
from aiohttp import web
from yarl import URL

import aioproton
from aioproton.emulator import Emulator

from .tls_support import NEEDS_OPENSSL, Pki, https_server, server_context

pytestmark = [NEEDS_OPENSSL, pytest.mark.usefixtures("no_proxy_environment")]

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "transfer-encoding", "host"}


@pytest.fixture
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@attrs.define
class TlsProxy:
    """An HTTPS forward proxy: what it forwarded, and the client certificate it saw."""

    url: str = ""
    seen: list[tuple[str, str | None]] = attrs.field(factory=list)
    client_names: list[str | None] = attrs.field(factory=list)


async def _tls_forward_proxy(pki: Pki, *, require_client_cert: bool) -> AsyncIterator[TlsProxy]:
    """Forwards absolute-form requests (what a client sends for an ``http://`` URL) it
    receives over TLS."""
    proxy = TlsProxy()
    async with aiohttp.ClientSession(auto_decompress=False) as upstream:

        async def forward(request: web.Request) -> web.Response:
            assert request.transport is not None
            peer = request.transport.get_extra_info("peercert")
            proxy.client_names.append(_common_name(peer))
            # The request line's absolute URL (request.url would say https: the proxy's).
            target = URL(request.raw_path)
            proxy.seen.append((str(target), request.headers.get("X-Amz-Target")))
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
            async with upstream.request(
                request.method, target, headers=headers, data=await request.read()
            ) as answer:
                body = await answer.read()
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
                kept.pop("Content-Length", None)
                return web.Response(status=answer.status, body=body, headers=kept)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app)
        await runner.setup()
        context = server_context(pki, require_client_cert=require_client_cert)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        proxy.url = f"https://127.0.0.1:{runner.addresses[0][1]}"
        try:
            yield proxy
        finally:
            with anyio.CancelScope(shield=True):
                await runner.cleanup()


def _common_name(peer: Any) -> str | None:
    for part in (peer or {}).get("subject", ()):
        for key, value in part:
            if key == "commonName":
                return str(value)
    return None


@pytest.fixture
async def tls_proxy(pki: Pki) -> AsyncIterator[TlsProxy]:
    async for proxy in _tls_forward_proxy(pki, require_client_cert=False):
        yield proxy


@pytest.fixture
async def mtls_proxy(pki: Pki) -> AsyncIterator[TlsProxy]:
    async for proxy in _tls_forward_proxy(pki, require_client_cert=True):
        yield proxy


@attrs.define
class TunnelProxy:
    """An HTTPS proxy that opens CONNECT tunnels: the targets it tunnelled to."""

    url: str = ""
    targets: list[str] = attrs.field(factory=list)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def tunnel_proxy(pki: Pki) -> AsyncIterator[TunnelProxy]:
    proxy = TunnelProxy()
    handlers: set[asyncio.Task[None]] = set()

    async def tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            if method != "CONNECT":
                writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            proxy.targets.append(target)
            host, port = target.rsplit(":", 1)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            async with anyio.create_task_group() as group:
                group.start_soon(_pipe, reader, up_writer)
                group.start_soon(_pipe, up_reader, writer)
        finally:
            writer.close()
            handlers.discard(task)

    context = server_context(pki, require_client_cert=False)
    server = await asyncio.start_server(tunnel, "127.0.0.1", 0, ssl=context)
    proxy.url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield proxy
    finally:
        with anyio.CancelScope(shield=True):
            server.close()
            for task in list(handlers):
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
            await server.wait_closed()


@pytest.fixture
async def https_url(pki: Pki) -> AsyncIterator[str]:
    async for url in https_server(pki, require_client_cert=False):
        yield url


def _client(url: str, **settings: Any) -> aioproton.ProtonClient:
    return aioproton.ProtonClient(
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
        retry=aioproton.RetryPolicy.never(),
        **settings,
    )


# --------------------------------------------------------------- HTTP endpoint, HTTPS proxy


async def test_the_proxy_ca_bundle_verifies_an_https_proxy(
    pki: Pki, tls_proxy: TlsProxy, proton_emulator: Emulator
) -> None:
    async with proton_emulator.client(
        proxies={"http": tls_proxy.url}, proxies_config={"proxy_ca_bundle": str(pki.ca)}
    ) as proton:
        await proton.get_account_settings()
    assert tls_proxy.seen == [
        (f"{proton_emulator.endpoint_url}/", "AwsProton20200720.GetAccountSettings")
    ]


async def test_an_untrusted_https_proxy_is_a_typed_error_and_nothing_reaches_it(
    tls_proxy: TlsProxy, proton_emulator: Emulator
) -> None:
    async with proton_emulator.client(
        proxies={"http": tls_proxy.url}, retry=aioproton.RetryPolicy.never()
    ) as proton:
        with pytest.raises(aioproton.ProtonError) as caught:
            await proton.get_account_settings()
    assert "certificate" in str(caught.value).lower()
    assert tls_proxy.seen == []
    assert proton_emulator.requests.count(operation="GetAccountSettings") == 0


async def test_the_proxy_client_certificate_is_presented_to_the_proxy(
    pki: Pki, mtls_proxy: TlsProxy, proton_emulator: Emulator
) -> None:
    config = {
        "proxy_ca_bundle": str(pki.ca),
        "proxy_client_cert": (str(pki.client_cert), str(pki.client_key)),
    }
    async with proton_emulator.client(
        proxies={"http": mtls_proxy.url}, proxies_config=config
    ) as proton:
        await proton.get_account_settings()
    assert mtls_proxy.client_names == ["client"]
    without = {"proxy_ca_bundle": str(pki.ca)}
    async with proton_emulator.client(
        proxies={"http": mtls_proxy.url},
        proxies_config=without,
        retry=aioproton.RetryPolicy.never(),
    ) as proton:
        with pytest.raises(aioproton.ProtonError):
            await proton.get_account_settings()
    assert mtls_proxy.client_names == ["client"]


async def test_forwarding_is_how_http_requests_go_anyway(
    pki: Pki, tls_proxy: TlsProxy, proton_emulator: Emulator
) -> None:
    config = {"proxy_ca_bundle": str(pki.ca), "proxy_use_forwarding_for_https": True}
    async with proton_emulator.client(
        proxies={"http": tls_proxy.url}, proxies_config=config
    ) as proton:
        await proton.get_account_settings()
    assert len(tls_proxy.seen) == 1


async def test_an_unreadable_proxy_ca_bundle_is_a_configuration_error(
    tls_proxy: TlsProxy, proton_emulator: Emulator
) -> None:
    config = {"proxy_ca_bundle": "/nonexistent/proxy-ca.pem"}
    with pytest.raises(aioproton.ConfigurationError, match="proxy_ca_bundle") as caught:
        async with proton_emulator.client(proxies={"http": tls_proxy.url}, proxies_config=config):
            pass
    assert caught.value.code == "InvalidTLSSettings"


# -------------------------------------------------------------- HTTPS endpoint, HTTPS proxy


async def test_the_endpoint_bundle_serving_as_proxy_bundle_goes_through_a_tunnel(
    pki: Pki, tunnel_proxy: TunnelProxy, https_url: str
) -> None:
    async with _client(
        https_url,
        verify=str(pki.ca),
        proxies={"https": tunnel_proxy.url},
        proxies_config={"proxy_ca_bundle": str(pki.ca)},
    ) as proton:
        assert await proton.get_account_settings() is not None
    assert tunnel_proxy.targets == [https_url.removeprefix("https://")]


REFUSED = [
    pytest.param(
        {"verify": True, "proxies_config": {"proxy_ca_bundle": "/etc/proxy-ca.pem"}},
        "put both CAs in one bundle",
        id="proxy-ca-bundle-differs-from-verify",
    ),
    pytest.param(
        {"proxies_config": {"proxy_client_cert": "/etc/proxy-client.pem"}},
        "give it as client_cert=",
        id="proxy-client-cert-without-client-cert",
    ),
    pytest.param(
        {
            "client_cert": "/etc/endpoint-client.pem",
            "proxies_config": {"proxy_client_cert": ("/etc/proxy.pem", "/etc/proxy.key")},
        },
        "give it as client_cert=",
        id="proxy-client-cert-differs-from-client-cert",
    ),
    pytest.param(
        {"proxies_config": {"proxy_use_forwarding_for_https": True}},
        "CONNECT tunnel",
        id="forwarding-for-https",
    ),
]


@pytest.mark.parametrize(("settings", "advice"), REFUSED)
async def test_what_aiohttp_cannot_honour_is_refused_before_anything_is_sent(
    tunnel_proxy: TunnelProxy, https_url: str, settings: dict[str, Any], advice: str
) -> None:
    client = _client(https_url, proxies={"https": tunnel_proxy.url}, **settings)
    with pytest.raises(aioproton.ConfigurationError, match=advice) as caught:
        async with client:
            pass
    assert caught.value.code == "InvalidProxiesConfig"
    assert tunnel_proxy.targets == []


async def test_the_same_client_certificate_for_proxy_and_endpoint_is_honoured(
    pki: Pki, tunnel_proxy: TunnelProxy, https_url: str
) -> None:
    cert = (str(pki.client_cert), str(pki.client_key))
    async with _client(
        https_url,
        verify=str(pki.ca),
        client_cert=cert,
        proxies={"https": tunnel_proxy.url},
        proxies_config={"proxy_ca_bundle": str(pki.ca), "proxy_client_cert": list(cert)},
    ) as proton:
        assert await proton.get_account_settings() is not None
    assert len(tunnel_proxy.targets) == 1


# ----------------------------------------------------------------- malformed, and unused


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"proxy_ca_bundel": "/etc/ca.pem"}, "unknown setting"),
        ({"proxy_ca_bundle": 42}, "path of a CA bundle"),
        ({"proxy_client_cert": ("only-one",)}, r"\(certificate, key\) pair"),
        ({"proxy_use_forwarding_for_https": "yes"}, "True or False"),
    ],
)
async def test_malformed_proxies_config_is_a_configuration_error(
    proton_emulator: Emulator, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(aioproton.ConfigurationError, match=message) as caught:
        async with proton_emulator.client(proxies_config=config):
            pass
    assert caught.value.code == "InvalidProxiesConfig"


@pytest.mark.parametrize(
    ("proxies", "why"),
    [({"http": "http://127.0.0.1:9"}, "the proxy is not HTTPS"), ({}, "no proxy serves")],
)
async def test_proxy_tls_settings_without_an_https_proxy_do_nothing_and_say_so(
    pki: Pki,
    proton_emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    proxies: dict[str, str],
    why: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="aioproton.client")
    config = {"proxy_ca_bundle": str(pki.ca)}
    async with proton_emulator.client(proxies=proxies or None, proxies_config=config):
        pass
    [record] = [r for r in caplog.records if "proxies_config" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert why in record.getMessage()
    assert record.settings == ["proxy_ca_bundle"]  # type: ignore[attr-defined]
