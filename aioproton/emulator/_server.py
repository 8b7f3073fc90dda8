"""The HTTP side of the emulator: from an aiohttp request to a backend call and back.

Each request to ``POST /`` goes through the same steps, in the order the service
applies them: size limit, signature, target, JSON body, injected faults, validation
against the model, the backend, persistence, the optional response check, and finally
the response (or, for a dropped request, an aborted connection). Every request gets a
request id and one record in the request log; nothing a client sends can cause a 500
except a failure inside the emulator itself, which is logged with its traceback.
"""

from __future__ import annotations

import json
import logging

import anyio
import attrs
from aiohttp import web

from .. import _service_model
from .._validation import validate
from ..clock import Clock
from . import _protocol
from ._auth import Authenticator
from ._faults import FaultInjector, FaultKind
from ._persistence import StateFile
from ._protocol import (
    ERROR_TYPE_HEADER,
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


def validation_message(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(problems)


@attrs.define
class _Exchange:
    """What is known about one request so far, for its log record."""

    request_id: str
    time: float
    operation: str | None = None
    client_token: str | None = None
    committed: bool = False
    fault: FaultKind | None = None


class ProtonServer:
    """Serves Proton operations from a backend, with auth, faults, logging, persistence."""

    def __init__(
        self,
        *,
        backend: ProtonBackend,
        clock: Clock,
        authenticator: Authenticator,
        faults: FaultInjector,
        requests: RequestLog,
        state_file: StateFile | None = None,
        check_responses: bool = False,
        max_body_bytes: int = 1_048_576,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.authenticator = authenticator
        self.faults = faults
        self.requests = requests
        self.state_file = state_file
        self.check_responses = check_responses
        self.max_body_bytes = max_body_bytes
        self._saved_revision = backend.revision

    # ------------------------------------------------------------------ persistence

    def mark_saved(self) -> None:
        """Take the backend's current revision as the one on disk (after a restore)."""
        self._saved_revision = self.backend.revision

    def persist(self, *, force: bool = False) -> None:
        """Write the snapshot if the backend changed since the last write (or ``force``)."""
        if self.state_file is None or not self.state_file.is_open:
            return
        revision = self.backend.revision
        if revision == self._saved_revision and not force:
            return
        self.state_file.save(self.backend.snapshot(), revision)
        self._saved_revision = revision

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
        self.requests.record(
            time=exchange.time,
            operation=exchange.operation,
            status=status,
            error_code=error_code,
            committed=exchange.committed,
            client_token=exchange.client_token,
            request_id=exchange.request_id,
            fault=exchange.fault,
        )
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
        body = await self._read_body(request)
        target_error: UnknownOperationException | None = None
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
        params = _protocol.parse_body(body)
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
            # Also after a refused request: time-driven transitions may have run.
            self.persist()

        payload = _protocol.encode_body(result)
        if self.check_responses:
            found = check_response(operation, json.loads(payload))
            if found:
                logger.error("invalid %s response: %s", operation, "; ".join(found))
                raise InternalServerException(
                    f"the emulator produced an invalid {operation} response: " + "; ".join(found)
                )
        return json_response(payload, request_id=exchange.request_id)

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
