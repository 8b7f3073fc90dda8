"""When a token store forgets old records by itself, so a daemon that runs for weeks need not.

Proton forgets a client token 8 hours after its first use; a record older than that
(plus a margin) can no longer make a resend safe, so keeping it only grows the store.
Each store carries an :class:`AutoPurge` and asks it on every ``claim``: at most once per
``every`` seconds of the caller's clock, it deletes the records claimed more than
``keep`` seconds earlier. Claims carry the caller's clock, so a test on a ManualClock
sees the purge happen when it moves the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import attrs

__all__ = ["SERVICE_TOKEN_LIFETIME", "AutoPurge"]

#: How long Proton remembers a client token (seconds); the same as ``TOKEN_LIFETIME``.
SERVICE_TOKEN_LIFETIME = 8 * 3600.0

logger: logging.Logger = logging.getLogger("aioproton.workflow.purge")


@attrs.define
class AutoPurge:
    """Purges a store at most once per ``every`` seconds, of records older than ``keep``.

    ``keep`` defaults to the token lifetime plus one hour; ``None`` for ``every``
    turns automatic purging off (``purge()`` still works when called).
    """

    keep: float = attrs.field(
        default=SERVICE_TOKEN_LIFETIME + 3600.0,
        validator=attrs.validators.ge(SERVICE_TOKEN_LIFETIME),
    )
    every: float | None = attrs.field(default=3600.0)
    _last: float | None = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        if self.every is not None and self.every <= 0:
            raise ValueError("AutoPurge.every must be positive seconds, or None to turn it off")

    def due(self, now: float) -> bool:
        """Whether a purge is due at ``now``; the first claim of a process always is."""
        if self.every is None:
            return False
        return self._last is None or now - self._last >= self.every or now < self._last

    async def run(self, store: str, now: float, purge: Callable[[float], Awaitable[int]]) -> int:
        """Purge through ``purge(older_than)`` if due; how many records went."""
        if not self.due(now):
            return 0
        self._last = now
        older_than = now - self.keep
        purged = await purge(older_than)
        logger.log(
            logging.INFO if purged else logging.DEBUG,
            "purged %d client-token records older than %.0f s",
            purged,
            self.keep,
            extra={"store": store, "purged": purged, "older_than": older_than, "keep": self.keep},
        )
        return purged
