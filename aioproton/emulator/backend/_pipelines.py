"""Service pipelines: their deployments, their view and UpdateServicePipeline.

A pipeline belongs to a service whose template has one (not CUSTOMER_MANAGED). It is
created with the service's version, re-deployed by UpdateService (same version, the
new spec) and deleted with the service (``_services``); UpdateServicePipeline moves it
per the deploymentType matrix. Like the service, it stores the whole service spec
document. A ``spec`` with deploymentType NONE is accepted and ignored (the model
requires it). A pipeline needs the account's pipeline role (``_account``). Its deployments are filed
under the environment of the service's first instance (by name), or under the
service's own name when it has none.

CancelServicePipelineDeployment cancels only what UpdateServicePipeline started. Its
model documentation speaks of *"an UpdateServicePipeline action"* [M], and §5.3 says that
while UpdateService runs, the *"pipeline (if any) → IN_PROGRESS and pipeline actions
blocked"* [G]: a cancel of the re-deployment UpdateService started is a
ConflictException (409).
"""

from __future__ import annotations

from typing import Any

from ..errors import ConflictException
from . import (
    _arns,
    _deployable,
    _deployment_lifecycle,
    _placeholders,
    _schemas,
    _specs,
    _version_rules,
)
from ._deployable import SERVICE_PIPELINE, get_pipeline, get_service, render_deployed
from ._deployment_lifecycle import pipeline_state
from ._engine import Call
from ._records import SERVICE_BUSY, Deployment, Pipeline, Service
from ._templates import get as get_template
from ._world import Region

OUTPUT = "pipeline"


def render_pipeline(region: Region, service_name: str, pipeline: Pipeline) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": region.arn(_arns.pipeline(service_name)),
        "spec": pipeline.spec,
    }
    render_deployed(pipeline, out)
    return out


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
        SERVICE_PIPELINE,
        pipeline,
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


def update_pipeline(call: Call) -> dict[str, Any]:
    p = call.params
    region = call.region
    service = get_service(region, p["serviceName"])
    pipeline = get_pipeline(region, service.name)
    _deployable.ensure_idle(pipeline.deploy, SERVICE_PIPELINE.label(service.name))
    if service.status in SERVICE_BUSY:
        raise ConflictException(f"Service {service.name} is {service.status}.")
    template = get_template(region, "service", pipeline.template_name)
    current = (pipeline.major, pipeline.minor)
    target = _version_rules.for_update(template, current, p, spec_required=True)
    if target is not None:
        _specs.service_spec(p["spec"], need_instances=False)
        spec = _placeholders.service_spec(p["spec"], service)
        version = _version_rules.find(template, *target)
        _schemas.check_service(
            version, _specs.service_spec(spec, need_instances=False), pipeline=True
        )
        deploy_pipeline(call, service, pipeline, "update", target, spec)
    return {OUTPUT: render_pipeline(region, service.name, pipeline)}


def _render(call: Call, pipeline: Pipeline) -> dict[str, Any]:
    return render_pipeline(call.region, call.params["serviceName"], pipeline)


_SHARED = _deployable.handlers(SERVICE_PIPELINE, _render)


def cancel_pipeline(call: Call) -> dict[str, Any]:
    service = get_service(call.region, call.params["serviceName"])
    pipeline = get_pipeline(call.region, service.name)
    active = pipeline.deploy.active_id
    op = service.op
    if op is not None and op.action == "update" and active is not None and active in op.roles:
        raise ConflictException(
            f"The pipeline of service {service.name} is being deployed by UpdateService, "
            "which cannot be cancelled; only a deployment started by UpdateServicePipeline "
            "can be. Wait for the service update to finish."
        )
    return _SHARED["CancelServicePipelineDeployment"](call)


HANDLERS = {
    "UpdateServicePipeline": update_pipeline,
    **_SHARED,
    "CancelServicePipelineDeployment": cancel_pipeline,
}
