"""Tags: every taggable resource, reserved keys, limits, propagation and cleanup."""

from __future__ import annotations

import pytest

import aioproton
from aioproton import models
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Quotas

from .recipes import (
    ACCOUNT,
    CONNECTION_ARN,
    ROLE,
    S3,
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


async def test_every_taggable_resource(emulator: Emulator, proton: aioproton.ProtonClient) -> None:
    await world(proton, emulator)
    await proton.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod"
    )
    repo = await proton.create_repository(
        name="org/repo", provider="GITHUB", connection_arn=CONNECTION_ARN
    )
    conn = await proton.create_environment_account_connection(
        environment_name="dev", management_account_id=ACCOUNT, role_arn=ROLE
    )
    emulator.advance(SETTLE)
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
        await proton.tag_resource(resource_arn=arn(path), tags=tags(team="core", env="x"))
        await proton.tag_resource(resource_arn=arn(path), tags=tags(env="prod"))
        assert await listed(proton, path) == {"env": "prod", "team": "core"}, path
        await proton.untag_resource(resource_arn=arn(path), tag_keys=["team", "absent"])
        assert await listed(proton, path) == {"env": "prod"}, path
    for path in ("service/api/pipeline", "environment/ghost", "service/api/service-instance/i9"):
        with pytest.raises(aioproton.ResourceNotFoundError):
            await proton.tag_resource(resource_arn=arn(path), tags=tags(a="b"))
    deployment = (await proton.get_environment(name="prod")).last_succeeded_deployment_id
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton.list_tags_for_resource(resource_arn=arn(f"deployment/{deployment}"))
    foreign = "arn:aws:proton:us-east-1:999999999999:environment/prod"
    with pytest.raises(aioproton.ResourceNotFoundError):
        await proton.list_tags_for_resource(resource_arn=foreign)


async def test_reserved_keys_and_limits(emulator: Emulator, proton: aioproton.ProtonClient) -> None:
    with pytest.raises(aioproton.ValidationError, match="aws:"):
        await proton.create_environment_template(name="base", tags=tags(**{"aws:owner": "me"}))
    await proton.create_environment_template(name="base", tags=tags(a="1"))
    with pytest.raises(aioproton.ValidationError, match="aws:"):
        await proton.tag_resource(
            resource_arn=arn("environment-template/base"), tags=tags(**{"aws:x": "y"})
        )
    emulator.backend.quotas = Quotas(tags_per_resource=3)
    await proton.tag_resource(resource_arn=arn("environment-template/base"), tags=tags(b="", c="3"))
    with pytest.raises(aioproton.ValidationError, match="at most 3 tags"):
        await proton.tag_resource(resource_arn=arn("environment-template/base"), tags=tags(d="4"))
    # Overwriting an existing key does not count twice.
    await proton.tag_resource(resource_arn=arn("environment-template/base"), tags=tags(a="x"))
    assert await listed(proton, "environment-template/base") == {"a": "x", "b": "", "c": "3"}


async def test_propagation_and_cleanup(emulator: Emulator, proton: aioproton.ProtonClient) -> None:
    await proton.create_environment_template(name="base", tags=tags(team="core", tier="1"))
    await proton.create_environment_template_version(
        template_name="base", source=S3, tags=tags(tier="2")
    )
    assert await listed(proton, "environment-template/base:1.0") == {"team": "core", "tier": "2"}
    emulator.advance(SETTLE)
    await proton.update_environment_template_version(
        template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
    )
    await service_template(proton, emulator)
    await environment(proton, emulator, tags=tags(owner="ops"))
    assert await listed(proton, "environment/prod") == {"owner": "ops"}
    await proton.create_service(
        name="api",
        template_name="web",
        template_major_version="1",
        spec=service_spec(("i1", "prod"), pipeline={"runtime": "python"}),
        tags=tags(app="api"),
    )
    emulator.advance(SETTLE)
    assert await listed(proton, "service/api/service-instance/i1") == {"app": "api"}
    await proton.create_service_instance(
        service_name="api", name="i2", spec=service_spec(("i2", "prod")), tags=tags(slot="blue")
    )
    assert await listed(proton, "service/api/service-instance/i2") == {"app": "api", "slot": "blue"}
    emulator.advance(SETTLE)
    deleting = await proton.delete_service(name="api")
    assert deleting is not None
    with pytest.raises(aioproton.ConflictError, match="being deleted"):
        await proton.tag_resource(resource_arn=arn("service/api"), tags=tags(x="y"))
    emulator.advance(SETTLE)
    await proton.create_service(
        name="api",
        template_name="web",
        template_major_version="1",
        spec=service_spec(("i1", "prod"), pipeline={"runtime": "python"}),
    )
    assert await listed(proton, "service/api") == {}
    assert await listed(proton, "service/api/service-instance/i1") == {}


async def test_list_tags_pages(emulator: Emulator, proton: aioproton.ProtonClient) -> None:
    await proton.create_environment_template(
        name="base", tags=[models.Tag(key=f"k{i:02}", value=str(i)) for i in range(25)]
    )
    keys: list[str] = []
    token = None
    tokens: set[str] = set()
    while True:
        page = await proton.list_tags_for_resource(
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
