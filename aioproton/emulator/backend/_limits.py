"""The knobs that shape the emulated service: how long simulated work takes, and quotas."""

from __future__ import annotations

from collections.abc import Mapping

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
    """The service's per-account, per-region quotas; past one, a create answers HTTP 402
    ``ServiceQuotaExceededException``. The defaults are AWS's (``templates`` counts
    environment and service templates together).

    Tests lower them (``backend.quotas = Quotas(environments=2)``) to reach a limit
    without creating a hundred resources, or raise them, as AWS does on request, to
    test code against thousands: ``Emulator(quotas={"environments": 20000})``,
    ``aioproton emulator --quota environments=20000``, ``EmulatorControl.set_quotas``.
    """

    templates: int = 100
    versions_per_template: int = 500
    environments: int = 100
    services: int = 1000
    instances_per_service: int = 20
    components: int = 100
    connections_per_account: int = 5
    tags_per_resource: int = 50

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The quota names, as ``--quota NAME=N`` and ``Emulator(quotas=...)`` take them."""
        return tuple(field.name for field in attrs.fields(cls))

    def to_dict(self) -> dict[str, int]:
        """The quotas by name (the control endpoint's ``/_emulator/quotas``)."""
        return attrs.asdict(self)

    def updated(self, changes: Mapping[str, object]) -> Quotas:
        """These quotas with ``changes`` (name to positive int) applied.

        Raises ValueError naming the known quotas for an unknown name, and for a value
        that is not a positive integer.
        """
        for name, value in changes.items():
            if name not in self.names():
                raise ValueError(
                    f"unknown quota {name!r}; the quotas are: {', '.join(self.names())}"
                )
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"quota {name} must be a positive integer, not {value!r}")
        return attrs.evolve(self, **changes)  # type: ignore[arg-type]


def parse_quota(text: str) -> tuple[str, int]:
    """``"environments=20000"`` as ``("environments", 20000)``, checked against Quotas."""
    name, sep, value = text.partition("=")
    if not sep or not value.strip().lstrip("-").isdigit():
        raise ValueError(f"give a quota as NAME=N (e.g. environments=20000), not {text!r}")
    name, number = name.strip(), int(value)
    Quotas().updated({name: number})
    return name, number
