"""The canned-answer server serves real clients the answers it was given, page by page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import aioproton
from aioproton import errors
from benchmarks._canned import CannedServer, bodies
from benchmarks._config import settings

pytestmark = pytest.mark.slow

CREATED = 1767225600.0
SUMMARY = {
    "name": "template-name",
    "arn": "arn:aws:proton:us-east-1:123456789012:environment/template-name",
    "createdAt": CREATED,
    "lastDeploymentAttemptedAt": CREATED,
    "lastDeploymentSucceededAt": CREATED,
    "templateName": "bench-base",
    "templateMajorVersion": "1",
    "templateMinorVersion": "0",
    "deploymentStatus": "SUCCEEDED",
}
ITEMS = 250


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    environment = {"environment": {**SUMMARY, "name": "bench-env"}}
    with CannedServer(bodies(environment, SUMMARY, ITEMS, 100)) as server:
        yield server.url


async def test_get_environment_answers_the_canned_environment(url: str) -> None:
    async with aioproton.ProtonClient(**settings(url)) as proton:
        for _ in range(3):  # one connection, kept alive
            environment = await proton.get_environment(name="anything")
            assert environment.name == "bench-env"
            assert environment.template_name == "bench-base"


async def test_listing_pages_through_every_item_once(url: str) -> None:
    async with aioproton.ProtonClient(**settings(url)) as proton:
        pages = [page async for page in proton.paginate.list_environments(page_size=100).pages()]
    names = [item.name for page in pages for item in page.items]
    assert [len(page.items) for page in pages] == [100, 100, 50]
    assert names == [f"canned-{index:05d}" for index in range(ITEMS)]
    assert all(item.arn.endswith("/" + item.name) for page in pages for item in page.items)


async def test_an_unknown_token_or_operation_is_a_typed_client_error(url: str) -> None:
    async with aioproton.ProtonClient(**settings(url)) as proton:
        with pytest.raises(errors.ValidationError, match="unknown nextToken"):
            await proton.list_environments(next_token="p999")
        with pytest.raises(errors.ProtonServiceError, match="not canned here"):
            await proton.list_services()
