"""Paginators over real List calls: pages, resume tokens, limits and misbehaving servers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

import aioproton
from aioproton.emulator import Emulator


async def make_templates(proton: aioproton.ProtonClient, count: int) -> list[str]:
    names = [f"tpl-{i:03d}" for i in range(count)]
    for name in names:
        await proton.create_environment_template(name=name)
    return names


async def test_items_span_pages_in_a_stable_order(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    names = await make_templates(proton_client, 23)
    proton_emulator.requests.clear()
    listed = [t.name async for t in proton_client.paginate.list_environment_templates(page_size=5)]
    assert listed == names
    assert proton_emulator.requests.count(operation="ListEnvironmentTemplates") == 5
    # Iterating again starts over.
    again = await proton_client.paginate.list_environment_templates(page_size=5).collect()
    assert [t.name for t in again] == names


async def test_pages_expose_a_resume_token_that_continues_after_a_crash(
    proton_client: aioproton.ProtonClient,
) -> None:
    names = await make_templates(proton_client, 12)
    seen: list[str] = []
    checkpoint = None
    async for page in proton_client.paginate.list_environment_templates(page_size=5).pages():
        seen.extend(t.name for t in page.items)
        checkpoint = page.resume_token
        break  # the process "crashes" after the first page
    assert seen == names[:5]
    assert checkpoint is not None
    rest = proton_client.paginate.list_environment_templates(page_size=5, starting_token=checkpoint)
    seen.extend([t.name async for t in rest])
    assert seen == names


async def test_max_items_cuts_mid_page_and_resumes_exactly_there(
    proton_client: aioproton.ProtonClient,
) -> None:
    names = await make_templates(proton_client, 10)
    paginator = proton_client.paginate.list_environment_templates(page_size=4, max_items=6)
    pages = [page async for page in paginator.pages()]
    assert [len(p.items) for p in pages] == [4, 2]
    resume = pages[-1].resume_token
    assert resume is not None
    rest = proton_client.paginate.list_environment_templates(page_size=4, starting_token=resume)
    assert [t.name async for t in rest] == names[6:]


async def test_the_last_page_is_marked_and_its_token_lists_nothing(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    names = await make_templates(proton_client, 7)
    pages = [
        p async for p in proton_client.paginate.list_environment_templates(page_size=3).pages()
    ]
    assert [p.is_last for p in pages] == [False, False, True]
    assert pages[-1].next_token is None
    proton_emulator.requests.clear()
    rest = proton_client.paginate.list_environment_templates(starting_token=pages[-1].resume_token)
    assert await rest.collect() == []
    assert proton_emulator.requests.count() == 0
    # max_items ending exactly at the end is the end too; inside a page it is not.
    cut = [p async for p in proton_client.paginate.list_environment_templates(max_items=7).pages()]
    assert cut[-1].is_last
    cut = [p async for p in proton_client.paginate.list_environment_templates(max_items=6).pages()]
    assert not cut[-1].is_last
    rest = proton_client.paginate.list_environment_templates(starting_token=cut[-1].resume_token)
    assert [t.name async for t in rest] == names[6:]


async def test_a_checkpoint_loop_resumes_after_a_restart_without_starting_over(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    names = await make_templates(proton_client, 5)
    checkpoint: str | None = None
    seen: list[str] = []
    for _restart in range(3):  # the same loop, run again after each "restart"
        listing = proton_client.paginate.list_environment_templates(
            page_size=2, starting_token=checkpoint
        )
        async for page in listing.pages():
            seen.extend(t.name for t in page.items)
            checkpoint = page.resume_token
    assert seen == names, "nothing listed twice"


async def test_a_resume_token_names_the_parameters_that_differ(
    proton_client: aioproton.ProtonClient,
) -> None:
    await make_templates(proton_client, 3)
    first = proton_client.paginate.list_environment_template_versions(
        template_name="tpl-000", major_version="1"
    )
    pages = [p async for p in first.pages()]
    token = pages[-1].resume_token
    with pytest.raises(aioproton.ParameterValidationError) as caught:
        await proton_client.paginate.list_environment_template_versions(
            template_name="tpl-001", starting_token=token
        ).collect()
    message = str(caught.value)
    assert "template_name: another value than when the token was issued" in message
    assert "major_version: given when the token was issued, not now" in message
    assert caught.value.problems == [
        "starting_token: major_version: given when the token was issued, not now",
        "starting_token: template_name: another value than when the token was issued",
    ]
    with pytest.raises(aioproton.ParameterValidationError, match="ListEnvironmentTemplateVersions"):
        await proton_client.paginate.list_environment_templates(starting_token=token).collect()
    pages = [p async for p in proton_client.paginate.list_components().pages()]
    with pytest.raises(aioproton.ParameterValidationError, match="environment_name: given now"):
        await proton_client.paginate.list_components(
            environment_name="prod", starting_token=pages[-1].resume_token
        ).collect()


async def test_arguments_of_the_caller_are_never_mutated(
    proton_client: aioproton.ProtonClient,
) -> None:
    await make_templates(proton_client, 4)
    filters = [
        aioproton.models.EnvironmentTemplateFilter(template_name="tpl-000", major_version="1")
    ]
    original = list(filters)
    paginator = proton_client.paginate.list_environments(environment_templates=filters, page_size=2)
    assert await paginator.collect() == []  # no environment uses tpl-000 yet
    assert await paginator.collect() == []
    assert filters == original


async def test_invalid_settings_and_foreign_tokens_are_clear_errors(
    proton_client: aioproton.ProtonClient,
) -> None:
    with pytest.raises(aioproton.ParameterValidationError, match="max_items: must be at least 1"):
        proton_client.paginate.list_environment_templates(max_items=0)
    with pytest.raises(aioproton.ParameterValidationError, match="page_size: must be at least 1"):
        proton_client.paginate.list_environment_templates(page_size=0)
    with pytest.raises(aioproton.ParameterValidationError, match="max_results: value 101"):
        await proton_client.paginate.list_environment_templates(page_size=101).collect()
    forged = "aioproton-resume:bm90IGpzb24="
    with pytest.raises(aioproton.ParameterValidationError, match="resume token"):
        await proton_client.paginate.list_environment_templates(starting_token=forged).collect()
    # A token the service never issued is refused by the service, not looped on.
    with pytest.raises(aioproton.ValidationError):
        await proton_client.paginate.list_environment_templates(starting_token="Zm9yZ2Vk").collect()


ARN_PREFIX = "arn:aws:proton:us-east-1:123456789012"

# A server that breaks the pagination contract, to show the paginator refuses to loop.


@pytest.fixture
async def looping_server() -> AsyncIterator[Callable[[], str]]:
    calls: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        calls.append(await request.json())
        body = {
            "templates": [
                {
                    "arn": f"{ARN_PREFIX}:environment-template/t{len(calls)}",
                    "name": f"t{len(calls)}",
                    "createdAt": 1767225600,
                    "lastModifiedAt": 1767225600,
                }
            ],
            "nextToken": "c2FtZQ==",  # always the same token
        }
        return web.Response(
            body=json.dumps(body),
            content_type="application/x-amz-json-1.0",
            headers={"x-amzn-RequestId": "r"},
        )

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield lambda: f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_a_repeated_token_is_an_error_not_a_loop(
    looping_server: Callable[[], str],
) -> None:
    async with aioproton.ProtonClient(
        endpoint_url=looping_server(),
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    ) as proton:
        names: list[str] = []

        async def consume() -> None:
            async for template in proton.paginate.list_environment_templates():
                names.append(template.name)

        with pytest.raises(aioproton.PaginationError, match="twice"):
            await consume()
        assert names == ["t1", "t2"]
