"""botocore's ``proxies_config`` (TLS to an HTTPS proxy), as far as aiohttp can honour it.

botocore verifies an HTTPS proxy with the ``verify`` CA bundle plus ``proxy_ca_bundle``,
presents ``proxy_client_cert`` to it, and with ``proxy_use_forwarding_for_https`` sends
HTTPS requests to it in absolute form instead of through a CONNECT tunnel; the endpoint
is verified with ``verify`` alone. aiohttp opens the TLS to the proxy with the same
context as the TLS to the endpoint, and always tunnels HTTPS requests. So:

- a plain-HTTP endpoint through an HTTPS proxy: the context serves the proxy alone, and
  every setting is honoured (forwarding is how HTTP requests go anyway);
- an HTTPS endpoint through an HTTPS proxy: a proxy setting is honoured where it asks
  nothing different of the endpoint (``proxy_ca_bundle`` is the ``verify`` bundle, or
  verification is off; ``proxy_client_cert`` is ``client_cert``); anything else would
  change what the endpoint trusts or is shown, and forwarding cannot be done, so those
  are a :class:`~aioproton.errors.ConfigurationError` saying what to change;
- an HTTP proxy, or no proxy for the endpoint: there is no TLS to a proxy and the TLS
  settings do nothing, as in botocore; a log record says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NamedTuple

from botocore.httpsession import mask_proxy_url

from ..errors import ConfigurationError

logger = logging.getLogger("aioproton.client")

CA_BUNDLE = "proxy_ca_bundle"
CLIENT_CERT = "proxy_client_cert"
FORWARDING = "proxy_use_forwarding_for_https"
KNOWN = (CA_BUNDLE, CLIENT_CERT, FORWARDING)
CODE = "InvalidProxiesConfig"


class ProxyTLS(NamedTuple):
    """What the TLS context adds for the proxy (``None``: nothing)."""

    ca_bundle: str | None
    client_cert: str | tuple[str, str] | None


NOTHING = ProxyTLS(None, None)


def proxy_tls(
    settings: Mapping[str, Any] | None,
    *,
    endpoint_url: str,
    proxy_url: str | None,
    verify: bool | str,
    client_cert: str | tuple[str, str] | None,
) -> ProxyTLS:
    """What to add to the one TLS context for ``settings``, or a ConfigurationError."""
    if not settings:
        return NOTHING
    ca_bundle, proxy_cert, forwarding = _checked(settings)
    given = [name for name in KNOWN if settings.get(name) not in (None, False)]
    if not given:
        return NOTHING
    if proxy_url is None or not proxy_url.lower().startswith("https:"):
        why = "no proxy serves the endpoint" if proxy_url is None else "the proxy is not HTTPS"
        logger.warning(
            "proxies_config (%s) has no effect: %s",
            ", ".join(given),
            why,
            extra={"settings": given, "proxy": mask_proxy_url(proxy_url or "") or None},
        )
        return NOTHING
    if not endpoint_url.lower().startswith("https:"):
        return ProxyTLS(ca_bundle, proxy_cert)
    # TLS to the endpoint inside the tunnel, with the same context.
    if forwarding:
        raise ConfigurationError(
            f"proxies_config {FORWARDING}=True cannot be honoured: aiohttp always sends "
            "HTTPS requests through a CONNECT tunnel; remove the setting",
            code=CODE,
        )
    if ca_bundle is not None and verify is not False and ca_bundle != verify:
        raise ConfigurationError(
            f"proxies_config {CA_BUNDLE}={ca_bundle!r} cannot be honoured for an HTTPS "
            "endpoint: aiohttp verifies the proxy and the endpoint with one TLS context, "
            "so the endpoint would trust the proxy's CA too; put both CAs in one bundle "
            f"and give it as verify= (then leave {CA_BUNDLE} unset or the same file)",
            code=CODE,
        )
    if proxy_cert is not None and _certificate(proxy_cert) != _certificate(client_cert):
        raise ConfigurationError(
            f"proxies_config {CLIENT_CERT} cannot be honoured for an HTTPS endpoint: "
            "aiohttp presents one client certificate to the proxy and to the endpoint; "
            f"give it as client_cert= (then leave {CLIENT_CERT} unset or the same)",
            code=CODE,
        )
    return NOTHING  # what is left is exactly what the endpoint's settings already do


def _checked(
    settings: Mapping[str, Any],
) -> tuple[str | None, str | tuple[str, str] | None, bool]:
    unknown = sorted(set(settings) - set(KNOWN))
    if unknown:
        raise ConfigurationError(
            f"proxies_config has unknown setting(s) {', '.join(map(repr, unknown))}: "
            f"botocore's are {', '.join(KNOWN)}",
            code=CODE,
        )
    ca_bundle = settings.get(CA_BUNDLE)
    if ca_bundle is not None and not isinstance(ca_bundle, str):
        raise ConfigurationError(
            f"proxies_config {CA_BUNDLE} must be the path of a CA bundle file, "
            f"not {type(ca_bundle).__name__}",
            code=CODE,
        )
    proxy_cert = settings.get(CLIENT_CERT)
    if proxy_cert is not None:
        proxy_cert = _certificate(proxy_cert)
        if proxy_cert is None:
            raise ConfigurationError(
                f"proxies_config {CLIENT_CERT} must be the path of a certificate file (with "
                "its key) or a (certificate, key) pair of paths",
                code=CODE,
            )
    forwarding = settings.get(FORWARDING)
    if forwarding is not None and not isinstance(forwarding, bool):
        raise ConfigurationError(
            f"proxies_config {FORWARDING} must be True or False, not {forwarding!r}", code=CODE
        )
    return ca_bundle, proxy_cert, bool(forwarding)


def _certificate(value: object) -> str | tuple[str, str] | None:
    """A client certificate setting as botocore takes it (a path, or a pair of paths)."""
    if isinstance(value, str):
        return value
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(part, str) for part in value)
    ):
        return (value[0], value[1])
    return None
