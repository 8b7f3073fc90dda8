"""Each of aioproton's 21 paginators: several pages, resume from a token, early break.

One emulator is filled with at least five of everything a List call returns; every
paginator with a page limit is then read two items a page and compared with one
unpaginated call, resumed from its first page's token, and broken out of after one
page. The nine operations whose token the model fixes as empty (``EmptyNextToken``)
are single-page by definition: for them the paginator must make exactly one request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from botocore import xform_name

import aioproton
from aioproton._generated.facts import PAGINATORS
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, Timings

from ..recipes import ACCOUNT, World

CONNECTION = f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/c"
NAMES = ("a", "b", "c", "d", "e")
ENV_A_ARN = f"arn:aws:proton:us-east-1:{ACCOUNT}:environment/env-a"

ARGUMENTS: dict[str, dict[str, Any]] = {
    "ListComponentOutputs": {"component_name": "comp-a"},
    "ListComponentProvisionedResources": {"component_name": "comp-a"},
    "ListComponents": {},
    "ListDeployments": {"environment_name": "env-a"},
    "ListEnvironmentAccountConnections": {"requested_by": "ENVIRONMENT_ACCOUNT"},
    "ListEnvironmentOutputs": {"environment_name": "env-a"},
    "ListEnvironmentProvisionedResources": {"environment_name": "env-a"},
    "ListEnvironmentTemplateVersions": {"template_name": "base", "major_version": "1"},
    "ListEnvironmentTemplates": {},
    "ListEnvironments": {},
    "ListRepositories": {},
    "ListRepositorySyncDefinitions": {
        "repository_name": "org/templates",
        "repository_provider": "GITHUB",
        "sync_type": "TEMPLATE_SYNC",
    },
    "ListServiceInstanceOutputs": {"service_name": "api", "service_instance_name": "i-a"},
    "ListServiceInstanceProvisionedResources": {
        "service_name": "api",
        "service_instance_name": "i-a",
    },
    "ListServiceInstances": {},
    "ListServicePipelineOutputs": {"service_name": "piped"},
    "ListServicePipelineProvisionedResources": {"service_name": "piped"},
    "ListServiceTemplateVersions": {"template_name": "web", "major_version": "1"},
    "ListServiceTemplates": {},
    "ListServices": {},
    "ListTagsForResource": {
        "resource_arn": f"arn:aws:proton:us-east-1:{ACCOUNT}:environment/env-a"
    },
}
LIMITED = sorted(name for name, facts in PAGINATORS.items() if facts.limit_key)
SINGLE_PAGE = sorted(name for name, facts in PAGINATORS.items() if not facts.limit_key)


@pytest.fixture
async def filled() -> AsyncIterator[tuple[Emulator, aioproton.ProtonClient]]:
    clock = ManualClock()
    async with (
        Emulator(clock=clock, timings=Timings(deploy_seconds=60)) as emulator,
        aioproton.ProtonClient(**emulator.client_settings, clock=clock) as proton,
    ):
        world = World(emulator, proton, settle=600)
        await world.environment_template("base", ("1.0", "1.1", "1.2", "1.3", "1.4"))
        await world.service_template("web", ("1.0", "1.1", "1.2", "1.3", "1.4"))
        await world.service_template("piped", ("1.0",), pipeline=True)
        for name in NAMES:
            await proton.create_environment_template(name=f"extra-{name}")
            await proton.create_service_template(name=f"extra-{name}")
            await world.environment(f"env-{name}")
            await proton.create_environment_account_connection(
                environment_name=f"remote-{name}",
                management_account_id=ACCOUNT,
                role_arn=f"arn:aws:iam::{ACCOUNT}:role/r",
            )
            await proton.create_repository(
                name=f"org/repo-{name}", provider="GITHUB", connection_arn=CONNECTION
            )
            await proton.create_environment_template(name=f"synced-{name}")
        await world.service("api", [(f"i-{name}", "env-a") for name in NAMES])
        for name in NAMES:
            await world.service(f"svc-{name}", [("one", "env-b")])
            await world.component(f"comp-{name}", "env-a")
        await world.service("piped", [("p", "env-c")], template="piped", pipeline=True)
        await proton.create_repository(
            name="org/templates", provider="GITHUB", connection_arn=CONNECTION
        )
        for name in NAMES:
            await proton.create_template_sync_config(
                template_name=f"synced-{name}",
                template_type="ENVIRONMENT",
                repository_name="org/templates",
                repository_provider="GITHUB",
                branch="main",
            )
            await proton.update_environment(name="env-a", deployment_type="CURRENT_VERSION")
            world.settle()
        await proton.tag_resource(
            resource_arn=ENV_A_ARN,
            tags=[aioproton.models.Tag(key=f"k{n}", value=str(n)) for n in range(5)],
        )
        yield emulator, proton


def paginator(proton: aioproton.ProtonClient, operation: str, **extra: Any) -> Any:
    method = getattr(proton.paginate, xform_name(operation))
    return method(**ARGUMENTS[operation], **extra)


def result_attribute(operation: str) -> str:
    return xform_name(PAGINATORS[operation].result_key)


def test_every_paginator_has_arguments_here() -> None:
    assert set(ARGUMENTS) == set(PAGINATORS)
    assert len(LIMITED) == 12
    assert len(SINGLE_PAGE) == 9


async def test_limited_paginators_page_resume_and_break(
    filled: tuple[Emulator, aioproton.ProtonClient],
) -> None:
    emulator, proton = filled
    for operation in LIMITED:
        whole = await getattr(proton, xform_name(operation))(**ARGUMENTS[operation])
        expected = list(getattr(whole, result_attribute(operation)))
        assert len(expected) >= 5, operation

        emulator.requests.clear()
        items = await paginator(proton, operation, page_size=2).collect()
        assert items == expected, operation
        pages = emulator.requests.count(operation=operation)
        assert pages == -(-len(expected) // 2), operation  # one request per page

        first_page = None
        async for page in paginator(proton, operation, page_size=2).pages():
            first_page = page
            break  # an early break: nothing keeps running
        assert first_page is not None
        assert first_page.resume_token is not None
        before = emulator.requests.count(operation=operation)
        rest = await paginator(
            proton, operation, page_size=2, starting_token=first_page.resume_token
        ).collect()
        assert list(first_page.items) + rest == expected, operation
        assert emulator.requests.count(operation=operation) > before

        cut = await paginator(proton, operation, page_size=2, max_items=3).collect()
        assert cut == expected[:3], operation

        pages = [page async for page in paginator(proton, operation, page_size=2).pages()]
        assert [page.is_last for page in pages] == [False] * (len(pages) - 1) + [True]
        await assert_end_marker(emulator, proton, operation, pages[-1].resume_token)
        await assert_parameters_checked(proton, operation, first_page.resume_token)


async def assert_end_marker(
    emulator: Emulator, proton: aioproton.ProtonClient, operation: str, token: str
) -> None:
    """The last page's token resumes to nothing, without a request: a checkpoint saved
    after the last page never starts the listing over."""
    before = emulator.requests.count(operation=operation)
    assert await paginator(proton, operation, starting_token=token).collect() == [], operation
    assert [p async for p in paginator(proton, operation, starting_token=token).pages()] == []
    assert emulator.requests.count(operation=operation) == before, operation


async def assert_parameters_checked(
    proton: aioproton.ProtonClient, operation: str, token: str
) -> None:
    """The token refuses a listing with other parameters, naming the parameter."""
    if not ARGUMENTS[operation]:
        return
    first, value = next(iter(ARGUMENTS[operation].items()))
    other = {**ARGUMENTS[operation], first: f"{value}-other"}
    method = getattr(proton.paginate, xform_name(operation))
    with pytest.raises(aioproton.ParameterValidationError, match=f"{first}: another value"):
        await method(**other, starting_token=token).collect()


async def test_single_page_paginators_make_one_request(
    filled: tuple[Emulator, aioproton.ProtonClient],
) -> None:
    emulator, proton = filled
    for operation in SINGLE_PAGE:
        whole = await getattr(proton, xform_name(operation))(**ARGUMENTS[operation])
        expected = list(getattr(whole, result_attribute(operation)))
        emulator.requests.clear()
        pages = [page async for page in paginator(proton, operation).pages()]
        assert emulator.requests.count(operation=operation) == 1, operation
        assert len(pages) == 1
        assert list(pages[0].items) == expected, operation
        assert pages[0].is_last, operation
        await assert_end_marker(emulator, proton, operation, pages[0].resume_token)
        await assert_parameters_checked(proton, operation, pages[0].resume_token)
    definitions = await paginator(proton, "ListRepositorySyncDefinitions").collect()
    assert sorted(d.target for d in definitions) == [f"synced-{n}" for n in NAMES]
