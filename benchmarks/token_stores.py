"""Client-token claims per second: PostgreSQL against SQLite, with 1, 2 and 3 processes.

Run ``python benchmarks/token_stores.py`` (``--help`` for the knobs). It starts a
throwaway PostgreSQL (:class:`aioproton.testing.PostgresServer`, with fsync on, as
SQLite's default synchronous=FULL is) and a SQLite file in a temporary directory. Each
configuration (store x number of processes) starts its worker processes, lets each open
its store, then releases them together: every process claims ``--claims`` new keys,
``--concurrency`` at a time. Throughput is all the claims over the time from the first
process's start to the last one's end.

Rounds are paired: every round runs every configuration once, in an order that rotates
from round to round, so a burst of load elsewhere on the machine hits all of them
alike. The table shows each configuration's median over the rounds and its spread
(lowest to highest).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import anyio

from aioproton.testing import PostgresServer
from aioproton.workflow import PostgresTokenStore, SqliteTokenStore, TokenStore

KINDS = ("postgres", "sqlite")


async def worker(kind: str, target: str, claims: int, concurrency: int) -> None:
    """One process: open the store, wait for the go line, claim, print start and end."""
    prefix = uuid.uuid4().hex
    limiter = anyio.Semaphore(concurrency)

    async def claim(store: TokenStore, index: int) -> None:
        async with limiter:
            await store.claim(f"{prefix}/{index}", "fp", time.time())

    async def run(store: TokenStore) -> None:
        await store.claim(f"{prefix}/warm-up", "fp", time.time())
        print("ready", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.readline)
        started = time.time()
        async with anyio.create_task_group() as group:
            for index in range(claims):
                group.start_soon(claim, store, index)
        print(json.dumps([started, time.time()]), flush=True)

    if kind == "postgres":
        async with PostgresTokenStore(target, pool_size=concurrency) as store:
            await run(store)
    else:
        await run(SqliteTokenStore(target))


def measure(kind: str, target: str, processes: int, claims: int, concurrency: int) -> float:
    """Claims per second of ``processes`` workers started together."""
    command = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        target,
        "--claims",
        str(claims),
        "--concurrency",
        str(concurrency),
    ]
    workers = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
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
        spans = []
        for process in workers:
            out, _ = process.communicate(timeout=600)
            spans.append(json.loads(out.strip().splitlines()[-1]))
            if process.returncode != 0:
                raise RuntimeError(f"a {kind} worker failed ({process.returncode})")
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait()
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    return processes * claims / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--claims", type=int, default=500, help="claims per process")
    parser.add_argument("--concurrency", type=int, default=8, help="claims at once per process")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        anyio.run(worker, *args.worker, args.claims, args.concurrency)
        return 0

    configurations = [(kind, n) for kind in KINDS for n in args.processes]
    results: dict[tuple[str, int], list[float]] = {c: [] for c in configurations}
    with PostgresServer.start(durable=True) as server, tempfile.TemporaryDirectory() as directory:
        targets = {"postgres": server.create_database(), "sqlite": str(Path(directory) / "t.db")}
        for round_ in range(args.rounds):
            shift = round_ % len(configurations)
            for kind, n in configurations[shift:] + configurations[:shift]:
                rate = measure(kind, targets[kind], n, args.claims, args.concurrency)
                results[(kind, n)].append(rate)
                print(f"round {round_ + 1}: {kind} x{n}: {rate:.0f} claims/s", file=sys.stderr)

    columns = [f"{n} process" + ("es" if n > 1 else "") for n in args.processes]
    print(f"| store | {' | '.join(columns)} |")
    print(f"| --- | {' | '.join('---' for _ in args.processes)} |")
    for kind in KINDS:
        cells = []
        for n in args.processes:
            rates = results[(kind, n)]
            cells.append(f"{statistics.median(rates):.0f} ({min(rates):.0f}-{max(rates):.0f})")
        print(f"| {kind} | {' | '.join(cells)} |")
    print(
        f"\nclaims/s, median (lowest-highest) of {args.rounds} paired rounds; "
        f"{args.claims} claims per process, {args.concurrency} at once; "
        f"nproc {os.cpu_count()}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
