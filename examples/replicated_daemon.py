"""Replicated daemon: two replicas share one rollout through PostgreSQL; one is killed.

Forty service instances run version 1.0 of a service template; 1.1 is published. Two
replica processes run the same shared ``Rollout`` against one emulator and one
PostgreSQL database: they split the instances between them (each claims items with
``FOR UPDATE SKIP LOCKED``), and when one replica is killed (SIGKILL) mid-run, the
other takes over its items once their claims expire. At the end every instance runs
1.1, with exactly one deployment each.

    python examples/replicated_daemon.py                      # starts a throwaway PostgreSQL
    python examples/replicated_daemon.py --database-url postgresql://app@db/automation
"""

from __future__ import annotations

import collections
import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator

import anyio
import anyio.abc
from _harness import (
    Proton,
    environment,
    environment_template,
    parser,
    proton,
    service_template_version,
)

import aioproton
from aioproton.clock import SystemClock
from aioproton.workflow import (
    FixedDelay,
    Rollout,
    RolloutResult,
    Waiters,
)

SERVICES = 2
INSTANCES = 20
CLAIM_TTL = 2.0


def service_spec(environment: str) -> str:
    instances = "".join(
        f"  - name: i{index:02d}\n    environment: {environment}\n    spec: {{}}\n"
        for index in range(INSTANCES)
    )
    return f"proton: ServiceSpec\ninstances:\n{instances}"


# ---------------------------------------------------------------------- one replica


async def replica(endpoint: str, database: str, template: str, version: str) -> None:
    """What each replica process runs: its share of the rollout, then the report.

    The replicas share the token store as well as the rollout state: an update carries
    the same client token on every replica, so should a replica that lost an item's
    claim still send its update (stopped between its last check and the send), the
    service performs it once. The state store ends a transaction left idle (a stopped
    replica's) well within the claim ttl, so the others can claim its rows.
    """
    from aioproton.workflow import PostgresRolloutStateStore, PostgresTokenStore

    def finished(result: RolloutResult) -> None:
        print(f"finished {result.target.path} {result.status.value}", flush=True)

    async with (
        aioproton.ProtonClient(
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIDEXAMPLE000000000",
            aws_secret_access_key="example-secret",
            clock=SystemClock(),
        ) as client,
        PostgresRolloutStateStore(database, idle_in_transaction_timeout=CLAIM_TTL / 2) as state,
        PostgresTokenStore(database) as tokens,
    ):
        rollout = Rollout(
            client,
            service_template=template,
            version=version,
            concurrency=4,
            state=state,
            store=tokens,
            shared=True,
            claim_ttl=CLAIM_TTL,
            claim_poll=0.05,
            waiters=Waiters(client, schedule=FixedDelay(0.05)),
        )
        report = await rollout.run(on_result=finished)
    print(f"report: {len(report.results)} items, stopped={report.stopped}", flush=True)


# ---------------------------------------------------------------------- the operator


@contextlib.contextmanager
def database(url: str | None) -> Iterator[str]:
    """``url``, or a fresh database on a throwaway PostgreSQL server."""
    if url:
        yield url
        return
    from aioproton.testing import PostgresServer

    with PostgresServer.start() as server:
        print("started a throwaway PostgreSQL server")
        yield server.create_database()


async def run_replicas(p: Proton, endpoint: str, url: str, web: str, version: str) -> None:
    done: dict[int, list[str]] = {0: [], 1: []}
    processes: dict[int, anyio.abc.Process] = {}

    async def one(index: int) -> None:
        command = [sys.executable, __file__, "--replica", endpoint, url, web, version]
        async with await anyio.open_process(command, stderr=subprocess.DEVNULL) as process:
            processes[index] = process
            assert process.stdout is not None
            pending = ""
            async for chunk in process.stdout:
                pending += chunk.decode()
                *lines, pending = pending.split("\n")  # whole lines only
                for line in lines:
                    if line.startswith("finished "):
                        done[index].append(line.split()[1])
                        if index == 0 and len(done[0]) == 5:
                            print("replica 1 finished 5 items: killing it (SIGKILL)")
                            process.send_signal(signal.SIGKILL)
                    elif line.startswith("report: "):
                        print(f"replica {index + 1} {line}")
        code = processes[index].returncode
        print(f"replica {index + 1} exited with {code}")

    async with anyio.create_task_group() as group:
        for index in (0, 1):
            group.start_soon(one, index)
    print(f"replica 1 handled {len(done[0])} items before it was killed")
    print(f"replica 2 handled {len(done[1])} items, taking over the rest")
    overlap = set(done[0]) & set(done[1])
    print(f"items handled by both replicas: {len(overlap)}")


async def scenario(p: Proton, endpoint: str, url: str) -> None:
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
    before: collections.Counter[str] = collections.Counter()
    async for summary in p.client.paginate.list_deployments():
        before[summary.target_arn] += 1
    version = await service_template_version(p, web, base, major="1")
    print(f"{SERVICES * INSTANCES} service instances run {web} 1.0; rolling out {version}")

    await run_replicas(p, endpoint, url, web, version)

    after: collections.Counter[str] = collections.Counter()
    async for summary in p.client.paginate.list_deployments():
        if summary.service_instance_name and summary.service_name in services:
            after[summary.target_arn] += 1
    during = after - before
    on: collections.Counter[str] = collections.Counter()
    async for instance in p.client.paginate.list_service_instances():
        if instance.template_name == web:
            on[f"{instance.template_major_version}.{instance.template_minor_version}"] += 1
    print(f"instances per version: {dict(on)}")
    print(f"deployments per instance during the rollout: {sorted(set(during.values()))}")
    for service in services:
        await p.client.delete_service(name=service)


async def main() -> None:
    if sys.argv[1:2] == ["--replica"]:
        await replica(*sys.argv[2:6])
        return
    options = parser(__doc__)
    options.add_argument("--database-url", metavar="URL", help="an existing PostgreSQL database")
    args = options.parse_args()
    with database(args.database_url) as url:
        async with proton(args) as p:
            endpoint = args.endpoint_url or p.client.config.endpoint_url
            assert endpoint is not None
            await scenario(p, endpoint, url)


if __name__ == "__main__":
    anyio.run(main)
