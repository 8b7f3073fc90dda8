"""One logical create or update, performed once, whatever fails in between.

:class:`IdempotentCalls` wraps a client operation so that it can be retried for
minutes (a daemon riding out an outage) and even across process restarts without
doing its work twice::

    calls = IdempotentCalls(store=SqliteTokenStore("tokens.db"))
    component = await calls.call(
        "release-42/component/web",          # the caller's idempotency key
        proton.create_component,
        name="web", environment_name="prod", manifest=manifest, template_file=template,
    )

How each kind of operation is kept to one effect:

- **Client-token operations** (CreateComponent, CreateServiceInstance, the two
  Create*TemplateVersion, CreateEnvironmentAccountConnection, UpdateComponent,
  UpdateServiceInstance): the key maps to one client token in a :class:`TokenStore`;
  every attempt sends it, so the service performs the request once (after an ambiguous
  failure the resource is read first: it names the token that last changed it). Proton forgets a
  token 8 hours after first use; past ``token_lifetime - safety_margin`` the resource is
  read back instead (:mod:`~aioproton.workflow.reconcile`), and when that cannot prove
  what happened the call is refused with :class:`TokenExpiredError` rather than risk a
  second resource.
- **Name-keyed creates** (CreateEnvironment, CreateService, Create*Template): after an
  ambiguous failure the resource is read back (same values: success; absent: resend,
  which the service answers with the existing resource if it appears meanwhile; other
  values: :class:`StateConflictError`); a ConflictError is checked the same way.
- **Updates without a token** (UpdateEnvironment, UpdateServicePipeline, UpdateService):
  never resent blindly. After an ambiguous failure the resource is read back: the
  requested change is there (success), not there (resend), or another change is there
  (:class:`StateConflictError`).
- **Deletes**: a resource that is already gone counts as deleted.

``IdempotentParameterMismatchError`` (a key or token reused with other parameters) is
never retried, and its message says what happened.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar, cast

import attrs
import tenacity

from .. import _codec, _service_model
from .. import _logfields as F
from .._backoff import Backoff, exponential
from .._client import ProtonClient
from .._codec import python_name
from .._facts import OperationFacts, OperationKind
from .._generated.facts import OPERATIONS
from .._validation import validate
from ..clock import Clock, SystemClock
from ..errors import (
    ConflictError,
    IdempotentParameterMismatchError,
    ParameterValidationError,
    ProtonError,
    ResourceNotFoundError,
)
from ..observe import Observer, Observers, RequestEnded, RequestStarted, observers_of
from ..observe import Reconciled as ReconcileEvent
from .errors import StateConflictError, TokenExpiredError
from .reconcile import Reconciled, Reconciler, Verdict, reconciler_for
from .tokens import MemoryTokenStore, TokenRecord, TokenStore

__all__ = ["TOKEN_LIFETIME", "DurableRetry", "IdempotentCalls"]

P = ParamSpec("P")
T = TypeVar("T")

#: How long Proton remembers a client token (seconds).
TOKEN_LIFETIME = 8 * 3600.0
"""How long Proton remembers a client token: 8 hours, in seconds.

Within it, a call resent with its stored token is performed at most once. Past
``token_lifetime - safety_margin`` (``IdempotentCalls`` settings), the resource is
read back instead of resending, and a call whose outcome cannot be proved is refused
with ``TokenExpiredError`` rather than risk a second resource.
"""

logger: logging.Logger = logging.getLogger("aioproton.workflow.idempotency")

_BY_METHOD: dict[str, OperationFacts] = {facts.method: facts for facts in OPERATIONS.values()}


@attrs.frozen(kw_only=True)
class DurableRetry:
    """How long one logical request keeps trying (clock seconds).

    Each attempt is a full client call, with the client's own short retries inside;
    between attempts the wait grows exponentially with full jitter up to
    ``max_delay`` (drawn from ``rng``: pass a seeded ``random.Random`` to replay it).
    The request gives up at ``deadline`` (or after ``max_attempts``), and in any case
    before its client token gets too old to be recognised.
    """

    deadline: float = attrs.field(default=900.0, validator=attrs.validators.gt(0))
    initial_delay: float = attrs.field(default=1.0, validator=attrs.validators.gt(0))
    max_delay: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    max_attempts: int | None = None
    rng: random.Random = attrs.field(
        factory=random.Random,
        eq=False,
        repr=False,
        validator=attrs.validators.instance_of(random.Random),
    )

    @property
    def backoff(self) -> Backoff:
        """The wait after each failed attempt: full jitter below an exponential ceiling."""
        return exponential(self.initial_delay).capped(self.max_delay).jitter()


class _Resend(Exception):
    """Internal: this attempt failed in a way that another attempt can cure."""

    def __init__(self, error: ProtonError) -> None:
        super().__init__(str(error))
        self.error = error


class IdempotentCalls:
    """Runs client operations so each logical request takes effect once.

    ``store`` keeps idempotency keys and their client tokens (default: in memory);
    ``retry`` bounds the retries of one logical request; ``clock`` measures token
    ages and paces retries (tests pass a ``ManualClock``); ``observers`` are told about
    each request and reconciliation (default: the observers of the request's client).
    """

    def __init__(
        self,
        *,
        store: TokenStore | None = None,
        retry: DurableRetry | None = None,
        clock: Clock | None = None,
        token_lifetime: float = TOKEN_LIFETIME,
        safety_margin: float = 1800.0,
        observers: Iterable[Observer] | Observers | None = None,
    ) -> None:
        if not 0 <= safety_margin < token_lifetime:
            raise ValueError("safety_margin must be below token_lifetime")
        self.store: TokenStore = store if store is not None else MemoryTokenStore()
        self.retry: DurableRetry = retry if retry is not None else DurableRetry()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.token_lifetime = token_lifetime
        self.safety_margin = safety_margin
        self.observers: Observers | None = None if observers is None else observers_of(observers)

    def with_options(
        self, *, retry: DurableRetry | None = None, deadline: float | None = None
    ) -> IdempotentCalls:
        """These calls with another ``retry`` policy, or its ``deadline`` replaced.

        The store, clock and token lifetime are shared: one slow dependency gets its
        own patience without its own store, e.g.
        ``await calls.with_options(deadline=30).call(key, proton.update_environment, ...)``.
        (Not a ``retry=`` keyword of :meth:`call`: its keywords are the operation's own.)
        """
        policy = retry if retry is not None else self.retry
        if deadline is not None:
            policy = attrs.evolve(policy, deadline=deadline)
        return IdempotentCalls(
            store=self.store,
            retry=policy,
            clock=self.clock,
            token_lifetime=self.token_lifetime,
            safety_margin=self.safety_margin,
        )

    async def call(
        self,
        key: str | None,
        method: Callable[P, Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Call ``method`` (a ``ProtonClient`` operation) as one logical request.

        ``key`` is the caller's name for this request; operations with a client token
        need it to survive restarts (``None``: one token for this call only). Other
        operations ignore it.
        """
        if args:
            raise TypeError("pass the operation's parameters by keyword")
        proton = getattr(method, "__self__", None)
        facts = _BY_METHOD.get(getattr(method, "__name__", ""))
        if not isinstance(proton, ProtonClient) or facts is None:
            raise TypeError(f"{method!r} is not an operation of a ProtonClient")
        request = _Request(self, proton, facts, key, dict(kwargs))
        observers = self.observers if self.observers is not None else proton.observers
        if not observers:
            return cast(T, await request.run())
        observers.emit("on_request_start", RequestStarted(operation=facts.name, key=key))
        request.observers = observers
        error: BaseException | None = None
        try:
            return cast(T, await request.run())
        except BaseException as exc:
            error = exc
            raise
        finally:
            observers.emit(
                "on_request_end",
                RequestEnded(operation=facts.name, key=key, attempts=request.attempts, error=error),
            )


@attrs.define(eq=False)
class _Request:
    """One logical request and everything learnt while performing it."""

    calls: IdempotentCalls
    proton: ProtonClient
    facts: OperationFacts
    key: str | None
    params: dict[str, Any]
    token: str | None = None
    #: When the token was first used (a resend after its lifetime is not safe).
    token_since: float | None = None
    baseline: Any = None
    unclear: bool = False
    attempts: int = 0
    observers: Observers | None = None

    @property
    def kind(self) -> OperationKind:
        return self.facts.kind

    @property
    def reconciler(self) -> Reconciler | None:
        return reconciler_for(self.facts.name)

    def fields(self, **more: Any) -> dict[str, Any]:
        """The ``extra=`` of this request's log records."""
        return {F.OPERATION: self.operation, F.IDEMPOTENCY_KEY: self.key, **more}

    @property
    def operation(self) -> str:
        return self.facts.name

    async def run(self) -> Any:
        if self.kind is OperationKind.CLIENT_TOKEN:
            done = await self._prepare_token()
            if done is not None:
                return done.resource
        if (
            self.kind is OperationKind.TOKENLESS_UPDATE
            and self.reconciler
            and self.reconciler.baseline
        ):
            self.baseline = await self.reconciler.baseline(self.proton, self.params)
        return await self._attempts()

    # ------------------------------------------------------------------ tokens

    async def _prepare_token(self) -> Reconciled | None:
        """Pick the client token; a non-None result means the work is already done."""
        given = self.params.pop("client_token", None)
        if given is not None:
            if self.key is not None:
                raise ValueError("give either an idempotency key or client_token=, not both")
            self.token = str(given)
            return None
        now = self.calls.clock.now()
        if self.key is None:
            self.token, self.token_since = str(uuid.uuid4()), now
            return None
        _refuse_invalid(self.proton, self.facts, self.params)  # a refused call claims nothing
        fingerprint = _fingerprint(self.operation, self.params)
        record = await self.calls.store.claim(self.key, fingerprint, now)
        if record.fingerprint != fingerprint:
            raise IdempotentParameterMismatchError(
                f"the idempotency key {self.key!r} was first used for a request with other "
                f"parameters (or another operation than {self.operation}); nothing was sent. "
                "Use a new key for a different request, or repeat the original parameters.",
                operation=self.operation,
            )
        limit = self.calls.token_lifetime - self.calls.safety_margin
        if record.age(now) < limit:
            self.token, self.token_since = record.token, record.created_at
            return None
        return await self._expired(record, fingerprint, now)

    async def _expired(
        self, record: TokenRecord, fingerprint: str, now: float
    ) -> Reconciled | None:
        """The service may have forgotten this token: decide from the resource itself."""
        hours = record.age(now) / 3600
        logger.warning(
            "%s: the client token of idempotency key %r is %.1f hours old, near Proton's "
            "%g-hour limit; deciding from the resource instead of resending it",
            self.operation,
            record.key,
            hours,
            self.calls.token_lifetime / 3600,
            extra=self.fields(**{F.TOKEN_AGE: record.age(now)}),
        )
        if self.reconciler is not None:
            found = await self.reconciler.check(self.proton, self.params, record.token, None)
            if found.verdict is Verdict.MATCH:
                if found.arn is not None:
                    await self.calls.store.record_result(record.key, found.arn)
                return found
            if found.verdict is Verdict.ABSENT and self.facts.creates:
                # The name is still free: a new token cannot make a second resource.
                renewed = await self.calls.store.renew(record.key, fingerprint, now)
                self.token, self.token_since = renewed.token, renewed.created_at
                return None
            detail = "; ".join(found.differences) or "the resource does not show it"
        else:
            detail = "the service offers no way to find what that request created"
        raise TokenExpiredError(
            f"the client token of idempotency key {record.key!r} was first used "
            f"{hours:.1f} hours ago, past the {self.calls.token_lifetime / 3600:g}-hour window "
            f"in which Proton recognises a repeat ({self.operation}); sending it again could "
            f"create or apply it a second time, and whether the first request took effect is "
            f"unknown ({detail}). Check the resource, then discard the key to start over.",
            operation=self.operation,
            key=record.key,
            age=record.age(now),
        )

    # ------------------------------------------------------------------ attempts

    async def _attempts(self) -> Any:
        clock, policy = self.calls.clock, self.calls.retry
        deadline = clock.now() + policy.deadline
        if self.token_since is not None:
            # Never resend a token the service may have forgotten.
            expiry = self.calls.token_lifetime - self.calls.safety_margin
            deadline = min(deadline, self.token_since + expiry)
        backoff = policy.backoff

        def out_of_time(state: tenacity.RetryCallState) -> bool:
            if policy.max_attempts is not None and state.attempt_number >= policy.max_attempts:
                return True
            return clock.now() >= deadline

        started = clock.now()

        def wait(state: tenacity.RetryCallState) -> float:
            pause = backoff.delay(state.attempt_number, policy.rng)
            return min(pause, max(0.0, deadline - clock.now()))

        def before_sleep(state: tenacity.RetryCallState) -> None:
            failure = state.outcome.exception() if state.outcome is not None else None
            pause = state.next_action.sleep if state.next_action is not None else 0.0
            if isinstance(failure, _Resend):
                self._log_resend(failure.error, state.attempt_number, pause, started, deadline)

        controller = tenacity.AsyncRetrying(
            stop=out_of_time,
            wait=wait,
            retry=tenacity.retry_if_exception_type(_Resend),
            reraise=True,
            sleep=clock.sleep,
            before_sleep=before_sleep,
        )
        try:
            async for attempt in controller:
                with attempt:
                    return await self._attempt()
        except _Resend as resend:
            raise resend.error from resend.error.__cause__
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _log_resend(
        self, error: ProtonError, attempt: int, pause: float, started: float, deadline: float
    ) -> None:
        """One resend decision: INFO when the failed attempt may have taken effect."""
        spent, budget = self.calls.clock.now() - started, deadline - started
        late = spent > budget / 2
        level = logging.WARNING if late else logging.INFO if self.unclear else logging.DEBUG
        if not logger.isEnabledFor(level):
            return
        logger.log(
            level,
            "%s (idempotency key %r): attempt %d failed (%s%s), sending again in %.1fs%s",
            self.operation,
            self.key,
            attempt,
            error.code,
            ", outcome was unclear and the resource does not show it" if self.unclear else "",
            pause,
            f"; {spent:.0f}s of its {budget:.0f}s deadline spent" if late else "",
            extra=self.fields(
                **F.error_fields(error),
                **{F.ATTEMPT: attempt, F.DELAY: pause, F.ELAPSED: spent, F.DEADLINE: budget},
            ),
        )

    async def _attempt(self) -> Any:
        self.attempts += 1
        params = dict(self.params)
        if self.facts.client_token is not None:
            params["client_token"] = self.token
        try:
            result = await getattr(self.proton, self.facts.method)(**params)
        except IdempotentParameterMismatchError as error:
            raise self._explain_mismatch(error) from error
        except ResourceNotFoundError:
            if self.kind is OperationKind.DELETE:
                return None
            raise
        except ConflictError as error:
            if self.reconciler is None or not (
                self.kind is OperationKind.NAME_KEYED_CREATE or self.unclear
            ):
                raise
            return await self._settle(error, conflict=True)
        except ProtonError as error:
            self.unclear = self.unclear or error.ambiguous
            if error.ambiguous and self.reconciler is not None:
                # It may have taken effect: the resource says whether it did.
                return await self._settle(error, conflict=False)
            if error.retry_safe:
                raise _Resend(error) from error
            raise
        await self._remember(result)
        return result

    async def _settle(self, error: ProtonError, *, conflict: bool) -> Any:
        """Read the resource after ``error`` to learn whether the request took effect."""
        assert self.reconciler is not None
        try:
            found = await self.reconciler.check(self.proton, self.params, self.token, self.baseline)
        except ProtonError as unreadable:
            self._verdict(error, "UNREADABLE", None)
            if error.retry_safe and not conflict:
                raise _Resend(error) from unreadable  # sending it again is safe anyway
            raise
        self._verdict(error, found.verdict.name, found.arn)

        if found.verdict is Verdict.MATCH:
            await self._remember(found.resource)
            return found.resource
        if found.verdict is Verdict.ABSENT and not conflict:
            raise _Resend(error) from error
        if found.verdict is Verdict.ABSENT:
            raise error
        raise StateConflictError(
            f"{self.operation} had an unclear outcome ({error.code}: {error.message}) and the "
            f"resource now shows a different change: {'; '.join(found.differences)}. It was "
            "not sent again; read the resource and decide.",
            operation=self.operation,
            resource=found.resource,
            differences=found.differences,
        ) from error

    def _verdict(self, error: ProtonError, verdict: str, detail: str | None) -> None:
        """What the resource showed after an unclear outcome: INFO and ``on_reconcile``."""
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s (idempotency key %r): %s (%s); the resource reads %s",
                self.operation,
                self.key,
                "no answer" if error.ambiguous else "refused",
                error.code,
                verdict,
                extra=self.fields(
                    **F.error_fields(error),
                    **{F.VERDICT: verdict, F.TARGET_ARN: detail, F.ATTEMPT: self.attempts},
                ),
            )
        if self.observers:
            self.observers.emit(
                "on_reconcile",
                ReconcileEvent(
                    operation=self.operation, key=self.key, verdict=verdict, error=error
                ),
            )

    async def _remember(self, resource: Any) -> None:
        arn = getattr(resource, "arn", None)
        if (
            self.kind is OperationKind.CLIENT_TOKEN
            and self.key is not None
            and isinstance(arn, str)
        ):
            await self.calls.store.record_result(self.key, arn)

    def _explain_mismatch(
        self, error: IdempotentParameterMismatchError
    ) -> IdempotentParameterMismatchError:
        if self.kind is OperationKind.CLIENT_TOKEN:
            what = (
                f"the client token {self.token!r}"
                + (f" (idempotency key {self.key!r})" if self.key else "")
                + " was first sent with other parameters, and the service keeps the first "
                "request's parameters for that token"
            )
        else:
            what = (
                "a resource with this name already exists with other parameters; the "
                "service performs an identical repeat only"
            )
        return IdempotentParameterMismatchError(
            f"{what}. Nothing was changed. Repeat the original parameters, or use a new "
            f"key or name for a different request. (Service said: {error.message})",
            operation=error.operation or self.operation,
            code=error.code,
            http_status=error.http_status,
            request_id=error.request_id,
        )


def _refuse_invalid(proton: ProtonClient, facts: OperationFacts, params: Mapping[str, Any]) -> None:
    """Raise the ParameterValidationError the client would raise before sending.

    Checked before the key is claimed: a call that never leaves the process must not
    tie its key to parameters the service never saw.
    """
    if not proton.config.validate:
        return
    try:
        wire = _codec.encode_arguments(facts.input_shape, params)
    except KeyError as unknown:
        raise TypeError(f"{facts.method}() got an unexpected keyword argument {unknown}") from None
    problems = validate(_service_model.operation_model(facts.name).input_shape, wire)
    if problems:
        rendered = [problem.render(python_name) for problem in problems]
        raise ParameterValidationError(
            "invalid parameters, nothing was sent: " + "; ".join(rendered),
            operation=facts.name,
            problems=rendered,
        )


def _canonical(value: Any) -> Any:
    """A JSON-able form of operation parameters, stable across runs."""
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if attrs.has(type(value)):
        return {
            "__type__": type(value).__name__,
            **{
                field.name: _canonical(getattr(value, field.name))
                for field in attrs.fields(type(value))
            },
        }
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    return value


def _fingerprint(operation: str, params: Mapping[str, Any]) -> str:
    document = json.dumps(
        {"operation": operation, "params": _canonical(params)},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(document.encode()).hexdigest()
