"""What the examples share: where Proton runs, and how progress is printed.

By default each example starts an embedded emulator on a ScaledClock: simulated time
runs hundreds of times faster than real time, so a one-minute deployment takes a
fraction of a second while every timestamp and duration stays realistic. With
``--endpoint-url URL`` it uses a running emulator (``aioproton emulator --port 4566``)
on real time instead, and suffixes the names it creates so that it can run again.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs

from aioproton import ProtonClient, models
from aioproton.clock import Clock, ScaledClock, SystemClock
from aioproton.emulator import Emulator, EmulatorControl, Timings, defaults
from aioproton.workflow import StateChange, Waiter, Waiters

#: How much faster than real time the embedded emulator's clock runs.
SPEED = 600.0
TIMINGS = Timings(deploy_seconds=60.0, register_seconds=10.0)


def parser(description: str | None) -> argparse.ArgumentParser:
    """The example's command line: ``--endpoint-url``, plus what the example adds."""
    parser = argparse.ArgumentParser(description=(description or "").strip().splitlines()[0])
    parser.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="use a running emulator (aioproton emulator) instead of an embedded one",
    )
    return parser


@attrs.frozen
class Proton:
    """An open client, the clock its waits run on, and the emulator's control endpoint."""

    client: ProtonClient
    clock: Clock
    control: EmulatorControl
    embedded: bool
    suffix: str = ""

    def name(self, base: str) -> str:
        """``base``, made unique per run when the emulator outlives the example."""
        return base + self.suffix

    def waiters(self, **options: Any) -> Waiters:
        return Waiters(self.client, clock=self.clock, **options)


@asynccontextmanager
async def proton(
    args: argparse.Namespace, *, timings: Timings = TIMINGS, **emulator: Any
) -> AsyncIterator[Proton]:
    """Proton for the example: embedded (``emulator`` keywords apply) or at ``--endpoint-url``."""
    if args.endpoint_url:
        clock: Clock = SystemClock()
        async with (
            ProtonClient(
                endpoint_url=args.endpoint_url,
                region_name=defaults.DEFAULT_REGION,
                # The key every emulator accepts unless it was started with --auth strict.
                aws_access_key_id=defaults.DEFAULT_ACCESS_KEY_ID,
                aws_secret_access_key=defaults.DEFAULT_SECRET_ACCESS_KEY,
            ) as client,
            EmulatorControl(args.endpoint_url) as control,
        ):
            print(f"using the emulator at {args.endpoint_url}")
            yield Proton(client, clock, control, embedded=False, suffix="-" + secrets.token_hex(2))
        return
    clock = ScaledClock(SPEED)
    async with (
        Emulator(clock=clock, timings=timings, **emulator) as emu,
        emu.client(clock=clock) as client,
        EmulatorControl(emu.endpoint_url) as control,
    ):
        print(f"embedded emulator at {emu.endpoint_url} (simulated time runs {SPEED:g}x)")
        yield Proton(client, clock, control, embedded=True)


def minutes(seconds: float) -> str:
    """A duration as people say it: ``45s``, ``3m05s``."""
    seconds = round(seconds)
    return f"{seconds}s" if seconds < 60 else f"{seconds // 60}m{seconds % 60:02d}s"


def show(change: StateChange[Any], what: str) -> None:
    """One line per state change, with the simulated time since the wait began."""
    note = f"  ({change.message})" if change.message else ""
    print(f"    {minutes(change.elapsed):>6}  {what}  {change.status}{note}")


async def follow(waiter: Waiter[Any], what: str) -> Any:
    """Wait, printing each state change as it happens; the resource in its final state."""
    async for change in waiter.progress():
        show(change, what)
    return waiter.result()


# ---------------------------------------------------------------------- setup steps

ROLE = "arn:aws:iam::123456789012:role/proton-service-role"


def _source(name: str) -> models.TemplateVersionSourceInputDict:
    return {"s3": {"bucket": "my-templates", "key": f"{name}.tar.gz"}}


async def environment_template(p: Proton, name: str) -> None:
    """An environment template with a published version 1.0 (see quickstart.py)."""
    await p.client.create_environment_template(name=name)
    await p.client.create_environment_template_version(template_name=name, source=_source(name))
    await p.waiters().environment_template_version_registered(name, "1", "0", timeout=1800)
    await p.client.update_environment_template_version(
        template_name=name, major_version="1", minor_version="0", status="PUBLISHED"
    )


async def service_template_version(
    p: Proton, name: str, environment_template: str, major: str | None = None
) -> str:
    """A new published version of a service template (a new major unless ``major``)."""
    version = await p.client.create_service_template_version(
        template_name=name,
        major_version=major,
        source=_source(name),
        compatible_environment_templates=[
            {"templateName": environment_template, "majorVersion": "1"}
        ],
    )
    major, minor = version.major_version, version.minor_version
    await p.waiters().service_template_version_registered(name, major, minor, timeout=1800)
    await p.client.update_service_template_version(
        template_name=name, major_version=major, minor_version=minor, status="PUBLISHED"
    )
    return f"{major}.{minor}"


async def environment(p: Proton, name: str, template: str) -> None:
    """An environment on ``template`` 1.x, deployed."""
    await p.client.create_environment(
        name=name,
        template_name=template,
        template_major_version="1",
        spec="proton: EnvironmentSpec\nspec: {}\n",
        proton_service_role_arn=ROLE,
    )
    await p.waiters().environment_deployed(name, timeout=3600)
