"""All 21 of botocore's Proton paginators, unmodified, over the emulator.

The 12 paginators with a limit key (``maxResults``) run over more than one page, each
page one HTTP request, and give the same items, in the same order, as one unpaginated
call; a few also resume from a ``StartingToken`` after ``MaxItems``. The module builds
one world with enough of everything for that, once.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from aioproton import _service_model

from ._support import (
    ACCOUNT,
    CONNECTION_ARN,
    FAST,
    MANIFEST,
    ROLE,
    TEMPLATE_FILE,
    Control,
    ResponseChecker,
    env_template,
    environment,
    service,
    service_spec,
    service_template,
)

pytestmark = pytest.mark.slow

OUTPUTS = [{"key": f"out-{n}", "valueString": f"value-{n}"} for n in range(3)]
API_SPEC = service_spec(("i1", "prod"), ("i2", "prod"), ("i3", "prod"))


def _arn(path: str) -> str:
    return f"arn:aws:proton:us-east-1:{ACCOUNT}:{path}"


@pytest.fixture(scope="module")
def populated(proton: Any, control: Control) -> None:
    """Three or more of every listed resource, and outputs on every kind of target."""
    control.reset()
    env_template(proton, "base", ("1.0", "1.1", "2.0"))
    service_template(proton, "web", ("1.0", "1.1", "2.0"))
    for name in ("extra-b", "extra-c"):
        proton.create_environment_template(name=name)
        proton.create_service_template(name=name)
    proton.tag_resource(
        resourceArn=_arn("environment-template/base"),
        tags=[{"key": f"tag-{n}", "value": str(n)} for n in range(5)],
    )
    for name in ("dev", "prod", "stage"):
        environment(proton, name, wait=False)
    for name in ("dev", "prod", "stage"):
        proton.get_waiter("environment_deployed").wait(name=name, WaiterConfig=FAST)
    proton.create_service(name="api", templateName="web", templateMajorVersion="1", spec=API_SPEC)
    for name in ("svc-b", "svc-c"):
        service(proton, name, (("one", "dev"),), wait=False)
    for name in ("api", "svc-b", "svc-c"):
        proton.get_waiter("service_created").wait(name=name, WaiterConfig=FAST)
    for name in ("c1", "c2", "c3"):
        proton.create_component(
            name=name, environmentName="prod", manifest=MANIFEST, templateFile=TEMPLATE_FILE
        )
    for name in ("c1", "c2", "c3"):
        proton.get_waiter("component_deployed").wait(name=name, WaiterConfig=FAST)
    for name in ("org/repo-a", "org/repo-b", "org/repo-c"):
        proton.create_repository(name=name, provider="GITHUB", connectionArn=CONNECTION_ARN)
    for name in ("base", "extra-b", "extra-c"):
        proton.create_template_sync_config(
            templateName=name,
            templateType="ENVIRONMENT",
            repositoryName="org/repo-a",
            repositoryProvider="GITHUB",
            branch="main",
            subdirectory=name,
        )
    for name in ("east", "north", "west"):
        proton.create_environment_account_connection(
            environmentName=name, managementAccountId=ACCOUNT, roleArn=ROLE
        )
    # Outputs, reported the self-managed way on an update of each kind of target; the
    # updates are scripted to run long, so that only the notifications end them.
    for path in ("environment/prod", "service/api/service-instance/i1", "service/api/pipeline"):
        control.script(path, action="deploy", seconds=60)
    control.script("component/c1", action="deploy", seconds=60)
    proton.update_environment(name="prod", deploymentType="CURRENT_VERSION")
    proton.update_service_instance(serviceName="api", name="i1", deploymentType="CURRENT_VERSION")
    proton.update_service_pipeline(
        serviceName="api", deploymentType="CURRENT_VERSION", spec=API_SPEC
    )
    proton.update_component(name="c1", deploymentType="CURRENT_VERSION")
    for path in (
        "environment/prod",
        "service/api/service-instance/i1",
        "service/api/pipeline",
        "component/c1",
    ):
        proton.notify_resource_deployment_status_change(
            resourceArn=_arn(path), status="SUCCEEDED", outputs=OUTPUTS
        )


# (paginator, parameters, at least this many items, page size)
LIMITED = [
    ("ListEnvironmentAccountConnections", {"requestedBy": "MANAGEMENT_ACCOUNT"}, 3, 2),
    ("ListEnvironmentTemplateVersions", {"templateName": "base", "majorVersion": "1"}, 2, 1),
    ("ListEnvironmentTemplates", {}, 3, 2),
    ("ListEnvironments", {}, 3, 2),
    ("ListServiceInstances", {}, 5, 2),
    ("ListServiceInstances", {"sortBy": "name", "sortOrder": "DESCENDING"}, 5, 2),
    (
        "ListServiceInstances",
        {"filters": [{"key": "environmentName", "value": "prod"}], "sortBy": "createdAt"},
        3,
        2,
    ),
    ("ListServiceTemplateVersions", {"templateName": "web"}, 2, 1),
    ("ListServiceTemplates", {}, 3, 2),
    ("ListServices", {}, 3, 2),
    ("ListTagsForResource", {"resourceArn": _arn("environment-template/base")}, 5, 2),
    ("ListRepositories", {}, 3, 2),
    ("ListComponents", {"environmentName": "prod"}, 3, 2),
    ("ListDeployments", {}, 15, 4),
]
# Their token shape is EmptyNextToken (at most 0 characters): one page by the model.
SINGLE_PAGE = [
    ("ListEnvironmentOutputs", {"environmentName": "prod"}, 3),
    ("ListEnvironmentProvisionedResources", {"environmentName": "prod"}, 0),
    ("ListServiceInstanceOutputs", {"serviceName": "api", "serviceInstanceName": "i1"}, 3),
    (
        "ListServiceInstanceProvisionedResources",
        {"serviceName": "api", "serviceInstanceName": "i1"},
        0,
    ),
    ("ListServicePipelineOutputs", {"serviceName": "api"}, 3),
    ("ListServicePipelineProvisionedResources", {"serviceName": "api"}, 0),
    ("ListComponentOutputs", {"componentName": "c1"}, 3),
    ("ListComponentProvisionedResources", {"componentName": "c1"}, 0),
    (
        "ListRepositorySyncDefinitions",
        {
            "repositoryName": "org/repo-a",
            "repositoryProvider": "GITHUB",
            "syncType": "TEMPLATE_SYNC",
        },
        3,
    ),
]


def _model(name: str) -> dict[str, Any]:
    config: dict[str, Any] = _service_model.paginators_description()["pagination"][name]
    return config


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _unpaginated(proton: Any, name: str, params: dict[str, Any]) -> list[Any]:
    """Everything in one call: the service's default page holds 100 items."""
    response = getattr(proton, _snake(name))(**params)
    assert "nextToken" not in response
    items: list[Any] = response[_model(name)["result_key"]]
    return items


def test_the_tables_cover_every_paginator(proton: Any) -> None:
    names = {name for name, *_ in LIMITED} | {name for name, *_ in SINGLE_PAGE}
    assert names == set(_service_model.paginators_description()["pagination"])
    assert len(names) == 21
    assert all(proton.can_paginate(_snake(name)) for name in names)
    assert {name for name, *_ in LIMITED} == {name for name in names if "limit_key" in _model(name)}


@pytest.mark.usefixtures("populated")
@pytest.mark.parametrize(("name", "params", "at_least", "page_size"), LIMITED)
def test_limited_paginators_cross_pages(
    proton: Any,
    checker: ResponseChecker,
    name: str,
    params: dict[str, Any],
    at_least: int,
    page_size: int,
) -> None:
    result_key = _model(name)["result_key"]
    expected = _unpaginated(proton, name, params)
    assert len(expected) >= at_least
    before = len(checker.exchanges)
    paginator = proton.get_paginator(_snake(name))
    pages = list(paginator.paginate(**params, PaginationConfig={"PageSize": page_size}))
    requests = checker.exchanges[before:]
    assert len(pages) == math.ceil(len(expected) / page_size) > 1
    assert [e.operation for e in requests] == [name] * len(pages)
    assert all(e.status == 200 for e in requests)
    assert all(len(page[result_key]) == page_size for page in pages[:-1])
    assert all("nextToken" in page for page in pages[:-1])
    assert "nextToken" not in pages[-1]
    tokens = [page["nextToken"] for page in pages[:-1]]
    assert len(set(tokens)) == len(tokens)
    assert [item for page in pages for item in page[result_key]] == expected


def _resume_all(
    proton: Any, name: str, params: dict[str, Any], max_items: int, page_size: int
) -> list[list[Any]]:
    """Read the whole list ``max_items`` at a time, resuming from each ``NextToken``."""
    result_key = _model(name)["result_key"]
    paginator = proton.get_paginator(_snake(name))
    config: dict[str, Any] = {"MaxItems": max_items}
    if page_size:
        config["PageSize"] = page_size
    chunks: list[list[Any]] = []
    for _ in range(100):
        result = paginator.paginate(**params, PaginationConfig=config).build_full_result()
        chunks.append(result[result_key])
        if "NextToken" not in result:
            return chunks
        config["StartingToken"] = result["NextToken"]
    raise AssertionError(f"{name} never ended")


@pytest.mark.usefixtures("populated")
@pytest.mark.parametrize(
    ("name", "params", "max_items", "page_size"),
    [
        # MaxItems on a page boundary: the token is the service's own.
        ("ListEnvironmentTemplates", {}, 2, 2),
        # MaxItems inside a page: botocore resumes mid-page from the service's token.
        ("ListDeployments", {}, 5, 2),
        ("ListDeployments", {"environmentName": "prod"}, 2, 3),
        ("ListTagsForResource", {"resourceArn": _arn("environment-template/base")}, 3, 2),
        ("ListServiceInstances", {"serviceName": "api"}, 2, 1),
        ("ListEnvironmentAccountConnections", {"requestedBy": "MANAGEMENT_ACCOUNT"}, 1, 2),
    ],
)
def test_resuming_from_a_starting_token(
    proton: Any, name: str, params: dict[str, Any], max_items: int, page_size: int
) -> None:
    expected = _unpaginated(proton, name, params)
    chunks = _resume_all(proton, name, params, max_items, page_size)
    assert len(chunks) == math.ceil(len(expected) / max_items) > 1
    assert all(len(chunk) == max_items for chunk in chunks[:-1])
    assert [item for chunk in chunks for item in chunk] == expected


@pytest.mark.usefixtures("populated")
@pytest.mark.parametrize(("name", "params", "count"), SINGLE_PAGE)
def test_single_page_paginators(
    proton: Any,
    checker: ResponseChecker,
    name: str,
    params: dict[str, Any],
    count: int,
) -> None:
    """EmptyNextToken operations have no limit key and a token of at most 0 characters,
    so the service answers everything in one page: the paginator makes exactly one
    request and sees no ``nextToken``."""
    output = _service_model.operation_model(name).output_shape
    assert output.members["nextToken"].metadata.get("max") == 0
    assert "limit_key" not in _model(name)
    result_key = _model(name)["result_key"]
    expected = _unpaginated(proton, name, params)
    assert len(expected) == count
    before = len(checker.exchanges)
    pages = list(proton.get_paginator(_snake(name)).paginate(**params))
    assert [e.operation for e in checker.exchanges[before:]] == [name]
    assert len(pages) == 1
    assert "nextToken" not in pages[0]
    assert pages[0][result_key] == expected


@pytest.mark.usefixtures("populated")
@pytest.mark.parametrize(
    ("name", "params"),
    [(name, params) for name, params, count in SINGLE_PAGE if count > 1],
)
def test_single_page_paginators_resume_client_side(
    proton: Any, name: str, params: dict[str, Any]
) -> None:
    """With ``MaxItems`` botocore cuts the one page and resumes within it, re-reading it."""
    expected = _unpaginated(proton, name, params)
    chunks = _resume_all(proton, name, params, max_items=1, page_size=0)
    assert chunks == [[item] for item in expected]


# (list operation and its parameters, result key, get operation, its output member,
#  the get parameters from a summary)
SUMMARIES = [
    ("list_environments", {}, "environments", "get_environment", "environment", ["name"]),
    ("list_services", {}, "services", "get_service", "service", ["name"]),
    (
        "list_service_instances",
        {},
        "serviceInstances",
        "get_service_instance",
        "serviceInstance",
        ["serviceName", "name"],
    ),
    ("list_components", {}, "components", "get_component", "component", ["name"]),
    ("list_deployments", {}, "deployments", "get_deployment", "deployment", ["id"]),
    (
        "list_environment_templates",
        {},
        "templates",
        "get_environment_template",
        "environmentTemplate",
        ["name"],
    ),
    (
        "list_environment_template_versions",
        {"templateName": "base", "majorVersion": "1"},
        "templateVersions",
        "get_environment_template_version",
        "environmentTemplateVersion",
        ["templateName", "majorVersion", "minorVersion"],
    ),
    (
        "list_environment_account_connections",
        {"requestedBy": "MANAGEMENT_ACCOUNT"},
        "environmentAccountConnections",
        "get_environment_account_connection",
        "environmentAccountConnection",
        ["id"],
    ),
    ("list_repositories", {}, "repositories", "get_repository", "repository", ["name", "provider"]),
]


@pytest.mark.usefixtures("populated")
@pytest.mark.parametrize(
    ("list_name", "params", "result_key", "get_name", "member", "keys"), SUMMARIES
)
def test_list_summaries_agree_with_get(
    proton: Any,
    list_name: str,
    params: dict[str, Any],
    result_key: str,
    get_name: str,
    member: str,
    keys: list[str],
) -> None:
    """Every member of a summary has the value the resource's Get* answers."""
    summaries = getattr(proton, list_name)(**params)[result_key]
    assert summaries
    for summary in summaries:
        detail = getattr(proton, get_name)(**{key: summary[key] for key in keys})[member]
        assert {k: detail.get(k) for k in summary} == summary
