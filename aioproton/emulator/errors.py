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
        return {"__type": self.code, "message": self.message}


class ValidationException(ServiceError):
    code = "ValidationException"
    status = 400


class AccessDeniedException(ServiceError):
    code = "AccessDeniedException"
    status = 403


class ResourceNotFoundException(ServiceError):
    code = "ResourceNotFoundException"
    status = 404


class ConflictException(ServiceError):
    code = "ConflictException"
    status = 409


class ServiceQuotaExceededException(ServiceError):
    code = "ServiceQuotaExceededException"
    status = 402


class ThrottlingException(ServiceError):
    code = "ThrottlingException"
    status = 429


class InternalServerException(ServiceError):
    code = "InternalServerException"
    status = 500


# Protocol-level errors, answered before any operation runs.


class UnknownOperationException(ServiceError):
    code = "UnknownOperationException"
    status = 400


class SerializationException(ServiceError):
    code = "SerializationException"
    status = 400


class RequestEntityTooLargeException(ServiceError):
    code = "RequestEntityTooLargeException"
    status = 413


class MissingAuthenticationTokenException(ServiceError):
    code = "MissingAuthenticationTokenException"
    status = 403


class IncompleteSignatureException(ServiceError):
    code = "IncompleteSignatureException"
    status = 403


class InvalidSignatureException(ServiceError):
    code = "InvalidSignatureException"
    status = 403


class UnrecognizedClientException(ServiceError):
    code = "UnrecognizedClientException"
    status = 403


def idempotent_parameter_mismatch(detail: str) -> ValidationException:
    """The service's answer to a reused client token or name with other inputs."""
    return ValidationException(f"Idempotent parameter mismatch: {detail}")
