"""What the transport's differential tests share: seeded random inputs from the model,
and botocore's own request for the same input, built by its serializer and signer."""

from __future__ import annotations

import contextlib
import datetime
import random
import string
from collections.abc import Iterator
from typing import Any

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.model
import botocore.serialize

from aioproton import _service_model, _transport

ALPHABET = string.ascii_letters + string.digits + ' -_./:"\\\n\tüé€𝄞'


def random_value(shape: botocore.model.Shape, rng: random.Random, depth: int = 0) -> Any:
    """Any value of ``shape`` (valid for serialization, not necessarily for the service)."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, botocore.model.StructureShape)
        names = list(shape.members)
        if shape.is_tagged_union:
            chosen = [rng.choice(names)]
        else:
            required = set(shape.required_members)
            chosen = [n for n in names if n in required or (depth < 3 and rng.random() < 0.6)]
        return {n: random_value(shape.members[n], rng, depth + 1) for n in chosen}
    if kind == "list":
        assert isinstance(shape, botocore.model.ListShape)
        return [random_value(shape.member, rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "map":
        assert isinstance(shape, botocore.model.MapShape)
        return {
            random_value(shape.key, rng, depth + 1): random_value(shape.value, rng, depth + 1)
            for _ in range(rng.randint(0, 2))
        }
    if kind == "string":
        if shape.enum:
            return rng.choice(shape.enum)
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 24)))
    if kind == "integer" or kind == "long":
        return rng.randint(-(2**31), 2**31 - 1)
    if kind == "boolean":
        return rng.random() < 0.5
    raise AssertionError(f"the Proton input model has no {kind} members; extend this helper")


def random_input(operation: str, rng: random.Random) -> dict[str, Any]:
    shape = _service_model.operation_model(operation).input_shape
    return {} if shape is None else random_value(shape, rng)


def random_datetime(rng: random.Random) -> datetime.datetime:
    start = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    return start + datetime.timedelta(seconds=rng.randrange(0, 60 * 365 * 24 * 3600))


def botocore_request(
    operation: str,
    params: dict[str, Any],
    *,
    url: str,
    region: str,
    credentials: botocore.credentials.Credentials,
    when: datetime.datetime,
) -> botocore.awsrequest.AWSRequest:
    """botocore's signed request: its JSON serializer, ``prepare_request_dict`` and
    ``SigV4Auth`` (on ``when``), as a botocore client builds it."""
    model = _service_model.operation_model(operation)
    serializer = botocore.serialize.create_serializer("json", include_validation=False)
    request_dict = serializer.serialize_to_request(params, model)
    botocore.awsrequest.prepare_request_dict(request_dict, endpoint_url=url)
    request = botocore.awsrequest.create_request_object(request_dict)
    with frozen_botocore_clock(when):
        botocore.auth.SigV4Auth(credentials, "proton", region).add_auth(request)
    return request


@contextlib.contextmanager
def frozen_botocore_clock(when: datetime.datetime) -> Iterator[None]:
    """botocore's signing clock (``botocore.auth.get_current_datetime``) stopped at ``when``."""
    original = botocore.auth.get_current_datetime
    naive = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda: naive
    try:
        yield
    finally:
        botocore.auth.get_current_datetime = original


def transport_for(endpoint: _transport.Endpoint) -> _transport.Transport:
    """A transport that is never opened: the tests only build requests with it."""
    return _transport.Transport(
        endpoint=endpoint,
        credentials=_transport.CredentialCache(None),
        target_prefix=str(_service_model.service_model().metadata["targetPrefix"]),
        user_agent=_transport.user_agent(),
        max_connections=1,
        connect_timeout=1.0,
        read_timeout=1.0,
        verify=True,
        client_cert=None,
        proxies=None,
        proxies_config=None,
    )


def signed_headers(authorization: str) -> list[str]:
    return authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
