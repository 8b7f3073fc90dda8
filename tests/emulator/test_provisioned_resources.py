"""Provisioned resources: what a scripted deployment declares, listed once it succeeds."""

from __future__ import annotations

import pytest

import aioproton
from aioproton.emulator import Emulator, EmulatorControl, EmulatorControlError
from aioproton.testing import ProtonFaults

from ..recipes import env_template, environment, world

QUEUE = {
    "name": "Queue",
    "identifier": "arn:aws:sqs:us-east-1:123456789012:api-i1",
    "provisioningEngine": "CLOUDFORMATION",
}
BUCKET = {"name": "aws_s3_bucket.logs", "identifier": "logs", "provisioningEngine": "TERRAFORM"}


async def listed(proton: aioproton.ProtonClient) -> list[dict[str, str]]:
    resources = await proton.list_service_instance_provisioned_resources(
        service_name="api", service_instance_name="i1"
    )
    return [
        {"name": r.name, "identifier": r.identifier, "provisioningEngine": r.provisioning_engine}
        for r in resources.provisioned_resources
    ]


async def test_a_deployment_lists_what_the_script_declared(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient, proton_faults: ProtonFaults
) -> None:
    proton_faults.provision("service/api/service-instance/i1", [QUEUE])
    await world(proton_client, proton_emulator)
    assert await listed(proton_client) == [QUEUE]
    pipeline = await proton_client.list_service_pipeline_provisioned_resources(service_name="api")
    assert list(pipeline.provisioned_resources) == []

    # a deployment that declares nothing keeps them; a failed one changes nothing
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION"
    )
    proton_emulator.advance(30)
    assert await listed(proton_client) == [QUEUE]
    proton_faults.script(
        "service/api/service-instance/i1", action="deploy", outcome="fail", resources=[BUCKET]
    )
    await proton_client.update_service_instance(
        service_name="api", name="i1", deployment_type="CURRENT_VERSION"
    )
    proton_emulator.advance(30)
    assert await listed(proton_client) == [QUEUE]


async def test_rules_combine_and_the_control_api_declares_resources(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    async with EmulatorControl(proton_emulator.endpoint_url) as control:
        await control.script("environment/prod", action="deploy", seconds=100)
        rule = await control.script("environment/prod", action="deploy", resources=[BUCKET])
        assert rule["resources"] == [BUCKET]
        with pytest.raises(EmulatorControlError) as caught:
            await control.script(
                "environment/prod", resources=[{**BUCKET, "provisioningEngine": "PULUMI"}]
            )
        assert caught.value.status == 400
        assert "provisioningEngine must be one of CLOUDFORMATION, TERRAFORM" in str(caught.value)
    await env_template(proton_client, proton_emulator)
    await environment(proton_client, proton_emulator, settle=50)
    before = await proton_client.list_environment_provisioned_resources(environment_name="prod")
    assert list(before.provisioned_resources) == []
    proton_emulator.advance(60)
    resources = await proton_client.list_environment_provisioned_resources(environment_name="prod")
    assert [r.identifier for r in resources.provisioned_resources] == ["logs"]


@pytest.mark.parametrize(
    ("resources", "reason"),
    [
        ("Queue", "resources must be a list"),
        ([{"name": "Queue"}], "exactly name, identifier and provisioningEngine"),
        ([{**QUEUE, "identifier": ""}], "must be non-empty strings"),
    ],
)
def test_bad_resources_are_refused(
    proton_emulator: Emulator, resources: object, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        proton_emulator.script("environment/prod", resources=resources)  # type: ignore[arg-type]
