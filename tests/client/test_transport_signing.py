"""The transport's SigV4 signature against botocore's ``SigV4Auth``, for seeded random
requests, dates, regions, endpoints and credentials (with and without a session token)."""

from __future__ import annotations

import random

import botocore.credentials
import pytest

from aioproton import _service_model, _transport
from aioproton._transport._sigv4 import Signer

from .transport_support import (
    ALPHABET,
    botocore_request,
    random_datetime,
    random_input,
    transport_for,
)

OPERATIONS = sorted(_service_model.service_model().operation_names)
ENDPOINTS = [
    None,
    "http://127.0.0.1:4566",
    "https://proton.example.com",
    "https://proton.example.com:8443/prefix/",
    "http://localhost:80",
]
REGIONS = ["us-east-1", "eu-central-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]


def _secret(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET.strip()) for _ in range(40))


@pytest.mark.parametrize("with_token", [False, True])
def test_random_requests_sign_as_botocore_signs_them(with_token: bool) -> None:
    rng = random.Random(4 if with_token else 2)
    for _ in range(300):
        operation = rng.choice(OPERATIONS)
        params = random_input(operation, rng)
        region = rng.choice(REGIONS)
        endpoint = _transport.resolve_endpoint(
            region=region,
            endpoint_url=rng.choice(ENDPOINTS),
            use_fips=False,
            use_dualstack=False,
        )
        when = random_datetime(rng)
        key = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        secret = _secret(rng)
        token = _secret(rng) + "/+=" if with_token else None
        theirs = botocore_request(
            operation,
            params,
            url=endpoint.url,
            region=region,
            credentials=botocore.credentials.Credentials(key, secret, token),
            when=when,
        )
        _, ours = transport_for(endpoint).build(
            operation,
            params,
            _transport.Frozen(key, secret, token),
            amz_date=when.strftime("%Y%m%dT%H%M%SZ"),
            invocation_id="id",
            attempt=1,
            max_attempts=1,
        )
        assert ours["Authorization"] == theirs.headers["Authorization"], (operation, endpoint)
        assert ours["X-Amz-Date"] == theirs.headers["X-Amz-Date"]
        assert ours.get("X-Amz-Security-Token") == theirs.headers.get("X-Amz-Security-Token")


def test_the_signing_key_is_derived_once_per_day_and_secret() -> None:
    signer = Signer(host="h", path="/", region="us-east-1", service="proton")
    first = signer.signing_key("secret", "20260101")
    assert signer.signing_key("secret", "20260101") is first
    assert signer.signing_key("secret", "20260102") != first
    assert signer.signing_key("other", "20260102") != signer.signing_key("secret", "20260102")


def test_the_date_follows_the_clock() -> None:
    signer = Signer(host="h", path="/", region="us-east-1", service="proton")
    assert signer.amz_date(0) == "19700101T000000Z"
    assert signer.amz_date(86_399.9) == "19700101T235959Z"
    assert signer.amz_date(1_767_225_600) == "20260101T000000Z"
