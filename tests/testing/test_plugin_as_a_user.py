"""How a project tests its own Proton code with the aioproton pytest plugin.

Nothing to set up: installing aioproton registers the plugin, and each test below gets
a fresh local Proton. ``proton_client`` is an open ``aioproton.ProtonClient`` bound to
it; ``proton_waiters`` waits on the emulator's simulated clock, so a deployment that
"takes" minutes finishes at once; ``proton_faults`` makes the service misbehave.
"""

from __future__ import annotations

import pytest

import aioproton
from aioproton import models
from aioproton.workflow import DeploymentFailedError

SOURCE = {"s3": {"bucket": "my-templates", "key": "base.tar.gz"}}
SPEC = "proton: EnvironmentSpec\nspec: {}\n"
ROLE = "arn:aws:iam::123456789012:role/proton-service"


# The code under test: what a project would have in its own package.
async def publish_environment_template(proton: aioproton.ProtonClient, waiters, name: str) -> str:
    await proton.create_environment_template(name=name, display_name=name.title())
    version = await proton.create_environment_template_version(template_name=name, source=SOURCE)
    await waiters.environment_template_version_registered(
        name, version.major_version, version.minor_version, timeout=3600
    )
    await proton.update_environment_template_version(
        template_name=name,
        major_version=version.major_version,
        minor_version=version.minor_version,
        status=models.TemplateVersionStatus.PUBLISHED,
    )
    return f"{version.major_version}.{version.minor_version}"


async def deploy_environment(proton: aioproton.ProtonClient, waiters, name: str) -> str:
    await proton.create_environment(
        name=name,
        template_name="base",
        template_major_version="1",
        spec=SPEC,
        proton_service_role_arn=ROLE,
    )
    environment = await waiters.environment_deployed(name, timeout=3600)
    return str(environment.deployment_status)


# The tests.
async def test_publishes_the_first_version(proton_client, proton_waiters):
    assert await publish_environment_template(proton_client, proton_waiters, "base") == "1.0"

    template = await proton_client.get_environment_template(name="base")
    assert template.display_name == "Base"
    assert template.recommended_version == "1.0"


async def test_each_test_starts_from_an_empty_proton(proton_client):
    listing = await proton_client.list_environment_templates()
    assert not listing.templates


async def test_deploys_in_simulated_time(proton_client, proton_waiters, proton_clock):
    await publish_environment_template(proton_client, proton_waiters, "base")
    started = proton_clock.now()

    assert await deploy_environment(proton_client, proton_waiters, "dev") == "SUCCEEDED"
    assert proton_clock.now() > started  # the waiter slept on the emulator's clock


async def test_a_failed_deployment_is_reported(proton_client, proton_waiters, proton_faults):
    await publish_environment_template(proton_client, proton_waiters, "base")
    proton_faults.fail_deployment("environment/dev", message="quota exceeded in the account")

    with pytest.raises(DeploymentFailedError, match="quota exceeded"):
        await deploy_environment(proton_client, proton_waiters, "dev")


async def test_retries_ride_out_throttling(proton_client, proton_faults):
    proton_faults.throttle(times=2, operations=["CreateEnvironmentTemplate"])

    await proton_client.create_environment_template(name="base")

    assert proton_faults.injected("throttle") == 2
    assert len(proton_faults.committed("CreateEnvironmentTemplate")) == 1


async def test_a_dropped_response_does_not_duplicate_a_create(proton_client, proton_faults):
    await proton_client.create_environment_template(name="base")
    proton_faults.drop_after_commit(operations=["CreateEnvironmentTemplateVersion"])

    with pytest.raises(aioproton.ProtonConnectionError):  # it happened, but who knows?
        await proton_client.create_environment_template_version(
            template_name="base", source=SOURCE, client_token="release-1"
        )
    proton_faults.clear()
    version = await proton_client.create_environment_template_version(
        template_name="base", source=SOURCE, client_token="release-1"
    )

    assert version.minor_version == "0"  # the same version, not a second one
    listing = await proton_client.list_environment_template_versions(template_name="base")
    assert len(listing.template_versions) == 1


@pytest.mark.proton_emulator(deploy_seconds=900)
async def test_slow_deployments_take_their_time(proton_client, proton_waiters, proton_clock):
    await publish_environment_template(proton_client, proton_waiters, "base")
    started = proton_clock.now()

    await deploy_environment(proton_client, proton_waiters, "dev")

    assert proton_clock.now() - started >= 900


def test_synchronous_code_uses_proton_endpoint(proton_endpoint):
    import boto3

    proton = boto3.client("proton", **proton_endpoint.client_settings)
    proton.create_environment_template(name="base")

    names = [t["name"] for t in proton.list_environment_templates()["templates"]]
    assert names == ["base"]
