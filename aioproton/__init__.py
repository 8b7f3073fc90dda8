"""aioproton: an async, typed SDK for the AWS Proton API.

Layers, from the bottom up (a module imports only its own layer and the ones below it;
``tests/test_layers.py`` enforces this):

- the core: ``aioproton._generated`` (models, operations and model facts, generated
  from botocore), :class:`ProtonClient` (one aiobotocore client, validation, retries,
  errors), pagination (``proton.paginate``), backoff and the clock.
- ``aioproton.workflow``: waiters, idempotent retries, safe cancel, bulk runs, rollouts.
- ``aioproton.emulator``: a local Proton server speaking the real wire protocol, beside
  the workflow layer (neither imports the other; only ``Emulator.client()`` uses the
  client).
- ``aioproton.testing`` and ``aioproton.cli``: the pytest plugin and the command line.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from ._lazy import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from . import errors as errors
    from . import models as models
    from . import observe as observe
    from . import redaction as redaction
    from ._backoff import Backoff as Backoff
    from ._client import NotGiven as NotGiven
    from ._client import ProtonClient as ProtonClient
    from ._config import ClientConfig as ClientConfig
    from ._config import RetryPolicy as RetryPolicy
    from ._enum import OpenEnum as OpenEnum
    from ._generated.paginators import GeneratedPaginators as GeneratedPaginators
    from ._paginate import Page as Page
    from ._paginate import Paginator as Paginator
    from ._retry import RateLimiter as RateLimiter
    from .clock import Clock as Clock
    from .clock import ManualClock as ManualClock
    from .clock import SystemClock as SystemClock
    from .errors import AccessDeniedError as AccessDeniedError
    from .errors import ClientClosedError as ClientClosedError
    from .errors import ConfigurationError as ConfigurationError
    from .errors import ConflictError as ConflictError
    from .errors import CredentialsError as CredentialsError
    from .errors import CredentialsNotFoundError as CredentialsNotFoundError
    from .errors import CredentialSourceError as CredentialSourceError
    from .errors import IdempotentParameterMismatchError as IdempotentParameterMismatchError
    from .errors import IncompleteCredentialsError as IncompleteCredentialsError
    from .errors import InternalServerError as InternalServerError
    from .errors import LoginRequiredError as LoginRequiredError
    from .errors import PaginationError as PaginationError
    from .errors import ParameterValidationError as ParameterValidationError
    from .errors import ProtonConnectionError as ProtonConnectionError
    from .errors import ProtonError as ProtonError
    from .errors import ProtonResponseError as ProtonResponseError
    from .errors import ProtonSDKError as ProtonSDKError
    from .errors import ProtonServiceError as ProtonServiceError
    from .errors import ProtonTimeoutError as ProtonTimeoutError
    from .errors import ProtonTransportError as ProtonTransportError
    from .errors import ResourceNotFoundError as ResourceNotFoundError
    from .errors import ServiceQuotaExceededError as ServiceQuotaExceededError
    from .errors import ThrottlingError as ThrottlingError
    from .errors import UnknownServiceError as UnknownServiceError
    from .errors import ValidationError as ValidationError
    from .observe import AttemptEnded as AttemptEnded
    from .observe import AttemptStarted as AttemptStarted
    from .observe import BulkEnded as BulkEnded
    from .observe import BulkItemEnded as BulkItemEnded
    from .observe import BulkItemStarted as BulkItemStarted
    from .observe import BulkStarted as BulkStarted
    from .observe import CallEnded as CallEnded
    from .observe import CallStarted as CallStarted
    from .observe import CancelEnded as CancelEnded
    from .observe import CancelRequested as CancelRequested
    from .observe import Observer as Observer
    from .observe import Observers as Observers
    from .observe import Polled as Polled
    from .observe import RateChanged as RateChanged
    from .observe import Reconciled as Reconciled
    from .observe import RequestEnded as RequestEnded
    from .observe import RequestStarted as RequestStarted
    from .observe import Retrying as Retrying
    from .observe import RolloutEnded as RolloutEnded
    from .observe import RolloutItemEnded as RolloutItemEnded
    from .observe import RolloutItemStarted as RolloutItemStarted
    from .observe import RolloutStarted as RolloutStarted
    from .observe import StateChanged as StateChanged
    from .observe import WaitEnded as WaitEnded
    from .observe import WaitStarted as WaitStarted

# Every public name loads on first use (PEP 562): ``import aioproton`` alone imports
# neither botocore nor aiohttp, so the command line answers ``--help`` at once.
_EXPORTS = {
    "Backoff": "._backoff",
    "NotGiven": "._client",
    "ProtonClient": "._client",
    "ClientConfig": "._config",
    "RetryPolicy": "._config",
    "OpenEnum": "._enum",
    "GeneratedPaginators": "._generated.paginators",
    "Page": "._paginate",
    "Paginator": "._paginate",
    "RateLimiter": "._retry",
    "Clock": ".clock",
    "ManualClock": ".clock",
    "SystemClock": ".clock",
    "AccessDeniedError": ".errors",
    "ClientClosedError": ".errors",
    "ConfigurationError": ".errors",
    "ConflictError": ".errors",
    "CredentialsError": ".errors",
    "CredentialsNotFoundError": ".errors",
    "CredentialSourceError": ".errors",
    "IdempotentParameterMismatchError": ".errors",
    "IncompleteCredentialsError": ".errors",
    "InternalServerError": ".errors",
    "LoginRequiredError": ".errors",
    "PaginationError": ".errors",
    "ParameterValidationError": ".errors",
    "ProtonConnectionError": ".errors",
    "ProtonError": ".errors",
    "ProtonResponseError": ".errors",
    "ProtonSDKError": ".errors",
    "ProtonServiceError": ".errors",
    "ProtonTimeoutError": ".errors",
    "ProtonTransportError": ".errors",
    "ResourceNotFoundError": ".errors",
    "ServiceQuotaExceededError": ".errors",
    "ThrottlingError": ".errors",
    "UnknownServiceError": ".errors",
    "ValidationError": ".errors",
    "AttemptEnded": ".observe",
    "AttemptStarted": ".observe",
    "BulkEnded": ".observe",
    "BulkItemEnded": ".observe",
    "BulkItemStarted": ".observe",
    "BulkStarted": ".observe",
    "CallEnded": ".observe",
    "CallStarted": ".observe",
    "CancelEnded": ".observe",
    "CancelRequested": ".observe",
    "Observer": ".observe",
    "Observers": ".observe",
    "Polled": ".observe",
    "RateChanged": ".observe",
    "Reconciled": ".observe",
    "RequestEnded": ".observe",
    "RequestStarted": ".observe",
    "Retrying": ".observe",
    "RolloutEnded": ".observe",
    "RolloutItemEnded": ".observe",
    "RolloutItemStarted": ".observe",
    "RolloutStarted": ".observe",
    "StateChanged": ".observe",
    "WaitEnded": ".observe",
    "WaitStarted": ".observe",
}
_SUBMODULES = {
    "errors": ".errors",
    "models": ".models",
    "observe": ".observe",
    "redaction": ".redaction",
}
_names, _load, _listing = _lazy_exports(__name__, _EXPORTS)


def __getattr__(name: str) -> _typing.Any:
    module = _SUBMODULES.get(name)
    if module is None:
        return _load(name)
    value = _importlib.import_module(module, __name__)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*_listing(), *_SUBMODULES})


__version__ = "0.1.0"

__all__ = [
    "AccessDeniedError",
    "AttemptEnded",
    "AttemptStarted",
    "Backoff",
    "BulkEnded",
    "BulkItemEnded",
    "BulkItemStarted",
    "BulkStarted",
    "CallEnded",
    "CallStarted",
    "CancelEnded",
    "CancelRequested",
    "ClientClosedError",
    "ClientConfig",
    "Clock",
    "ConfigurationError",
    "ConflictError",
    "CredentialSourceError",
    "CredentialsError",
    "CredentialsNotFoundError",
    "GeneratedPaginators",
    "IdempotentParameterMismatchError",
    "IncompleteCredentialsError",
    "InternalServerError",
    "LoginRequiredError",
    "ManualClock",
    "NotGiven",
    "Observer",
    "Observers",
    "OpenEnum",
    "Page",
    "PaginationError",
    "Paginator",
    "ParameterValidationError",
    "Polled",
    "ProtonClient",
    "ProtonConnectionError",
    "ProtonError",
    "ProtonResponseError",
    "ProtonSDKError",
    "ProtonServiceError",
    "ProtonTimeoutError",
    "ProtonTransportError",
    "RateChanged",
    "RateLimiter",
    "Reconciled",
    "RequestEnded",
    "RequestStarted",
    "ResourceNotFoundError",
    "RetryPolicy",
    "Retrying",
    "RolloutEnded",
    "RolloutItemEnded",
    "RolloutItemStarted",
    "RolloutStarted",
    "ServiceQuotaExceededError",
    "StateChanged",
    "SystemClock",
    "ThrottlingError",
    "UnknownServiceError",
    "ValidationError",
    "WaitEnded",
    "WaitStarted",
    "errors",
    "models",
    "observe",
    "redaction",
]
