"""The errors the emulator answers with: one class per AWS error, with its HTTP status.

The seven modelled Proton errors carry the status codes of the Smithy model's
``httpError`` traits (botocore's model has none); the protocol and signing errors are
the ones every AWS JSON service returns before an operation runs.
"""

from __future__ import annotations

from typing import ClassVar


class ServiceError(Exception):
    """An error response: ``{"__type": code, "message": message}`` with ``status``."""

    code: ClassVar[str] = "InternalServerException"
    status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, str]:
        """The JSON error body, as AWS JSON 1.0 services send it."""
        return {"__type": self.code, "message": self.message}


class ValidationException(ServiceError):
    """The request's parameters break the model's constraints or the state's rules."""

    code = "ValidationException"
    status = 400


class AccessDeniedException(ServiceError):
    """The caller may not perform the operation."""

    code = "AccessDeniedException"
    status = 403


class ResourceNotFoundException(ServiceError):
    """The named resource does not exist."""

    code = "ResourceNotFoundException"
    status = 404


class ConflictException(ServiceError):
    """The resource's state forbids the operation now (e.g. a deployment in progress)."""

    code = "ConflictException"
    status = 409


class ServiceQuotaExceededException(ServiceError):
    """A quota of the emulator (as of the account on AWS) is reached."""

    code = "ServiceQuotaExceededException"
    status = 402


class ThrottlingException(ServiceError):
    """Too many requests: the client should back off and retry."""

    code = "ThrottlingException"
    status = 429


class InternalServerException(ServiceError):
    """The service failed on its side (the emulator sends it only as a fault)."""

    code = "InternalServerException"
    status = 500


# Protocol-level errors, answered before any operation runs.


class UnknownOperationException(ServiceError):
    """The ``X-Amz-Target`` names no Proton operation."""

    code = "UnknownOperationException"
    status = 400


class SerializationException(ServiceError):
    """The body is not the JSON the operation takes."""

    code = "SerializationException"
    status = 400


class RequestEntityTooLargeException(ServiceError):
    """The request body is over the size limit."""

    code = "RequestEntityTooLargeException"
    status = 413


class MissingAuthenticationTokenException(ServiceError):
    """The request is not signed."""

    code = "MissingAuthenticationTokenException"
    status = 403


class IncompleteSignatureException(ServiceError):
    """The ``Authorization`` header is malformed or incomplete."""

    code = "IncompleteSignatureException"
    status = 403


class InvalidSignatureException(ServiceError):
    """The SigV4 signature does not match the request."""

    code = "InvalidSignatureException"
    status = 403


class UnrecognizedClientException(ServiceError):
    """The access key is not one the emulator accepts."""

    code = "UnrecognizedClientException"
    status = 403


def idempotent_parameter_mismatch(detail: str) -> ValidationException:
    """The service's answer to a reused client token or name with other inputs."""
    return ValidationException(f"Idempotent parameter mismatch: {detail}")
