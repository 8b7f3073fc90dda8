"""One aiohttp session per client, and the one request path of the typed calls.

Requests are AWS JSON 1.0 (``POST``, ``X-Amz-Target``, a JSON body) signed with SigV4.
aiohttp failures are raised as the botocore exceptions aiobotocore raises for them, and
error responses as ``botocore.exceptions.ClientError``, so
:func:`aioproton.errors.translate` decides never-sent, ambiguous and timeouts from one
vocabulary. Nothing here goes through botocore's event system. At DEBUG, the
``aioproton.transport`` logger has one line per request and per response or failure
(operation, URL, status, request id; never a header or a body).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
import botocore.exceptions
import botocore.utils
from botocore.httpsession import ProxyConfiguration, get_cert_path, mask_proxy_url

from ._credentials import CredentialCache, Frozen
from ._endpoint import Endpoint
from ._proxytls import proxy_tls
from ._response import parse_error, success_json
from ._sigv4 import Signer

logger = logging.getLogger("aioproton.transport")

CONTENT_TYPE = "application/x-amz-json-1.0"
#: aiobotocore's keep-alive for pooled connections, in seconds.
KEEPALIVE_TIMEOUT = 12.0


def trace_id_header() -> dict[str, str]:
    """``X-Amzn-Trace-Id`` from the Lambda environment, as botocore adds it."""
    trace_id = os.environ.get("_X_AMZN_TRACE_ID")
    if trace_id and "AWS_LAMBDA_FUNCTION_NAME" in os.environ:
        return {"X-Amzn-Trace-Id": quote(trace_id, safe="-=;:+&[]{}\"',")}
    return {}


class Transport:
    """Sends signed AWS JSON 1.0 requests to one endpoint over one connection pool."""

    def __init__(
        self,
        *,
        endpoint: Endpoint,
        credentials: CredentialCache,
        target_prefix: str,
        user_agent: str,
        max_connections: int,
        connect_timeout: float,
        read_timeout: float,
        verify: bool | str,
        client_cert: str | tuple[str, str] | None,
        proxies: Mapping[str, str] | None,
        proxies_config: Mapping[str, Any] | None,
    ) -> None:
        self.endpoint = endpoint
        self.credentials = credentials
        self._target_prefix = target_prefix
        self._signer = Signer(
            host=endpoint.host,
            path=endpoint.path,
            region=endpoint.signing_region,
            service=endpoint.signing_name,
        )
        self._max_connections = max_connections
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=read_timeout
        )
        self._verify = verify
        self._client_cert = client_cert
        # As botocore's endpoint does: the client's proxies, else the environment's
        # (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), decided once for this one endpoint.
        if not proxies:
            proxies = botocore.utils.get_environ_proxies(endpoint.url)
        proxy_config = ProxyConfiguration(proxies=proxies, proxies_settings=proxies_config)
        self.proxy_url: str | None = proxy_config.proxy_url_for(endpoint.url)
        self._proxy_headers = (
            proxy_config.proxy_headers_for(self.proxy_url) if self.proxy_url else None
        )
        # What botocore's proxies_config adds to the TLS to an HTTPS proxy, or a
        # ConfigurationError for what aiohttp cannot do.
        self._proxy_tls = proxy_tls(
            proxies_config,
            endpoint_url=endpoint.url,
            proxy_url=self.proxy_url,
            verify=verify,
            client_cert=client_cert,
        )
        self._fixed_headers = {
            "Content-Type": CONTENT_TYPE,
            "User-Agent": user_agent,
            "Accept-Encoding": "identity",
            **trace_id_header(),
        }
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        """Build the TLS context (in a thread: it reads the CA bundle) and the pool."""
        ssl_context: ssl.SSLContext | bool = True
        if self.endpoint.url.startswith("https:") or self.proxy_url:
            ssl_context = await asyncio.to_thread(self._ssl_context)
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            ssl=ssl_context,
            keepalive_timeout=KEEPALIVE_TIMEOUT,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            auto_decompress=False,
            skip_auto_headers=("Content-Type",),
        )

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self._verify:
            cafile = get_cert_path(self._verify)
            if cafile:
                context.load_verify_locations(cafile)
        else:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        _load_certificate(context, self._client_cert)
        # Only where the context serves the proxy alone (an HTTP endpoint): see _proxytls.
        proxy_ca_bundle, proxy_cert = self._proxy_tls
        if proxy_ca_bundle is not None:
            context.load_verify_locations(proxy_ca_bundle)
        _load_certificate(context, proxy_cert)
        return context

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def build(
        self,
        operation: str,
        params: Mapping[str, Any],
        credentials: Frozen,
        *,
        amz_date: str,
        invocation_id: str,
        attempt: int,
        max_attempts: int,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and every header of one attempt (aiohttp adds ``Host`` and
        ``Content-Length``). The body is what botocore's JSON serializer writes."""
        body = json.dumps(params).encode("utf-8")
        target = f"{self._target_prefix}.{operation}"
        headers = {"X-Amz-Target": target, **self._fixed_headers}
        headers.update(
            self._signer.headers(
                content_type=CONTENT_TYPE,
                target=target,
                body=body,
                access_key=credentials.access_key,
                secret_key=credentials.secret_key,
                token=credentials.token,
                amz_date=amz_date,
            )
        )
        headers["amz-sdk-invocation-id"] = invocation_id
        headers["amz-sdk-request"] = f"attempt={attempt}; max={max_attempts}"
        return body, headers

    async def send(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        invocation_id: str,
        attempt: int = 1,
        max_attempts: int = 1,
        answered: dict[str, Any] | None = None,
    ) -> Any:
        """One attempt: the parsed JSON of a 2xx, or a botocore exception.

        ``answered``, when given, receives the response's ``request_id`` (for observers).
        """
        session = self._session
        if session is None:
            raise RuntimeError("the transport is not open")
        body, headers = self.build(
            operation,
            params,
            await self.credentials.frozen(),
            amz_date=self._signer.amz_date(),
            invocation_id=invocation_id,
            attempt=attempt,
            max_attempts=max_attempts,
        )
        url = self.endpoint.url
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            logger.debug(
                "request %s: POST %s",
                operation,
                url,
                extra={"operation": operation, "method": "POST", "url": url, "attempt": attempt},
            )
        try:
            async with session.post(
                url,
                data=body,
                headers=headers,
                proxy=self.proxy_url,
                proxy_headers=self._proxy_headers,
            ) as response:
                content = await response.read()
                status = response.status
                if debug:
                    _log_response(operation, status, response.headers.get("x-amzn-RequestId"))
                if answered is not None:
                    answered["request_id"] = response.headers.get("x-amzn-RequestId")
                if status < 300:
                    return success_json(content)
                response_headers = {k.lower(): v for k, v in response.headers.items()}
        except aiohttp.ClientError as exc:
            failure = _botocore_failure(exc, url, self.proxy_url)
            if debug:
                _log_failure(operation, failure)
            raise failure from exc
        except asyncio.TimeoutError as exc:
            if debug:
                _log_failure(operation, exc)
            raise botocore.exceptions.ReadTimeoutError(endpoint_url=url, error=exc) from exc
        raise botocore.exceptions.ClientError(
            parse_error(status, response_headers, content),
            operation,
        )


def _load_certificate(context: ssl.SSLContext, cert: str | tuple[str, str] | None) -> None:
    if isinstance(cert, str):
        context.load_cert_chain(cert)
    elif cert is not None:
        context.load_cert_chain(cert[0], cert[1])


def _log_response(operation: str, status: int, request_id: str | None) -> None:
    logger.debug(
        "response %s: HTTP %s, request id %s",
        operation,
        status,
        request_id,
        extra={"operation": operation, "status": status, "request_id": request_id},
    )


def _log_failure(operation: str, error: BaseException) -> None:
    logger.debug(
        "no response %s: %s",
        operation,
        type(error).__name__,
        extra={"operation": operation, "error": type(error).__name__},
    )


def _botocore_failure(
    exc: aiohttp.ClientError, url: str, proxy_url: str | None
) -> botocore.exceptions.BotoCoreError:
    """The botocore exception aiobotocore raises for an aiohttp failure.

    One refinement: an ``OSError`` on an established connection (a reset while writing
    or reading) is ``ConnectionClosedError`` (the request may have arrived), where
    aiobotocore says ``EndpointConnectionError`` (never sent).
    """
    if isinstance(exc, aiohttp.ClientSSLError):
        return botocore.exceptions.SSLError(endpoint_url=url, error=exc)
    if isinstance(exc, (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)):
        return botocore.exceptions.ProxyConnectionError(
            proxy_url=mask_proxy_url(proxy_url or ""), error=exc
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return botocore.exceptions.ConnectTimeoutError(endpoint_url=url, error=exc)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        if str(exc).lower().startswith("connect"):
            return botocore.exceptions.ConnectTimeoutError(endpoint_url=url, error=exc)
        return botocore.exceptions.ReadTimeoutError(endpoint_url=url, error=exc)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return botocore.exceptions.EndpointConnectionError(endpoint_url=url, error=exc)
    if isinstance(exc, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)):
        return botocore.exceptions.ConnectionClosedError(endpoint_url=url, error=exc)
    return botocore.exceptions.HTTPClientError(error=exc)
