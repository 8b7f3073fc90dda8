"""The domain side of the Proton emulator: every operation's rules and lifecycles.

The HTTP server parses, authenticates and validates a request, then calls
:meth:`ProtonBackend.handle` with a :class:`RequestContext`; the backend answers with
the JSON-ready output object or raises an :class:`~aioproton.emulator.errors.ServiceError`.
Lifecycles are driven by the backend's clock, and an :class:`OutcomeScript` decides how
each deployment, delete or registration ends.
"""

from __future__ import annotations

from ._dispatch import ProtonBackend as ProtonBackend
from ._engine import RequestContext as RequestContext
from ._limits import Quotas as Quotas
from ._limits import Timings as Timings
from ._script import OutcomeScript as OutcomeScript
from ._script import ScriptRule as ScriptRule
from ._selfcheck import check_response as check_response

__all__ = [
    "OutcomeScript",
    "ProtonBackend",
    "Quotas",
    "RequestContext",
    "ScriptRule",
    "Timings",
    "check_response",
]
