"""Pagination: page sizes, stable order, unique tokens, rejected tokens, a real paginator."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator

import anyio.to_thread
import boto3
import pytest

import aioproton
from aioproton.emulator import Emulator

from ..recipes import BUNDLE

TOKEN_PATTERN = r"^[A-Za-z0-9+=/]+$"


@pytest.fixture
async def lenient(proton_emulator: Emulator) -> AsyncIterator[aioproton.ProtonClient]:
    async with proton_emulator.client(
        validate=False, retry=aioproton.RetryPolicy.never()
    ) as client:
        yield client


async def _templates(proton: aioproton.ProtonClient, *names: str) -> None:
    for name in names:
        await proton.create_environment_template(name=name)


async def test_pages_in_name_order_with_unique_tokens(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await _templates(proton_client, "g", "c", "a", "e", "b", "f", "d")
    seen: list[str] = []
    tokens: list[str] = []
    token = None
    while True:
        page = await proton_client.list_environment_templates(max_results=3, next_token=token)
        seen += [t.name for t in page.templates]
        if page.next_token is None:
            break
        assert page.next_token not in tokens
        tokens.append(page.next_token)
        token = page.next_token
    assert seen == ["a", "b", "c", "d", "e", "f", "g"]
    assert len(tokens) == 2
    assert all(re.match(TOKEN_PATTERN, t) for t in tokens)
    # Asking for the same page twice gives a fresh token that resumes at the same place.
    again = await proton_client.list_environment_templates(max_results=3)
    assert again.next_token not in tokens
    resumed = await proton_client.list_environment_templates(
        max_results=3, next_token=again.next_token
    )
    assert [t.name for t in resumed.templates] == ["d", "e", "f"]
    everything = await proton_client.list_environment_templates()
    assert len(everything.templates) == 7 and everything.next_token is None


async def test_pages_stay_stable_while_resources_change(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await _templates(proton_client, "a", "b", "c", "d", "e")
    first = await proton_client.list_environment_templates(max_results=2)
    assert [t.name for t in first.templates] == ["a", "b"]
    await _templates(proton_client, "aa", "z")  # one before the cursor, one after
    await proton_client.delete_environment_template(name="c")
    rest: list[str] = []
    token = first.next_token
    while token is not None:
        page = await proton_client.list_environment_templates(max_results=2, next_token=token)
        rest += [t.name for t in page.templates]
        token = page.next_token
    assert rest == ["d", "e", "z"]


async def test_versions_page_numerically(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.create_environment_template(name="base")
    await proton_client.create_environment_template_version(template_name="base", source=BUNDLE)
    for _ in range(10):
        await proton_client.create_environment_template_version(
            template_name="base", source=BUNDLE, major_version="1"
        )
    minors: list[str] = []
    token = None
    while True:
        page = await proton_client.list_environment_template_versions(
            template_name="base", major_version="1", max_results=4, next_token=token
        )
        minors += [v.minor_version for v in page.template_versions]
        token = page.next_token
        if token is None:
            break
    assert minors == [str(i) for i in range(11)]


async def test_bad_tokens_and_sizes(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    lenient: aioproton.ProtonClient,
) -> None:
    await _templates(proton_client, "a", "b", "c")
    await proton_client.create_service_template(name="s1")
    await proton_client.create_service_template(name="s2")
    page = await proton_client.list_environment_templates(max_results=1)
    token = page.next_token
    assert token is not None
    with pytest.raises(aioproton.ValidationError, match="nextToken"):
        await proton_client.list_service_templates(max_results=1, next_token=token)
    with pytest.raises(aioproton.ValidationError, match="nextToken"):
        await proton_client.list_environment_templates(max_results=1, next_token="abcd")
    document = json.loads(base64.b64decode(token))
    body = json.loads(document["b"])
    body["k"] = ["zzz"]
    document["b"] = json.dumps(body)
    forged = base64.b64encode(json.dumps(document).encode()).decode()
    with pytest.raises(aioproton.ValidationError, match="nextToken"):
        await proton_client.list_environment_templates(max_results=1, next_token=forged)
    versions = await proton_client.list_environment_template_versions(template_name="a")
    assert versions.next_token is None
    await proton_client.create_environment_template_version(template_name="a", source=BUNDLE)
    await proton_client.create_environment_template_version(template_name="a", source=BUNDLE)
    await proton_client.create_environment_template_version(template_name="b", source=BUNDLE)
    await proton_client.create_environment_template_version(template_name="b", source=BUNDLE)
    of_a = await proton_client.list_environment_template_versions(template_name="a", max_results=1)
    with pytest.raises(aioproton.ValidationError, match="nextToken"):
        await proton_client.list_environment_template_versions(
            template_name="b", max_results=1, next_token=of_a.next_token
        )
    with pytest.raises(aioproton.ValidationError) as caught:
        await lenient.list_environment_templates(max_results=101)
    assert not isinstance(caught.value, aioproton.ParameterValidationError)


async def test_botocore_paginator(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await _templates(proton_client, *[f"t{i:02}" for i in range(9)])
    client = boto3.client("proton", **proton_emulator.client_settings)
    try:

        def collect() -> list[str]:
            paginator = client.get_paginator("list_environment_templates")
            pages = paginator.paginate(PaginationConfig={"PageSize": 4})
            return [t["name"] for page in pages for t in page["templates"]]

        names = await anyio.to_thread.run_sync(collect)
    finally:
        client.close()
    assert names == [f"t{i:02}" for i in range(9)]
