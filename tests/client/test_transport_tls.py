"""TLS settings on a real HTTPS server on 127.0.0.1: the CA bundle (``verify``), turning
verification off, and a client certificate the server requires. Certificates are made
for each run with the ``openssl`` command."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import attrs
import pytest
from aiohttp import web

import aioproton

# CI installs openssl (.ci/run): there a missing command is a failure, not a skip.
pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None and not os.environ.get("CI"), reason="needs openssl"
)


@attrs.frozen
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        d / "ca.key",
        "-out",
        d / "ca.pem",
    )
    (d / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    for name in ("server", "client"):
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={name}",
            "-keyout",
            d / f"{name}.key",
            "-out",
            d / f"{name}.csr",
        )
        _openssl(
            "x509",
            "-req",
            "-in",
            d / f"{name}.csr",
            "-CA",
            d / "ca.pem",
            "-CAkey",
            d / "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            d / "san.cnf",
            "-out",
            d / f"{name}.pem",
        )
    return Pki(d / "ca.pem", d / "server.pem", d / "server.key", d / "client.pem", d / "client.key")


async def _https_server(pki: Pki, *, require_client_cert: bool) -> AsyncIterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"accountSettings": {}}, content_type="application/x-amz-json-1.0")

    app = web.Application()
    app.router.add_post("/", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    try:
        yield f"https://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        with anyio.CancelScope(shield=True):
            await runner.cleanup()


@pytest.fixture
async def https_url(pki: Pki) -> AsyncIterator[str]:
    async for url in _https_server(pki, require_client_cert=False):
        yield url


@pytest.fixture
async def mtls_url(pki: Pki) -> AsyncIterator[str]:
    async for url in _https_server(pki, require_client_cert=True):
        yield url


def _client(url: str, **settings: object) -> aioproton.ProtonClient:
    return aioproton.ProtonClient(
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
        retry=aioproton.RetryPolicy.never(),
        **settings,  # type: ignore[arg-type]
    )


async def test_the_ca_bundle_verifies_the_server(pki: Pki, https_url: str) -> None:
    async with _client(https_url, verify=str(pki.ca)) as proton:
        settings = await proton.get_account_settings()
    assert settings is not None


async def test_an_untrusted_server_is_a_typed_error(
    https_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    async with _client(https_url) as proton:
        with pytest.raises(aioproton.ProtonError) as caught:
            await proton.get_account_settings()
    assert "certificate" in str(caught.value).lower()
    assert not caught.value.retry_safe  # retrying cannot make the certificate trusted


async def test_verification_can_be_turned_off(https_url: str) -> None:
    async with _client(https_url, verify=False) as proton:
        assert await proton.get_account_settings() is not None


async def test_the_ca_bundle_comes_from_the_environment(
    pki: Pki, https_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(pki.ca))
    async with _client(https_url) as proton:
        assert await proton.get_account_settings() is not None


async def test_a_client_certificate_is_presented(pki: Pki, mtls_url: str) -> None:
    async with _client(
        mtls_url, verify=str(pki.ca), client_cert=(str(pki.client_cert), str(pki.client_key))
    ) as proton:
        assert await proton.get_account_settings() is not None
    async with _client(mtls_url, verify=str(pki.ca)) as proton:
        with pytest.raises(aioproton.ProtonError):
            await proton.get_account_settings()


async def test_an_unreadable_client_certificate_is_a_configuration_error(
    pki: Pki, https_url: str
) -> None:
    with pytest.raises(aioproton.ConfigurationError, match="client_cert") as caught:
        async with _client(https_url, verify=str(pki.ca), client_cert="/nonexistent/cert.pem"):
            pass
    assert caught.value.code == "InvalidTLSSettings"
