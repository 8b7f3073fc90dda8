"""How late each waiting strategy notices a finished deployment, and how many calls it makes.

Run ``python benchmarks/waiter_lag.py`` (``--help`` for the knobs). On an in-process
emulator, ``--count`` environments each get earlier deployments (their history), then
one more deployment each, with durations spread evenly from 5 seconds to 10 minutes
(every deployment of a resource varies by ``--jitter`` around that resource's duration).
Three waiters watch every measured deployment at the same time, against the same
emulator:

- ``botocore fixed 5 s``: botocore's EnvironmentDeployed waiter (a poll every 5 s);
- ``JS/Go SDK backoff``: the AWS SDKs for JavaScript v3 and Go v2 (exponential with
  jitter from 5 s up to a 4999 s maximum delay);
- ``aioproton history``: aioproton's default deployment waiter, which reads the
  resource's earlier deployments (one ListDeployments call, counted) and polls densely
  only around the time they ended.

Lag is the clock time between the deployment's ``completedAt`` and the waiter's return.
Time is simulated: the emulator and the waiters share one ScaledClock (``--speed``
times real time), so ten minutes pass in seconds and every poll really crosses HTTP.
The history is built by jumping that clock forward between deployments (the lifecycles
are lazy, so each earlier deployment still ends exactly on schedule); during the
measured deployments the clock only runs.

The goal checked at the end: aioproton's p95 lag no worse than the fixed 5-second
waiter's, with at most half its calls. The exit status is 1 if it is missed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections.abc import Sequence

import anyio
import attrs

import aioproton
from aioproton import models
from aioproton.clock import ScaledClock
from aioproton.emulator import Emulator
from aioproton.emulator.backend import Quotas, Timings
from aioproton.workflow import FixedDelay, PollSchedule, SdkBackoff, Waiters

SHORTEST, LONGEST = 5.0, 600.0
ROLE = "arn:aws:iam::123456789012:role/proton-service"
SPEC = "proton: EnvironmentSpec\nspec: {}\n"


class WarpClock:
    """A ScaledClock that can also jump forward, to lay down history without waiting."""

    def __init__(self, base: ScaledClock) -> None:
        self.base = base
        self.offset = 0.0

    def now(self) -> float:
        return self.base.now() + self.offset

    async def sleep(self, seconds: float) -> None:
        await self.base.sleep(seconds)

    def warp(self, seconds: float) -> None:
        self.offset += seconds


@attrs.frozen
class Strategy:
    name: str
    schedule: PollSchedule | None  # None: aioproton's default (history-aware)


STRATEGIES = (
    Strategy("botocore fixed 5 s", FixedDelay(5.0)),
    Strategy("JS/Go SDK backoff 5..4999 s", SdkBackoff(min_delay=5.0, max_delay=4999.0)),
    Strategy("aioproton history-aware", None),
)


@attrs.define
class Observed:
    polls: list[int] = attrs.field(factory=list)
    lags: list[float] = attrs.field(factory=list)
    other_calls: int = 0


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def lay_down_history(
    proton: aioproton.ProtonClient,
    emulator: Emulator,
    clock: WarpClock,
    names: list[str],
    bases: list[float],
    rounds: int,
    jitter: float,
    rng: random.Random,
) -> None:
    """Create every environment, then redeploy it ``rounds - 1`` times, warping time."""
    for round_number in range(rounds):
        for name, base in zip(names, bases, strict=True):
            seconds = base * (1 + rng.uniform(-jitter, jitter))
            emulator.script(f"environment/{name}", action="deploy", seconds=seconds)
            if round_number == 0:
                await proton.create_environment(
                    name=name,
                    template_name="base",
                    template_major_version="1",
                    spec=SPEC,
                    proton_service_role_arn=ROLE,
                )
            else:
                await proton.update_environment(name=name, deployment_type="CURRENT_VERSION")
        clock.warp(LONGEST * (1 + jitter) * 2)
        await proton.list_environments()  # let the emulator apply the completions


async def measure(args: argparse.Namespace) -> dict[str, Observed]:
    rng = random.Random(args.seed)
    clock = WarpClock(ScaledClock(args.speed))
    count = args.count
    names = [f"bench-{index}" for index in range(count)]
    bases = [SHORTEST + (LONGEST - SHORTEST) * index / max(1, count - 1) for index in range(count)]
    observed = {strategy.name: Observed() for strategy in STRATEGIES}
    async with Emulator(clock=clock, timings=Timings(deploy_seconds=1.0)) as emulator:
        emulator.backend.quotas = Quotas(environments=count + 10)
        async with aioproton.ProtonClient(
            **emulator.client_settings, max_pool_connections=256, clock=clock
        ) as proton:
            await proton.create_environment_template(name="base")
            await proton.create_environment_template_version(
                template_name="base",
                source=models.TemplateVersionSourceInputS3(
                    value=models.S3ObjectSource(bucket="bundles", key="base.tar.gz")
                ),
            )
            clock.warp(60)
            await proton.update_environment_template_version(
                template_name="base", major_version="1", minor_version="0", status="PUBLISHED"
            )
            await lay_down_history(
                proton, emulator, clock, names, bases, args.history + 1, args.jitter, rng
            )
            durations = [base * (1 + rng.uniform(-args.jitter, args.jitter)) for base in bases]
            lists_before = emulator.requests.count(operation="ListDeployments")
            waiters = {
                strategy.name: Waiters(
                    proton,
                    clock=clock,
                    schedule=strategy.schedule,
                    history=strategy.schedule is None,
                    seed=args.seed,
                )
                for strategy in STRATEGIES
            }
            deployment_ids: dict[str, str] = {}
            returned: dict[tuple[str, str], float] = {}

            async def watch(strategy: Strategy, name: str) -> None:
                waiter = waiters[strategy.name].environment_deployed(name, timeout=10 * LONGEST)
                await waiter
                returned[strategy.name, name] = clock.now()
                observed[strategy.name].polls.append(waiter.attempts)

            async def deploy(name: str, seconds: float) -> None:
                emulator.script(f"environment/{name}", action="deploy", seconds=seconds)
                env = await proton.update_environment(name=name, deployment_type="CURRENT_VERSION")
                assert env.last_attempted_deployment_id is not None
                deployment_ids[name] = env.last_attempted_deployment_id
                async with anyio.create_task_group() as group:
                    for strategy in STRATEGIES:
                        group.start_soon(watch, strategy, name)

            async with anyio.create_task_group() as group:
                for name, seconds in zip(names, durations, strict=True):
                    group.start_soon(deploy, name, seconds)

            history_calls = emulator.requests.count(operation="ListDeployments") - lists_before
            observed[STRATEGIES[-1].name].other_calls = history_calls
            for name, deployment_id in deployment_ids.items():
                record = await proton.get_deployment(id=deployment_id)
                assert record.completed_at is not None
                completed = record.completed_at.timestamp()
                for strategy in STRATEGIES:
                    lag = returned[strategy.name, name] - completed
                    observed[strategy.name].lags.append(lag)
    return observed


def report(args: argparse.Namespace, observed: dict[str, Observed]) -> bool:
    baseline = observed[STRATEGIES[0].name]
    base_calls = sum(baseline.polls) + baseline.other_calls
    base_p50 = statistics.median(baseline.lags)
    base_p95 = percentile(baseline.lags, 0.95)
    base_max = max(baseline.lags)
    print(
        f"waiter lag: {args.count} concurrent deployments of {SHORTEST:g} s..{LONGEST / 60:g} min "
        f"(±{args.jitter:.0%}), {args.history + 1} earlier deployments each, "
        f"clock x{args.speed:g}, seed {args.seed}"
    )
    header = (
        f"{'strategy':<30} {'Get':>6} {'List':>5} {'calls':>6} {'p50 s':>8} {'p95 s':>8} "
        f"{'max s':>8} | {'calls':>6} {'p50':>6} {'p95':>6} {'max':>6}  (x fixed 5 s)"
    )
    print(header)
    print("-" * len(header))
    for strategy in STRATEGIES:
        seen = observed[strategy.name]
        calls = sum(seen.polls) + seen.other_calls
        p50, p95, top = statistics.median(seen.lags), percentile(seen.lags, 0.95), max(seen.lags)
        print(
            f"{strategy.name:<30} {sum(seen.polls):>6} {seen.other_calls:>5} {calls:>6} "
            f"{p50:>8.2f} {p95:>8.2f} {top:>8.2f} | {calls / base_calls:>6.2f} "
            f"{p50 / base_p50:>6.2f} {p95 / base_p95:>6.2f} {top / base_max:>6.2f}"
        )
    ours = observed[STRATEGIES[-1].name]
    calls_ratio = (sum(ours.polls) + ours.other_calls) / base_calls
    p95_ratio = percentile(ours.lags, 0.95) / base_p95
    met = calls_ratio <= 0.5 and p95_ratio <= 1.0
    print(
        f"goal (aioproton p95 lag <= fixed 5 s, calls <= 0.5 x): p95 x{p95_ratio:.2f}, "
        f"calls x{calls_ratio:.2f}: {'met' if met else 'MISSED'}"
    )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100, help="deployments (default 100)")
    parser.add_argument("--speed", type=float, default=20.0, help="clock speed (default 20)")
    parser.add_argument(
        "--jitter", type=float, default=0.1, help="spread of one resource's durations (0.1)"
    )
    parser.add_argument("--history", type=int, default=2, help="earlier updates (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    observed = anyio.run(measure, args)
    return 0 if report(args, observed) else 1


if __name__ == "__main__":
    sys.exit(main())
