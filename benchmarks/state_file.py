"""Durable emulator: the create rate with a state file, as a share of the rate without.

    python benchmarks/state_file.py [--rounds N] [--creates N] [--concurrency N ...]
                                    [--stored N ...] [--markdown FILE]

For each stored size, two emulator processes (``python -m aioproton.emulator``, one
with ``--state-file``, one in memory) are filled alike, untimed, with that many
environment templates (100 per region, the quota, over as many regions as it takes).
Then, round after round, aioproton creates ``--creates`` more templates in fresh
regions on each of them, one right after the other in an order that alternates every
round, and the round's figure is the paired ratio durable rate / in-memory rate: both
rates of a pair are measured seconds apart, so the machine's load cancels out of it.
The table gives the median ratio over the rounds and its range, and the median rates.

The emulators share one core and the client has the other (when there are two). The
state file lives in the system's temporary directory, on whatever disk that is; every
commit is fsync'd (``synchronous=FULL``). The goal checked at the end: with 10,000
resources stored, durable creates at >= 80 % of the in-memory rate (at the highest
concurrency measured); the exit status is 1 if it is missed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import anyio
import attrs

if __package__ in (None, ""):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aioproton
from benchmarks._config import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from benchmarks._machine import summary
from benchmarks._server import CLIENT_CPUS, SERVER_CPUS, pin

PER_REGION = 100  # the environment-template quota per account and region
GOAL_STORED, GOAL_RATIO = 10_000, 0.80


@attrs.define
class Emulator:
    """One ``python -m aioproton.emulator`` process and what was created on it."""

    name: str
    url: str
    regions: int = 0  # regions used so far ("r0", "r1", ...)


@contextmanager
def emulator(name: str, *args: str) -> Iterator[Emulator]:
    command = [sys.executable, "-m", "aioproton.emulator", "--port", "0", "--log-level", "ERROR"]
    process = subprocess.Popen([*command, *args], stdout=subprocess.PIPE, text=True)
    try:
        pin(process.pid, SERVER_CPUS)
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the {name} emulator did not start")
        yield Emulator(name, url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def client(emu: Emulator, region: str) -> aioproton.ProtonClient:
    return aioproton.ProtonClient(
        endpoint_url=emu.url,
        region_name=region,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        retry=aioproton.RetryPolicy.never(),
        max_pool_connections=64,
    )


async def create(emu: Emulator, count: int, concurrency: int) -> float:
    """Create ``count`` templates in fresh regions, ``concurrency`` at a time; calls/s."""
    regions = [f"r{emu.regions + i}" for i in range(-(-count // PER_REGION))]
    emu.regions += len(regions)
    names = [(regions[i // PER_REGION], f"t{i % PER_REGION}") for i in range(count)]
    limit = anyio.Semaphore(concurrency)
    async with anyio.create_task_group() as opening:
        clients = {region: client(emu, region) for region in regions}
        for proton in clients.values():
            opening.start_soon(proton.__aenter__)
    try:

        async def one(region: str, name: str) -> None:
            async with limit:
                await clients[region].create_environment_template(name=name)

        started = time.perf_counter()
        async with anyio.create_task_group() as tasks:
            for region, name in names:
                tasks.start_soon(one, region, name)
        elapsed = time.perf_counter() - started
    finally:
        with anyio.CancelScope(shield=True):
            for proton in clients.values():
                await proton.__aexit__(None, None, None)
    return count / elapsed


@attrs.define
class Level:
    """The rounds at one stored size and concurrency."""

    stored: int
    concurrency: int
    memory: list[float] = attrs.field(factory=list)
    durable: list[float] = attrs.field(factory=list)

    @property
    def ratios(self) -> list[float]:
        return [d / m for d, m in zip(self.durable, self.memory, strict=True)]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def measure(args: argparse.Namespace) -> list[Level]:
    levels: list[Level] = []
    for stored in args.stored:
        with tempfile.TemporaryDirectory() as folder:
            state = str(Path(folder) / "state.sqlite")
            durable = emulator("durable", "--state-file", state)
            with emulator("in-memory") as memory, durable as disk:
                for emu in (memory, disk):
                    if stored:
                        started = time.perf_counter()
                        await create(emu, stored, 64)
                        took = time.perf_counter() - started
                        progress(f"filled {emu.name} with {stored:,} ({took:.1f} s)")
                for concurrency in args.concurrency:
                    level = Level(stored, concurrency)
                    levels.append(level)
                    for round_ in range(args.rounds):
                        pair = (memory, disk) if round_ % 2 == 0 else (disk, memory)
                        for emu in pair:
                            rate = await create(emu, args.creates, concurrency)
                            (level.memory if emu is memory else level.durable).append(rate)
                        progress(
                            f"stored {stored:,}, concurrency {concurrency}, round {round_ + 1}: "
                            f"{level.memory[-1]:,.0f} in memory, {level.durable[-1]:,.0f} durable "
                            f"creates/s, ratio {level.ratios[-1]:.2f}"
                        )
    return levels


def table(args: argparse.Namespace, levels: Sequence[Level]) -> str:
    lines = [
        "| stored templates | concurrency | in memory, creates/s | durable, creates/s "
        "| durable / in memory, median (range) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for level in levels:
        ratios = level.ratios
        lines.append(
            f"| {level.stored:,} | {level.concurrency} | {statistics.median(level.memory):,.0f} "
            f"| {statistics.median(level.durable):,.0f} | {statistics.median(ratios):.2f} "
            f"({min(ratios):.2f} to {max(ratios):.2f}) |"
        )
    lines += [
        "",
        f"{args.rounds} rounds of {args.creates} creates per emulator; rates and ratios are "
        "medians over the rounds, each ratio paired within its round. "
        "Stored = templates before the first round (each round adds its creates).",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="paired rounds (default 7)")
    parser.add_argument("--creates", type=int, default=500, help="creates per measure (500)")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 16], help="in flight (1 16)"
    )
    parser.add_argument(
        "--stored", type=int, nargs="+", default=[0, GOAL_STORED], help="stored (0 10000)"
    )
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.creates < 1:
        parser.error("--rounds and --creates must be at least 1")
    pin(0, CLIENT_CPUS)
    progress(summary())
    levels = anyio.run(measure, args)
    text = table(args, levels)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    goal = [lv for lv in levels if lv.stored == GOAL_STORED]
    if not goal:
        return 0
    best = max(goal, key=lambda lv: lv.concurrency)
    ratio = statistics.median(best.ratios)
    met = ratio >= GOAL_RATIO
    print(
        f"\ngoal (stored {GOAL_STORED:,}, concurrency {best.concurrency}: durable >= "
        f"{GOAL_RATIO:.0%} of in memory): {ratio:.2f}: {'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
