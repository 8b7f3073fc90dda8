"""Resource paths (the resource part of an ARN) and full ARNs.

A pipeline is ``service/{service}/pipeline``; a repository is
``repository/{provider}:{name}`` with the provider lower-cased and the name verbatim.
The resource path is also what outcome-script targets match.
"""

from __future__ import annotations

import re

import attrs


def template(kind: str, name: str) -> str:
    """``kind`` is ``environment`` or ``service``."""
    return f"{kind}-template/{name}"


def template_version(kind: str, name: str, major: int, minor: int) -> str:
    return f"{kind}-template/{name}:{major}.{minor}"


def environment(name: str) -> str:
    return f"environment/{name}"


def service(name: str) -> str:
    return f"service/{name}"


def service_instance(service_name: str, name: str) -> str:
    return f"service/{service_name}/service-instance/{name}"


def pipeline(service_name: str) -> str:
    return f"service/{service_name}/pipeline"


def component(name: str) -> str:
    return f"component/{name}"


def connection(connection_id: str) -> str:
    return f"environment-account-connection/{connection_id}"


def repository(provider: str, name: str) -> str:
    return f"repository/{provider.lower()}:{name}"


def deployment(deployment_id: str) -> str:
    return f"deployment/{deployment_id}"


def build(partition: str, region: str, account_id: str, path: str) -> str:
    return f"arn:{partition}:proton:{region}:{account_id}:{path}"


@attrs.frozen
class ParsedArn:
    partition: str
    region: str
    account_id: str
    path: str


_ARN = re.compile(r"^arn:([^:]+):proton:([^:]*):(\d{12}):(.+)$")


def parse(arn: str) -> ParsedArn | None:
    """Split a Proton ARN; ``None`` when it is not one."""
    match = _ARN.match(arn)
    if match is None:
        return None
    return ParsedArn(*match.groups())
