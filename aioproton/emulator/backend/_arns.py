"""Resource paths (the resource part of an ARN) and full ARNs.

A pipeline is ``service/{service}/pipeline``; a repository is
``repository/{provider}:{name}`` with the provider lower-cased and the name verbatim.
The resource path is also what outcome-script targets match.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs


def template(kind: str, name: str) -> str:
    """``kind`` is ``environment`` or ``service``."""
    return f"{kind}-template/{name}"


def template_version(kind: str, name: str, major: int, minor: int) -> str:
    return f"{kind}-template/{name}:{major}.{minor}"


def _path(pattern: str) -> Callable[..., str]:
    """A path builder: the positional names fill the pattern's ``{}`` in order."""
    return pattern.format


environment = _path("environment/{}")
service = _path("service/{}")
service_instance = _path("service/{}/service-instance/{}")  # (service name, instance name)
pipeline = _path("service/{}/pipeline")  # (service name)
component = _path("component/{}")
connection = _path("environment-account-connection/{}")  # (connection id)
deployment = _path("deployment/{}")  # (deployment id)


def repository(provider: str, name: str) -> str:
    return f"repository/{provider.lower()}:{name}"


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
