"""A shared rollout's claim on one item, confirmed before every update request is sent.

A replica may stop for a while anywhere (SIGSTOP, a frozen VM, a long wait for the
rate limiter or between throttling retries); by the time it sends an update, another
replica may have taken the item over. So each attempt of the update first confirms the
claim: when less than half of ``claim_ttl`` is known to be left, the claim is renewed in
the store, and a claim that is gone, or whose renewal was confirmed too late to rely on,
stops the item (:class:`ClaimLost`) before anything is sent. What is left of the claim
(at least half its ttl) covers the time from that check until the request reaches the
service. Nothing on the service side fences a late request, so replicas should also
share a token store: the same update then carries the same client token on every
replica, and the service performs a repeat of it once.
"""

from __future__ import annotations

import logging
import math
import time

import attrs

from .rollout_state import RolloutStateStore

logger: logging.Logger = logging.getLogger("aioproton.workflow.rollout.waves")


class ClaimLost(Exception):
    """Internal: the claim on an item ran out or was taken; another replica handles it."""


@attrs.define(eq=False)
class ItemClaim:
    """This run's claim on one item, and the monotonic time it is known good until."""

    store: RolloutStateStore
    rollout_id: str
    path: str
    holder: str
    ttl: float
    good_until: float = -math.inf

    async def confirm(self) -> None:
        """Raise :class:`ClaimLost` unless at least half the ttl is left (renewing first)."""
        if time.monotonic() < self.good_until - self.ttl / 2:
            return
        sent = time.monotonic()
        if not await self.store.renew_claim(self.rollout_id, self.path, self.holder, self.ttl):
            raise self.lost("it ran out, or another replica has it")
        self.good_until = sent + self.ttl
        if time.monotonic() >= self.good_until - self.ttl / 2:
            # Renewed, but the answer was read late (the process was paused meanwhile):
            # too little of the claim is left to cover the request.
            raise self.lost("its renewal was confirmed too late to rely on")

    def lost(self, reason: str) -> ClaimLost:
        logger.warning(
            "rollout %s: the claim on %s expired before its update was sent (%s); "
            "another replica takes it over",
            self.rollout_id,
            self.path,
            reason,
            extra={
                "rollout": self.rollout_id,
                "item": self.path,
                "holder": self.holder,
                "reason": reason,
            },
        )
        return ClaimLost(f"the claim on {self.path} was lost: {reason}")
