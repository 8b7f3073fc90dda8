"""Every operation's request, built by the transport and by a botocore client.

The botocore side is a real botocore client (its serializer, handlers and signer, with
its signing clock stopped); a ``before-send`` handler keeps the request and answers it
without a network. The same input and the same ``X-Amz-Date`` must give the same URL,
target, content type, body bytes, signed header set and ``Authorization`` header.
"""

from __future__ import annotations

import datetime
import json
import random
from typing import Any

import anyio
import botocore.awsrequest
import botocore.config
import botocore.session
import pytest
from aiohttp import web
from botocore import xform_name

import aioproton
from aioproton import _service_model, _transport
from aioproton._generated.facts import OPERATIONS as FACTS

from .transport_support import frozen_botocore_clock, random_input, signed_headers, transport_for

OPERATIONS = sorted(_service_model.service_model().operation_names)
WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)


class _Canned:
    def stream(self, **kwargs: Any) -> Any:
        return iter([b"{}"])


def botocore_client(token: str | None) -> tuple[Any, list[botocore.awsrequest.AWSPreparedRequest]]:
    session = botocore.session.get_session()
    session.register_component("data_loader", _service_model.loader())
    client = session.create_client(
        "proton",
        region_name="eu-west-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        aws_session_token=token,
        config=botocore.config.Config(
            parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"}
        ),
    )
    sent: list[botocore.awsrequest.AWSPreparedRequest] = []

    def keep(request: botocore.awsrequest.AWSPreparedRequest, **kwargs: Any) -> Any:
        sent.append(request)
        return botocore.awsrequest.AWSResponse(request.url, 200, {}, _Canned())

    client.meta.events.register("before-send.proton", keep)
    return client, sent


def text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEBYaDH//token+with/slashes=="])
def test_every_operation_matches_botocore(token: str | None) -> None:
    client, sent = botocore_client(token)
    endpoint = _transport.resolve_endpoint(
        region="eu-west-1", endpoint_url=None, use_fips=False, use_dualstack=False
    )
    transport = transport_for(endpoint)
    credentials = _transport.Frozen(
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token
    )
    rng = random.Random(20200720)
    for operation in OPERATIONS:
        for _ in range(3):
            params = random_input(operation, rng)
            token_member = FACTS[operation].client_token
            if token_member is not None:
                # aioproton fills the idempotency token before the transport, as botocore does.
                params.setdefault(token_member, f"token-{rng.random()}")
            with frozen_botocore_clock(WHEN):
                getattr(client, xform_name(operation))(**params)
            theirs = sent.pop()
            body, ours = transport.build(
                operation,
                params,
                credentials,
                amz_date="20260304T050607Z",
                invocation_id="id",
                attempt=1,
                max_attempts=1,
            )
            their_headers = {k: text(v) for k, v in theirs.headers.items()}
            assert endpoint.url == theirs.url, operation
            assert body == theirs.body, operation
            assert json.loads(body) == params
            for name in ("X-Amz-Target", "Content-Type", "X-Amz-Date", "Authorization"):
                assert ours[name] == their_headers[name], (operation, name)
            assert ours.get("X-Amz-Security-Token") == their_headers.get("X-Amz-Security-Token")
            assert signed_headers(ours["Authorization"]) == signed_headers(
                their_headers["Authorization"]
            )
            # The headers botocore adds after signing, in the same form.
            assert set(their_headers) - set(ours) <= {"Content-Length"}
            assert ours["amz-sdk-request"].startswith(their_headers["amz-sdk-request"])
    client.close()


def test_the_lambda_trace_id_is_sent_as_botocore_sends_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "handler")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=x ü")
    client, sent = botocore_client(None)
    client.get_account_settings()
    expected = text(sent[0].headers["X-Amzn-Trace-Id"])
    endpoint = _transport.resolve_endpoint(
        region="eu-west-1", endpoint_url=None, use_fips=False, use_dualstack=False
    )
    _, ours = transport_for(endpoint).build(
        "GetAccountSettings",
        {},
        _transport.Frozen("AKID", "secret", None),
        amz_date="20260304T050607Z",
        invocation_id="id",
        attempt=1,
        max_attempts=1,
    )
    assert ours["X-Amzn-Trace-Id"] == expected
    assert "x-amzn-trace-id" not in signed_headers(ours["Authorization"])
    client.close()


def test_without_lambda_no_trace_id_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793")
    assert _transport._http.trace_id_header() == {}


async def test_attempts_share_an_invocation_id_and_count_up() -> None:
    seen: list[dict[str, str]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        status = 500 if len(seen) == 1 else 200
        return web.json_response({"accountSettings": {}}, status=status)

    app = web.Application()
    app.router.add_post("/", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with aioproton.ProtonClient(
            endpoint_url=f"http://127.0.0.1:{runner.addresses[0][1]}",
            region_name="us-east-1",
            aws_access_key_id="AKID",
            aws_secret_access_key="secret",
            retry=aioproton.RetryPolicy(max_attempts=3, initial_delay=0.001, max_delay=0.002),
        ) as proton:
            await proton.get_account_settings()
    finally:
        with anyio.CancelScope(shield=True):
            await runner.cleanup()
    assert [h["amz-sdk-request"] for h in seen] == ["attempt=1; max=3", "attempt=2; max=3"]
    assert len({h["amz-sdk-invocation-id"] for h in seen}) == 1
    assert seen[0]["User-Agent"] == _transport.user_agent()
    assert seen[0]["User-Agent"].startswith("aioproton/")
    assert seen[0]["Content-Type"] == "application/x-amz-json-1.0"
