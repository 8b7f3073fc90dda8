"""What services, service instances and pipelines share: lookups, views, deployments.

Instances and pipelines store the whole service spec document they were deployed
with, as the service does. A manual change to a service that has a service sync
configuration raises a sync blocker: creating or updating an instance blocks that
instance, removing instances blocks the whole service.
"""

from __future__ import annotations

from typing import Any

from ..errors import ResourceNotFoundException, ValidationException
from . import _arns, _deployment_lifecycle, _tags
from ._deployment_lifecycle import SERVICE_INSTANCE, SERVICE_PIPELINE, pipeline_state, render_deploy
from ._engine import Call
from ._records import (
    Deployment,
    Environment,
    Pipeline,
    Service,
    ServiceInstance,
    SyncBlocker,
    TemplateVersion,
)
from ._world import Region

CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
ACTIVE = "ACTIVE"
SERVICE_BUSY = frozenset(
    {
        CREATE_IN_PROGRESS,
        UPDATE_IN_PROGRESS,
        DELETE_IN_PROGRESS,
        "CREATE_FAILED_CLEANUP_IN_PROGRESS",
        "UPDATE_FAILED_CLEANUP_IN_PROGRESS",
    }
)


def get_service(region: Region, name: str) -> Service:
    service = region.services.get(name)
    if service is None:
        raise ResourceNotFoundException(f"Service {name} does not exist.")
    return service


def get_instance(region: Region, service_name: str, name: str) -> ServiceInstance:
    service = get_service(region, service_name)
    instance = service.instances.get(name)
    if instance is None:
        raise ResourceNotFoundException(
            f"Service instance {name} of service {service_name} does not exist."
        )
    return instance


def get_pipeline(region: Region, service_name: str) -> Pipeline:
    service = get_service(region, service_name)
    if service.pipeline is None:
        raise ResourceNotFoundException(f"Service {service_name} has no pipeline.")
    return service.pipeline


def render_instance(
    region: Region, instance: ServiceInstance, *, summary: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(_arns.service_instance(instance.service_name, instance.name)),
        "name": instance.name,
        "serviceName": instance.service_name,
        "environmentName": instance.environment_name,
        "templateName": instance.template_name,
        "templateMajorVersion": str(instance.major),
        "templateMinorVersion": str(instance.minor),
        "createdAt": instance.created_at,
    }
    render_deploy(instance.deploy, out, succeeded_default=instance.created_at)
    if not summary:
        out["spec"] = instance.spec
        if instance.last_client_token is not None:
            out["lastClientRequestToken"] = instance.last_client_token
    return out


def render_pipeline(region: Region, service_name: str, pipeline: Pipeline) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(_arns.pipeline(service_name)),
        "templateName": pipeline.template_name,
        "templateMajorVersion": str(pipeline.major),
        "templateMinorVersion": str(pipeline.minor),
        "createdAt": pipeline.created_at,
        "spec": pipeline.spec,
    }
    render_deploy(pipeline.deploy, out, succeeded_default=pipeline.created_at)
    return out


def check_compatible(version: TemplateVersion, env: Environment, template_name: str) -> None:
    wanted = {"templateName": env.template_name, "majorVersion": str(env.major)}
    if wanted not in version.compatible_environment_templates:
        raise ValidationException(
            f"Environment {env.name} ({env.template_name} major version {env.major}) is not "
            f"compatible with version {version.number} of service template {template_name}."
        )


def environment_for(region: Region, name: str) -> Environment:
    env = region.environments.get(name)
    if env is None:
        raise ResourceNotFoundException(f"Environment {name} does not exist.")
    return env


def add_instance(
    call: Call,
    service: Service,
    name: str,
    environment_name: str,
    version: TemplateVersion,
    spec: str,
    *,
    tags: list[dict[str, str]] | None = None,
    client_token: str | None = None,
) -> tuple[ServiceInstance, Deployment]:
    """Create an instance record and start its create deployment."""
    instance = ServiceInstance(
        uid=call.engine.new_id(),
        name=name,
        service_name=service.name,
        environment_name=environment_name,
        template_name=service.template_name,
        major=version.major,
        minor=version.minor,
        spec=spec,
        created_at=call.now,
        deploy=_deployment_lifecycle.new_deploy(call.now),
        last_client_token=client_token,
    )
    service.instances[name] = instance
    _tags.store(
        call.region,
        _arns.service_instance(service.name, name),
        tags,
        _tags.of(call.region, _arns.service(service.name)),
    )
    dep = _deployment_lifecycle.start(
        call,
        instance,
        target_type=SERVICE_INSTANCE,
        action="create",
        environment_name=environment_name,
        service_name=service.name,
        instance_name=name,
        target_state=_deployment_lifecycle.instance_state(
            call.region, instance, version.major, version.minor, spec
        ),
    )
    return instance, dep


def remove_instance(call: Call, service: Service, instance: ServiceInstance) -> Deployment:
    return _deployment_lifecycle.start(
        call,
        instance,
        target_type=SERVICE_INSTANCE,
        action="delete",
        environment_name=instance.environment_name,
        service_name=service.name,
        instance_name=instance.name,
        initial_state=_deployment_lifecycle.instance_state(
            call.region, instance, instance.major, instance.minor, instance.spec
        ),
    )


def pipeline_environment(service: Service) -> str:
    """The environment a pipeline deployment is filed under: that of the first instance."""
    if not service.instances:
        return service.name
    return service.instances[min(service.instances)].environment_name


def deploy_pipeline(
    call: Call,
    service: Service,
    pipeline: Pipeline,
    action: str,
    version: tuple[int, int],
    spec: str,
) -> Deployment:
    major, minor = version
    current = pipeline_state(pipeline.template_name, pipeline.major, pipeline.minor, pipeline.spec)
    return _deployment_lifecycle.start(
        call,
        pipeline,
        target_type=SERVICE_PIPELINE,
        action=action,
        environment_name=pipeline_environment(service),
        service_name=service.name,
        initial_state=None if action == "create" else current,
        target_state=(
            None
            if action == "delete"
            else pipeline_state(pipeline.template_name, major, minor, spec)
        ),
    )


def attached_components(region: Region, service_name: str, instance_name: str) -> list[str]:
    return [
        c.name
        for c in region.components.values()
        if c.service_name == service_name and c.service_instance_name == instance_name
    ]


def block(call: Call, service_name: str, instance_name: str | None, reason: str) -> None:
    """Raise a sync blocker if the service is synced from a repository."""
    if service_name not in call.region.service_sync_configs:
        return
    contexts = [{"key": "serviceName", "value": service_name}]
    if instance_name is not None:
        contexts.append({"key": "serviceInstanceName", "value": instance_name})
    blocker = SyncBlocker(
        id=call.engine.new_id(),
        service_name=service_name,
        created_reason=reason,
        created_at=call.now,
        service_instance_name=instance_name,
        contexts=contexts,
    )
    call.region.blockers[blocker.id] = blocker
