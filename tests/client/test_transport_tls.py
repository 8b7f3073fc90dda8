"""TLS settings on a real HTTPS server on 127.0.0.1: the CA bundle (``verify``), turning
verification off, and a client certificate the server requires. Certificates are made
for each run with the ``openssl`` command."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import aioproton

from .tls_support import NEEDS_OPENSSL, Pki, https_server

pytestmark = NEEDS_OPENSSL


@pytest.fixture
async def https_url(pki: Pki) -> AsyncIterator[str]:
    async for url in https_server(pki, require_client_cert=False):
        yield url


@pytest.fixture
async def mtls_url(pki: Pki) -> AsyncIterator[str]:
    async for url in https_server(pki, require_client_cert=True):
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
