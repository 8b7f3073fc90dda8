"""aioproton: an async, typed SDK for the AWS Proton API.

Layers, from the bottom up (each imports only the ones below it):

- ``aioproton._generated``: models, operations and model facts, generated from botocore.
- ``aioproton.ProtonClient``: one aiobotocore client, validation, retries, errors.
- ``aioproton.workflow``: pagination, waiters, idempotent retries, safe cancel, bulk.
- ``aioproton.emulator``: a local Proton server speaking the real wire protocol.
"""

from __future__ import annotations

from . import errors as errors
from ._client import ProtonClient as ProtonClient
from ._config import ClientConfig as ClientConfig
from ._config import RetryPolicy as RetryPolicy
from ._enum import OpenEnum as OpenEnum
from ._generated import models as models
from .errors import (
    AccessDeniedError as AccessDeniedError,
)
from .errors import (
    ClientClosedError as ClientClosedError,
)
from .errors import (
    ConflictError as ConflictError,
)
from .errors import (
    IdempotentParameterMismatchError as IdempotentParameterMismatchError,
)
from .errors import (
    InternalServerError as InternalServerError,
)
from .errors import (
    PaginationError as PaginationError,
)
from .errors import (
    ParameterValidationError as ParameterValidationError,
)
from .errors import (
    ProtonConnectionError as ProtonConnectionError,
)
from .errors import (
    ProtonError as ProtonError,
)
from .errors import (
    ProtonResponseError as ProtonResponseError,
)
from .errors import (
    ProtonServiceError as ProtonServiceError,
)
from .errors import (
    ProtonTimeoutError as ProtonTimeoutError,
)
from .errors import (
    ProtonTransportError as ProtonTransportError,
)
from .errors import (
    ResourceNotFoundError as ResourceNotFoundError,
)
from .errors import (
    ServiceQuotaExceededError as ServiceQuotaExceededError,
)
from .errors import (
    ThrottlingError as ThrottlingError,
)
from .errors import (
    UnknownServiceError as UnknownServiceError,
)
from .errors import (
    ValidationError as ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "AccessDeniedError",
    "ClientClosedError",
    "ClientConfig",
    "ConflictError",
    "IdempotentParameterMismatchError",
    "InternalServerError",
    "OpenEnum",
    "PaginationError",
    "ParameterValidationError",
    "ProtonClient",
    "ProtonConnectionError",
    "ProtonError",
    "ProtonResponseError",
    "ProtonServiceError",
    "ProtonTimeoutError",
    "ProtonTransportError",
    "ResourceNotFoundError",
    "RetryPolicy",
    "ServiceQuotaExceededError",
    "ThrottlingError",
    "UnknownServiceError",
    "ValidationError",
    "errors",
    "models",
]
