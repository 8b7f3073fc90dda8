"""The four kinds of resource that Proton deploys, behind one interface.

Environments, service instances, service pipelines and components each have their own
Get, Cancel and ListDeployments filter; waiters, safe cancel and rollouts work on a
:class:`DeploymentTarget` instead of repeating that four times.
"""

from __future__ import annotations

import abc
from typing import Any, Generic, TypedDict, TypeVar

import attrs

from .._client import ProtonClient
from .._generated import models
from .._paginate import Paginator
from ..errors import ResourceNotFoundError

__all__ = [
    "ComponentTarget",
    "DeploymentTarget",
    "EnvironmentTarget",
    "ServiceInstanceTarget",
    "ServicePipelineTarget",
    "TargetKeywords",
    "deployment_target",
    "target_of",
]


#: The four kinds of deployed resource (one definition for the whole workflow layer).
Deployed = TypeVar(
    "Deployed",
    models.Environment,
    models.ServiceInstance,
    models.ServicePipeline,
    models.Component,
)


class DeploymentTarget(abc.ABC, Generic[Deployed]):
    """One deployable resource, named the way its operations name it."""

    #: ``environment``, ``service instance``, ``service pipeline`` or ``component``.
    kind: str
    #: The operation that reads the resource (for error reports).
    get_operation: str

    @property
    @abc.abstractmethod
    def path(self) -> str:
        """The resource part of its ARN, e.g. ``service/api/service-instance/one``."""

    @abc.abstractmethod
    async def get(self, proton: ProtonClient) -> Deployed:
        """Read the resource (raises ``ResourceNotFoundError`` when it does not exist)."""

    @abc.abstractmethod
    async def cancel(self, proton: ProtonClient) -> Deployed:
        """Ask the service to cancel the deployment in progress."""

    @abc.abstractmethod
    def deployments(
        self, proton: ProtonClient, *, page_size: int, max_items: int
    ) -> Paginator[models.DeploymentSummary]:
        """The ListDeployments listing that includes this target's deployment records."""

    @property
    @abc.abstractmethod
    def names(self) -> tuple[str, ...]:
        """The names that identify it: ``("api", "one")`` for instance ``one`` of ``api``."""

    def __str__(self) -> str:
        return self.path


@attrs.frozen
class EnvironmentTarget(DeploymentTarget[models.Environment]):
    """The environment to wait for, cancel or roll out to, by name."""

    name: str
    kind = "environment"
    get_operation = "GetEnvironment"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,)

    @property
    def path(self) -> str:
        return f"environment/{self.name}"

    async def get(self, proton: ProtonClient) -> models.Environment:
        """Read the environment (GetEnvironment)."""
        return await proton.get_environment(name=self.name)

    async def cancel(self, proton: ProtonClient) -> models.Environment:
        """Cancel the environment's running deployment (CancelEnvironmentDeployment)."""
        return await proton.cancel_environment_deployment(environment_name=self.name)

    def deployments(
        self, proton: ProtonClient, *, page_size: int, max_items: int
    ) -> Paginator[models.DeploymentSummary]:
        """The ListDeployments listing of the environment's deployment records."""
        return proton.paginate.list_deployments(
            environment_name=self.name, page_size=page_size, max_items=max_items
        )


@attrs.frozen
class ServiceInstanceTarget(DeploymentTarget[models.ServiceInstance]):
    """The service instance to wait for, cancel or roll out to, by name."""

    service_name: str
    name: str
    kind = "service instance"
    get_operation = "GetServiceInstance"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.service_name, self.name)

    @property
    def path(self) -> str:
        return f"service/{self.service_name}/service-instance/{self.name}"

    async def get(self, proton: ProtonClient) -> models.ServiceInstance:
        """Read the service instance (GetServiceInstance)."""
        return await proton.get_service_instance(service_name=self.service_name, name=self.name)

    async def cancel(self, proton: ProtonClient) -> models.ServiceInstance:
        """Cancel the service instance's running deployment (CancelServiceInstanceDeployment)."""
        return await proton.cancel_service_instance_deployment(
            service_name=self.service_name, service_instance_name=self.name
        )

    def deployments(
        self, proton: ProtonClient, *, page_size: int, max_items: int
    ) -> Paginator[models.DeploymentSummary]:
        """The ListDeployments listing of the service instance's deployment records."""
        return proton.paginate.list_deployments(
            service_name=self.service_name,
            service_instance_name=self.name,
            page_size=page_size,
            max_items=max_items,
        )


@attrs.frozen
class ServicePipelineTarget(DeploymentTarget[models.ServicePipeline]):
    """The service pipeline to wait for, cancel or roll out to, by name."""

    service_name: str
    kind = "service pipeline"
    get_operation = "GetService"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.service_name,)

    @property
    def path(self) -> str:
        return f"service/{self.service_name}/pipeline"

    async def get(self, proton: ProtonClient) -> models.ServicePipeline:
        """Read the service pipeline (GetService (its pipeline))."""
        service = await proton.get_service(name=self.service_name)
        if service.pipeline is None:
            raise ResourceNotFoundError(
                f"service {self.service_name!r} has no pipeline", operation="GetService"
            )
        return service.pipeline

    async def cancel(self, proton: ProtonClient) -> models.ServicePipeline:
        """Cancel the service pipeline's running deployment (CancelServicePipelineDeployment)."""
        return await proton.cancel_service_pipeline_deployment(service_name=self.service_name)

    def deployments(
        self, proton: ProtonClient, *, page_size: int, max_items: int
    ) -> Paginator[models.DeploymentSummary]:
        """The ListDeployments listing of the service pipeline's deployment records."""
        return proton.paginate.list_deployments(
            service_name=self.service_name, page_size=page_size, max_items=max_items
        )


@attrs.frozen
class ComponentTarget(DeploymentTarget[models.Component]):
    """The component to wait for, cancel or roll out to, by name."""

    name: str
    kind = "component"
    get_operation = "GetComponent"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,)

    @property
    def path(self) -> str:
        return f"component/{self.name}"

    async def get(self, proton: ProtonClient) -> models.Component:
        """Read the component (GetComponent)."""
        return await proton.get_component(name=self.name)

    async def cancel(self, proton: ProtonClient) -> models.Component:
        """Cancel the component's running deployment (CancelComponentDeployment)."""
        return await proton.cancel_component_deployment(component_name=self.name)

    def deployments(
        self, proton: ProtonClient, *, page_size: int, max_items: int
    ) -> Paginator[models.DeploymentSummary]:
        """The ListDeployments listing of the component's deployment records."""
        return proton.paginate.list_deployments(
            component_name=self.name, page_size=page_size, max_items=max_items
        )


class TargetKeywords(TypedDict, total=False):
    """The keywords that name a target, as :func:`deployment_target` takes them."""

    environment: str | None
    service: str | None
    service_instance: str | None
    pipeline: bool
    component: str | None


def deployment_target(
    *,
    environment: str | None = None,
    service: str | None = None,
    service_instance: str | None = None,
    pipeline: bool = False,
    component: str | None = None,
) -> DeploymentTarget[Any]:
    """Name a target by keywords: ``environment=``, ``component=``,
    ``service=`` with ``service_instance=``, or ``service=`` with ``pipeline=True``."""
    chosen: list[DeploymentTarget[Any]] = []
    if environment is not None:
        chosen.append(EnvironmentTarget(environment))
    if component is not None:
        chosen.append(ComponentTarget(component))
    if service is not None:
        if service_instance is not None and pipeline:
            raise ValueError("name either service_instance= or pipeline=True, not both")
        if service_instance is not None:
            chosen.append(ServiceInstanceTarget(service, service_instance))
        elif pipeline:
            chosen.append(ServicePipelineTarget(service))
        else:
            raise ValueError("with service=, also give service_instance= or pipeline=True")
    elif service_instance is not None or pipeline:
        raise ValueError("service_instance= and pipeline= need service=")
    if len(chosen) != 1:
        raise ValueError(
            "name exactly one target: environment=, component=, "
            "service= with service_instance=, or service= with pipeline=True"
        )
    return chosen[0]


def target_of(
    deployment: models.Deployment | models.DeploymentSummary,
) -> DeploymentTarget[Any]:
    """The target a deployment record belongs to."""
    kind = deployment.target_resource_type
    if kind == models.DeploymentTargetResourceType.ENVIRONMENT:
        return EnvironmentTarget(deployment.environment_name)
    if kind == models.DeploymentTargetResourceType.COMPONENT and deployment.component_name:
        return ComponentTarget(deployment.component_name)
    if deployment.service_name:
        if kind == models.DeploymentTargetResourceType.SERVICE_PIPELINE:
            return ServicePipelineTarget(deployment.service_name)
        if (
            kind == models.DeploymentTargetResourceType.SERVICE_INSTANCE
            and deployment.service_instance_name
        ):
            return ServiceInstanceTarget(deployment.service_name, deployment.service_instance_name)
    raise ValueError(f"deployment {deployment.id} has an unknown target type {kind!s}")
