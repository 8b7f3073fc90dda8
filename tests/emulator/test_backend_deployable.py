"""The operations every deployable resource shares, written once: each of the four kinds."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import aioproton
from aioproton.emulator import Emulator

from ..recipes import SETTLE, world


@attrs.frozen
class Kind:
    name: str  # as in the client's method names
    named: dict[str, str]  # the parameters naming the deployed one
    missing: dict[str, str]  # the parameters naming one that does not exist
    message: str  # how the ResourceNotFoundError for ``missing`` reads


KINDS = [
    Kind(
        "environment",
        {"environment_name": "prod"},
        {"environment_name": "nope"},
        "Environment nope does not exist",
    ),
    Kind(
        "service_instance",
        {"service_name": "api", "service_instance_name": "i1"},
        {"service_name": "api", "service_instance_name": "nope"},
        "Service instance nope of service api does not exist",
    ),
    Kind("service_pipeline", {"service_name": "api"}, {"service_name": "nope"}, "Service nope"),
    Kind("component", {"component_name": "c1"}, {"component_name": "nope"}, "Component nope"),
]


@pytest.fixture(params=KINDS, ids=lambda kind: kind.name)
async def kind(
    request: pytest.FixtureRequest, proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> Kind:
    """Every kind deployed once: environment prod, instance api/i1, api's pipeline, c1."""
    await world(proton_client, proton_emulator)
    await proton_client.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod"
    )
    proton_emulator.advance(SETTLE)
    chosen: Kind = request.param
    return chosen


async def test_a_missing_target_is_not_found(
    proton_client: aioproton.ProtonClient, kind: Kind
) -> None:
    for operation in ("cancel_{}_deployment", "list_{}_outputs", "list_{}_provisioned_resources"):
        with pytest.raises(aioproton.ResourceNotFoundError, match=kind.message):
            await getattr(proton_client, operation.format(kind.name))(**kind.missing)


async def test_shared_operations_on_a_settled_target(
    proton_client: aioproton.ProtonClient, kind: Kind
) -> None:
    call = proton_client
    provisioned = await getattr(call, f"list_{kind.name}_provisioned_resources")(**kind.named)
    assert list(provisioned.provisioned_resources) == []
    outputs: Any = await getattr(call, f"list_{kind.name}_outputs")(**kind.named)
    assert list(outputs.outputs) == []
    with pytest.raises(aioproton.ConflictError, match="no deployment in progress to cancel"):
        await getattr(call, f"cancel_{kind.name}_deployment")(**kind.named)
    # A deployment of another resource is not one of this resource's deployments.
    deployments = (await call.list_deployments(environment_name="prod")).deployments
    stranger = next(d for d in deployments if d.target_resource_type != kind.name.upper())
    with pytest.raises(aioproton.ResourceNotFoundError, match=f"Deployment {stranger.id} of"):
        await getattr(call, f"list_{kind.name}_outputs")(**kind.named, deployment_id=stranger.id)


async def test_instance_sync_status_needs_the_instance(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    with pytest.raises(aioproton.ResourceNotFoundError, match="Service instance nope"):
        await proton_client.get_service_instance_sync_status(
            service_name="api", service_instance_name="nope"
        )
