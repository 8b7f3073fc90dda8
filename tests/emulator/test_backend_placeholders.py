"""``${Proton::CURRENT_VAL}`` is stored substituted; pipelines need a role; cancel rules."""

from __future__ import annotations

import pytest
import yaml

import aioproton
from aioproton.emulator import Emulator

from ..recipes import SETTLE, environment, service, service_spec, world

KEEP = "'${Proton::CURRENT_VAL}'"


def _inputs(spec: str, name: str) -> object:
    return next(i["spec"] for i in yaml.safe_load(spec)["instances"] if i["name"] == name)


async def test_update_service_stores_the_kept_values(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    spec = service_spec(("i1", "prod"), pipeline={"runtime": KEEP}, inputs=KEEP) + (
        "  - name: i2\n    environment: prod\n    spec:\n      port: 2\n"
    )
    await proton_client.update_service(name="api", spec=spec)
    proton_emulator.advance(SETTLE)
    got = await proton_client.get_service(name="api")
    assert got.status == "ACTIVE"
    assert _inputs(got.spec or "", "i1") == {"port": 1}
    assert _inputs(got.spec or "", "i2") == {"port": 2}
    assert got.pipeline is not None
    assert yaml.safe_load(got.pipeline.spec)["pipeline"] == {"runtime": "python"}
    # The next UpdateService spelling out the stored values is accepted.
    await proton_client.update_service(name="api", spec=got.spec or "")
    proton_emulator.advance(SETTLE)
    assert (await proton_client.get_service(name="api")).status == "ACTIVE"


async def test_a_spec_without_placeholders_is_stored_as_sent(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    spec = "proton: EnvironmentSpec\nspec:\n  vpc_cidr:   10.1.0.0/16  # comment kept\n"
    await proton_client.update_environment(
        name="prod", deployment_type="CURRENT_VERSION", spec=spec
    )
    proton_emulator.advance(SETTLE)
    assert (await proton_client.get_environment(name="prod")).spec == spec


async def test_a_placeholder_for_an_input_the_resource_lacks_is_refused(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    spec = f"proton: EnvironmentSpec\nspec:\n  missing: {KEEP}\n"
    with pytest.raises(aioproton.ValidationError, match=r"spec\.missing.*spell the value out"):
        await proton_client.update_environment(
            name="prod", deployment_type="CURRENT_VERSION", spec=spec
        )
    pipeline_spec = f"proton: ServiceSpec\npipeline:\n  nothing: {KEEP}\n"
    with pytest.raises(aioproton.ValidationError, match=r"pipeline\.nothing"):
        await proton_client.update_service_pipeline(
            service_name="api", deployment_type="CURRENT_VERSION", spec=pipeline_spec
        )


async def test_update_service_instance_keeps_inputs_and_update_service_follows(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    spec = (
        "proton: ServiceSpec\ninstances:\n"
        f"  - name: i1\n    environment: prod\n    spec:\n      port: {KEEP}\n      size: 3\n"
    )
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION", spec=spec
    )
    proton_emulator.advance(SETTLE)
    instance = await proton_client.get_service_instance(service_name="api", name="i1")
    assert _inputs(instance.spec or "", "i1") == {"port": 1, "size": 3}
    # UpdateService compares kept instances with what they are deployed with now.
    stale = service_spec(("i1", "prod"), pipeline={"runtime": "python"})
    with pytest.raises(aioproton.ValidationError, match="cannot change the inputs"):
        await proton_client.update_service(name="api", spec=stale)
    kept = service_spec(("i1", "prod"), pipeline={"runtime": "python"}, inputs=KEEP)
    kept += f"      size: {KEEP}\n"
    await proton_client.update_service(name="api", spec=kept)
    proton_emulator.advance(SETTLE)
    got = await proton_client.get_service(name="api")
    assert _inputs(got.spec or "", "i1") == {"port": 1, "size": 3}


async def test_create_service_with_a_pipeline_needs_a_role(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    await proton_client.update_account_settings(pipeline_service_role_arn="")
    with pytest.raises(aioproton.ValidationError, match="pipeline roles have been configured"):
        await service(proton_client, proton_emulator, "other")
    await environment(proton_client, proton_emulator, "staging")


async def test_cancel_of_a_pipeline_redeployed_by_update_service_conflicts(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await world(proton_client, proton_emulator)
    spec = service_spec(("i1", "prod"), ("i2", "prod"), pipeline={"runtime": "python"})
    await proton_client.update_service(name="api", spec=spec)
    with pytest.raises(aioproton.ConflictError, match="UpdateServicePipeline"):
        await proton_client.cancel_service_pipeline_deployment(service_name="api")
    proton_emulator.advance(SETTLE)
    got = await proton_client.get_service(name="api")
    assert got.status == "ACTIVE"
    assert got.pipeline is not None
    assert got.pipeline.deployment_status == "SUCCEEDED"
