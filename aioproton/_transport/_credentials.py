"""The credentials a client signs with, and a cheap "not due for refresh yet" check.

botocore's refreshable credentials decide on every ``get_frozen_credentials()`` call
whether a refresh is due by comparing timezone-aware datetimes; here the advisory
refresh moment is computed once per refresh as epoch seconds, and until it passes the
frozen credentials are reused without asking. After it passes, every call asks botocore
(which refreshes, or keeps the old credentials during the advisory window).
"""

from __future__ import annotations

import inspect
import time
from typing import Any, NamedTuple

import botocore.exceptions


class Frozen(NamedTuple):
    access_key: str
    secret_key: str
    token: str | None


class CredentialCache:
    """Wraps a botocore or aiobotocore credentials object (anything with
    ``get_frozen_credentials()``, sync or async), or ``None`` when the chain found
    nothing: then each call raises ``NoCredentialsError``, as botocore's signer does."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self._frozen: Frozen | None = None
        self._fresh_until = 0.0

    async def frozen(self) -> Frozen:
        if self._frozen is not None and time.time() < self._fresh_until:
            return self._frozen
        if self.source is None:
            raise botocore.exceptions.NoCredentialsError()
        value = self.source.get_frozen_credentials()
        if inspect.isawaitable(value):
            value = await value
        frozen = Frozen(value.access_key, value.secret_key, value.token or None)
        self._frozen = frozen
        self._fresh_until = _fresh_until(self.source)
        return frozen


def _fresh_until(source: Any) -> float:
    """When the source next needs asking: never for static credentials, the start of
    the advisory refresh window for refreshable ones, now when that is unknown."""
    if not hasattr(source, "refresh_needed"):
        return float("inf")
    expiry = getattr(source, "_expiry_time", None)
    advisory = getattr(source, "_advisory_refresh_timeout", None)
    if expiry is None or not isinstance(advisory, (int, float)):
        return 0.0
    try:
        return float(expiry.timestamp()) - float(advisory)
    except (AttributeError, TypeError, ValueError, OverflowError):
        return 0.0
