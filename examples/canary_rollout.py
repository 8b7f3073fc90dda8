"""Canary rollout: one instance first, then waves of 10 %, a health gate after each wave.

Twenty service instances run version 1.0 of a service template. Version 1.1 goes out
as a canary (``canary(first=1, then="10%")``) with a failure budget of 5 % and a health
gate that asks "monitoring" (here, a dict of error rates) about the wave's instances.
Version 1.1 is bad on one instance: the gate says ROLL_BACK after the wave that
reached it, and that wave's instances go back to 1.0. Version 1.2 fixes it and goes
out the same way, to the end.

    python examples/canary_rollout.py
"""

from __future__ import annotations

import anyio
from _harness import (
    Proton,
    environment,
    environment_template,
    parser,
    proton,
    service_template_version,
)

from aioproton.workflow import (
    FailureBudget,
    Gate,
    GateCheck,
    GateDecision,
    Rollout,
    RolloutStatus,
    canary,
)

SERVICES = 2
INSTANCES = 10


def service_spec(environment: str) -> str:
    instances = "".join(
        f"  - name: i{index:02d}\n    environment: {environment}\n    spec: {{}}\n"
        for index in range(INSTANCES)
    )
    return f"proton: ServiceSpec\ninstances:\n{instances}"


class Monitoring:
    """Stands in for a metrics system: an error rate per instance and version."""

    def __init__(self, bad: dict[str, str]) -> None:
        self.bad = bad  # path -> the version that breaks it

    def error_rate(self, path: str, version: str) -> float:
        return 0.25 if self.bad.get(path) == version else 0.001


def health_gate(monitoring: Monitoring, version: str) -> Gate:
    async def healthy(check: GateCheck) -> GateDecision:
        worst = max(monitoring.error_rate(path, version) for path in check.paths)
        decision = GateDecision.GO if worst < 0.01 else GateDecision.ROLL_BACK
        print(
            f"    gate after wave {check.wave}/{check.waves} ({len(check.paths)} items): "
            f"worst error rate {worst:.1%} -> {decision.value}"
        )
        return decision

    return healthy


async def roll_out(p: Proton, web: str, version: str, monitoring: Monitoring) -> None:
    rollout = Rollout(
        p.client,
        service_template=web,
        version=version,
        concurrency=4,
        plan=canary(first=1, then="10%"),
        order_by=lambda item: item.path,
        budget=FailureBudget(max_ratio=0.05),
        gate=health_gate(monitoring, version),
        rollback=True,
        clock=p.clock,
    )
    plan = await rollout.run(dry_run=True)
    print(f"{web} {version}: {len(plan.waves)} waves of {[len(w) for w in plan.waves]}")
    report = await rollout.run()
    print(
        f"    {report.count(RolloutStatus.UPDATED)} updated, "
        f"{report.count(RolloutStatus.ROLLED_BACK)} rolled back, "
        f"{report.count(RolloutStatus.NOT_STARTED)} not started"
    )
    if report.stopped is not None:
        print(f"    stopped after {report.waves_done} waves: {report.reason}")
        for result in report.results:
            if result.status is RolloutStatus.ROLLED_BACK:
                print(f"    {result.target.path}: back on {result.previous_version}")


async def scenario(p: Proton) -> None:
    base, dev, web = p.name("base"), p.name("dev"), p.name("web")
    services = [p.name(f"api-{index}") for index in range(1, SERVICES + 1)]
    await environment_template(p, base)
    await environment(p, dev, base)
    await p.client.create_service_template(name=web, pipeline_provisioning="CUSTOMER_MANAGED")
    await service_template_version(p, web, base)
    for service in services:
        await p.client.create_service(
            name=service, template_name=web, template_major_version="1", spec=service_spec(dev)
        )
    for service in services:
        await p.waiters().service_created(service, timeout=3600)
    print(f"{SERVICES * INSTANCES} service instances run {web} 1.0")

    # 1.1 breaks the fourth instance in path order: the wave that reaches it rolls back.
    broken = f"service/{services[0]}/service-instance/i03"
    monitoring = Monitoring({broken: "1.1"})
    await roll_out(p, web, await service_template_version(p, web, base, major="1"), monitoring)
    await roll_out(p, web, await service_template_version(p, web, base, major="1"), monitoring)

    versions = set()
    async for instance in p.client.paginate.list_service_instances():
        if instance.template_name == web:
            versions.add(f"{instance.template_major_version}.{instance.template_minor_version}")
    print(f"every instance now runs {web} {', '.join(sorted(versions))}")
    for service in services:
        await p.client.delete_service(name=service)


async def main() -> None:
    args = parser(__doc__).parse_args()
    async with proton(args) as p:
        await scenario(p)


if __name__ == "__main__":
    anyio.run(main)
