"""Client CPU per call, observability off vs on, against the code before it existed.

Run ``python benchmarks/observability.py`` (``--help`` for the knobs). One emulator
process serves every measurement; each measurement is a fresh client process that
makes ``--calls`` GetEnvironmentTemplate calls and reports its own CPU time per call
(``time.process_time``: the client's work only, the server runs elsewhere). Three
variants run in every round, in a rotating order, so that each ratio compares
neighbours in time on a shared machine:

- ``baseline``: the package at ``--baseline`` (default: where this branch left ``main``),
  from ``git archive``;
- ``off``: this tree with no log handler, no observer and no tracer installed;
- ``on``: this tree with a DEBUG log handler on ``aioproton`` (discarding), a counting
  observer and :class:`aioproton.otel.TracingObserver` on the OpenTelemetry SDK.

The result is the median over rounds of the paired ratios ``off / baseline`` (the goal:
below 1.02) and ``on / off``. The exit status is 1 if the goal is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VARIANTS = ("baseline", "off", "on")
GOAL = 1.02


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1500, help="calls per measurement")
    parser.add_argument("--rounds", type=int, default=9, help="paired rounds")
    parser.add_argument(
        "--baseline",
        default=None,
        help="git revision to compare with (default: merge-base with main)",
    )
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        import anyio

        print(anyio.run(measure, args.worker, args.url, args.calls))
        return 0
    if args.baseline is None:
        args.baseline = subprocess.run(
            ["git", "merge-base", "HEAD", "main"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(
            ["git", "archive", args.baseline, "aioproton"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        archive_path = Path(tree) / "baseline.tar"
        archive_path.write_bytes(archive)
        with tarfile.open(archive_path) as bundle:
            bundle.extractall(tree, filter="data")
        return compare(args, Path(tree))


def compare(args: argparse.Namespace, baseline: Path) -> int:
    server = subprocess.Popen(
        [sys.executable, "-m", "aioproton.emulator", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        paths = {"baseline": str(baseline), "off": str(ROOT), "on": str(ROOT)}
        cpu: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        for round_ in range(args.rounds):
            order = VARIANTS[round_ % 3 :] + VARIANTS[: round_ % 3]
            for variant in order:
                cpu[variant].append(worker(variant, paths[variant], url, args.calls))
    finally:
        server.terminate()
        server.wait(timeout=10)
    off_vs_base = [o / b for o, b in zip(cpu["off"], cpu["baseline"], strict=True)]
    on_vs_off = [n / o for n, o in zip(cpu["on"], cpu["off"], strict=True)]
    print(f"client CPU per call (median of {args.rounds} rounds, {args.calls} calls each)")
    print(f"  baseline: {args.baseline}")
    for variant in VARIANTS:
        print(f"  {variant:<9} {statistics.median(cpu[variant]):8.1f} us")
    print(f"  off / baseline  {statistics.median(off_vs_base):.3f}  (goal < {GOAL})")
    print(f"  on / off        {statistics.median(on_vs_off):.3f}")
    return 0 if statistics.median(off_vs_base) < GOAL else 1


def worker(variant: str, path: str, url: str, calls: int) -> float:
    env = dict(os.environ, PYTHONPATH=path)
    done = subprocess.run(
        [sys.executable, __file__, "--worker", variant, "--url", url, "--calls", str(calls)],
        env=env,
        cwd=tempfile.gettempdir(),  # so the package comes from PYTHONPATH, not the cwd
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


async def measure(variant: str, url: str, calls: int) -> float:
    """CPU microseconds per call, in this process, after a warm-up."""
    import logging

    from aioproton import ProtonClient
    from aioproton.emulator import defaults

    settings: dict[str, object] = {
        "endpoint_url": url,
        "region_name": defaults.DEFAULT_REGION,
        "aws_access_key_id": defaults.DEFAULT_ACCESS_KEY_ID,
        "aws_secret_access_key": defaults.DEFAULT_SECRET_ACCESS_KEY,
    }
    if variant == "on":
        from opentelemetry.sdk.trace import TracerProvider

        from aioproton import AttemptEnded, Observer
        from aioproton.otel import TracingObserver

        class Count(Observer):
            attempts = 0

            def on_attempt_end(self, event: AttemptEnded) -> None:
                Count.attempts += 1

        class Discard(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                self.format(record)

        logging.getLogger("aioproton").addHandler(Discard())
        logging.getLogger("aioproton").setLevel(logging.DEBUG)
        settings["observers"] = [Count(), TracingObserver(TracerProvider())]
    name = f"bench-{os.getpid()}"
    async with ProtonClient(**settings) as proton:  # type: ignore[arg-type]
        await proton.create_environment_template(name=name)
        for _ in range(50):
            await proton.get_environment_template(name=name)
        started = time.process_time()
        for _ in range(calls):
            await proton.get_environment_template(name=name)
        spent = time.process_time() - started
        await proton.delete_environment_template(name=name)
    return spent / calls * 1e6


if __name__ == "__main__":
    sys.exit(main())
