"""Results: each operation returns the precise generated type, unwrapped when it can."""

from __future__ import annotations

import sys
from collections.abc import Sequence

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type

from types_aiobotocore_proton.client import ProtonClient as AioProtonClient
from types_aiobotocore_proton.type_defs import ListEnvironmentsOutputTypeDef

from aioproton import Page, Paginator, ProtonClient, models
from aioproton.models import Environment, EnvironmentSummary


async def results(proton: ProtonClient) -> None:
    assert_type(await proton.get_environment(name="dev"), Environment)
    # A delete answers ``{}`` on a repeat: its member may be absent.
    assert_type(await proton.delete_environment(name="dev"), Environment | None)
    listed = await proton.list_environments()
    assert_type(listed, models.ListEnvironmentsOutput)
    assert_type(listed.environments, Sequence[EnvironmentSummary])
    assert_type(listed.next_token, str | None)
    assert_type(
        await proton.get_account_settings(), models.AccountSettings
    )  # always returned, though the model leaves it optional
    environment = await proton.get_environment(name="dev")
    assert_type(environment.deployment_status, models.DeploymentStatus)
    assert_type(environment.deployment_status.known, bool)


async def pagination(proton: ProtonClient) -> None:
    paginator = proton.paginate.list_environments()
    assert_type(paginator, Paginator[EnvironmentSummary])
    async for item in paginator:
        assert_type(item, EnvironmentSummary)
    async for page in proton.paginate.list_environments(page_size=10).pages():
        assert_type(page, Page[EnvironmentSummary])


async def raw(proton: ProtonClient) -> None:
    # types-aiobotocore's client, where types-aiobotocore-proton is installed.
    assert_type(proton.raw, AioProtonClient)
    assert_type(await proton.raw.list_environments(), ListEnvironmentsOutputTypeDef)
    assert_type(await proton.raw_client(), AioProtonClient)
