"""A rollout's update starts per second inside a wave, as a fraction of the allowed rate.

Run ``python benchmarks/rollout_rate.py`` (``--help`` for the knobs). It starts the
emulator in its own process (on the scaled clock of the other benchmarks: a deployment
takes ``DEPLOY_SECONDS / CLOCK_SPEED`` real seconds), a throwaway PostgreSQL
(:class:`aioproton.testing.PostgresServer`, fsync on) and a SQLite file in a temporary
directory, and fills one service template with ``--items`` service instances.

The allowed rate ``R`` (``--rate``, update requests per real second) is the account's
budget for the rollout's updates. One process runs a plain ``Rollout(max_rate=R)``;
``n`` replica processes share one rollout (``Rollout(shared=True, state=...)`` on
PostgreSQL or SQLite) and split the budget and the ``--concurrency``, each with
``max_rate=R/n``, so the ideal is ``R`` whatever ``n``: a store that made replicas wait
for claims, fences or results would show as a fraction below 1. Every measurement
rolls the fleet out to a new minor version in one wave; its processes open their
client and store first and are then released together. The achieved rate is what
the service saw: the successful UpdateServiceInstance requests in the emulator's
request log, ``N - 1`` over the time from the first to the last (``n`` replicas may
each start one at once, so it may exceed ``R`` by up to ``(N - 1) / (N - n)``).

Rounds are paired: every round runs every configuration once, in an order that rotates
from round to round. The table shows each configuration's median fraction over the
rounds and its spread (lowest to highest).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import anyio

if __package__ in (None, ""):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aioproton
from aioproton.testing import PostgresServer
from aioproton.workflow import (
    FixedDelay,
    PostgresRolloutStateStore,
    Rollout,
    RolloutStateStore,
    RolloutStatus,
    SqliteRolloutStateStore,
    Waiters,
)
from benchmarks import _fixtures
from benchmarks._config import CLOCK_SPEED, DEPLOY_SECONDS, ROLLOUT_REGION, settings
from benchmarks._server import EmulatorProcess

TEMPLATE = "bench-rate"
#: Instances per service; ``--items`` is rounded up to whole services.
PER_SERVICE = 10
#: The stores a shared rollout is measured on; "none" is a plain one-process Rollout.
STORES = ("none", "postgres", "sqlite")
#: Waiter polls every 200 ms of real time: a deployment (1 s) is noticed soon after it ends.
POLL = 0.2


async def worker(
    url: str, kind: str, target: str, version: str, rate: float, concurrency: int
) -> None:
    """One process: open client and store, wait for the go line, run, print the report."""
    async with contextlib.AsyncExitStack() as stack:
        proton = await stack.enter_async_context(
            aioproton.ProtonClient(
                **settings(url, ROLLOUT_REGION), max_pool_connections=concurrency
            )
        )
        state: RolloutStateStore | None = None
        if kind == "postgres":
            state = await stack.enter_async_context(PostgresRolloutStateStore(target))
        elif kind == "sqlite":
            state = SqliteRolloutStateStore(target)
        rollout = Rollout(
            proton,
            service_template=TEMPLATE,
            version=version,
            concurrency=concurrency,
            max_rate=rate,
            waiters=Waiters(proton, schedule=FixedDelay(POLL)),
            state=state,
            shared=state is not None,
            claim_poll=POLL,
        )
        await rollout.target_version()
        print("ready", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.readline)
        report = await rollout.run()
    updated = report.count(RolloutStatus.UPDATED)
    print(json.dumps({"ok": report.ok, "updated": updated, "items": len(report.results)}))


def _control(url: str, method: str, path: str) -> object:
    request = urllib.request.Request(f"{url}/_emulator/{path}", method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def measure(
    url: str, kind: str, target: str, replicas: int, version: str, args: argparse.Namespace
) -> float:
    """Achieved update starts per real second, over the allowed rate."""
    command = [
        sys.executable,
        __file__,
        "--worker",
        url,
        kind,
        target,
        version,
        "--rate",
        str(args.rate / replicas),
        "--concurrency",
        str(-(-args.concurrency // replicas)),
    ]
    _control(url, "DELETE", "requests")
    workers = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(replicas)
    ]
    try:
        for process in workers:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a {kind} worker did not start")
        for process in workers:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in workers:
            out, _ = process.communicate(timeout=600)
            if process.returncode != 0:
                raise RuntimeError(f"a {kind} worker failed ({process.returncode})")
            report = json.loads(out.strip().splitlines()[-1])
            if not report["ok"] or report["updated"] != report["items"]:
                raise RuntimeError(f"the rollout did not update every item: {report}")
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait()
    log = _control(url, "GET", "requests")
    assert isinstance(log, dict)
    times = sorted(
        record["time"]
        for record in log["requests"]
        if record["operation"] == "UpdateServiceInstance" and record["status"] == 200
    )
    if len(times) != args.services * PER_SERVICE:
        raise RuntimeError(f"expected one update per item, the service saw {len(times)}")
    seconds = (times[-1] - times[0]) / CLOCK_SPEED  # the emulator's clock is scaled
    return (len(times) - 1) / seconds / args.rate


async def fill(url: str, services: int) -> None:
    async with aioproton.ProtonClient(**settings(url, ROLLOUT_REGION)) as proton:
        await _fixtures._environment(proton)
        await _fixtures._services(proton, TEMPLATE, "rate-", services, PER_SERVICE)


async def publish(url: str, minor: int) -> None:
    async with aioproton.ProtonClient(**settings(url, ROLLOUT_REGION)) as proton:
        await _fixtures._published(proton, "service", TEMPLATE, minor)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--items", type=int, default=150, help="service instances")
    parser.add_argument("--rate", type=float, default=20.0, help="allowed updates/s (R)")
    parser.add_argument(
        "--concurrency", type=int, default=60, help="items at once, split between replicas"
    )
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--stores", nargs="*", choices=STORES[1:], default=list(STORES[1:]))
    parser.add_argument("--worker", nargs=4, metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        anyio.run(worker, *args.worker, args.rate, args.concurrency)
        return 0
    args.services = -(-args.items // PER_SERVICE)

    configurations = [("none", 1)] if 1 in args.replicas else []
    configurations += [(kind, n) for kind in args.stores for n in args.replicas]
    results: dict[tuple[str, int], list[float]] = {c: [] for c in configurations}
    with contextlib.ExitStack() as stack:
        emulator = stack.enter_context(EmulatorProcess())
        directory = stack.enter_context(tempfile.TemporaryDirectory())
        targets = {"none": "-", "sqlite": str(Path(directory) / "rollouts.db")}
        if "postgres" in args.stores:
            server = stack.enter_context(PostgresServer.start(durable=True))
            targets["postgres"] = server.create_database()
        anyio.run(fill, emulator.url, args.services)
        minor = 0
        for round_ in range(args.rounds):
            shift = round_ % len(configurations)
            for kind, n in configurations[shift:] + configurations[:shift]:
                minor += 1
                anyio.run(publish, emulator.url, minor)
                version = f"1.{minor}"
                ratio = measure(emulator.url, kind, targets[kind], n, version, args)
                results[(kind, n)].append(ratio)
                print(
                    f"round {round_ + 1}: {kind} x{n}: {ratio * args.rate:.2f} updates/s "
                    f"= {ratio:.3f} of {args.rate:g}/s",
                    file=sys.stderr,
                )

    def cell(ratios: list[float]) -> str:
        return f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})"

    columns = [f"{n} replica" + ("s" if n > 1 else "") for n in args.replicas]
    print(f"| state store | {' | '.join(columns)} |")
    print(f"| --- | {' | '.join('---' for _ in args.replicas)} |")
    if ("none", 1) in results:
        single = [cell(results[("none", 1)]) if n == 1 else "" for n in args.replicas]
        print(f"| none (one process) | {' | '.join(single)} |")
    for kind in args.stores:
        cells = [cell(results[(kind, n)]) for n in args.replicas]
        print(f"| {kind} | {' | '.join(cells)} |")
    print(
        f"\nupdate starts per second over the allowed rate R = {args.rate:g}/s, median "
        f"(lowest-highest) of {args.rounds} paired rounds; {args.services * PER_SERVICE} "
        f"service instances in one wave, {args.concurrency} at once (split between "
        f"replicas), max_rate R/n per replica; deployments {DEPLOY_SECONDS / CLOCK_SPEED:g} s; "
        f"nproc {os.cpu_count()}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
