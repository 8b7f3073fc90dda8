"""A replica that holds a lease and writes under it until it loses it (run by the tests).

``python lease_holder.py KIND TARGET NAME TTL OUTPUT``: KIND is ``sqlite`` or ``postgres``,
TARGET the file or URL. Every 50 ms it checks the fence, then appends
``<fencing token> <n>`` to OUTPUT. Exits 3 once the lease is lost.
"""

from __future__ import annotations

import sys

import anyio

from aioproton.workflow import LeaseLostError, PostgresLeaseStore, SqliteLeaseStore


def append(output: str, line: str) -> None:
    """Right after the fence check, with no await in between (a plain blocking write)."""
    with open(output, "a", encoding="utf-8") as file:
        file.write(line + "\n")


async def main(kind: str, target: str, name: str, ttl: float, output: str) -> int:
    store = SqliteLeaseStore(target) if kind == "sqlite" else PostgresLeaseStore(target)
    try:
        async with store.hold(name, ttl=ttl) as lease:
            for count in range(1_000_000):
                await lease.check()
                append(output, f"{lease.fencing_token} {count}")
                await anyio.sleep(0.05)
    except LeaseLostError:
        append(output, "lost")
        return 3
    return 0


if __name__ == "__main__":
    kind, target, name, ttl, output = sys.argv[1:]
    sys.exit(anyio.run(main, kind, target, name, float(ttl), output))
