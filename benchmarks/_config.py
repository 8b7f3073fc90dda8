"""What a run measures and how big: the peers, the emulator's clock and the sizes.

Every figure of the table depends on these numbers, so they live in one place and are
printed with the results. Nothing here imports a client: a worker that measures one
client must not have loaded another.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from aioproton.emulator import ClientSettings

#: Every client in table order. ``floor`` is no client: one aiohttp session sending a
#: request signed in advance and ``json.loads`` of the answer, the least any client can do.
PEERS = ("aioproton", "aiobotocore", "boto3", "capo-proton", "floor")
#: The base of every ratio: stock aiobotocore, what most async users would otherwise use.
BASE = "aiobotocore"

#: Dummy credentials: the emulator accepts any well-formed signature.
ACCESS_KEY_ID = "AKIDBENCHMARK0000000"
SECRET_ACCESS_KEY = "benchmark-secret-access-key"

#: The call fixtures live in one region, the rollout fixtures in another.
MAIN_REGION = "us-east-1"
ROLLOUT_REGION = "us-west-2"

#: What GetEnvironment reads, on the emulator and on the canned-answer server.
ENVIRONMENT = "bench-env"

#: The emulator runs on a scaled clock: a deployment of DEPLOY_SECONDS simulated
#: seconds takes DEPLOY_SECONDS / CLOCK_SPEED real seconds, and so does every
#: waiter delay, so minutes of Proton time fit in a short run.
CLOCK_SPEED = 60.0
DEPLOY_SECONDS = 60.0

#: botocore's Proton waiters poll every 5 s (waiters-2.json); on the scaled clock.
BOTOCORE_WAITER_DELAY = 5.0

#: The most items one Proton List page holds (MaxPageResults).
PAGE_SIZE = 100


@attrs.frozen
class Sizes:
    """How much work each measurement does; ``quick`` is for the harness test.

    Every round measures every client once in a fresh process, next to a fresh
    aiobotocore process; the table reports the median of the per-round ratios.
    """

    rounds: int
    cpu_calls: int
    throughput_calls: int
    concurrency: tuple[int, ...]
    list_items: int
    rollout_services: int
    rollout_instances: int
    rollout_concurrency: int
    quick: bool

    @property
    def rollout_items(self) -> int:
        return self.rollout_services * self.rollout_instances


FULL = Sizes(
    rounds=5,
    cpu_calls=300,
    throughput_calls=600,
    concurrency=(1, 10, 100),
    list_items=10_000,  # ListEnvironments items on the canned-answer server
    rollout_services=10,
    rollout_instances=10,
    rollout_concurrency=20,
    quick=False,
)

QUICK = Sizes(
    rounds=2,
    cpu_calls=20,
    throughput_calls=100,
    concurrency=(1, 10, 100),
    list_items=300,
    rollout_services=2,
    rollout_instances=3,
    rollout_concurrency=3,
    quick=True,
)

_MODULES = {"capo-proton": "capo_proton", "floor": "aiohttp"}


def installed(peer: str) -> bool:
    """Whether the peer's package can be imported here."""
    return importlib.util.find_spec(_MODULES.get(peer, peer)) is not None


def settings(url: str, region: str = MAIN_REGION) -> ClientSettings:
    """Keyword arguments for ``ProtonClient`` (and, renamed, for every peer)."""
    return {
        "endpoint_url": url,
        "region_name": region,
        "aws_access_key_id": ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET_ACCESS_KEY,
    }
