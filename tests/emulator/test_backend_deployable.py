"""The operations every deployable resource shares, written once: each of the four kinds."""

from __future__ import annotations

from typing import Any

import pytest

import aioproton
from aioproton.emulator import Emulator

from .recipes import SETTLE, world

#: (kind's operation name part, the parameters naming one, a missing one, its message)
KINDS = [
    (
        "environment",
        {"environment_name": "prod"},
        {"environment_name": "nope"},
        "Environment nope does not exist",
    ),
    (
        "service_instance",
        {"service_name": "api", "service_instance_name": "i1"},
        {"service_name": "api", "service_instance_name": "nope"},
        "Service instance nope of service api does not exist",
    ),
    (
        "service_pipeline",
        {"service_name": "api"},
        {"service_name": "nope"},
        "Service nope does not exist",
    ),
    (
        "component",
        {"component_name": "c1"},
        {"component_name": "nope"},
        "Component nope does not exist",
    ),
]
IDS = [kind for kind, *_ in KINDS]


async def _deployed(emulator: Emulator, proton: aioproton.ProtonClient) -> None:
    """Every kind deployed once: environment prod, instance api/i1, api's pipeline, c1."""
    await world(proton, emulator)
    await proton.create_component(
        name="c1", manifest="m", template_file="t", environment_name="prod"
    )
    emulator.advance(SETTLE)


@pytest.mark.parametrize(("kind", "named", "missing", "message"), KINDS, ids=IDS)
async def test_a_missing_target_is_not_found(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    kind: str,
    named: dict[str, str],
    missing: dict[str, str],
    message: str,
) -> None:
    await _deployed(proton_emulator, proton_client)
    for operation in (
        f"cancel_{kind}_deployment",
        f"list_{kind}_outputs",
        f"list_{kind}_provisioned_resources",
    ):
        with pytest.raises(aioproton.ResourceNotFoundError, match=message):
            await getattr(proton_client, operation)(**missing)


@pytest.mark.parametrize(("kind", "named", "missing", "message"), KINDS, ids=IDS)
async def test_shared_operations_on_a_settled_target(
    proton_emulator: Emulator,
    proton_client: aioproton.ProtonClient,
    kind: str,
    named: dict[str, str],
    missing: dict[str, str],
    message: str,
) -> None:
    await _deployed(proton_emulator, proton_client)
    provisioned = await getattr(proton_client, f"list_{kind}_provisioned_resources")(**named)
    assert list(provisioned.provisioned_resources) == []
    outputs: Any = await getattr(proton_client, f"list_{kind}_outputs")(**named)
    assert list(outputs.outputs) == []
    with pytest.raises(aioproton.ConflictError, match="no deployment in progress to cancel"):
        await getattr(proton_client, f"cancel_{kind}_deployment")(**named)
    # A deployment of another resource is not one of this resource's deployments.
    deployments = (await proton_client.list_deployments(environment_name="prod")).deployments
    stranger = next(d for d in deployments if d.target_resource_type != kind.upper())
    with pytest.raises(aioproton.ResourceNotFoundError, match=f"Deployment {stranger.id} of"):
        await getattr(proton_client, f"list_{kind}_outputs")(**named, deployment_id=stranger.id)


async def test_instance_sync_status_needs_the_instance(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    with pytest.raises(aioproton.ResourceNotFoundError, match="Service instance nope"):
        await proton_client.get_service_instance_sync_status(
            service_name="api", service_instance_name="nope"
        )
