"""Endpoint resolution against a botocore client's, for every region of every partition
in botocore's data, with FIPS and dual-stack on and off, and for custom endpoints."""

from __future__ import annotations

import itertools
from typing import Any

import botocore.awsrequest
import botocore.config
import botocore.exceptions
import botocore.session
import pytest

from aioproton import _service_model, _transport


def every_region() -> list[str]:
    regions: set[str] = set()
    for data in ("endpoints", "partitions"):
        for partition in _service_model.loader().load_data(data)["partitions"]:
            regions.update(partition.get("regions", {}))
    return sorted(regions)


class _Canned:
    def stream(self, **kwargs: Any) -> Any:
        return iter([b"{}"])


@pytest.fixture(scope="module")
def botocore_session() -> botocore.session.Session:
    session = botocore.session.get_session()
    session.register_component("data_loader", _service_model.loader())
    return session


def botocore_endpoint(
    session: botocore.session.Session,
    region: str,
    *,
    fips: bool,
    dualstack: bool,
    endpoint_url: str | None = None,
) -> tuple[str, str] | type[Exception]:
    """(URL, credential scope region) of a request from a botocore client, or the
    class of the error botocore raised."""
    try:
        client = session.create_client(
            "proton",
            region_name=region,
            endpoint_url=endpoint_url,
            aws_access_key_id="AKID",
            aws_secret_access_key="secret",
            config=botocore.config.Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack),
        )
    except botocore.exceptions.EndpointVariantError as exc:
        return type(exc)
    seen: list[botocore.awsrequest.AWSPreparedRequest] = []

    def keep(request: botocore.awsrequest.AWSPreparedRequest, **kwargs: Any) -> Any:
        seen.append(request)
        return botocore.awsrequest.AWSResponse(request.url, 200, {}, _Canned())

    client.meta.events.register("before-send.proton", keep)
    try:
        client.get_account_settings()
    except botocore.exceptions.EndpointResolutionError as exc:
        return type(exc)
    finally:
        client.close()
    authorization = seen[0].headers["Authorization"].decode()
    scope_region = authorization.split("Credential=", 1)[1].split("/")[2]
    return seen[0].url, scope_region


def test_the_data_has_every_partition() -> None:
    loader = _service_model.loader()
    legacy = {p["partition"] for p in loader.load_data("endpoints")["partitions"]}
    current = {p["id"] for p in loader.load_data("partitions")["partitions"]}
    assert {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"} <= legacy <= current
    assert len(every_region()) > 30


@pytest.mark.parametrize(("fips", "dualstack"), list(itertools.product([False, True], repeat=2)))
def test_every_region_resolves_as_botocore_resolves_it(
    botocore_session: botocore.session.Session, fips: bool, dualstack: bool
) -> None:
    for region in every_region():
        theirs = botocore_endpoint(botocore_session, region, fips=fips, dualstack=dualstack)
        if isinstance(theirs, type):
            with pytest.raises(theirs):
                _transport.resolve_endpoint(
                    region=region, endpoint_url=None, use_fips=fips, use_dualstack=dualstack
                )
            continue
        ours = _transport.resolve_endpoint(
            region=region, endpoint_url=None, use_fips=fips, use_dualstack=dualstack
        )
        assert (ours.url, ours.signing_region) == theirs, region


@pytest.mark.parametrize(
    "endpoint_url",
    [
        "http://127.0.0.1:4566",
        "https://proton.internal.example.com",
        "https://proton.internal.example.com:8443/base/",
        "http://[::1]:4566",
        "http://localhost",
    ],
)
@pytest.mark.parametrize("fips", [False, True])
def test_a_custom_endpoint_resolves_as_botocore_resolves_it(
    botocore_session: botocore.session.Session, endpoint_url: str, fips: bool
) -> None:
    theirs = botocore_endpoint(
        botocore_session, "eu-west-1", fips=fips, dualstack=False, endpoint_url=endpoint_url
    )
    ours = _transport.resolve_endpoint(
        region="eu-west-1", endpoint_url=endpoint_url, use_fips=fips, use_dualstack=False
    )
    assert (ours.url, ours.signing_region) == theirs


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("https://proton.us-east-1.amazonaws.com/", "proton.us-east-1.amazonaws.com", "/"),
        ("http://127.0.0.1:80/", "127.0.0.1", "/"),
        ("https://h.example:8443/base/", "h.example:8443", "/base/"),
        ("http://[::1]:4566/", "[::1]:4566", "/"),
    ],
)
def test_host_and_signed_path(url: str, host: str, path: str) -> None:
    endpoint = _transport.Endpoint(url=url, signing_region="us-east-1", signing_name="proton")
    assert (endpoint.host, endpoint.path) == (host, path)
