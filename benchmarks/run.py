"""Run every benchmark side by side and print one table of paired ratios to aiobotocore.

    python benchmarks/run.py [--quick] [--rounds N] [--startup-only] [--markdown FILE]
                             [--json FILE]

Two servers, each in its own process on its own core when there are two: the emulator
(filled first, untimed) and a canned-answer server replaying the emulator's answers at
almost no cost, so that client-bound rows measure the client. Every round measures
each client in fresh processes right next to a fresh aiobotocore process, the order
alternating between rounds, and keeps the ratio of each pair; the rollout peers roll a
new template version out to identical fleets the same way. The table reports the median
ratio over rounds and its spread. Progress goes to stderr; stdout carries only the table.
``--startup-only`` measures row 1 alone (start-up and first call), in a minute or so.

aioproton's modules are compiled to bytecode first, as an installed wheel has them:
where ``PYTHONDONTWRITEBYTECODE`` is set, an editable checkout would otherwise be
compiled from source in every fresh process, which row 1 would charge to it alone.
"""

from __future__ import annotations

import argparse
import compileall
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

from benchmarks import _fixtures, _floor, _machine, _waiter
from benchmarks._canned import CannedServer
from benchmarks._config import (
    BASE,
    CLOCK_SPEED,
    DEPLOY_SECONDS,
    ENVIRONMENT,
    FULL,
    MAIN_REGION,
    PEERS,
    QUICK,
    Sizes,
    installed,
    settings,
)
from benchmarks._server import CLIENT_CPUS, SERVER_CPUS, EmulatorProcess, can_pin, pin
from benchmarks._table import Table, rows

ROOT = Path(__file__).resolve().parent.parent
ROLLOUT_PEERS = ("aioproton", BASE)
WORKER_TIMEOUT = 600.0
_STARTED = time.monotonic()


def _progress(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:4.0f} s] {message}", file=sys.stderr, flush=True)


def schedule(peers: Sequence[str], round_: int) -> list[list[str]]:
    """Who runs when in a round: groups of two clients with the base between them.

    Each client sits right next to a base run; odd rounds run everything in reverse,
    so every client alternates between just before and just after its base.
    """
    others = [peer for peer in peers if peer != BASE]
    groups = [[others[i], BASE, *others[i + 1 : i + 2]] for i in range(0, len(others), 2)]
    if round_ % 2:
        return [group[::-1] for group in reversed(groups)]
    return groups


def _subprocess(module: str, job: dict[str, Any]) -> dict[str, Any]:
    """Run one job in a fresh process, pinned to the clients' core."""
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    process = subprocess.Popen(
        [sys.executable, "-m", module, json.dumps(job)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pin(process.pid, CLIENT_CPUS)
    what = f"{job['peer']} {job['kind']}"
    try:
        out, err = process.communicate(timeout=WORKER_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"{what} took over {WORKER_TIMEOUT:g} s") from None
    if process.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


@attrs.frozen
class Servers:
    emulator: str
    canned: str
    floor_request: _floor.Prepared


def _startup(peer: str, servers: Servers) -> dict[str, Any]:
    job = {
        "kind": "startup",
        "peer": peer,
        "settings": settings(servers.canned),
        "environment": ENVIRONMENT,
        "floor_request": servers.floor_request,
    }
    return _subprocess("benchmarks._startup", job)


def _client(peer: str, servers: Servers, sizes: Sizes) -> dict[str, Any]:
    job = {
        "kind": "client",
        "peer": peer,
        "canned": servers.canned,
        "emulator": servers.emulator,
        "cpu_calls": sizes.cpu_calls,
        "throughput_calls": sizes.throughput_calls,
        "concurrency": list(sizes.concurrency),
        "list_items": sizes.list_items,
    }
    return _subprocess("benchmarks._worker", job)


def _record(table: Table, group: Sequence[str], figures: dict[str, dict[str, Any]]) -> None:
    """One group's figures: each client paired with the base run next to it."""
    for key, value in figures[BASE].items():
        table.add(key, BASE, value)
        for peer in group:
            if peer != BASE:
                table.pair(key, peer, figures[peer][key], value)


def _startups(table: Table, servers: Servers, round_: int) -> None:
    for group in schedule(table.peers, round_):
        _progress(f"  {' / '.join(group)}: start-up")
        _record(table, group, {peer: _startup(peer, servers) for peer in group})


def _clients(table: Table, servers: Servers, sizes: Sizes, round_: int) -> None:
    for group in schedule(table.peers, round_):
        _progress(f"  {' / '.join(group)}: start-up, then CPU and throughput")
        _record(table, group, {peer: _startup(peer, servers) for peer in group})
        _record(table, group, {peer: _client(peer, servers, sizes) for peer in group})


def _rollouts(table: Table, emulator: EmulatorProcess, sizes: Sizes, round_: int) -> None:
    minor = round_ + 1
    anyio.run(_fixtures.publish_rollout_version, emulator.url, ROLLOUT_PEERS, minor)
    figures = {}
    order = ROLLOUT_PEERS if round_ % 2 == 0 else ROLLOUT_PEERS[::-1]
    for peer in order:
        _progress(f"  {peer}: rollout of 1.{minor} to {sizes.rollout_items} instances")
        emulator.clear_requests()
        job = {
            "kind": "rollout",
            "peer": peer,
            "url": emulator.url,
            "template": _fixtures.rollout_template(peer),
            "version": f"1.{minor}",
            "concurrency": sizes.rollout_concurrency,
        }
        result = _subprocess("benchmarks._worker", job)
        calls = emulator.request_count()
        figures[peer] = {
            "rollout_rate": result["items"] / result["seconds"],
            "rollout_calls": calls / result["items"],
        }
    _record(table, ROLLOUT_PEERS, figures)


def _mark_unmeasured(table: Table, missing: Sequence[str]) -> None:
    for peer in table.peers:
        if peer not in ROLLOUT_PEERS:
            for key in ("rollout_rate", "rollout_calls"):
                table.mark(key, peer, "the rollout is compared with a raw aiobotocore loop only")
    for peer in missing:
        table.notes.append(f"{peer} is not installed: its column is left out of this run")


STARTUP_NOTE = (
    "row 1: one fresh process per figure, against the canned server; only the standard "
    "library (asyncio included) is imported before the clock starts; creation includes "
    "opening an async client; aioproton's bytecode compiled first, as a wheel has it"
)


def _describe(table: Table, sizes: Sizes) -> None:
    busiest = max(sizes.concurrency)
    ceiling = sizes.rollout_concurrency / (DEPLOY_SECONDS / CLOCK_SPEED)
    table.notes += [
        STARTUP_NOTE,
        f"rows 2-3 against the canned server, row 4 against the emulator: "
        f"{sizes.cpu_calls} sequential calls for CPU per call at c=1, "
        f"{sizes.throughput_calls} calls per throughput figure (c={busiest}'s CPU per call "
        f"is read from that run), {sizes.list_items:,} ListEnvironments items 100 a page; "
        "every client's connection pool is sized to the concurrency; boto3 runs one thread "
        "per concurrent caller, sharing one client",
        "floor: one aiohttp session, a request signed in advance, json.loads of the body",
        f"row 6: {sizes.rollout_items} instances, {sizes.rollout_concurrency} at a time, "
        f"{DEPLOY_SECONDS:g} s deployments on a clock x{CLOCK_SPEED:g}: at most "
        f"{ceiling:g} instances/s; calls counted by the emulator",
    ]


STARTUP_ROWS = ("startup", "startup_cpu", "first_call")


def build_table(sizes: Sizes, *, startup_only: bool = False) -> Table:
    peers = [peer for peer in PEERS if installed(peer)]
    if BASE not in peers:
        raise SystemExit(f"{BASE} is not installed: it is the base of every ratio")
    missing = [peer for peer in PEERS if peer not in peers]
    every_row = rows(sizes.list_items, sizes.concurrency, _waiter.ROWS)
    if startup_only:
        table = Table([row for row in every_row if row.key in STARTUP_ROWS], peers)
        table.notes += [f"{peer} is not installed: its column is left out" for peer in missing]
        return table
    table = Table(every_row, peers)
    _mark_unmeasured(table, missing)
    return table


def compile_bytecode() -> None:
    """aioproton's bytecode, as an installed wheel has it (see the module docstring)."""
    if not compileall.compile_dir(str(ROOT / "aioproton"), quiet=1):
        raise SystemExit("aioproton's modules do not compile")


def run(sizes: Sizes, *, startup_only: bool = False) -> Table:
    table = build_table(sizes, startup_only=startup_only)
    compile_bytecode()
    pin(os.getpid(), CLIENT_CPUS)
    started = time.monotonic()
    with EmulatorProcess() as emulator:
        _progress(f"emulator at {emulator.url}; filling it (untimed)")
        if startup_only:
            anyio.run(_fixtures.fill_main, emulator.url)
        else:
            anyio.run(_fixtures.fill, emulator.url, sizes, ROLLOUT_PEERS)
        bodies = _fixtures.canned_bodies(emulator.url, sizes.list_items)
        with CannedServer(bodies) as canned:
            pin(canned.pid, SERVER_CPUS)
            _progress(f"canned-answer server at {canned.url}")
            request = _floor.get_request(canned.url, MAIN_REGION)
            servers = Servers(emulator.url, canned.url, request)
            for round_ in range(sizes.rounds):
                _progress(f"round {round_ + 1}/{sizes.rounds}")
                if startup_only:
                    _startups(table, servers, round_)
                    continue
                _clients(table, servers, sizes, round_)
                _rollouts(table, emulator, sizes, round_)
    if startup_only:
        table.notes.append(STARTUP_NOTE)
    else:
        if _waiter.available():
            _progress(f"waiters: {_waiter.MODULE}")
            _waiter.fill(table, _subprocess("benchmarks._worker", _waiter.job(sizes)))
        else:
            _waiter.skip(table, f"{_waiter.MODULE} is not available in this checkout yet")
        _describe(table, sizes)
    placement = (
        f"servers on CPU {min(SERVER_CPUS)}, clients on CPU {min(CLIENT_CPUS)}"
        if can_pin()
        else "fewer than two cores: the servers and the clients share them"
    )
    table.notes.append(
        f"{sizes.rounds} paired round(s); {placement}; {time.monotonic() - started:.0f} s in "
        f"all; {_machine.summary()}"
    )
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, two rounds")
    parser.add_argument("--rounds", type=int, help=f"paired rounds (default {FULL.rounds})")
    parser.add_argument(
        "--startup-only", action="store_true", help="row 1 only: start-up and first call"
    )
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
    table = run(sizes, startup_only=args.startup_only)
    print(table.text())
    if args.markdown is not None:
        args.markdown.write_text(table.markdown())
    if args.json is not None:
        args.json.write_text(json.dumps(table.to_json(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
