"""Where a client sends its requests, resolved once from botocore's endpoint ruleset.

The ruleset and partition data come from the installed botocore (the same files a
botocore client reads), and botocore's ``EndpointProvider`` evaluates them. Proton's
ruleset takes only the built-in parameters (region, FIPS, dual-stack, custom endpoint),
so the answer never depends on the operation and is computed when the client opens.
"""

from __future__ import annotations

import functools
from urllib.parse import quote, urlsplit, urlunsplit

import attrs
import botocore.exceptions
import botocore.regions
import botocore.utils
from botocore.endpoint_provider import EndpointProvider

from .. import _service_model
from .._generated.facts import SIGNING_NAME


@attrs.frozen
class Endpoint:
    """The URL requests go to and the SigV4 scope they are signed for."""

    url: str
    signing_region: str
    signing_name: str

    @property
    def host(self) -> str:
        """The ``Host`` header value (port omitted when it is the scheme's default)."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        if parts.port is not None and parts.port != {"http": 80, "https": 443}.get(parts.scheme):
            host = f"{host}:{parts.port}"
        return host

    @property
    def path(self) -> str:
        """The canonical path SigV4 signs (the endpoint's own path, or ``/``)."""
        return _canonical_path(urlsplit(self.url).path)


@functools.cache
def _legacy_resolver() -> botocore.regions.EndpointResolver:
    data = _service_model.loader().load_data("endpoints")
    return botocore.regions.EndpointResolver(data, uses_builtin_data=True)


@functools.cache
def _provider() -> EndpointProvider:
    return EndpointProvider(
        ruleset_data=_service_model.load("endpoint-rule-set-1"),
        partition_data=_service_model.loader().load_data("partitions"),
    )


def resolve(
    *,
    region: str | None,
    endpoint_url: str | None,
    use_fips: bool,
    use_dualstack: bool,
) -> Endpoint:
    """Resolve as a botocore client would, raising the exception a botocore client
    raises for settings that cannot work (``NoRegionError``, ``InvalidRegionError``,
    ``ValueError`` for an endpoint that is not a URL, endpoint resolution errors)."""
    if region is None:
        raise botocore.exceptions.NoRegionError()
    botocore.utils.validate_region_name(region)
    if endpoint_url is not None and not (
        botocore.utils.is_valid_endpoint_url(endpoint_url)
        or botocore.utils.is_valid_ipv6_endpoint_url(endpoint_url)
    ):
        raise ValueError(f"Invalid endpoint: {endpoint_url}")
    parameters: dict[str, object] = {
        "Region": region,
        # A custom endpoint cannot be combined with the FIPS or dual-stack variants.
        "UseFIPS": use_fips and endpoint_url is None,
        "UseDualStack": use_dualstack and endpoint_url is None,
    }
    if endpoint_url is not None:
        parameters["Endpoint"] = endpoint_url
    if endpoint_url is None and (use_fips or use_dualstack):
        # A botocore client refuses a variant its endpoints.json does not list for
        # Proton (dual-stack, today), even where the ruleset has a URL.
        _legacy_resolver().construct_endpoint(
            _service_model.SERVICE_NAME,
            region,
            use_dualstack_endpoint=use_dualstack,
            use_fips_endpoint=use_fips,
        )
    resolved = _provider().resolve_endpoint(**parameters)
    signing_region = region
    signing_name = SIGNING_NAME
    for scheme in resolved.properties.get("authSchemes", ()):
        if scheme.get("name") == "sigv4":
            signing_region = scheme.get("signingRegion", signing_region)
            signing_name = scheme.get("signingName", signing_name)
            break
    return Endpoint(
        url=_request_url(resolved.url),
        signing_region=signing_region,
        signing_name=signing_name,
    )


def _request_url(endpoint_url: str) -> str:
    """The URL of ``POST /`` on this endpoint, joined the way botocore joins it."""
    parts = urlsplit(endpoint_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _canonical_path(path: str) -> str:
    return quote(botocore.utils.normalize_url_path(path or "/"), safe="/~")
