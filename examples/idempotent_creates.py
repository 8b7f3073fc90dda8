"""Idempotent creates: one resource per logical create, whatever the network does.

The emulator throttles some create requests, answers 500 to others, and performs some
before dropping the connection, so the client cannot tell whether they happened.
``IdempotentCalls`` with a durable token store retries each logical create until it is
known to have happened, exactly once. A second "process" sharing the token store then
repeats every create and gets the same resources back.

    python examples/idempotent_creates.py
"""

from __future__ import annotations

import collections
import tempfile
from pathlib import Path

import anyio
from _harness import Proton, parser, proton

from aioproton.emulator import FaultSettings
from aioproton.workflow import IdempotentCalls, SqliteTokenStore

CREATES = ("CreateEnvironmentTemplate", "CreateEnvironmentTemplateVersion")
FAULTS = FaultSettings(
    throttle_rate=0.2, error_rate=0.15, drop_rate=0.25, operations=CREATES, seed=7
)
TEMPLATES = 4


async def create_all(p: Proton, calls: IdempotentCalls, names: list[str]) -> None:
    """Each template, then its first version: two logical creates per name."""
    for name in names:
        # Name-keyed: an identical repeat returns the template that exists.
        await calls.call(
            f"bootstrap/{name}/template", p.client.create_environment_template, name=name
        )
        # Client-token: the store keeps one token per key, across attempts and restarts.
        version = await calls.call(
            f"bootstrap/{name}/version-1",
            p.client.create_environment_template_version,
            template_name=name,
            description="first version",
            source={"s3": {"bucket": "my-templates", "key": f"{name}.tar.gz"}},
        )
        print(f"    {name}: template and version {version.major_version}.{version.minor_version}")


async def count(p: Proton, names: list[str]) -> tuple[int, int]:
    """Templates and template versions that exist for ``names``."""
    templates = versions = 0
    for name in names:
        await p.client.get_environment_template(name=name)
        templates += 1
        listing = p.client.paginate.list_environment_template_versions(template_name=name)
        versions += len([version async for version in listing])
    return templates, versions


async def scenario(p: Proton, store_path: Path) -> None:
    names = [p.name(f"base-{index}") for index in range(1, TEMPLATES + 1)]
    await p.control.set_faults(FAULTS)
    await p.control.clear_requests()
    print(
        f"faults on {' and '.join(CREATES)}: {FAULTS.throttle_rate:.0%} throttled, "
        f"{FAULTS.error_rate:.0%} answered 500, {FAULTS.drop_rate:.0%} performed then dropped"
    )
    try:
        print(f"creating {TEMPLATES} environment templates, each with a first version:")
        calls = IdempotentCalls(store=SqliteTokenStore(store_path), clock=p.clock)
        await create_all(p, calls, names)

        records = [r for r in await p.control.requests() if r.operation in CREATES]
        faults = collections.Counter(r.fault for r in records if r.fault)
        print(
            f"the emulator saw {len(records)} create requests for {2 * TEMPLATES} logical "
            f"creates: {faults['throttle']} throttled, {faults['error']} answered 500, "
            f"{faults['drop']} performed but their answer dropped"
        )
        templates, versions = await count(p, names)
        print(f"result: {templates} templates and {versions} versions, one per logical create")
        assert (templates, versions) == (TEMPLATES, TEMPLATES), "a create happened twice"

        print("restart: a new process with the same token store repeats every create")
        await p.control.clear_requests()
        again = IdempotentCalls(store=SqliteTokenStore(store_path), clock=p.clock)
        await create_all(p, again, names)
        templates, versions = await count(p, names)
        print(f"result: still {templates} templates and {versions} versions")
        assert (templates, versions) == (TEMPLATES, TEMPLATES), "a repeat created a resource"
    finally:
        await p.control.clear_faults()


async def main() -> None:
    args = parser(__doc__).parse_args()
    with tempfile.TemporaryDirectory() as folder:
        async with proton(args) as p:
            await scenario(p, Path(folder) / "tokens.db")


if __name__ == "__main__":
    anyio.run(main)
