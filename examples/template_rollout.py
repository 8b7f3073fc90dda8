"""Template rollout: a new template version to many service instances, four at a time.

Twelve service instances run version 1.0 of a service template. Version 1.1 is published
and rolled out with ``Rollout``: a dry run first, then the real thing with at most four
deployments at once, each result printed as it lands and a summary at the end. One
instance is scripted to fail; running the rollout again updates only that one.

    python examples/template_rollout.py
"""

from __future__ import annotations

import anyio
from _harness import (
    ROLE,
    Proton,
    environment,
    environment_template,
    parser,
    proton,
    service_template_version,
)

from aioproton.workflow import Rollout, RolloutResult, RolloutStatus

SERVICES = 2
INSTANCES = 6


def service_spec(environment: str) -> str:
    instances = "".join(
        f"  - name: i{index}\n    environment: {environment}\n    spec: {{}}\n"
        for index in range(1, INSTANCES + 1)
    )
    return f"proton: ServiceSpec\ninstances:\n{instances}"


def print_result(result: RolloutResult) -> None:
    note = f"  ({result.message})" if result.message else ""
    print(
        f"    {result.target.path}: {result.from_version} -> {result.to_version} "
        f"{result.status.value}{note}"
    )


async def scenario(p: Proton) -> None:
    base, dev, web = p.name("base"), p.name("dev"), p.name("web")
    services = [p.name(f"api-{index}") for index in range(1, SERVICES + 1)]
    await environment_template(p, base)
    await environment(p, dev, base)
    await p.client.create_service_template(name=web)
    # The template has a pipeline, which deploys with the account's pipeline role.
    await p.client.update_account_settings(pipeline_service_role_arn=ROLE)
    await service_template_version(p, web, base)
    for service in services:
        await p.client.create_service(
            name=service, template_name=web, template_major_version="1", spec=service_spec(dev)
        )
    for service in services:
        await p.waiters().service_created(service, timeout=3600)
    print(f"{SERVICES * INSTANCES} service instances run {web} 1.0")

    version = await service_template_version(p, web, base, major="1")
    print(f"published {web} {version}")
    failing = f"service/{services[-1]}/service-instance/i{INSTANCES}"
    await p.control.script(failing, action="deploy", outcome="fail", message="health check failed")

    rollout = Rollout(p.client, service_template=web, version=version, concurrency=4, clock=p.clock)
    plan = await rollout.run(dry_run=True)
    print(f"dry run: {plan.count(RolloutStatus.PLANNED)} instances would be updated")

    print("rollout, 4 at a time:")
    report = await rollout.run(on_result=print_result)
    print(report)

    print("run again: what is already on 1.1 is skipped, the failed instance is retried")
    again = await rollout.run()
    print(
        f"    {again.count(RolloutStatus.UPDATED)} updated, "
        f"{again.count(RolloutStatus.ALREADY_CURRENT)} already current, "
        f"{len(again.failed)} failed"
    )

    for service in services:
        await p.client.delete_service(name=service)


async def main() -> None:
    args = parser(__doc__).parse_args()
    async with proton(args) as p:
        await scenario(p)


if __name__ == "__main__":
    anyio.run(main)
