"""``ProtonClient``: one long-lived aiobotocore client and the one ``_invoke()``.

Every generated operation method funnels into :meth:`ProtonClient._invoke`, which
validates the arguments against the model, fills in the client token once, sends the
request under the client's concurrency limit and retry policy, translates failures
into :mod:`aioproton.errors`, and decodes the result into the generated attrs classes.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import threading
import uuid
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import aiohttp
import anyio
import botocore.exceptions
import botocore.parsers
from aiobotocore.config import AioConfig
from aiobotocore.parsers import AioJSONParser, AioResponseParserFactory
from aiobotocore.session import AioSession, get_session
from botocore import xform_name

from . import _codec, _service_model
from ._config import ClientConfig, RetryPolicy
from ._generated.facts import OPERATIONS
from ._generated.operations import GeneratedOperations
from ._generated.paginators import GeneratedPaginators
from ._retry import RateLimiter, call_with_retries
from ._validation import validate
from .clock import Clock, SystemClock
from .errors import (
    ClientClosedError,
    ParameterValidationError,
    ProtonResponseError,
    ThrottlingError,
    translate,
)

__all__ = ["ProtonClient"]

# What botocore and aiohttp raise for a failed call; everything else is a bug and
# propagates unchanged.
_TRANSLATED = (
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    botocore.parsers.ResponseParserError,
    aiohttp.ClientError,
    OSError,
)

_session_lock = threading.Lock()


@functools.cache
def _shared_session(profile_name: str | None) -> AioSession:
    """One botocore session per profile for the whole process.

    The session owns the loader cache, so a second client never parses the model again.
    Timestamps are passed through unparsed: aioproton decodes them itself, to UTC.
    """
    with _session_lock:
        session = get_session()
        if profile_name is not None:
            session.set_config_variable("profile", profile_name)
        session.register_component("data_loader", _service_model.loader())
        session.register_component("response_parser_factory", _WireParserFactory())
        return session


class _WireJSONParser(AioJSONParser):  # type: ignore[misc]
    """botocore's JSON-protocol parser minus its walk over the output shape.

    aioproton decodes every response itself (to attrs classes, timestamps to UTC), so
    botocore's conversion of the same JSON into shaped dicts is work done twice. Errors
    and response metadata are still read by botocore's code.
    """

    def _handle_json_body(self, raw_body: bytes, shape: Any) -> Any:
        # botocore reads a body that is not JSON as {"message": body}; for a success that
        # would pass for an answer with every member missing.
        if not raw_body:
            return {}
        try:
            parsed = json.loads(raw_body)
        except ValueError:
            raise botocore.parsers.ResponseParserError(
                f"a body that is not JSON: {raw_body[:80]!r}"
            ) from None
        if not isinstance(parsed, dict):
            kind = type(parsed).__name__
            raise botocore.parsers.ResponseParserError(f"a JSON {kind} instead of an object")
        return parsed

    async def parse(self, response: Any, shape: Any) -> Any:
        # botocore reads error bodies assuming their JSON is an object with string codes.
        status = response.get("status_code")
        try:
            parsed = await super().parse(response, shape)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            raise botocore.parsers.ResponseParserError(
                f"an HTTP {status} body that botocore cannot read ({exc!r})"
            ) from exc
        code = parsed.get("Error", {}).get("Code", "")
        if not isinstance(code, str):
            raise botocore.parsers.ResponseParserError(f"an HTTP {status} error code {code!r}")
        return parsed


class _WireParserFactory(AioResponseParserFactory):  # type: ignore[misc]
    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            return _WireJSONParser()
        return super().create_parser(protocol_name)


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class ProtonClient(GeneratedOperations):
    """An async client for every AWS Proton operation.

    Use it as an async context manager; it holds one aiobotocore client (one
    connection pool) for its whole life::

        async with ProtonClient(region_name="us-east-1") as proton:
            env = await proton.get_environment(name="prod")

    Results are the generated attrs classes. An output with a single member is returned
    unwrapped (``get_environment`` returns an ``Environment``); a delete whose output
    may be empty returns ``None`` then; outputs with several members (List calls, sync
    status) are returned whole. Leave ``endpoint_url`` unset to talk to AWS; set it to
    an emulator's URL to talk to the emulator. ``clock`` times retry backoff (tests pass
    the emulator's manual clock); ``rate_limiter`` paces every attempt.
    """

    def __init__(
        self,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        profile_name: str | None = None,
        max_pool_connections: int = 64,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        validate: bool = True,
        config: ClientConfig | None = None,
        clock: Clock | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        if config is None:
            config = ClientConfig(
                region_name=region_name,
                endpoint_url=endpoint_url,
                aws_access_key_id=aws_access_key_id,
                aws_secret_access_key=aws_secret_access_key,
                aws_session_token=aws_session_token,
                profile_name=profile_name,
                max_pool_connections=max_pool_connections,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retry=retry or RetryPolicy(),
                validate=validate,
            )
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.rate_limiter = rate_limiter
        self._state = _State.UNOPENED
        self._raw: Any = None
        self._exit_stack = contextlib.AsyncExitStack()
        self._limiter: anyio.CapacityLimiter | None = None

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> ProtonClient:
        if self._state is not _State.UNOPENED:
            raise ClientClosedError(
                f"this ProtonClient is {self._state.value}; "
                "create a new one instead of reopening it"
            )
        config = self.config
        session = _shared_session(config.profile_name)
        aio_config = AioConfig(
            max_pool_connections=config.max_pool_connections,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
            parameter_validation=False,
            user_agent_extra="aioproton",
        )
        self._raw = await self._exit_stack.enter_async_context(
            session.create_client(
                "proton",
                region_name=config.region_name,
                endpoint_url=config.endpoint_url,
                aws_access_key_id=config.aws_access_key_id,
                aws_secret_access_key=config.aws_secret_access_key,
                aws_session_token=config.aws_session_token,
                config=aio_config,
            )
        )
        _freeze_user_agent(self._raw)
        self._limiter = anyio.CapacityLimiter(config.max_pool_connections)
        self._state = _State.OPEN
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. Safe to call twice; shielded from cancellation."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        with anyio.CancelScope(shield=True):
            await self._exit_stack.aclose()
        self._raw = None

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
    def raw(self) -> Any:
        """The underlying aiobotocore client, for anything aioproton does not wrap.

        Its responses are the JSON the service sent (timestamps as epoch seconds):
        aioproton's session skips botocore's output shaping and decodes responses itself.
        """
        return self._require_open(None)

    @property
    def max_concurrency(self) -> int:
        """How many requests this client lets run at once (its pool size)."""
        return self.config.max_pool_connections

    @property
    def in_flight(self) -> int:
        """Requests currently holding a connection slot."""
        return 0 if self._limiter is None else int(self._limiter.borrowed_tokens)

    def _require_open(self, operation: str | None) -> Any:
        if self._state is _State.OPEN:
            return self._raw
        if self._state is _State.UNOPENED:
            message = "open the client first: `async with ProtonClient(...) as proton:`"
        else:
            message = "this ProtonClient is closed; create a new one"
        raise ClientClosedError(message, operation=operation)

    # ------------------------------------------------------------------ the one call path

    async def _invoke(self, operation: str, arguments: dict[str, Any]) -> Any:
        facts = OPERATIONS[operation]
        raw = self._require_open(operation)
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
        response = await self._send(operation, getattr(raw, facts.method), params)
        return _decode_result(operation, response)

    async def _send(self, operation: str, method: Any, params: dict[str, Any]) -> Any:
        facts = OPERATIONS[operation]
        limiter = self._limiter
        assert limiter is not None
        rate_limiter = self.rate_limiter

        async def attempt() -> Any:
            if rate_limiter is not None:
                await rate_limiter.acquire()
            try:
                async with limiter:
                    response = await method(**params)
            except _TRANSLATED as exc:
                error = translate(exc, operation=operation, replay_safe=facts.replay_safe)
                if rate_limiter is not None:
                    rate_limiter.feedback(throttled=isinstance(error, ThrottlingError))
                raise error from exc
            if rate_limiter is not None:
                rate_limiter.feedback(throttled=False)
            return response

        return await call_with_retries(self.config.retry, attempt, self.clock)


class _FixedUserAgent:
    """A User-Agent computed once per client instead of twice per request."""

    def __init__(self, value: str) -> None:
        self.value = value

    def to_string(self) -> str:
        return self.value


def _freeze_user_agent(raw: Any) -> None:
    """Stop botocore from rebuilding the User-Agent string on every request.

    botocore renders the header twice per call (about 8 % of a call's CPU here) so that
    per-request feature flags can appear in it; aioproton's requests carry none, so the
    string rendered once at client creation is the same. Private botocore attributes are
    involved: when they are not there (another botocore), nothing changes.
    """
    creator = getattr(raw, "_user_agent_creator", None)
    rebuild = getattr(creator, "rebuild_and_replace_user_agent_handler", None)
    if creator is None or rebuild is None:
        return
    service_id = raw.meta.service_model.service_id.hyphenize()
    raw.meta.events.unregister(f"request-created.{service_id}", rebuild)
    raw._user_agent_creator = _FixedUserAgent(creator.to_string())


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
        return _codec.decode(shape_name, value, operation=operation)
    except _codec.DecodeError as exc:
        raise ProtonResponseError(str(exc), operation=operation) from exc
