"""The workflow layer: waiting, exactly-once requests, safe cancel, bulk work, rollouts.

Built on :class:`~aioproton.ProtonClient` (the client never imports this package):

- :mod:`.waiters` / :mod:`.waiter`: a waiter for every long-running state, polling on a
  :class:`~aioproton.clock.Clock` with schedules from :mod:`.schedule` that use the
  deployment history (:mod:`.history`); :mod:`.states` says what each status means
  and holds the :class:`StateChange` events waiters report.
- :mod:`.idempotency`, :mod:`.tokens`, :mod:`.reconcile`: one logical create or update
  performed once across retries and restarts.
- :mod:`.cancel`: cancel a deployment without losing the race with its completion.
- :mod:`.ratelimit`, :mod:`.bulk`, :mod:`.rollout`: many items at a bounded concurrency
  and an adaptive rate; rolling a template version out in waves (:mod:`.waves`), with
  health gates (:mod:`.gates`) and progress kept for pause and resume
  (:mod:`.rollout_state`, :mod:`.rollout_state_postgres`).
- :mod:`.leases`, :mod:`.postgres`: leases with fencing, and stores shared by replicas
  on several hosts (``aioproton[postgres]``; loaded on first use).
- :mod:`.errors`: the errors of all of the above, under ``ProtonError``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .bulk import BulkRun as BulkRun
from .bulk import BulkSummary as BulkSummary
from .bulk import ConcurrencyWarning as ConcurrencyWarning
from .bulk import ItemResult as ItemResult
from .bulk import ItemStatus as ItemStatus
from .bulk import bulk as bulk
from .bulk import check_concurrency as check_concurrency
from .bulk import run_bulk as run_bulk
from .cancel import CancelGuard as CancelGuard
from .cancel import CancelOutcome as CancelOutcome
from .cancel import CancelResult as CancelResult
from .cancel import cancel_deployment as cancel_deployment
from .cancel import cancel_on_exit as cancel_on_exit
from .errors import BulkError as BulkError
from .errors import DeleteFailedError as DeleteFailedError
from .errors import DeploymentCancelledError as DeploymentCancelledError
from .errors import DeploymentFailedError as DeploymentFailedError
from .errors import IdempotencyError as IdempotencyError
from .errors import RegistrationFailedError as RegistrationFailedError
from .errors import ResourceGoneError as ResourceGoneError
from .errors import StateConflictError as StateConflictError
from .errors import TokenExpiredError as TokenExpiredError
from .errors import WaiterError as WaiterError
from .errors import WaitTimeoutError as WaitTimeoutError
from .gates import Gate as Gate
from .gates import GateCheck as GateCheck
from .gates import GateDecision as GateDecision
from .history import DeploymentHistory as DeploymentHistory
from .history import DurationEstimate as DurationEstimate
from .idempotency import TOKEN_LIFETIME as TOKEN_LIFETIME
from .idempotency import DurableRetry as DurableRetry
from .idempotency import IdempotentCalls as IdempotentCalls
from .leases import Lease as Lease
from .leases import LeaseLostError as LeaseLostError
from .leases import LeaseSession as LeaseSession
from .leases import LeaseStore as LeaseStore
from .leases import LeaseTaken as LeaseTaken
from .leases import LeaseUnavailableError as LeaseUnavailableError
from .leases import SqliteLeaseStore as SqliteLeaseStore
from .purge import AutoPurge as AutoPurge
from .ratelimit import AdaptiveRateLimiter as AdaptiveRateLimiter
from .ratelimit import MaxRate as MaxRate
from .rollout import Rollout as Rollout
from .rollout_results import RolloutAction as RolloutAction
from .rollout_results import RolloutItem as RolloutItem
from .rollout_results import RolloutReport as RolloutReport
from .rollout_results import RolloutResult as RolloutResult
from .rollout_results import RolloutStatus as RolloutStatus
from .rollout_results import StopReason as StopReason
from .rollout_state import ItemState as ItemState
from .rollout_state import MemoryRolloutStateStore as MemoryRolloutStateStore
from .rollout_state import RolloutPhase as RolloutPhase
from .rollout_state import RolloutState as RolloutState
from .rollout_state import RolloutStateStore as RolloutStateStore
from .rollout_state import SqliteRolloutStateStore as SqliteRolloutStateStore
from .schedule import ExponentialBackoff as ExponentialBackoff
from .schedule import FixedDelay as FixedDelay
from .schedule import HistoryAwareSchedule as HistoryAwareSchedule
from .schedule import PollContext as PollContext
from .schedule import PollSchedule as PollSchedule
from .schedule import SdkBackoff as SdkBackoff
from .states import StateChange as StateChange
from .states import WaitVerdict as WaitVerdict
from .targets import ComponentTarget as ComponentTarget
from .targets import DeploymentTarget as DeploymentTarget
from .targets import EnvironmentTarget as EnvironmentTarget
from .targets import ServiceInstanceTarget as ServiceInstanceTarget
from .targets import ServicePipelineTarget as ServicePipelineTarget
from .targets import TargetKeywords as TargetKeywords
from .targets import deployment_target as deployment_target
from .targets import target_of as target_of
from .tokens import MemoryTokenStore as MemoryTokenStore
from .tokens import SqliteTokenStore as SqliteTokenStore
from .tokens import TokenRecord as TokenRecord
from .tokens import TokenStore as TokenStore
from .waiter import OnChange as OnChange
from .waiter import Probe as Probe
from .waiter import Waiter as Waiter
from .waiters import Waiters as Waiters
from .waiters import WaitOptions as WaitOptions
from .waves import FailureBudget as FailureBudget
from .waves import Plan as Plan
from .waves import PlanError as PlanError
from .waves import Step as Step
from .waves import all_at_once as all_at_once
from .waves import canary as canary
from .waves import one_at_a_time as one_at_a_time

if TYPE_CHECKING:
    from .postgres import PostgresLeaseStore as PostgresLeaseStore
    from .postgres import PostgresTokenStore as PostgresTokenStore
    from .postgres import StoreConnectionError as StoreConnectionError
    from .postgres import StoreError as StoreError
    from .rollout_state_postgres import PostgresRolloutStateStore as PostgresRolloutStateStore

#: Names whose module needs an extra (``aioproton[postgres]``): imported on first use.
_OPTIONAL = {
    "PostgresLeaseStore": ".postgres",
    "PostgresTokenStore": ".postgres",
    "StoreConnectionError": ".postgres",
    "StoreError": ".postgres",
    "PostgresRolloutStateStore": ".rollout_state_postgres",
}

__all__ = [
    "TOKEN_LIFETIME",
    "AdaptiveRateLimiter",
    "AutoPurge",
    "BulkError",
    "BulkRun",
    "BulkSummary",
    "CancelGuard",
    "CancelOutcome",
    "CancelResult",
    "ComponentTarget",
    "ConcurrencyWarning",
    "DeleteFailedError",
    "DeploymentCancelledError",
    "DeploymentFailedError",
    "DeploymentHistory",
    "DeploymentTarget",
    "DurableRetry",
    "DurationEstimate",
    "EnvironmentTarget",
    "ExponentialBackoff",
    "FailureBudget",
    "FixedDelay",
    "Gate",
    "GateCheck",
    "GateDecision",
    "HistoryAwareSchedule",
    "IdempotencyError",
    "IdempotentCalls",
    "ItemResult",
    "ItemState",
    "ItemStatus",
    "Lease",
    "LeaseLostError",
    "LeaseSession",
    "LeaseStore",
    "LeaseTaken",
    "LeaseUnavailableError",
    "MaxRate",
    "MemoryRolloutStateStore",
    "MemoryTokenStore",
    "OnChange",
    "Plan",
    "PlanError",
    "PollContext",
    "PollSchedule",
    "PostgresLeaseStore",
    "PostgresRolloutStateStore",
    "PostgresTokenStore",
    "Probe",
    "RegistrationFailedError",
    "ResourceGoneError",
    "Rollout",
    "RolloutAction",
    "RolloutItem",
    "RolloutPhase",
    "RolloutReport",
    "RolloutResult",
    "RolloutState",
    "RolloutStateStore",
    "RolloutStatus",
    "SdkBackoff",
    "ServiceInstanceTarget",
    "ServicePipelineTarget",
    "SqliteLeaseStore",
    "SqliteRolloutStateStore",
    "SqliteTokenStore",
    "StateChange",
    "StateConflictError",
    "Step",
    "StopReason",
    "StoreConnectionError",
    "StoreError",
    "TargetKeywords",
    "TokenExpiredError",
    "TokenRecord",
    "TokenStore",
    "WaitOptions",
    "WaitTimeoutError",
    "WaitVerdict",
    "Waiter",
    "WaiterError",
    "Waiters",
    "all_at_once",
    "bulk",
    "canary",
    "cancel_deployment",
    "cancel_on_exit",
    "check_concurrency",
    "deployment_target",
    "one_at_a_time",
    "run_bulk",
    "target_of",
]


def __getattr__(name: str) -> Any:
    module = _OPTIONAL.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
