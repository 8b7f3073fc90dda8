"""Every error aioproton raises, and the one place where foreign errors are translated.

::

    ProtonError                              root: catch this to catch everything below
    ├── ProtonServiceError                   the service answered with an error
    │   ├── ValidationError                  400 ValidationException
    │   │   ├── IdempotentParameterMismatchError   a client token or name reused with other inputs
    │   │   └── ParameterValidationError     rejected by aioproton before sending: nothing was sent
    │   ├── AccessDeniedError                403 AccessDeniedException (and the 403s of signing)
    │   ├── ResourceNotFoundError            404 ResourceNotFoundException
    │   ├── ConflictError                    409 ConflictException
    │   ├── ServiceQuotaExceededError        402 ServiceQuotaExceededException
    │   ├── ThrottlingError                  429 ThrottlingException
    │   ├── InternalServerError              500 InternalServerException (and any other 5xx)
    │   └── UnknownServiceError              an error code the model does not know
    ├── ProtonTransportError                 no usable response
    │   ├── ProtonConnectionError            could not connect, or the connection dropped
    │   └── ProtonTimeoutError               connect or read timeout
    ├── ProtonResponseError                  a response that does not fit the model
    │   └── PaginationError                  the service broke the pagination contract
    └── ClientClosedError                    the client was used outside ``async with``

The workflow layer adds its own subtrees under ``ProtonError`` (waiters, idempotency);
see :mod:`aioproton.workflow.errors`.

Each error carries the facts a caller needs to decide what to do next: ``operation``,
``code``, ``message``, ``http_status``, ``request_id``, ``fault`` (``"client"`` or
``"server"``), ``ambiguous`` (the request may or may not have taken effect: the
connection dropped, the read timed out, or the server failed) and ``retry_safe``
(sending the same request again cannot cause a second effect).
"""

from __future__ import annotations

from typing import Any, Literal

import aiohttp
import botocore.exceptions

Fault = Literal["client", "server"]


class ProtonError(Exception):
    """Root of every error raised by aioproton."""

    operation: str | None
    code: str
    message: str
    http_status: int | None
    request_id: str | None
    fault: Fault
    ambiguous: bool
    retry_safe: bool

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        code: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
        fault: Fault | None = None,
        ambiguous: bool = False,
        retry_safe: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.code = code or type(self).default_code
        self.http_status = http_status
        self.request_id = request_id
        self.fault = fault or type(self).default_fault
        self.ambiguous = ambiguous
        self.retry_safe = retry_safe

    default_code = "ProtonError"
    default_fault: Fault = "client"

    def __str__(self) -> str:
        where = f"{self.operation}: " if self.operation else ""
        status = f" (HTTP {self.http_status})" if self.http_status else ""
        request = f" [request {self.request_id}]" if self.request_id else ""
        return f"{where}{self.code}{status}: {self.message}{request}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[ProtonError], message: str, state: dict[str, Any]) -> ProtonError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ProtonServiceError(ProtonError):
    """The service (or the emulator) answered the request with an error."""


class ValidationError(ProtonServiceError, ValueError):
    default_code = "ValidationException"


class IdempotentParameterMismatchError(ValidationError):
    """A client token (or a resource name, for name-keyed creates) was reused with other inputs.

    The first request with that token or name created or changed a resource with
    different parameters; the service refuses to apply the new ones. Use a new token or
    name for a different request, or repeat the original parameters exactly.
    """


class ParameterValidationError(ValidationError):
    """aioproton rejected the request before sending it; the service never saw it."""

    def __init__(self, message: str, *, operation: str, problems: list[str]) -> None:
        super().__init__(message, operation=operation)
        self.problems = problems


class AccessDeniedError(ProtonServiceError, PermissionError):
    default_code = "AccessDeniedException"


class ResourceNotFoundError(ProtonServiceError, LookupError):
    default_code = "ResourceNotFoundException"


class ConflictError(ProtonServiceError):
    default_code = "ConflictException"


class ServiceQuotaExceededError(ProtonServiceError):
    default_code = "ServiceQuotaExceededException"


class ThrottlingError(ProtonServiceError):
    default_code = "ThrottlingException"


class InternalServerError(ProtonServiceError):
    default_code = "InternalServerException"
    default_fault: Fault = "server"


class UnknownServiceError(ProtonServiceError):
    """An error code that the Proton model does not define."""


class ProtonTransportError(ProtonError, OSError):
    """No usable HTTP response arrived."""

    default_code = "TransportError"


class ProtonConnectionError(ProtonTransportError, ConnectionError):
    default_code = "ConnectionError"


class ProtonTimeoutError(ProtonTransportError, TimeoutError):
    default_code = "Timeout"


class ProtonResponseError(ProtonError):
    """The response could not be read as the model describes it."""

    default_code = "InvalidResponse"
    default_fault: Fault = "server"


class PaginationError(ProtonResponseError):
    """The service broke the pagination contract (e.g. it returned a token twice)."""


class ClientClosedError(ProtonError, RuntimeError):
    default_code = "ClientClosed"


SERVICE_ERRORS: dict[str, type[ProtonServiceError]] = {
    "ValidationException": ValidationError,
    "AccessDeniedException": AccessDeniedError,
    "ResourceNotFoundException": ResourceNotFoundError,
    "ConflictException": ConflictError,
    "ServiceQuotaExceededException": ServiceQuotaExceededError,
    "ThrottlingException": ThrottlingError,
    "InternalServerException": InternalServerError,
    # Signing and authentication failures are answered before Proton sees the call.
    "MissingAuthenticationTokenException": AccessDeniedError,
    "UnrecognizedClientException": AccessDeniedError,
    "InvalidSignatureException": AccessDeniedError,
    "IncompleteSignatureException": AccessDeniedError,
    "ExpiredTokenException": AccessDeniedError,
}

# For codes the model does not know, only the statuses that change what a caller should
# do (slow down, retry, fix credentials) pick a class; the rest are UnknownServiceError.
_BY_STATUS: dict[int, type[ProtonServiceError]] = {
    403: AccessDeniedError,
    429: ThrottlingError,
}

# botocore and aiohttp errors that prove the request never left this process or never
# reached a listening server.
_NEVER_SENT = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ProxyConnectionError,
    aiohttp.ClientConnectorError,
)


def translate(exc: BaseException, *, operation: str, replay_safe: bool) -> ProtonError:
    """Map a botocore or aiohttp failure to aioproton's tree.

    ``replay_safe`` says whether this operation may be sent twice without a second
    effect (read-only, client token, or idempotent in the model); it decides
    ``retry_safe`` for failures whose outcome on the server is unknown.
    """
    if isinstance(exc, ProtonError):
        return exc
    if isinstance(exc, botocore.exceptions.ClientError):
        return _from_client_error(exc, operation, replay_safe)
    if isinstance(exc, _NEVER_SENT):
        kind: type[ProtonTransportError] = (
            ProtonTimeoutError
            if isinstance(exc, botocore.exceptions.ConnectTimeoutError)
            else ProtonConnectionError
        )
        return kind(str(exc), operation=operation, retry_safe=True)
    if isinstance(exc, (botocore.exceptions.ReadTimeoutError, TimeoutError)):
        return ProtonTimeoutError(
            str(exc) or "timed out waiting for the response",
            operation=operation,
            ambiguous=True,
            retry_safe=replay_safe,
        )
    if isinstance(
        exc,
        (
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.HTTPClientError,
            aiohttp.ClientError,
            ConnectionError,
        ),
    ):
        return ProtonConnectionError(
            str(exc) or type(exc).__name__,
            operation=operation,
            ambiguous=True,
            retry_safe=replay_safe,
        )
    if isinstance(exc, botocore.exceptions.ResponseParserError):
        return ProtonResponseError(
            str(exc), operation=operation, ambiguous=True, retry_safe=replay_safe
        )
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return ProtonError(
            "no AWS credentials found: pass aws_access_key_id/aws_secret_access_key, "
            "set AWS_PROFILE, or use the emulator's client settings",
            operation=operation,
            code="NoCredentials",
        )
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return ProtonError(str(exc), operation=operation, code=type(exc).__name__)
    raise TypeError(f"not a botocore or transport error: {exc!r}") from exc


def _from_client_error(
    exc: botocore.exceptions.ClientError, operation: str, replay_safe: bool
) -> ProtonServiceError:
    response: dict[str, Any] = dict(exc.response)
    error = response.get("Error") or {}
    metadata = response.get("ResponseMetadata") or {}
    code = str(error.get("Code") or "Unknown")
    message = str(error.get("Message") or code)
    status = metadata.get("HTTPStatusCode")
    cls = SERVICE_ERRORS.get(code)
    if cls is None:
        if isinstance(status, int) and status >= 500:
            cls = InternalServerError
        else:
            cls = (
                _BY_STATUS.get(status, UnknownServiceError)
                if isinstance(status, int)
                else (UnknownServiceError)
            )
    if cls is ValidationError and "idempotent parameter mismatch" in message.lower():
        cls = IdempotentParameterMismatchError
    server_fault = cls is InternalServerError or (isinstance(status, int) and status >= 500)
    if cls is ThrottlingError:
        # A throttled request was refused before the service acted on it.
        retry_safe = True
    elif server_fault:
        retry_safe = replay_safe
    else:
        retry_safe = False
    return cls(
        message,
        operation=operation,
        code=code,
        http_status=status if isinstance(status, int) else None,
        request_id=metadata.get("RequestId"),
        fault="server" if server_fault else "client",
        ambiguous=server_fault,
        retry_safe=retry_safe,
    )
