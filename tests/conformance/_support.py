"""The pieces of the conformance suite: the emulator process, its control endpoint, the
client-side response checker and a few boto3 recipes.

Nothing here imports the emulator's server code: the suite talks to an emulator in
another process over HTTP only, exactly as an AWS SDK talks to the service.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import boto3
import botocore.config
import botocore.model
import botocore.session

from aioproton import _service_model
from aioproton._validation import validate
from aioproton.emulator import RequestRecord

from ..recipes import ACCOUNT as ACCOUNT
from ..recipes import COMPONENT_ROLE as COMPONENT_ROLE
from ..recipes import ENV_SPEC as ENV_SPEC
from ..recipes import MANIFEST as MANIFEST
from ..recipes import PIPELINE_ROLE as PIPELINE_ROLE
from ..recipes import SERVICE_ROLE as ROLE
from ..recipes import TEMPLATE_FILE as TEMPLATE_FILE

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCESS_KEY = "AKIDCONFORMANCE00000"
SECRET_KEY = "conformance-secret-access-key"
# A second access key that acts as another account (for cross-account connections).
OTHER_ACCESS_KEY = "AKIDENVIRONMENTACCT0"
OTHER_ACCOUNT = "111122223333"
DEPLOY_SECONDS = 0.2

OTHER_ROLE = f"arn:aws:iam::{OTHER_ACCOUNT}:role/proton-environment"
CONNECTION_ARN = f"arn:aws:codestar-connections:{REGION}:{ACCOUNT}:connection/conformance"
SOURCE = {"s3": {"bucket": "proton-bundles", "key": "bundle.tar.gz"}}

# Waiters poll every 0.1 s; deployments take DEPLOY_SECONDS, so 100 attempts is ample.
FAST: dict[str, float] = {"Delay": 0.1, "MaxAttempts": 100}

# The HTTP status of every error the service (and its protocol layer) answers with.
ERROR_STATUS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429,
    "InternalServerException": 500,
}


def operation_names() -> frozenset[str]:
    return frozenset(_service_model.service_model().operation_names)


# ---------------------------------------------------------------------- the process


@attrs.define
class EmulatorProcess:
    """``python -m aioproton.emulator`` in a child process."""

    process: subprocess.Popen[bytes]
    url: str
    stderr_path: Path

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self, within: float = 10.0) -> int:
        """SIGTERM, then the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=within)


def emulator_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "aioproton.emulator", *args]


def child_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _read_url_line(process: subprocess.Popen[bytes], within: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + within
    fd = process.stdout.fileno()
    data = b""
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no URL line from the emulator within {within} s")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
    return data.decode()


@contextlib.contextmanager
def start_emulator(stderr_path: Path, *args: str) -> Iterator[EmulatorProcess]:
    """Start the emulator; yields once its URL line is read, stops it afterwards."""
    with (
        stderr_path.open("wb") as stderr,
        subprocess.Popen(
            emulator_command("--port", "0", *args),
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=child_environment(),
            cwd=REPO_ROOT,
        ) as process,
    ):
        try:
            line = _read_url_line(process, within=30.0)
            if not line.endswith("\n"):
                raise AssertionError(f"the emulator exited early: {stderr_path.read_text()}")
            yield EmulatorProcess(process, line.strip(), stderr_path)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


# ---------------------------------------------------------------------- the control endpoint


class ControlError(Exception):
    pass


class Control:
    """The emulator's ``/_emulator/`` endpoint, synchronously (the boto3 suite is sync)."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.endpoint_url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                raise ControlError(f"{method} {path}: {error.code} {error.read()!r}") from None

    def reset(self) -> None:
        """Forget every resource and script rule (the request log stays)."""
        self.call("POST", "reset")

    def script(self, target: str, **rule: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", "script", {"target": target, **rule})["rule"]
        return result

    def set_faults(self, **settings: Any) -> None:
        self.call("PUT", "faults", settings)

    def clear_faults(self) -> None:
        self.call("DELETE", "faults")

    def requests(self) -> list[RequestRecord]:
        return [RequestRecord.from_dict(item) for item in self.call("GET", "requests")["requests"]]

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", "health")
        return result


# ---------------------------------------------------------------------- the response checker


@attrs.frozen
class Exchange:
    """One HTTP response a boto3 client received."""

    operation: str
    status: int
    request_id: str | None
    error_code: str | None


def _nulls(value: Any, path: str) -> Iterator[str]:
    if value is None:
        yield f"{path or '(body)'}: null (the service omits absent members)"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nulls(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nulls(item, f"{path}[{index}]")


def check_response(
    operation_model: botocore.model.OperationModel,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> list[str]:
    """Every way one raw response differs from what the service would send."""
    problems: list[str] = []
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if not lowered.get("x-amzn-requestid"):
        problems.append("no x-amzn-RequestId header")
    content_type = lowered.get("content-type", "")
    if content_type.split(";")[0].strip() != "application/x-amz-json-1.0":
        problems.append(f"content type {content_type!r}, not application/x-amz-json-1.0")
    try:
        document = json.loads(body) if body.strip() else {}
    except ValueError:
        return [*problems, f"the body is not JSON: {body[:80]!r}"]
    if not isinstance(document, dict):
        return [*problems, f"the body is a JSON {type(document).__name__}, not an object"]
    if status == 200:
        shape = operation_model.output_shape
        problems += [p.render() for p in validate(shape, document, allow_unknown_members=False)]
        problems += list(_nulls(document, ""))
        return problems
    if status < 400:
        return [*problems, f"unexpected HTTP status {status}"]
    if set(document) != {"__type", "message"}:
        problems.append(f"error body members {sorted(document)}, not ['__type', 'message']")
    code = str(document.get("__type", "")).rpartition("#")[2]
    if not isinstance(document.get("message"), str):
        problems.append("the error message is not a string")
    modelled = {shape.name for shape in operation_model.error_shapes}
    if code not in modelled:
        problems.append(f"error {code!r} is not one of {operation_model.name}'s errors")
    expected = ERROR_STATUS.get(code)
    if expected != status:
        problems.append(f"{code} came with HTTP {status}, expected {expected}")
    error_type = lowered.get("x-amzn-errortype", "")
    if error_type.split(":")[0] != code:
        problems.append(f"x-amzn-ErrorType {error_type!r} does not name {code}")
    return problems


class ResponseChecker:
    """Checks every response a boto3 client parses, from the raw bytes, before botocore."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.violations: list[str] = []

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parse.proton.*", self.on_response)

    def on_response(
        self,
        operation_model: botocore.model.OperationModel,
        response_dict: Mapping[str, Any],
        **_: Any,
    ) -> None:
        headers: Mapping[str, str] = response_dict["headers"]
        status = int(response_dict["status_code"])
        body: bytes = response_dict["body"]
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        code = None
        if status >= 400:
            try:
                code = str(json.loads(body).get("__type")).rpartition("#")[2]
            except (ValueError, AttributeError):
                code = None
        self.exchanges.append(
            Exchange(operation_model.name, status, lowered.get("x-amzn-requestid"), code)
        )
        for problem in check_response(operation_model, status, headers, body):
            self.violations.append(f"{operation_model.name} (HTTP {status}): {problem}")


def make_client(url: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> Any:
    """A plain boto3 Proton client that reads no user configuration and never retries."""
    # Keep the user's ~/.aws files and profile out: the suite must behave the same on
    # every machine (the explicit arguments below override the AWS_* variables).
    botocore_session = botocore.session.Session(
        session_vars={"profile": (None, None, None, None)}  # AWS_PROFILE is not read
    )
    botocore_session.set_config_variable("config_file", os.devnull)
    botocore_session.set_config_variable("credentials_file", os.devnull)
    session = boto3.session.Session(botocore_session=botocore_session)
    return session.client(
        "proton",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        # Every response reaches the tests as sent: a 5xx is never retried away.
        config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


# ---------------------------------------------------------------------- boto3 recipes


def service_spec(*instances: tuple[str, str], pipeline: bool = True, port: int = 80) -> str:
    """A ServiceSpec with ``(name, environment)`` instances."""
    lines = ["proton: ServiceSpec"]
    if pipeline:
        lines += ["pipeline:", "  unit_tests: yes"]
    lines.append("instances:")
    for name, environment in instances:
        lines += [
            f"  - name: {name}",
            f"    environment: {environment}",
            "    spec:",
            f"      port: {port}",
        ]
    return "\n".join(lines) + "\n"


def env_template(
    proton: Any, name: str = "base", versions: tuple[str, ...] = ("1.0",), **extra: Any
) -> None:
    """An environment template whose versions are registered, the first one published."""
    proton.create_environment_template(name=name, **extra)
    _versions(proton, "environment", name, versions)


def service_template(
    proton: Any,
    name: str = "web",
    versions: tuple[str, ...] = ("1.0",),
    *,
    environment_template: str = "base",
    **extra: Any,
) -> None:
    """A service template (with a pipeline) compatible with ``environment_template`` 1.

    The account also gets its pipeline role, which CreateService needs for the pipeline.
    """
    proton.create_service_template(name=name, **extra)
    if extra.get("pipelineProvisioning") != "CUSTOMER_MANAGED":
        proton.update_account_settings(pipelineServiceRoleArn=PIPELINE_ROLE)
    _versions(
        proton,
        "service",
        name,
        versions,
        compatibleEnvironmentTemplates=[
            {"templateName": environment_template, "majorVersion": "1"}
        ],
        supportedComponentSources=["DIRECTLY_DEFINED"],
    )


def _versions(proton: Any, kind: str, name: str, versions: tuple[str, ...], **extra: Any) -> None:
    create = getattr(proton, f"create_{kind}_template_version")
    majors: set[str] = set()
    for number in versions:
        major, minor = number.split(".")
        given = {"majorVersion": major} if major in majors else {}
        created = create(templateName=name, source=SOURCE, **given, **extra)
        version = created[f"{kind}TemplateVersion"]
        assert (version["majorVersion"], version["minorVersion"]) == (major, minor)
        majors.add(major)
    waiter = proton.get_waiter(f"{kind}_template_version_registered")
    for number in versions:
        major, minor = number.split(".")
        waiter.wait(templateName=name, majorVersion=major, minorVersion=minor, WaiterConfig=FAST)
    major, minor = versions[0].split(".")
    update = getattr(proton, f"update_{kind}_template_version")
    update(templateName=name, majorVersion=major, minorVersion=minor, status="PUBLISHED")


def environment(
    proton: Any, name: str = "prod", *, template: str = "base", wait: bool = True, **extra: Any
) -> dict[str, Any]:
    extra.setdefault("protonServiceRoleArn", ROLE)
    extra.setdefault("componentRoleArn", COMPONENT_ROLE)
    created: dict[str, Any] = proton.create_environment(
        name=name, templateName=template, templateMajorVersion="1", spec=ENV_SPEC, **extra
    )["environment"]
    if wait:
        proton.get_waiter("environment_deployed").wait(name=name, WaiterConfig=FAST)
    return created


def service(
    proton: Any,
    name: str = "api",
    instances: tuple[tuple[str, str], ...] = (("i1", "prod"),),
    *,
    template: str = "web",
    wait: bool = True,
) -> dict[str, Any]:
    created: dict[str, Any] = proton.create_service(
        name=name,
        templateName=template,
        templateMajorVersion="1",
        spec=service_spec(*instances),
        repositoryConnectionArn=CONNECTION_ARN,
        repositoryId=f"org/{name}",
        branchName="main",
    )["service"]
    if wait:
        proton.get_waiter("service_created").wait(name=name, WaiterConfig=FAST)
    return created


def world(proton: Any) -> None:
    """Published templates ``base`` and ``web``, environment ``prod``, service ``api/i1``."""
    env_template(proton)
    service_template(proton)
    environment(proton)
    service(proton)
