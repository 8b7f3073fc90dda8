"""``ProtonClient``: one long-lived transport and the one ``_invoke()``.

Every generated operation method funnels into :meth:`ProtonClient._invoke`, which
validates the arguments against the model, fills in the client token once, sends the
request under the client's concurrency limit and retry policy, translates failures
into :mod:`aioproton.errors`, and decodes the result into the generated attrs classes.
Requests go through :mod:`aioproton._transport`, not botocore's pipeline; ``proton.raw``
is a stock aiobotocore client, created on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import anyio
import attrs
import botocore.exceptions
import botocore.parsers
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore import xform_name

from . import _codec, _deprecation, _service_model, _transport
from . import _logfields as F
from ._config import ClientConfig, RetryPolicy
from ._generated.decoders import DECODERS
from ._generated.facts import OPERATIONS
from ._generated.operations import GeneratedOperations
from ._generated.paginators import GeneratedPaginators
from ._lifecycle import AsyncResource
from ._retry import RateLimiter, call_with_retries
from ._validation import validate
from .clock import Clock, SystemClock
from .errors import (
    ClientClosedError,
    ParameterValidationError,
    ProtonResponseError,
    ProtonTimeoutError,
    ThrottlingError,
    translate,
)
from .observe import (
    NO_OBSERVERS,
    AttemptEnded,
    AttemptStarted,
    CallEnded,
    CallStarted,
    Observer,
    Observers,
    RateChanged,
    observers_of,
)

if TYPE_CHECKING:
    # types-aiobotocore's Proton client, where installed (``pip install
    # types-aiobotocore-proton``); without it, ``raw`` is ``Any`` to the type checker.
    from types_aiobotocore_proton.client import ProtonClient as AioProtonClient
else:
    AioProtonClient = Any

__all__ = ["ClientWithOptions", "NotGiven", "ProtonClient"]

logger = logging.getLogger("aioproton.client")

# What the transport raises for a failed call; everything else is a bug and propagates.
_TRANSLATED = (
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    botocore.parsers.ResponseParserError,
    aiohttp.ClientError,
    OSError,
)


class NotGiven(enum.Enum):
    """The type of a ``ProtonClient`` setting that was not given (so ``None`` can mean
    "not set" and stay distinguishable)."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven.NOT_GIVEN


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class ProtonClient(GeneratedOperations, AsyncResource):
    """An async client for every AWS Proton operation.

    Use it as an async context manager; it holds one connection pool for its whole
    life::

        async with ProtonClient(region_name="us-east-1") as proton:
            env = await proton.get_environment(name="prod")

    Results are the generated attrs classes. An output with a single member is returned
    unwrapped (``get_environment`` returns an ``Environment``); a delete whose output
    may be empty returns ``None`` then; outputs with several members (List calls, sync
    status) are returned whole. Leave ``endpoint_url`` unset to talk to AWS; set it to
    an emulator's URL to talk to the emulator. ``clock`` times retry backoff (tests pass
    the emulator's manual clock); ``rate_limiter`` paces every attempt; ``observers``
    (:class:`~aioproton.observe.Observer`) are told about every call, attempt and retry.

    Give either ``config=`` (a :class:`ClientConfig`) or the individual settings, not
    both. ``session=`` is an ``AioSession`` to resolve region, profile and credentials
    from; ``credentials=`` is a botocore credentials object (anything with
    ``get_frozen_credentials()``) to sign with instead of the credential chain.
    Credentials are resolved when the client opens, so a new client sees rotated keys.

    AWS deprecated Proton (every operation is marked so in the model: see
    ``OperationFacts.deprecated``). The first client of a process that opens on an AWS
    endpoint emits one ``DeprecationWarning`` ("AWS Proton is deprecated: ..."); clients
    of an emulator never do.
    """

    def __init__(
        self,
        *,
        region_name: str | NotGiven | None = NOT_GIVEN,
        endpoint_url: str | NotGiven | None = NOT_GIVEN,
        aws_access_key_id: str | NotGiven | None = NOT_GIVEN,
        aws_secret_access_key: str | NotGiven | None = NOT_GIVEN,
        aws_session_token: str | NotGiven | None = NOT_GIVEN,
        profile_name: str | NotGiven | None = NOT_GIVEN,
        max_pool_connections: int | NotGiven = NOT_GIVEN,
        connect_timeout: float | NotGiven = NOT_GIVEN,
        read_timeout: float | NotGiven = NOT_GIVEN,
        retry: RetryPolicy | NotGiven | None = NOT_GIVEN,
        validate: bool | NotGiven = NOT_GIVEN,
        use_fips_endpoint: bool | NotGiven | None = NOT_GIVEN,
        use_dualstack_endpoint: bool | NotGiven | None = NOT_GIVEN,
        verify: bool | str | NotGiven | None = NOT_GIVEN,
        client_cert: str | tuple[str, str] | NotGiven | None = NOT_GIVEN,
        proxies: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        proxies_config: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        config: ClientConfig | None = None,
        clock: Clock | None = None,
        rate_limiter: RateLimiter | None = None,
        session: AioSession | None = None,
        credentials: Any = None,
        observers: Iterable[Observer] | Observers | None = None,
    ) -> None:
        given: dict[str, Any] = {
            name: value
            for name, value in {
                "region_name": region_name,
                "endpoint_url": endpoint_url,
                "aws_access_key_id": aws_access_key_id,
                "aws_secret_access_key": aws_secret_access_key,
                "aws_session_token": aws_session_token,
                "profile_name": profile_name,
                "max_pool_connections": max_pool_connections,
                "connect_timeout": connect_timeout,
                "read_timeout": read_timeout,
                "retry": retry,
                "validate": validate,
                "use_fips_endpoint": use_fips_endpoint,
                "use_dualstack_endpoint": use_dualstack_endpoint,
                "verify": verify,
                "client_cert": client_cert,
                "proxies": proxies,
                "proxies_config": proxies_config,
            }.items()
            if value is not NOT_GIVEN
        }
        if config is not None and given:
            raise TypeError(
                "give either config= or individual settings, not both "
                f"(also given: {', '.join(sorted(given))}); "
                "use attrs.evolve(config, ...) to change a ClientConfig"
            )
        if config is None:
            if given.get("retry", NOT_GIVEN) is None:
                del given["retry"]
            config = ClientConfig(**given)
        if session is not None and config.profile_name is not None:
            raise TypeError("give either session= or profile_name=, not both")
        if credentials is not None and (
            config.aws_access_key_id is not None or config.aws_secret_access_key is not None
        ):
            raise TypeError("give either credentials= or aws_access_key_id=/..., not both")
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.rate_limiter = rate_limiter
        self.observers: Observers = observers_of(observers)
        self._session = session
        self._credentials = credentials
        self._state = _State.UNOPENED
        self._transport: _transport.Transport | None = None
        self._raw: _RawClient | None = None
        self._exit_stack = contextlib.AsyncExitStack()
        self._limiter: asyncio.Semaphore | None = None
        self._in_flight = 0

    # ------------------------------------------------------------------ lifecycle

    async def _enter(self) -> None:
        if self._state is not _State.UNOPENED:
            raise ClientClosedError(
                f"this ProtonClient is {self._state.value}; "
                "create a new one instead of reopening it"
            )
        transport = await _transport.open_transport(self.config, self._session, self._credentials)
        self._exit_stack.push_async_callback(transport.close)
        self._transport = transport
        self._raw = _RawClient(self)
        self._limiter = asyncio.Semaphore(self.config.max_pool_connections)
        self._state = _State.OPEN
        # Three frames up: this hook, AsyncResource.__aenter__, the caller's `async with`.
        _deprecation.warn_if_aws(transport.endpoint.url, stacklevel=3)

    async def aclose(self) -> None:
        """Close the connection pool. Safe to call twice; shielded from cancellation."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        with anyio.CancelScope(shield=True):
            await self._exit_stack.aclose()
        self._transport = None

    @property
    def closed(self) -> bool:
        return self._state is _State.CLOSED

    @property
    def paginate(self) -> GeneratedPaginators:
        """Items and pages of every List call.

        ``async for env in proton.paginate.list_environments(): ...``
        """
        return GeneratedPaginators(self)

    @property
    def raw(self) -> AioProtonClient:
        """A stock aiobotocore client for anything aioproton does not wrap.

        It is created on its first call (``await proton.raw.list_environments()``) with
        this client's settings and closed with this client. Attributes other than
        operation methods (``meta``, ``get_paginator``) need it created first:
        ``await proton.raw_client()`` returns it.
        """
        self._require_open(None)
        return cast("AioProtonClient", self._raw)

    async def raw_client(self) -> AioProtonClient:
        """The aiobotocore client behind :attr:`raw`, created if needed."""
        self._require_open(None)
        assert self._raw is not None
        return cast("AioProtonClient", await self._raw.client())

    @property
    def max_concurrency(self) -> int:
        """How many requests this client lets run at once (its pool size)."""
        return self.config.max_pool_connections

    @property
    def in_flight(self) -> int:
        """Requests currently holding a connection slot."""
        return self._in_flight

    def _require_open(self, operation: str | None) -> _transport.Transport:
        if self._state is _State.OPEN:
            assert self._transport is not None
            return self._transport
        if self._state is _State.UNOPENED:
            message = "open the client first: `async with ProtonClient(...) as proton:`"
        else:
            message = "this ProtonClient is closed; create a new one"
        raise ClientClosedError(message, operation=operation)

    # ------------------------------------------------------------------ the one call path

    def with_options(
        self, *, retry: RetryPolicy | None = None, deadline: float | None = None
    ) -> ProtonClient:
        """This client, with another retry policy or a deadline for each call.

        ``retry`` replaces the client's :class:`RetryPolicy` for the view's calls;
        ``deadline`` (seconds) bounds each whole call, retries included. The view shares
        the connections, limits and clock, and is closed with this client, so views are
        cheap: ``await proton.with_options(deadline=5).get_environment(name="prod")``.
        """
        return ClientWithOptions(self, retry=retry, deadline=deadline)

    async def _invoke(
        self,
        operation: str,
        arguments: dict[str, Any],
        tally: list[int] | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> Any:
        if tally is None and self.observers is not NO_OBSERVERS:
            return await self._observed(operation, arguments, retry)
        facts = OPERATIONS[operation]
        transport = self._require_open(operation)
        params = _codec.encode_arguments(facts.input_shape, arguments)
        if self.config.validate:
            shape = _service_model.operation_model(operation).input_shape
            problems = validate(shape, params)
            if problems:
                rendered = [p.render(xform_name) for p in problems]
                raise ParameterValidationError(
                    "invalid parameters, nothing was sent: " + "; ".join(rendered),
                    operation=operation,
                    problems=rendered,
                )
        if facts.client_token is not None and not params.get(facts.client_token):
            # Generated once per logical call, so every retry carries the same token.
            params[facts.client_token] = str(uuid.uuid4())
        response = await self._send(transport, operation, params, tally, retry)
        return _decode_result(operation, response)

    async def _observed(
        self, operation: str, arguments: dict[str, Any], retry: RetryPolicy | None = None
    ) -> Any:
        """:meth:`_invoke` between ``on_call_start`` and ``on_call_end``."""
        observers = self.observers
        observers.emit(
            "on_call_start", CallStarted(operation=operation, region=self.config.region_name)
        )
        started = time.perf_counter()
        tally = [0]
        error: BaseException | None = None
        try:
            return await self._invoke(operation, arguments, tally, retry=retry)
        except BaseException as exc:
            error = exc
            raise
        finally:
            observers.emit(
                "on_call_end",
                CallEnded(
                    operation=operation,
                    attempts=tally[0],
                    seconds=time.perf_counter() - started,
                    error=error,
                ),
            )

    async def _send(
        self,
        transport: _transport.Transport,
        operation: str,
        params: dict[str, Any],
        tally: list[int] | None,
        retry: RetryPolicy | None = None,
    ) -> Any:
        limiter = self._limiter
        assert limiter is not None
        rate_limiter = self.rate_limiter
        observers = self.observers
        invocation_id = str(uuid.uuid4())
        max_attempts = self.config.retry.max_attempts
        attempts = 0

        async def attempt() -> Any:
            nonlocal attempts
            attempts += 1
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s: attempt %d of %d",
                    operation,
                    attempts,
                    max_attempts,
                    extra={
                        F.OPERATION: operation,
                        F.ATTEMPT: attempts,
                        F.MAX_ATTEMPTS: max_attempts,
                    },
                )
            answered: dict[str, Any] | None = None
            if tally is not None:
                tally[0] = attempts
                answered = {}
                observers.emit(
                    "on_attempt",
                    AttemptStarted(
                        operation=operation, attempt=attempts, max_attempts=max_attempts
                    ),
                )
                started = time.perf_counter()
            if rate_limiter is not None:
                await rate_limiter.acquire()
            try:
                async with limiter:
                    self._in_flight += 1
                    try:
                        response = await transport.send(
                            operation,
                            params,
                            invocation_id=invocation_id,
                            attempt=attempts,
                            max_attempts=max_attempts,
                            answered=answered,
                        )
                    finally:
                        self._in_flight -= 1
            except _TRANSLATED as exc:
                replay_safe = OPERATIONS[operation].replay_safe
                error = translate(exc, operation=operation, replay_safe=replay_safe)
                if rate_limiter is not None:
                    self._feedback(rate_limiter, isinstance(error, ThrottlingError))
                if observers:
                    observers.emit(
                        "on_attempt_end",
                        AttemptEnded(
                            operation=operation,
                            attempt=attempts,
                            seconds=time.perf_counter() - started,
                            request_id=error.request_id,
                            error=error,
                        ),
                    )
                raise error from exc
            if rate_limiter is not None:
                rate_limiter.feedback(throttled=False)
            if answered is not None:
                observers.emit(
                    "on_attempt_end",
                    AttemptEnded(
                        operation=operation,
                        attempt=attempts,
                        seconds=time.perf_counter() - started,
                        request_id=answered.get("request_id"),
                        error=None,
                    ),
                )
            return response

        return await call_with_retries(
            retry or self.config.retry,
            attempt,
            self.clock,
            operation=operation,
            observers=observers,
        )

    def _feedback(self, rate_limiter: RateLimiter, throttled: bool) -> None:
        """Tell the limiter; a rate it lowered is worth a WARNING and an event."""
        before = getattr(rate_limiter, "rate", None)
        rate_limiter.feedback(throttled=throttled)
        after = getattr(rate_limiter, "rate", None)
        if not isinstance(before, (int, float)) or not isinstance(after, (int, float)):
            return
        if after == before:
            return
        if after < before:
            logger.warning(
                "the service throttled: the client's rate limiter slowed from %.2f to %.2f "
                "requests per second",
                before,
                after,
                extra={F.RATE: after, F.PREVIOUS_RATE: before},
            )
        if self.observers:
            event = RateChanged(previous=float(before), rate=float(after), throttled=throttled)
            self.observers.emit("on_rate_change", event)


class _RawClient:
    """``proton.raw``: operation methods that create the aiobotocore client on first use."""

    def __init__(self, owner: ProtonClient) -> None:
        self._owner = owner
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def client(self) -> Any:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self._create()
        return self._client

    async def _create(self) -> Any:
        owner = self._owner
        config = owner.config
        # The caller's session, or one of its own: a shared session caches the
        # credentials it found first, and this client must see rotated keys too.
        session = owner._session or _transport.new_session(config.profile_name)
        transport = owner._require_open(None)
        keys: dict[str, str | None] = {}
        if config.aws_access_key_id is not None:
            keys = {
                "aws_access_key_id": config.aws_access_key_id,
                "aws_secret_access_key": config.aws_secret_access_key,
                "aws_session_token": config.aws_session_token,
            }
        elif owner._credentials is not None:
            # A credentials object cannot be handed to aiobotocore: its current keys are.
            frozen = await transport.credentials.frozen()
            keys = {
                "aws_access_key_id": frozen.access_key,
                "aws_secret_access_key": frozen.secret_key,
                "aws_session_token": frozen.token,
            }
        aio_config = AioConfig(
            max_pool_connections=config.max_pool_connections,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
            user_agent_extra="aioproton",
            use_fips_endpoint=config.use_fips_endpoint,
            use_dualstack_endpoint=config.use_dualstack_endpoint,
            client_cert=config.client_cert,
            proxies=dict(config.proxies) if config.proxies else None,
            proxies_config=dict(config.proxies_config) if config.proxies_config else None,
        )
        creator = session.create_client(
            "proton",
            region_name=transport.endpoint.signing_region,
            endpoint_url=config.endpoint_url,
            verify=config.verify,
            config=aio_config,
            **keys,
        )
        return await owner._exit_stack.enter_async_context(creator)

    def __getattr__(self, name: str) -> Any:
        if self._client is not None:
            return getattr(self._client, name)
        if name in _operation_methods():

            async def call(*args: Any, **kwargs: Any) -> Any:
                client = await self.client()
                return await getattr(client, name)(*args, **kwargs)

            call.__name__ = name
            return call
        raise AttributeError(
            f"proton.raw.{name} needs the aiobotocore client: "
            "`raw = await proton.raw_client()` creates it"
        )


@functools.cache
def _operation_methods() -> frozenset[str]:
    return frozenset(xform_name(name) for name in _service_model.service_model().operation_names)


@functools.cache
def _result_shape(operation: str) -> tuple[str | None, str | None, bool]:
    """(member, shape name, required) of what ``operation`` returns; member None = whole."""
    facts = OPERATIONS[operation]
    output = _service_model.operation_model(operation).output_shape
    if output is None or not output.members:
        return None, None, False
    if facts.result_member is None:
        return None, output.name, True
    member_shape = output.members[facts.result_member]
    return facts.result_member, member_shape.name, facts.result_required


def _decode_result(operation: str, response: Mapping[str, Any]) -> Any:
    member, shape_name, required = _result_shape(operation)
    if shape_name is None:
        return None
    value: Any = response if member is None else response.get(member)
    if value is None:
        if required:
            raise ProtonResponseError(f"the response has no {member!r}", operation=operation)
        return None
    try:
        return DECODERS[shape_name](value, operation)
    except _codec.DecodeError as exc:
        raise ProtonResponseError(str(exc), operation=operation) from exc


class ClientWithOptions(ProtonClient):
    """A :class:`ProtonClient` whose calls use ``retry`` and end by ``deadline``.

    ``retry`` replaces the client's :class:`RetryPolicy` for these calls. ``deadline``
    (seconds) bounds each whole call, retries included: no retry starts after it on
    the client's clock, and a call still running after it in real time is cancelled
    and raises :class:`~aioproton.errors.ProtonTimeoutError`. ``before_attempt``, when
    given, is awaited before every attempt (the retries then run here, one attempt at a
    time, under the same policy): a check that may stop a call before it is sent again.
    """

    def __init__(
        self,
        parent: ProtonClient,
        *,
        retry: RetryPolicy | None = None,
        deadline: float | None = None,
        before_attempt: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if deadline is not None and not (math.isfinite(deadline) and deadline > 0):
            raise ValueError(f"deadline must be positive seconds, not {deadline!r}")
        if isinstance(parent, ClientWithOptions):  # a view of a view keeps what it does not set
            deadline = parent.deadline if deadline is None else deadline
            before_attempt = before_attempt or parent.before_attempt
        base = parent._parent if isinstance(parent, ClientWithOptions) else parent
        policy = retry if retry is not None else parent.config.retry
        if deadline is not None:
            policy = attrs.evolve(policy, max_elapsed=min(policy.max_elapsed, deadline))
        # Not ProtonClient.__init__: the view owns no connections of its own.
        self._parent: ProtonClient = base
        self.config = attrs.evolve(parent.config, retry=policy)
        self.clock = base.clock
        self.rate_limiter = base.rate_limiter
        self.observers: Observers = base.observers
        self.deadline: float | None = deadline
        self.before_attempt: Callable[[], Awaitable[None]] | None = before_attempt

    async def _enter(self) -> None:
        raise ClientClosedError(
            "a client view from with_options() is opened and closed with the client it "
            "came from; use that client's `async with`"
        )

    async def aclose(self) -> None:
        """Nothing to close: the client it came from owns the connections."""

    @property
    def closed(self) -> bool:
        return self._parent.closed

    @property
    def raw(self) -> AioProtonClient:
        return self._parent.raw

    async def raw_client(self) -> AioProtonClient:
        return await self._parent.raw_client()

    @property
    def in_flight(self) -> int:
        return self._parent.in_flight

    def _require_open(self, operation: str | None) -> _transport.Transport:
        return self._parent._require_open(operation)

    async def _invoke(
        self,
        operation: str,
        arguments: dict[str, Any],
        tally: list[int] | None = None,
        *,
        retry: RetryPolicy | None = None,
    ) -> Any:
        policy = retry or self.config.retry
        if self.before_attempt is None:
            call = self._parent._invoke(operation, arguments, tally, retry=policy)
        else:
            call = self._attempts(self.before_attempt, operation, arguments, tally, policy)
        if self.deadline is None:
            return await call
        with anyio.move_on_after(self.deadline) as scope:
            return await call
        assert scope.cancelled_caught
        raise ProtonTimeoutError(
            f"{operation} did not finish within its {self.deadline:g} s deadline (retries "
            "included); raise the deadline given to with_options(), or check the endpoint",
            operation=operation,
        )

    async def _attempts(
        self,
        check: Callable[[], Awaitable[None]],
        operation: str,
        arguments: dict[str, Any],
        tally: list[int] | None,
        policy: RetryPolicy,
    ) -> Any:
        once = attrs.evolve(policy, max_attempts=1)

        async def attempt() -> Any:
            await check()
            return await self._parent._invoke(operation, dict(arguments), tally, retry=once)

        return await call_with_retries(
            policy, attempt, self.clock, operation=operation, observers=self.observers
        )

    def __repr__(self) -> str:
        return f"<ProtonClient view retry={self.config.retry!r} deadline={self.deadline!r}>"
