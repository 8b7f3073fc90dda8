"""Reconcile daemon: keep environments on their template's recommended version.

Every ``--interval`` simulated seconds the daemon compares what should be deployed with
what is, and deploys the difference. SIGTERM or SIGINT stops it cleanly: the deployment
in flight is cancelled safely (``cancel_on_exit``), and the process exits 0. To give it
work, a "platform team" publishes a new minor version of the template every other cycle.

    python examples/reconcile_daemon.py --cycles 4
    python examples/reconcile_daemon.py --deploy-seconds 3600   # then press Ctrl-C
"""

from __future__ import annotations

import argparse
import itertools
import signal

import anyio
from _harness import Proton, environment, environment_template, minutes, parser, proton

from aioproton import models
from aioproton.workflow import CancelGuard, cancel_on_exit


def describe_cancel(guard: CancelGuard) -> None:
    if guard.result is not None:
        print(f"    {guard.target}: deployment cancelled safely ({guard.result.outcome.value})")
    elif guard.timed_out:
        print(f"    {guard.target}: the cancel did not finish in time")
    else:
        print(f"    {guard.target}: could not cancel: {guard.error}")


async def publish_minor_version(p: Proton, template: str) -> str:
    """What the platform team does now and then: a new minor version of ``template``."""
    version = await p.client.create_environment_template_version(
        template_name=template,
        major_version="1",
        source={"s3": {"bucket": "my-templates", "key": f"{template}.tar.gz"}},
    )
    minor = version.minor_version
    await p.waiters().environment_template_version_registered(template, "1", minor, timeout=1800)
    await p.client.update_environment_template_version(
        template_name=template, major_version="1", minor_version=minor, status="PUBLISHED"
    )
    return f"1.{minor}"


async def reconcile(p: Proton, template: str, environments: list[str]) -> int:
    """Deploy every environment not on the recommended version; how many were."""
    recommended = (await p.client.get_environment_template(name=template)).recommended_version
    assert recommended is not None
    major, minor = recommended.split(".")
    deployed = 0
    for name in environments:
        env = await p.client.get_environment(name=name)
        current = f"{env.template_major_version}.{env.template_minor_version}"
        if current == recommended:
            continue
        print(f"    environment/{name}: {current} -> {recommended}, deploying")
        started = p.clock.now()
        async with cancel_on_exit(
            p.client, environment=name, timeout=1800, clock=p.clock, on_result=describe_cancel
        ) as guard:
            updated = await p.client.update_environment(
                name=name,
                deployment_type=models.DeploymentUpdateType.MINOR_VERSION,
                template_major_version=major,
                template_minor_version=minor,
            )
            guard.deployment_id = updated.last_attempted_deployment_id
            await p.waiters().environment_deployed(name, timeout=6 * 3600)
        print(f"    environment/{name}: on {recommended} after {minutes(p.clock.now() - started)}")
        deployed += 1
    return deployed


async def run_daemon(p: Proton, args: argparse.Namespace) -> None:
    template = p.name("base")
    environments = [p.name("dev"), p.name("staging")]
    await environment_template(p, template)
    for name in environments:
        await environment(p, name, template)
    if args.deploy_seconds is not None:
        await p.control.script(
            "environment/*", action="deploy", seconds=args.deploy_seconds, times=None
        )
    print(f"desired state: {', '.join(environments)} on the recommended version of {template}")
    for cycle in itertools.count(1):
        if args.cycles is not None and cycle > args.cycles:
            break
        print(f"cycle {cycle}")
        if cycle % 2:
            print(
                f"    platform team published {template} {await publish_minor_version(p, template)}"
            )
        if not await reconcile(p, template, environments):
            print("    nothing to do")
        await p.clock.sleep(args.interval)


async def stop_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            print(f"received {signal.Signals(signum).name}: stopping")
            scope.cancel()
            return


async def main() -> None:
    command_line = parser(__doc__)
    command_line.add_argument("--cycles", type=int, help="stop after N cycles (default: never)")
    command_line.add_argument(
        "--interval", type=float, default=60.0, help="simulated seconds between cycles"
    )
    command_line.add_argument(
        "--deploy-seconds", type=float, help="how long each environment deployment takes"
    )
    args = command_line.parse_args()
    async with proton(args) as p, anyio.create_task_group() as group:
        group.start_soon(stop_on_signal, group.cancel_scope)
        await run_daemon(p, args)
        group.cancel_scope.cancel()
    print("stopped cleanly")


if __name__ == "__main__":
    anyio.run(main)
