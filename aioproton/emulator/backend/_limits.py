"""The knobs that shape the emulated service: how long simulated work takes, and quotas."""

from __future__ import annotations

import attrs


@attrs.frozen
class Timings:
    """How long simulated work takes, in clock seconds.

    ``deploy_seconds`` covers environment, service instance, pipeline and component
    deployments and the service's own create/update; the others default from it.
    """

    deploy_seconds: float = 2.0
    register_seconds: float | None = None
    delete_seconds: float | None = None
    cancel_seconds: float | None = None

    @property
    def register(self) -> float:
        return self.deploy_seconds if self.register_seconds is None else self.register_seconds

    @property
    def delete(self) -> float:
        return self.deploy_seconds if self.delete_seconds is None else self.delete_seconds

    @property
    def cancel(self) -> float:
        return self.deploy_seconds / 4 if self.cancel_seconds is None else self.cancel_seconds


@attrs.frozen
class Quotas:
    """The service's default per-account, per-region quotas.

    Tests lower them (``backend.quotas = Quotas(environments=2)``) to reach a limit
    without creating a hundred resources.
    """

    templates: int = 100
    versions_per_template: int = 500
    environments: int = 100
    services: int = 1000
    instances_per_service: int = 20
    components: int = 100
    connections_per_account: int = 5
    tags_per_resource: int = 50
