"""Client configuration: frozen, validated once, shared by every call."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import attrs

from ._backoff import Backoff, exponential


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, got {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How aioproton retries one logical call.

    botocore's own retries are switched off, so these are the only attempts made.
    A failure is retried only when ``ProtonError.retry_safe`` says a second attempt
    cannot cause a second effect (see :mod:`aioproton.errors`). The wait after the
    ``n``-th failed attempt is drawn uniformly between 0 and
    ``min(max_delay, initial_delay * 2 ** (n - 1))`` (exponential backoff with full
    jitter, from ``rng``: pass a seeded ``random.Random`` to replay it); the call gives
    up after ``max_attempts`` attempts or ``max_elapsed`` seconds, whichever comes first.
    """

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    initial_delay: float = attrs.field(default=0.1, validator=_positive)
    max_delay: float = attrs.field(default=20.0, validator=_positive)
    max_elapsed: float = attrs.field(default=120.0, validator=_positive)
    rng: random.Random | None = attrs.field(
        default=None,
        eq=False,
        repr=False,
        validator=attrs.validators.optional(attrs.validators.instance_of(random.Random)),
    )

    @property
    def backoff(self) -> Backoff:
        """The wait after each failed attempt (see the class docstring)."""
        return exponential(self.initial_delay).capped(self.max_delay).jitter()

    @classmethod
    def never(cls) -> RetryPolicy:
        """A single attempt: errors reach the caller unchanged."""
        return cls(max_attempts=1)


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Everything a :class:`~aioproton.ProtonClient` needs to know before it opens.

    ``max_pool_connections`` is both the HTTP connection pool size and the number of
    requests the client lets run at once: callers beyond it wait inside aioproton
    (visibly, in ``ProtonClient.in_flight``) instead of queueing silently in the
    HTTP library with their timeouts running. botocore's default pool of 10 is too small
    for the bulk workloads aioproton is built for, hence the larger default.

    Settings left ``None`` come from where botocore finds them (environment, profile):
    the region, ``use_fips_endpoint``/``use_dualstack_endpoint``, ``verify`` (the CA
    bundle: ``AWS_CA_BUNDLE`` or ``ca_bundle``), and proxies (``HTTPS_PROXY``,
    ``HTTP_PROXY``, ``NO_PROXY``). ``proxies``, ``proxies_config`` and ``client_cert``
    mean what they mean in ``botocore.config.Config``.
    """

    region_name: str | None = None
    endpoint_url: str | None = None
    aws_access_key_id: str | None = attrs.field(default=None, repr=False)
    aws_secret_access_key: str | None = attrs.field(default=None, repr=False)
    aws_session_token: str | None = attrs.field(default=None, repr=False)
    profile_name: str | None = None
    max_pool_connections: int = attrs.field(default=64, validator=attrs.validators.ge(1))
    connect_timeout: float = attrs.field(default=10.0, validator=_positive)
    read_timeout: float = attrs.field(default=60.0, validator=_positive)
    retry: RetryPolicy = RetryPolicy()
    validate: bool = True
    use_fips_endpoint: bool | None = None
    use_dualstack_endpoint: bool | None = None
    verify: bool | str | None = None
    client_cert: str | tuple[str, str] | None = None
    proxies: Mapping[str, str] | None = None
    proxies_config: Mapping[str, Any] | None = None
