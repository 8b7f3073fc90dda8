"""Tags: every taggable resource, reserved keys, limits, propagation and cleanup."""

from __future__ import annotations

import pytest

import aioproton
from aioproton import models
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Quotas

from ..recipes import (
    ACCOUNT,
    BUNDLE,
    CONNECTION_ARN,
    SERVICE_ROLE,
    SETTLE,
    arn,
    environment,
    service_spec,
    service_template,
    world,
)


def tags(**pairs: str) -> list[models.Tag]:
    return [models.Tag(key=k, value=v) for k, v in pairs.items()]


async def listed(proton: aioproton.ProtonClient, resource: str) -> dict[str, str]:
    result = await proton.list_tags_for_resource(resource_arn=arn(resource))
    return {t.key: t.value for t in result.tags}


async def test_every_taggable_resource(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    await proton_client.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod"
    )
    repo = await proton_client.create_repository(
        name="org/repo", provider="GITHUB", connection_arn=CONNECTION_ARN
    )
    conn = await proton_client.create_environment_account_connection(
        environment_name="dev", management_account_id=ACCOUNT, role_arn=SERVICE_ROLE
    )
    proton_emulator.advance(SETTLE)
    paths = [
        "environment-template/base",
        "environment-template/base:1.0",
        "service-template/web",
        "service-template/web:1.0",
        "environment/prod",
        "service/api",
        "service/api/service-instance/i1",
        "component/c1",
        repo.arn.split(":", 5)[5],
        f"environment-account-connection/{conn.id}",
    ]
    for path in paths:
        await proton_client.tag_resource(resource_arn=arn(path), tags=tags(team="core", env="x"))
        await proton_client.tag_resource(resource_arn=arn(path), tags=tags(env="prod"))
        assert await listed(proton_client, path) == {"env": "prod", "team": "core"}, path
        await proton_client.untag_resource(resource_arn=arn(path), tag_keys=["team", "absent"])
        assert await listed(proton_client, path) == {"env": "prod"}, path
    for path in ("service/api/pipeline", "environment/ghost", "service/api/service-instance/i9"):
        with pytest.raises(aioproton.ResourceNotFoundError):
            await proton_client.tag_resource(resource_arn=arn(path), tags=tags(a="b"))
    deployment = (await proton_client.get_environment(name="prod")).last_succeeded_deployment_id
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.list_tags_for_resource(resource_arn=arn(f"deployment/{deployment}"))
    foreign = "arn:aws:proton:us-east-1:999999999999:environment/prod"
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton_client.list_tags_for_resource(resource_arn=foreign)


async def test_reserved_keys_and_limits(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    with pytest.raises(aioproton.ValidationError, match="aws:"):
        await proton_client.create_environment_template(
            name="base", tags=tags(**{"aws:owner": "me"})
        )
    await proton_client.create_environment_template(name="base", tags=tags(a="1"))
    with pytest.raises(aioproton.ValidationError, match="aws:"):
        await proton_client.tag_resource(
            resource_arn=arn("environment-template/base"), tags=tags(**{"aws:x": "y"})
        )
    proton_emulator.backend.quotas = Quotas(tags_per_resource=3)
    await proton_client.tag_resource(
        resource_arn=arn("environment-template/base"), tags=tags(b="", c="3")
    )
    with pytest.raises(aioproton.ValidationError, match="at most 3 tags"):
        await proton_client.tag_resource(
            resource_arn=arn("environment-template/base"), tags=tags(d="4")
        )
    # Overwriting an existing key does not count twice.
    await proton_client.tag_resource(
        resource_arn=arn("environment-template/base"), tags=tags(a="x")
    )
    assert await listed(proton_client, "environment-template/base") == {"a": "x", "b": "", "c": "3"}


async def test_propagation_and_cleanup(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.create_environment_template(name="base", tags=tags(team="core", tier="1"))
    await proton_client.create_environment_template_version(
        template_name="base", source=BUNDLE, tags=tags(tier="2")
    )
    assert await listed(proton_client, "environment-template/base:1.0") == {
        "team": "core",
        "tier": "2",
    }
    proton_emulator.advance(SETTLE)
    await proton_client.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
    )
    await service_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, tags=tags(owner="ops"))
    assert await listed(proton_client, "environment/prod") == {"owner": "ops"}
    await proton_client.create_service(
        name="api",
        template_name="web",
        template_major_version="1",
        spec=service_spec(("i1", "prod"), pipeline={"runtime": "python"}),
        tags=tags(app="api"),
    )
    proton_emulator.advance(SETTLE)
    assert await listed(proton_client, "service/api/service-instance/i1") == {"app": "api"}
    await proton_client.create_service_instance(
        service_name="api", name="i2", spec=service_spec(("i2", "prod")), tags=tags(slot="blue")
    )
    assert await listed(proton_client, "service/api/service-instance/i2") == {
        "app": "api",
        "slot": "blue",
    }
    proton_emulator.advance(SETTLE)
    deleting = await proton_client.delete_service(name="api")
    assert deleting is not None
    with pytest.raises(aioproton.ConflictError, match="being deleted"):
        await proton_client.tag_resource(resource_arn=arn("service/api"), tags=tags(x="y"))
    proton_emulator.advance(SETTLE)
    await proton_client.create_service(
        name="api",
        template_name="web",
        template_major_version="1",
        spec=service_spec(("i1", "prod"), pipeline={"runtime": "python"}),
    )
    assert await listed(proton_client, "service/api") == {}
    assert await listed(proton_client, "service/api/service-instance/i1") == {}


async def test_list_tags_pages(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.create_environment_template(
        name="base", tags=[models.Tag(key=f"k{i:02}", value=str(i)) for i in range(25)]
    )
    keys: list[str] = []
    token = None
    tokens: set[str] = set()
    while True:
        page = await proton_client.list_tags_for_resource(
            resource_arn=arn("environment-template/base"), max_results=10, next_token=token
        )
        keys += [t.key for t in page.tags]
        token = page.next_token
        if token is None:
            break
        assert token not in tokens
        tokens.add(token)
    assert keys == [f"k{i:02}" for i in range(25)]
    assert len(tokens) == 2
