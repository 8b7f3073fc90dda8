"""The HTTP side of the emulator: from an aiohttp request to a backend call and back.

Each request to ``POST /`` goes through the same steps, in the order the service
applies them: size limit, signature, target, JSON body, injected faults, validation
against the model, the backend, persistence, the optional response check, and finally
the response (or, for a dropped request, an aborted connection). Every request gets a
request id and one record in the request log; nothing a client sends can cause a 500
except a failure inside the emulator itself, which is logged with its traceback. A
request that cannot be read is a 400 (``SerializationException``), and one aiohttp
cannot even parse (headers, framing) a 400 ``BadRequestException`` in the same JSON
shape, answered by :class:`AwsAppRunner`'s connections and logged in one line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import anyio
import attrs
from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from .. import _service_model
from .._validation import validate
from ..clock import Clock
from . import _protocol
from ._auth import Authenticator, Caller
from ._faults import FaultInjector, FaultKind
from ._persistence import FORMAT, Batch, StateFile, Tracker
from ._protocol import (
    ERROR_TYPE_HEADER,
    BadRequestException,
    MethodNotAllowedException,
    error_response,
    internal_error,
    json_response,
    new_request_id,
)
from ._request_log import Outcome, RequestLog
from .backend import ProtonBackend, RequestContext, check_response
from .errors import (
    InternalServerException,
    RequestEntityTooLargeException,
    SerializationException,
    ServiceError,
    ThrottlingException,
    UnknownOperationException,
    ValidationException,
)

logger = logging.getLogger("aioproton.emulator")

_READ_CHUNK = 64 * 1024


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to, for ARNs."""
    for prefix, partition in (
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
    ):
        if region.startswith(prefix):
            return partition
    return "aws"


# aiohttp quotes the offending bytes (a URL, a header) in its messages: never repeated.
_QUOTED_BYTES = re.compile(r"""bytearray\(b(['"]).*?\1\)|b(['"]).*?\2""")


def _first_line(text: str, limit: int = 200) -> str:
    """One short line of an exception message, without quoted request bytes."""
    text = _QUOTED_BYTES.sub("(request bytes)", text.strip())
    line = text.splitlines()[0].rstrip(": ") if text else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def validation_message(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(problems)


@attrs.define
class _Exchange:
    """What is known about one request so far: its fields are the log record's."""

    request_id: str
    time: float
    operation: str | None = None
    client_token: str | None = None
    committed: bool = False
    fault: FaultKind | None = None
    request: bytes | None = None  # the request's body, once read


@attrs.define(kw_only=True, eq=False)
class ProtonServer:
    """Serves Proton operations from a backend, with auth, faults, logging, persistence."""

    backend: ProtonBackend
    clock: Clock
    authenticator: Authenticator
    faults: FaultInjector
    requests: RequestLog
    state_file: StateFile | None = None
    check_responses: bool = False
    max_body_bytes: int = 1_048_576
    _tracker: Tracker = attrs.field(factory=Tracker, init=False)
    # Revisions of the backend: gathered into a batch, committed to the file, being committed.
    _taken_revision: int = attrs.field(init=False)
    _saved_revision: int = attrs.field(init=False)
    _commit_revision: int = attrs.field(init=False)
    _commit: asyncio.Future[None] | None = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        self._taken_revision = self._saved_revision = self.backend.revision
        self._commit_revision = self.backend.revision

    # ------------------------------------------------------------------ persistence

    def mark_saved(self) -> None:
        """Take the backend's state as the one on disk (after a restore).

        A file of an older format is rewritten in the current one right away.
        """
        self._taken_revision = self._saved_revision = self.backend.revision
        state_file = self.state_file
        if state_file is None or not state_file.is_open:
            return
        self._tracker = Tracker()
        if state_file.loaded_format not in (None, FORMAT):
            self.persist(force=True)
        else:
            self._tracker.baseline(self.backend, state_file.next_ord)

    def _take(self, *, force: bool = False) -> Batch | None:
        """What changed since the last batch (``force``: even if the revision did not move)."""
        if self.state_file is None or not self.state_file.is_open:
            return None
        revision = self.backend.revision
        if revision == self._taken_revision and not force and not self._tracker.full:
            return None
        batch = self._tracker.collect(self.backend)
        self._taken_revision = revision
        return batch

    def persist(self, *, force: bool = False) -> None:
        """Write what changed and wait for the commit, blocking the event loop.

        For the synchronous callers (control routes, ``Emulator.advance``); a commit
        already under way is written first.
        """
        batch = self._take(force=force)
        if batch is None or self.state_file is None:
            return
        try:
            self.state_file.write(batch)
        except BaseException:
            self._tracker.full = True  # what that batch held must be written again
            raise
        self._saved_revision = max(self._saved_revision, batch.revision)

    async def committed(self) -> None:
        """Return once the state this request saw is on disk.

        The first to wait gathers everything changed so far into one commit, written by
        the state file's thread; whoever arrives meanwhile is in the next one (group
        commit). Every waiter awaits the commit shielded: a cancelled request neither
        stops nor forgets a write under way.
        """
        target = self.backend.revision
        while self._saved_revision < target:
            commit = self._commit
            if commit is None:
                batch = self._take()
                if batch is None or self.state_file is None:
                    return  # no state file (any more)
                commit = asyncio.wrap_future(self.state_file.submit(batch))
                self._commit = commit
                self._commit_revision = batch.revision
                commit.add_done_callback(self._committed)
            try:
                await asyncio.shield(commit)
            finally:
                # Awaiting a finished future does not yield: settle it here, as its
                # callback may not have run yet.
                if commit.done():
                    self._committed(commit)

    def _committed(self, commit: asyncio.Future[None]) -> None:
        if commit is not self._commit:
            return  # already settled
        self._commit = None
        if commit.cancelled() or commit.exception() is not None:
            self._tracker.full = True  # what that batch held must be written again
        else:
            self._saved_revision = max(self._saved_revision, self._commit_revision)

    # ------------------------------------------------------------------ requests

    async def handle(self, request: web.Request) -> web.StreamResponse:
        exchange = _Exchange(new_request_id(), self.clock.now())
        response = await self._respond(request, exchange)
        error_code = response.headers.get(ERROR_TYPE_HEADER)
        status: Outcome = response.status
        if exchange.fault == "reset":
            status, error_code = "reset", None
        elif exchange.fault == "drop":
            status = "dropped"
        if exchange.fault in ("reset", "drop") and request.transport is not None:
            # Nothing of this response is ever written: the client sees the connection die.
            request.transport.abort()
        body = response.body if isinstance(response.body, bytes) else None
        self._log(exchange, status, error_code, body)
        logger.debug(
            "%s %s -> %s%s",
            exchange.request_id,
            exchange.operation or "-",
            status,
            f" {error_code}" if error_code else "",
        )
        return response

    async def _respond(self, request: web.Request, exchange: _Exchange) -> web.Response:
        try:
            return await self._process(request, exchange)
        except ServiceError as error:
            response = error_response(error, request_id=exchange.request_id)
            if isinstance(error, RequestEntityTooLargeException):
                response.force_close()
            return response
        except Exception:
            logger.exception(
                "request %s (%s) failed inside the emulator",
                exchange.request_id,
                exchange.operation or "no operation",
            )
            return error_response(
                internal_error(exchange.request_id), request_id=exchange.request_id
            )

    async def _process(self, request: web.Request, exchange: _Exchange) -> web.Response:
        if request.method != "POST":
            raise MethodNotAllowedException(
                f"{request.method} is not supported: every operation is POST / "
                "with an X-Amz-Target header"
            )
        try:
            operation, caller, params = await self._read_request(request, exchange)
        except ServiceError:
            raise
        except Exception as exc:
            # Whatever a client sends is answered with a 4xx: a failure to read the
            # request is the request's fault, never the emulator's 500.
            logger.warning(
                "request %s could not be read (%s: %s); answered SerializationException",
                exchange.request_id,
                type(exc).__name__,
                _first_line(str(exc)),
                extra={"request_id": exchange.request_id, "error": type(exc).__name__},
            )
            raise SerializationException("the request could not be read") from None
        token = params.get("clientToken")
        exchange.client_token = token if isinstance(token, str) else None

        plan = self.faults.plan(operation)
        if plan.latency:
            await anyio.sleep(plan.latency)
        exchange.fault = plan.fault
        if plan.fault == "reset":
            return web.Response(status=204)  # never sent; handle() aborts the connection
        if plan.fault == "throttle":
            raise ThrottlingException("Rate exceeded")
        if plan.fault == "error":
            raise InternalServerException("We encountered an internal error. Please try again.")

        shape = _service_model.operation_model(operation).input_shape
        problems = validate(shape, params, allow_unknown_members=True)
        if problems:
            raise ValidationException(validation_message([p.render() for p in problems]))

        context = RequestContext(
            account_id=caller.account_id,
            region=caller.region,
            request_id=exchange.request_id,
            partition=partition_of(caller.region),
        )
        try:
            self.backend.advance()
            result = self.backend.handle(context, operation, params)
            exchange.committed = True
        finally:
            # Also after a refused request: time-driven transitions may have run. A read
            # waits too: it must not show a state that a crash could still take back.
            await self.committed()

        payload = _protocol.encode_body(result)
        if self.check_responses:
            found = check_response(operation, json.loads(payload))
            if found:
                logger.error("invalid %s response: %s", operation, "; ".join(found))
                raise InternalServerException(
                    f"the emulator produced an invalid {operation} response: " + "; ".join(found)
                )
        return json_response(payload, request_id=exchange.request_id)

    def refuse_malformed(
        self, request: web.BaseRequest, status: int, exc: BaseException | None
    ) -> web.Response:
        """The answer to a request aiohttp could not parse (headers, framing): an AWS
        JSON error with a request id, one record in the request log, one log line."""
        request_id = new_request_id()
        if status >= 500:
            logger.error("request %s failed inside the emulator", request_id, exc_info=exc)
            error: ServiceError = internal_error(request_id)
        else:
            reason = _first_line(str(getattr(exc, "message", None) or exc or "malformed"))
            logger.warning(
                "refused a malformed request from %s: %s",
                request.remote,
                reason,
                extra={
                    "request_id": request_id,
                    "remote": request.remote,
                    "error": type(exc).__name__ if exc is not None else None,
                },
            )
            error = BadRequestException(
                f"the request's HTTP headers or framing are malformed: {reason}"
            )
        response = error_response(error, request_id=request_id)
        response.set_status(status if status >= 500 else BadRequestException.status)
        self._log(_Exchange(request_id, self.clock.now()), response.status, error.code, None)
        return response

    def _log(
        self, exchange: _Exchange, status: Outcome, error_code: str | None, body: bytes | None
    ) -> None:
        """The request log's record of ``exchange`` (``body``: the response's, if any)."""
        self.requests.record(
            status=status, error_code=error_code, response=body, **attrs.asdict(exchange)
        )

    async def _read_request(
        self, request: web.Request, exchange: _Exchange
    ) -> tuple[str, Caller, dict[str, Any]]:
        """The operation, the caller and the parameters, in the service's order of checks."""
        body = exchange.request = await self._read_body(request)
        target_error: UnknownOperationException | None = None
        operation = ""
        try:
            operation = _protocol.operation_from_target(request.headers.get("X-Amz-Target"))
            exchange.operation = operation
        except UnknownOperationException as error:
            target_error = error
        caller = self.authenticator.authenticate(
            method=request.method,
            path=request.raw_path.partition("?")[0],
            query_string=request.query_string,
            headers=request.headers,
            body=body,
        )
        if target_error is not None:
            raise target_error
        return operation, caller, _protocol.parse_body(body)

    async def _read_body(self, request: web.Request) -> bytes:
        limit = self.max_body_bytes
        too_large = RequestEntityTooLargeException(
            f"the request body exceeds the limit of {limit} bytes"
        )
        if request.content_length is not None and request.content_length > limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = await request.content.read(_READ_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)


# ---------------------------------------------------------------------- HTTP layer
#
# aiohttp answers a request it cannot parse (a header over 8,190 bytes, a bad byte in a
# header, a broken Content-Length) from ``RequestHandler.handle_error``, before any
# handler or middleware runs, with a text/plain body and an ERROR record with a
# traceback. There is no public hook for it (aiohttp issue #3287), so the runner builds
# its server with a handler class whose ``handle_error`` asks the ProtonServer instead.
# tests/emulator/test_server_hardening.py sends such requests over a raw socket, so an
# aiohttp upgrade that changes these internals fails there.

Refuse = Callable[[web.BaseRequest, int, "BaseException | None"], web.Response]


class _AwsRequestHandler(RequestHandler):
    def __init__(self, manager: web.Server, *, refuse: Refuse, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._refuse = refuse

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:
            # As aiohttp: part of a response is out, the connection cannot carry another.
            raise ConnectionError("a response was partly sent; cannot send an error response")
        response = self._refuse(request, status, exc)
        response.force_close()
        return response


class _AwsServer(web.Server):
    """aiohttp's low-level server, with :class:`_AwsRequestHandler` connections."""

    def __init__(self, inner: web.Server, refuse: Refuse) -> None:
        super().__init__(
            inner.request_handler,
            request_factory=inner.request_factory,
            handler_cancellation=inner.handler_cancellation,
            loop=inner._loop,
            **inner._kwargs,
        )
        self._refuse = refuse

    def __call__(self) -> RequestHandler:
        return _AwsRequestHandler(self, refuse=self._refuse, loop=self._loop, **self._kwargs)


class AwsAppRunner(web.AppRunner):
    """An ``AppRunner`` whose unparseable requests get ``server.refuse_malformed``."""

    def __init__(self, app: web.Application, server: ProtonServer, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._refuse: Refuse = server.refuse_malformed

    async def _make_server(self) -> web.Server:
        return _AwsServer(await super()._make_server(), self._refuse)
