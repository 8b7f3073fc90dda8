"""Run every benchmark side by side and print one table of ratios to aioproton.

    python benchmarks/run.py [--quick] [--rounds N] [--markdown FILE] [--json FILE]

One emulator process serves the whole run (on its own core when there are two); it is
filled first, untimed. Then, round after round, each client runs its measurements in a
fresh process, in an order that rotates every round, and the rollout peers roll a new
template version out to identical fleets. The table keeps each client's best sample.
Progress goes to stderr; stdout carries only the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import attrs

if __package__ in (None, ""):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _fixtures, _machine, _waiter
from benchmarks._config import (
    CLOCK_SPEED,
    DEPLOY_SECONDS,
    FULL,
    PEERS,
    QUICK,
    Sizes,
    installed,
)
from benchmarks._server import CLIENT_CPUS, SERVER_CPUS, EmulatorProcess, can_pin, pin
from benchmarks._table import Table, rows

ROOT = Path(__file__).resolve().parent.parent
ROLLOUT_PEERS = ("aioproton", "aiobotocore")
WORKER_TIMEOUT = 600.0
_STARTED = time.monotonic()


def _progress(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:4.0f} s] {message}", file=sys.stderr, flush=True)


def _rotated(items: Sequence[str], by: int) -> list[str]:
    shift = by % len(items)
    return [*items[shift:], *items[:shift]]


def _worker(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job in a fresh client process, pinned to the clients' core."""
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._worker", json.dumps(job)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pin(process.pid, CLIENT_CPUS)
    try:
        out, err = process.communicate(timeout=WORKER_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"{job['peer']} {job['kind']} took over {WORKER_TIMEOUT:g} s") from None
    if process.returncode != 0:
        raise RuntimeError(f"{job['peer']} {job['kind']} failed:\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _clients(table: Table, url: str, sizes: Sizes, round_: int) -> None:
    for peer in _rotated(table.peers, round_):
        _progress(f"  {peer}: latency, throughput, pagination")
        result = _worker(
            {
                "kind": "client",
                "peer": peer,
                "url": url,
                "latency_calls": sizes.latency_calls,
                "throughput_calls": sizes.throughput_calls,
                "concurrency": list(sizes.concurrency),
                "list_items": sizes.list_items,
                "repeats": sizes.repeats,
            }
        )
        for key, values in result.items():
            for value in values:
                if key == "page_peak_bytes":
                    table.add("page_peak_kib", peer, value / 1024)
                else:
                    table.add(key, peer, value)


def _rollouts(table: Table, emulator: EmulatorProcess, sizes: Sizes, round_: int) -> None:
    minor = round_ + 1
    anyio.run(_fixtures.publish_rollout_version, emulator.url, ROLLOUT_PEERS, minor)
    for peer in _rotated(ROLLOUT_PEERS, round_):
        _progress(f"  {peer}: rollout of 1.{minor} to {sizes.rollout_items} instances")
        emulator.clear_requests()
        result = _worker(
            {
                "kind": "rollout",
                "peer": peer,
                "url": emulator.url,
                "template": _fixtures.rollout_template(peer),
                "version": f"1.{minor}",
                "concurrency": sizes.rollout_concurrency,
            }
        )
        calls = emulator.request_count()
        table.add("rollout_rate", peer, result["items"] / result["seconds"])
        table.add("rollout_calls", peer, calls / result["items"])


def _mark_unmeasured(table: Table, missing: Sequence[str]) -> None:
    for peer in table.peers:
        if peer not in ROLLOUT_PEERS:
            for key in ("rollout_rate", "rollout_calls"):
                table.mark(key, peer, "the rollout is compared with a raw aiobotocore loop only")
    for peer in missing:
        table.notes.append(f"{peer} is not installed: its column is left out of this run")


def _describe_clients(table: Table, sizes: Sizes) -> None:
    table.notes += [
        f"rows 1-2: {sizes.latency_calls} sequential calls, {sizes.throughput_calls} calls per "
        "throughput sample; every client's connection pool is sized to the concurrency "
        "(botocore's default of 10 would cap boto3 and aiobotocore at concurrency 100); "
        "boto3 runs one thread per concurrent caller, sharing one client",
        f"row 3: {sizes.list_services} services x 20 instances, 100 per page, read one "
        "after the other (so the time includes the emulator's); client CPU and "
        "tracemalloc peak in the client process, memory in a pass of its own",
    ]


def _describe_rollout(table: Table, sizes: Sizes) -> None:
    ceiling = sizes.rollout_concurrency / (DEPLOY_SECONDS / CLOCK_SPEED)
    table.notes += [
        f"row 5: {sizes.rollout_items} instances, {sizes.rollout_concurrency} at a time, "
        f"{DEPLOY_SECONDS:g} s deployments on a clock x{CLOCK_SPEED:g}: at most "
        f"{ceiling:g} instances/s; calls counted by the emulator",
    ]


def build_table(sizes: Sizes) -> Table:
    peers = [peer for peer in PEERS if installed(peer)]
    missing = [peer for peer in PEERS if peer not in peers]
    table = Table(rows(sizes.list_items, sizes.concurrency, _waiter.ROWS), peers)
    _mark_unmeasured(table, missing)
    _describe_clients(table, sizes)
    return table


def run(sizes: Sizes) -> Table:
    table = build_table(sizes)
    pin(os.getpid(), CLIENT_CPUS)
    started = time.monotonic()
    with EmulatorProcess() as emulator:
        _progress(f"emulator at {emulator.url}; filling it (untimed)")
        anyio.run(_fixtures.fill, emulator.url, sizes, ROLLOUT_PEERS)
        for round_ in range(sizes.rounds):
            _progress(f"round {round_ + 1}/{sizes.rounds}")
            _clients(table, emulator.url, sizes, round_)
            _rollouts(table, emulator, sizes, round_)
    if _waiter.available():
        _progress(f"waiters: {_waiter.MODULE}")
        _waiter.fill(table, _worker(_waiter.job(sizes)))
    else:
        _waiter.skip(table, f"{_waiter.MODULE} is not available in this checkout yet")
    _describe_rollout(table, sizes)
    placement = (
        f"emulator on CPU {min(SERVER_CPUS)}, clients on CPU {min(CLIENT_CPUS)}"
        if can_pin()
        else "fewer than two cores: the emulator and the clients share them"
    )
    table.notes.append(
        f"best of {sizes.rounds} round(s), rows 1-3 {sizes.repeats} samples a round; "
        f"{placement}; {time.monotonic() - started:.0f} s in all; {_machine.summary()}"
    )
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--rounds", type=int, help="rounds to keep the best of")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every figure here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.rounds is not None:
        if args.rounds < 1:
            raise SystemExit("--rounds must be at least 1")
        sizes = attrs.evolve(sizes, rounds=args.rounds)
    table = run(sizes)
    print(table.text())
    if args.markdown is not None:
        args.markdown.write_text(table.markdown())
    if args.json is not None:
        args.json.write_text(json.dumps(table.to_json(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
