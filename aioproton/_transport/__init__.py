"""aioproton's own AWS JSON 1.0 transport for the typed calls.

botocore stays the source of credentials (its provider chain), of the endpoint (its
ruleset, evaluated once per client) and of the model; requests are built, signed, sent
and read here. Each part is checked against botocore by ``tests/client/test_transport_*``.
"""

from ._credentials import CredentialCache as CredentialCache
from ._credentials import Frozen as Frozen
from ._endpoint import Endpoint as Endpoint
from ._endpoint import resolve as resolve_endpoint
from ._http import Transport as Transport
from ._open import new_session as new_session
from ._open import open_transport as open_transport
from ._response import parse_error as parse_error
from ._useragent import user_agent as user_agent

__all__ = [
    "CredentialCache",
    "Endpoint",
    "Frozen",
    "Transport",
    "new_session",
    "open_transport",
    "parse_error",
    "resolve_endpoint",
    "user_agent",
]
