"""Quickstart: templates, an environment, a service with two instances, a minor update.

Runs against an embedded emulator (nothing to install or configure) and prints each
step. Every call is a real Proton API call over HTTP; only the clock is sped up.

    python examples/quickstart.py
    python examples/quickstart.py --endpoint-url http://127.0.0.1:4566   # a running emulator
"""

from __future__ import annotations

import anyio
from _harness import Proton, follow, minutes, parser, proton

from aioproton import ProtonClient, models
from aioproton.workflow import Waiters

ROLE = "arn:aws:iam::123456789012:role/proton-service-role"
ENVIRONMENT_SPEC = "proton: EnvironmentSpec\nspec: {}\n"


def service_spec(environment: str) -> str:
    return (
        "proton: ServiceSpec\n"
        "instances:\n"
        f"  - name: frontend\n    environment: {environment}\n    spec: {{}}\n"
        f"  - name: backend\n    environment: {environment}\n    spec: {{}}\n"
    )


async def publish_environment_template(proton: ProtonClient, waiters: Waiters, name: str) -> str:
    """Register a version from a bundle in S3, wait for its registration, publish it."""
    version = await proton.create_environment_template_version(
        template_name=name, source={"s3": {"bucket": "my-templates", "key": f"{name}.tar.gz"}}
    )
    major, minor = version.major_version, version.minor_version
    await waiters.environment_template_version_registered(name, major, minor, timeout=3600)
    await proton.update_environment_template_version(
        template_name=name,
        major_version=major,
        minor_version=minor,
        status=models.TemplateVersionStatus.PUBLISHED,
    )
    return f"{major}.{minor}"


async def publish_service_template(
    proton: ProtonClient,
    waiters: Waiters,
    name: str,
    environment_template: str,
    major_version: str | None = None,
) -> str:
    """The same for a service template; ``major_version`` adds a minor version to it."""
    version = await proton.create_service_template_version(
        template_name=name,
        major_version=major_version,
        source={"s3": {"bucket": "my-templates", "key": f"{name}.tar.gz"}},
        compatible_environment_templates=[
            models.CompatibleEnvironmentTemplateInput(
                template_name=environment_template, major_version="1"
            )
        ],
    )
    major, minor = version.major_version, version.minor_version
    await waiters.service_template_version_registered(name, major, minor, timeout=3600)
    await proton.update_service_template_version(
        template_name=name,
        major_version=major,
        minor_version=minor,
        status=models.TemplateVersionStatus.PUBLISHED,
    )
    return f"{major}.{minor}"


async def tour(p: Proton) -> None:
    client, waiters = p.client, p.waiters()
    base, web, dev, api = p.name("base"), p.name("web"), p.name("dev"), p.name("api")

    # Templates: what environments and services are made from.
    await client.create_environment_template(name=base, display_name="Base network")
    version = await publish_environment_template(client, waiters, base)
    print(f"1. environment template {base} {version}: registered and published")
    await client.create_service_template(name=web, display_name="Web service")
    # Its pipeline deploys with the account's pipeline role: CreateService needs one.
    await client.update_account_settings(pipeline_service_role_arn=ROLE)
    version = await publish_service_template(client, waiters, web, base)
    print(f"2. service template {web} {version}: registered and published")

    # An environment, followed live: each state change prints as it happens.
    print(f"3. creating environment {dev}")
    await client.create_environment(
        name=dev,
        template_name=base,
        template_major_version="1",
        spec=ENVIRONMENT_SPEC,
        proton_service_role_arn=ROLE,
    )
    waiter = waiters.environment_deployed(dev, timeout=3600)
    async for change in waiter.progress():
        print(f"    {minutes(change.elapsed):>6}  environment/{dev}  {change.status}")
    environment = waiter.result()
    print(f"   {environment.arn} is {environment.deployment_status}")

    # A service with two instances in that environment.
    print(f"4. creating service {api} with instances frontend and backend")
    await client.create_service(
        name=api, template_name=web, template_major_version="1", spec=service_spec(dev)
    )
    await follow(waiters.service_created(api, timeout=3600), f"service/{api}")
    async for instance in client.paginate.list_service_instances(service_name=api):
        print(
            f"    {instance.name}: {instance.deployment_status}, "
            f"template {instance.template_major_version}.{instance.template_minor_version}"
        )

    # A new minor version of the service template, rolled onto one instance.
    version = await publish_service_template(client, waiters, web, base, major_version="1")
    print(f"5. published {web} {version}; updating instance frontend (MINOR_VERSION)")
    await client.update_service_instance(
        service_name=api,
        name="frontend",
        deployment_type=models.DeploymentUpdateType.MINOR_VERSION,
        template_major_version="1",
        template_minor_version="1",
    )
    instance = await follow(
        waiters.service_instance_deployed(api, "frontend", timeout=3600),
        f"service/{api}/service-instance/frontend",
    )
    print(
        f"   frontend now runs {web} "
        f"{instance.template_major_version}.{instance.template_minor_version}"
    )

    # Clean up, in dependency order.
    print("6. cleaning up")
    await client.delete_service(name=api)
    await follow(waiters.service_deleted(api, timeout=3600), f"service/{api}")
    await client.delete_environment(name=dev)
    await follow(waiters.environment_deleted(dev, timeout=3600), f"environment/{dev}")
    for minor in ("0", "1"):  # the recommended (latest) version goes last
        await client.delete_service_template_version(
            template_name=web, major_version="1", minor_version=minor
        )
    await client.delete_service_template(name=web)
    await client.delete_environment_template_version(
        template_name=base, major_version="1", minor_version="0"
    )
    await client.delete_environment_template(name=base)
    print(f"   deleted service {api}, environment {dev} and both templates")
    print("done")


async def main() -> None:
    args = parser(__doc__).parse_args()
    async with proton(args) as p:
        await tour(p)


if __name__ == "__main__":
    anyio.run(main)
