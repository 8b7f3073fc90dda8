"""What a run measures and how big: the peers, the emulator's clock and the sizes.

Every figure of the table depends on these numbers, so they live in one place and are
printed with the results.
"""

from __future__ import annotations

import importlib.util

import attrs

#: Every client in table order; aioproton first, as the base of every ratio.
PEERS = ("aioproton", "aiobotocore", "boto3", "capo-proton")
BASE = PEERS[0]

#: Dummy credentials: the emulator accepts any well-formed signature.
ACCESS_KEY_ID = "AKIDBENCHMARK0000000"
SECRET_ACCESS_KEY = "benchmark-secret-access-key"

#: The call, list and waiter fixtures live in one region, the rollout fixtures in
#: another, so that the rollout's instances never show up in the 10,000-item listing.
MAIN_REGION = "us-east-1"
ROLLOUT_REGION = "us-west-2"

#: The emulator runs on a scaled clock: a deployment of DEPLOY_SECONDS simulated
#: seconds takes DEPLOY_SECONDS / CLOCK_SPEED real seconds, and so does every
#: waiter delay, so minutes of Proton time fit in a short run.
CLOCK_SPEED = 60.0
DEPLOY_SECONDS = 60.0

#: botocore's Proton waiters poll every 5 s (waiters-2.json); on the scaled clock.
BOTOCORE_WAITER_DELAY = 5.0

#: The most items one Proton List page holds (MaxPageResults).
PAGE_SIZE = 100
INSTANCES_PER_SERVICE = 20  # the service quota


@attrs.frozen
class Sizes:
    """How much work each measurement does; ``quick`` is for the harness test.

    Each round runs every client in a fresh process, which repeats its latency,
    throughput and listing-time measurements ``repeats`` times and pages through the
    listing once more for memory; the table keeps each client's best sample.
    """

    rounds: int
    repeats: int
    latency_calls: int
    throughput_calls: int
    concurrency: tuple[int, ...]
    list_services: int
    rollout_services: int
    rollout_instances: int
    rollout_concurrency: int
    quick: bool

    @property
    def list_items(self) -> int:
        return self.list_services * INSTANCES_PER_SERVICE

    @property
    def rollout_items(self) -> int:
        return self.rollout_services * self.rollout_instances


FULL = Sizes(
    rounds=3,
    repeats=2,
    latency_calls=300,
    throughput_calls=800,
    concurrency=(1, 10, 100),
    list_services=500,  # x 20 instances = 10,000 ListServiceInstances items
    rollout_services=10,
    rollout_instances=10,
    rollout_concurrency=20,
    quick=False,
)

QUICK = Sizes(
    rounds=1,
    repeats=1,
    latency_calls=40,
    throughput_calls=200,
    concurrency=(1, 10, 100),
    list_services=10,
    rollout_services=2,
    rollout_instances=5,
    rollout_concurrency=5,
    quick=True,
)


def installed(peer: str) -> bool:
    """Whether the peer's package can be imported here."""
    module = {"aioproton": "aioproton", "aiobotocore": "aiobotocore", "boto3": "boto3"}.get(
        peer, "capo_proton"
    )
    return importlib.util.find_spec(module) is not None
