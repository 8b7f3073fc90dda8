"""Certificates made for each run with the ``openssl`` command, and servers that use
them: an HTTPS server answering like Proton, for the TLS and proxy tests."""

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

# CI installs openssl (.ci/run): there a missing command is a failure, not a skip.
NEEDS_OPENSSL = pytest.mark.skipif(
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


def make_pki(d: Path) -> Pki:
    """A CA, and a server and a client certificate it signed (both for 127.0.0.1)."""
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


def server_context(pki: Pki, *, require_client_cert: bool) -> ssl.SSLContext:
    """The TLS of a server with the server certificate (asking for a client's)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)
    return context


async def https_server(pki: Pki, *, require_client_cert: bool) -> AsyncIterator[str]:
    """An HTTPS server on 127.0.0.1 that answers every POST like GetAccountSettings."""
    context = server_context(pki, require_client_cert=require_client_cert)

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
