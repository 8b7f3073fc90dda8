"""Every error aioproton raises, and the one place where foreign errors are translated.

::

    ProtonError                              root: catch this to catch everything below
    ├── ProtonServiceError                   the request was refused for what it asked
    │   ├── ValidationError                  400 ValidationException
    │   │   ├── IdempotentParameterMismatchError   a client token or name reused with other inputs
    │   │   └── ParameterValidationError     refused by aioproton before sending: nothing was sent
    │   ├── AccessDeniedError                403 AccessDeniedException (and the 403s of signing)
    │   ├── ResourceNotFoundError            404 ResourceNotFoundException
    │   ├── ConflictError                    409 ConflictException
    │   ├── ServiceQuotaExceededError        402 ServiceQuotaExceededException
    │   ├── ThrottlingError                  429 ThrottlingException
    │   ├── InternalServerError              500 InternalServerException (and any other 5xx)
    │   └── UnknownServiceError              an error code the model does not know
    ├── CredentialsError                     no usable AWS credentials: nothing was sent
    │   ├── CredentialsNotFoundError         none anywhere in the credential chain
    │   ├── IncompleteCredentialsError       a key id without its secret, or the reverse
    │   ├── CredentialSourceError            a source (credential_process, role, metadata) failed
    │   └── LoginRequiredError               the SSO or ``aws login`` session is missing or expired
    ├── ConfigurationError                   settings that cannot work (region, profile, files)
    ├── ProtonTransportError                 no usable response
    │   ├── ProtonConnectionError            could not connect, or the connection dropped
    │   └── ProtonTimeoutError               connect or read timeout
    ├── ProtonResponseError                  a response that does not fit the model
    │   └── PaginationError                  the service broke the pagination contract
    ├── ProtonSDKError                       botocore failed in a way none of the above describes
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
import botocore.parsers

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
    """The request was refused for what it asked.

    Usually the service (or the emulator) answered with an error; a
    :class:`ParameterValidationError` is the same refusal made by aioproton from the
    model's rules before sending, so that the request never left the process.
    """


class ValidationError(ProtonServiceError, ValueError):
    """The service (or aioproton, before sending) found the request's parameters invalid."""

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
    """The caller's credentials may not perform the operation (IAM denied it)."""

    default_code = "AccessDeniedException"


class ResourceNotFoundError(ProtonServiceError, LookupError):
    """The resource the operation names does not exist (or no longer does)."""

    default_code = "ResourceNotFoundException"


class ConflictError(ProtonServiceError):
    """The resource's state forbids the operation now (e.g. a deployment is in progress)."""

    default_code = "ConflictException"


class ServiceQuotaExceededError(ProtonServiceError):
    """The account reached a Proton quota (templates, environments, ...)."""

    default_code = "ServiceQuotaExceededException"


class ThrottlingError(ProtonServiceError):
    """The service throttled the request; retried with backoff by the retry policy."""

    default_code = "ThrottlingException"


class InternalServerError(ProtonServiceError):
    """The service failed on its side; retried when the operation is replay-safe."""

    default_code = "InternalServerException"
    default_fault: Fault = "server"


class UnknownServiceError(ProtonServiceError):
    """An error code that the Proton model does not define."""


class CredentialsError(ProtonError):
    """No usable AWS credentials, so the request was never signed nor sent."""

    default_code = "CredentialsError"


class CredentialsNotFoundError(CredentialsError):
    """No source in the credential chain (arguments, environment, profile, roles) had any."""


class IncompleteCredentialsError(CredentialsError):
    """An access key id without its secret key, or the reverse."""


class CredentialSourceError(CredentialsError):
    """A credential source failed: a ``credential_process``, an assumed role, or metadata.

    The source may recover (a metadata endpoint that timed out), so it is ``retry_safe``.
    """


class LoginRequiredError(CredentialsError):
    """The SSO (or ``aws login``) session is missing, expired or refused: sign in again."""


class ConfigurationError(ProtonError, ValueError):
    """Settings that cannot work: no or a malformed region, an unknown profile, a bad
    config file or endpoint. Nothing was sent; fix the settings named in the message."""

    default_code = "ConfigurationError"


class ProtonTransportError(ProtonError, OSError):
    """No usable HTTP response arrived."""

    default_code = "TransportError"


class ProtonConnectionError(ProtonTransportError, ConnectionError):
    """The connection to the endpoint failed (refused, reset, DNS, TLS)."""

    default_code = "ConnectionError"


class ProtonTimeoutError(ProtonTransportError, TimeoutError):
    """The endpoint did not answer within the connect or read timeout."""

    default_code = "Timeout"


class ProtonResponseError(ProtonError):
    """The response could not be read as the model describes it."""

    default_code = "InvalidResponse"
    default_fault: Fault = "server"


class PaginationError(ProtonResponseError):
    """The service broke the pagination contract (e.g. it returned a token twice)."""


class ProtonSDKError(ProtonError):
    """botocore failed in a way that no other class describes (likely a bug to report)."""

    default_code = "SDKError"


class ClientClosedError(ProtonError, RuntimeError):
    """The ``ProtonClient`` is not open: open it with ``async with`` (once)."""

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


def _botocore(*names: str) -> tuple[type[Exception], ...]:
    """The named botocore exception classes that this botocore version has."""
    found = (getattr(botocore.exceptions, name, None) for name in names)
    return tuple(cls for cls in found if isinstance(cls, type))


_LOGIN_REQUIRED = _botocore("TokenRetrievalError", "SSOError", "LoginError")
_SOURCE_FAILED = _botocore("CredentialRetrievalError", "RefreshWithMFAUnsupportedError")
_RESPONSE_PROBLEMS = (
    botocore.parsers.ResponseParserError,
    *_botocore("ChecksumError", "FlexibleChecksumError"),
)

_SETTINGS_ADVICE = (
    "fix the client's settings, the AWS_* environment variables or the AWS config files "
    "(~/.aws/config, ~/.aws/credentials)"
)
# What to do about each configuration problem; the others get _SETTINGS_ADVICE.
_CONFIGURATION_ADVICE: dict[str, str] = {
    "NoRegionError": (
        "pass region_name= (e.g. 'us-east-1'), set AWS_REGION, or set region in the profile"
    ),
    "InvalidRegionError": "region_name must look like 'us-east-1'",
    "UnknownRegionError": "region_name must look like 'us-east-1'",
    "UnknownEndpointError": "pass a region where Proton runs, or endpoint_url=",
    "ProfileNotFound": (
        "pass an existing profile_name= or fix AWS_PROFILE; "
        "`aws configure list-profiles` lists the profiles"
    ),
    "ConfigNotFound": "fix AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE",
    "ConfigParseError": "fix the syntax of that file",
}
_CONFIGURATION = _botocore(
    "NoRegionError",
    "InvalidRegionError",
    "UnknownRegionError",
    "BaseEndpointResolverError",
    "EndpointProviderError",
    "ProfileNotFound",
    "ConfigNotFound",
    "ConfigParseError",
    "InvalidConfigError",
    "InvalidEndpointConfigurationError",
    "InvalidRetryConfigurationError",
    "InvalidDefaultsMode",
    "InvalidIMDSEndpointError",
    "InvalidIMDSEndpointModeError",
    "InvalidProxiesConfigError",
    "InvalidChecksumConfigError",
    "InvalidEndpointDiscoveryConfigurationError",
    "UnknownSignatureVersionError",
    "UnsupportedSignatureVersionError",
    "UnknownCredentialError",
    "UnknownTokenProviderError",
    "MissingDependencyException",
    "ServiceNotInRegionError",
)


def translate(
    exc: BaseException, *, operation: str | None = None, replay_safe: bool = False
) -> ProtonError:
    """Map a botocore or aiohttp failure to aioproton's tree.

    ``replay_safe`` says whether this operation may be sent twice without a second
    effect (read-only, client token, or idempotent in the model); it decides
    ``retry_safe`` for failures whose outcome on the server is unknown. Anything that is
    not a botocore or transport failure is a bug: ``TypeError``.
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
    if isinstance(exc, _RESPONSE_PROBLEMS):
        return ProtonResponseError(
            f"the response could not be read: {exc}",
            operation=operation,
            code=type(exc).__name__,
            ambiguous=True,
            retry_safe=replay_safe,
        )
    setup = _setup_error(exc, operation)
    if setup is not None:
        return setup
    if isinstance(exc, botocore.exceptions.BotoCoreError):
        return ProtonSDKError(
            f"{_sentence(exc)}; aioproton has no better class for this botocore failure, "
            "please report it with the operation and the botocore version",
            operation=operation,
            code=type(exc).__name__,
            # Where botocore failed is unknown, and a bug does not go away by retrying.
            ambiguous=True,
        )
    raise TypeError(f"not a botocore or transport error: {exc!r}") from exc


def translate_configuration_error(exc: BaseException) -> ProtonError:
    """Map a failure to open a client (botocore's settings or credential checks).

    A credential problem becomes a :class:`CredentialsError`, a settings problem a
    :class:`ConfigurationError`; botocore's plain ``ValueError`` (an ``endpoint_url`` it
    cannot use) is a setting too. Anything else is a bug: ``TypeError``.
    """
    if isinstance(exc, ProtonError):
        return exc
    setup = _setup_error(exc, None)
    if setup is not None:
        return setup
    if isinstance(exc, ValueError) and not isinstance(exc, botocore.exceptions.BotoCoreError):
        return ConfigurationError(f"{_sentence(exc)}: {_SETTINGS_ADVICE}", code=type(exc).__name__)
    raise TypeError(f"not a configuration or credential error: {exc!r}") from exc


def _sentence(exc: BaseException) -> str:
    """botocore's message on one line, without its final period, to append advice to."""
    return " ".join(str(exc).split()).rstrip(".") or type(exc).__name__


def _setup_error(exc: BaseException, operation: str | None) -> ProtonError | None:
    """A credential or configuration problem, or ``None`` when ``exc`` is neither."""
    code = type(exc).__name__
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return CredentialsNotFoundError(
            "no AWS credentials found: pass aws_access_key_id and aws_secret_access_key, "
            "set AWS_PROFILE (or profile_name=) to a profile in ~/.aws, run `aws configure`, "
            "or for the emulator pass its client_settings",
            operation=operation,
            code=code,
        )
    if isinstance(exc, botocore.exceptions.PartialCredentialsError):
        kwargs = getattr(exc, "kwargs", {})
        return IncompleteCredentialsError(
            f"incomplete AWS credentials in {kwargs.get('provider', 'a source')}: "
            f"{kwargs.get('cred_var', 'a value')} is missing; give both "
            "aws_access_key_id and aws_secret_access_key (and the session token of "
            "temporary credentials) from the same source",
            operation=operation,
            code=code,
        )
    if isinstance(exc, _LOGIN_REQUIRED):
        return LoginRequiredError(
            f"{_sentence(exc)}; sign in again: `aws sso login --profile <profile>` for SSO, "
            "`aws login` for a login session",
            operation=operation,
            code=code,
        )
    if isinstance(exc, _SOURCE_FAILED):
        return CredentialSourceError(
            f"{_sentence(exc)}; check that source works "
            "(`aws sts get-caller-identity` with the same profile runs the same chain)",
            operation=operation,
            code=code,
            retry_safe=True,
        )
    if isinstance(exc, _CONFIGURATION):
        advice = _CONFIGURATION_ADVICE.get(code, _SETTINGS_ADVICE)
        return ConfigurationError(f"{_sentence(exc)}: {advice}", operation=operation, code=code)
    return None


def _from_client_error(
    exc: botocore.exceptions.ClientError, operation: str | None, replay_safe: bool
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
