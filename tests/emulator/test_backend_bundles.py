"""Template bundles read from a bundle root, and specs checked against their schema."""

from __future__ import annotations

import io
import logging
import os
import tarfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import aioproton
from aioproton import models
from aioproton.emulator import Emulator

from ..recipes import COMPONENT_ROLE, CONNECTION_ARN, PIPELINE_ROLE, SETTLE, compatible
from ..recipes import SERVICE_ROLE as ROLE
from .bundles import (
    ENV_SCHEMA,
    SERVICE_SCHEMA,
    environment_files,
    manifest,
    put,
    service_files,
    tarball,
)

BUCKET = "bundles"


def source(key: str) -> models.TemplateVersionSourceInputS3:
    return models.TemplateVersionSourceInputS3(models.S3ObjectSource(bucket=BUCKET, key=key))


class Setup:
    def __init__(self, emulator: Emulator, proton: aioproton.ProtonClient, root: Path) -> None:
        self.emulator, self.proton, self.root = emulator, proton, root

    async def version(
        self,
        kind: str,
        name: str,
        files: dict[str, str] | bytes | None,
        *,
        major: str | None = None,
        publish: bool = True,
        **extra: Any,
    ) -> Any:
        """Register a version of template ``name`` from ``files`` (``None``: no object)."""
        key = f"{kind}/{name}/{major or 'new'}-{len(list(self.root.rglob('*')))}.tar.gz"
        if files is not None:
            put(self.root, BUCKET, key, files if isinstance(files, bytes) else tarball(files))
        if kind == "service":
            extra.setdefault("compatible_environment_templates", compatible())
        create = getattr(self.proton, f"create_{kind}_template_version")
        created = await create(template_name=name, source=source(key), major_version=major, **extra)
        self.emulator.advance(SETTLE)
        got = await getattr(self.proton, f"get_{kind}_template_version")(
            template_name=name,
            major_version=created.major_version,
            minor_version=created.minor_version,
        )
        if publish and got.status == "DRAFT":
            got = await getattr(self.proton, f"update_{kind}_template_version")(
                template_name=name,
                major_version=got.major_version,
                minor_version=got.minor_version,
                status="PUBLISHED",
            )
        return got

    async def world(self) -> None:
        await self.proton.create_environment_template(name="base")
        await self.version("environment", "base", environment_files())
        await self.proton.create_service_template(name="web")
        await self.version("service", "web", service_files())
        await self.proton.update_account_settings(pipeline_service_role_arn=PIPELINE_ROLE)

    async def environment(self, spec: str, name: str = "prod") -> models.Environment:
        env = await self.proton.create_environment(
            name=name,
            template_name="base",
            template_major_version="1",
            spec=spec,
            proton_service_role_arn=ROLE,
            component_role_arn=COMPONENT_ROLE,
        )
        self.emulator.advance(SETTLE)
        return env


@pytest.fixture
async def setup(
    proton_emulator_factory: Callable[..., Awaitable[Emulator]], tmp_path: Path
) -> AsyncIterator[Setup]:
    emulator = await proton_emulator_factory(bundle_root=tmp_path)
    async with emulator.client(clock=emulator.clock) as proton:
        yield Setup(emulator, proton, tmp_path)


def service_spec(instance_inputs: str, pipeline_inputs: str = "unit_tests: false") -> str:
    return (
        "proton: ServiceSpec\n"
        f"pipeline:\n  {pipeline_inputs}\n"
        "instances:\n  - name: i1\n    environment: prod\n    spec:\n"
        f"      {instance_inputs}\n"
    )


async def test_a_real_bundle_gives_the_version_its_schema(setup: Setup) -> None:
    await setup.world()
    env_version = await setup.proton.get_environment_template_version(
        template_name="base", major_version="1", minor_version="0"
    )
    assert env_version.status == "PUBLISHED"
    assert env_version.schema == ENV_SCHEMA
    service_version = await setup.proton.get_service_template_version(
        template_name="web", major_version="1", minor_version="0"
    )
    assert service_version.schema == SERVICE_SCHEMA


async def test_specs_are_checked_against_the_schema(setup: Setup) -> None:
    await setup.world()
    with pytest.raises(aioproton.ValidationError, match=r"'vpc_cdir' is not an input"):
        await setup.environment("proton: EnvironmentSpec\nspec:\n  vpc_cdir: 10.1.0.0/16\n")
    with pytest.raises(aioproton.ValidationError, match=r"spec\.spec\.size.*'medium'"):
        await setup.environment("proton: EnvironmentSpec\nspec:\n  size: medium\n")
    # Defaults fill what is left out.
    env = await setup.environment("proton: EnvironmentSpec\n")
    assert env.deployment_status == "IN_PROGRESS"
    got = await setup.proton.get_environment(name="prod")
    assert got.deployment_status == "SUCCEEDED"

    create = setup.proton.create_service
    base: dict[str, Any] = {
        "name": "api",
        "template_name": "web",
        "template_major_version": "1",
        "repository_connection_arn": CONNECTION_ARN,
        "repository_id": "org/api",
        "branch_name": "main",
    }
    for spec, match in [
        (
            service_spec("prot: 80"),
            r"instances\[0\]\.spec: 'prot' is not an input of ServiceInputs.*"
            r"did you mean 'port' for 'prot'\?",
        ),
        (service_spec("image: web"), r"'port' is a required property"),
        (service_spec("port: eighty"), r"instances\[0\]\.spec\.port: 'eighty' is not of type"),
        (service_spec("port: 80", "unit_test: false"), r"spec\.pipeline: 'unit_test'"),
    ]:
        with pytest.raises(aioproton.ValidationError, match=match):
            await create(spec=spec, **base)
    await create(spec=service_spec("port: 80"), **base)
    setup.emulator.advance(SETTLE)
    assert (await setup.proton.get_service(name="api")).status == "ACTIVE"

    # Updates are checked too.
    with pytest.raises(aioproton.ValidationError, match="'debug' is not an input"):
        await setup.proton.update_service_instance(
            service_name="api",
            name="i1",
            deployment_type="CURRENT_VERSION",
            spec=service_spec("debug: true"),
        )
    with pytest.raises(aioproton.ValidationError, match=r"spec\.pipeline\.unit_tests"):
        await setup.proton.update_service_pipeline(
            service_name="api",
            deployment_type="CURRENT_VERSION",
            spec=service_spec("port: 80", "unit_tests: maybe"),
        )
    with pytest.raises(aioproton.ValidationError, match="'colour' is not an input"):
        await setup.proton.update_environment(
            name="prod",
            deployment_type="CURRENT_VERSION",
            spec="proton: EnvironmentSpec\nspec:\n  colour: red\n",
        )
    added = service_spec("port: 80") + (
        "  - name: i2\n    environment: prod\n    spec:\n      port: 0\n"
    )
    with pytest.raises(aioproton.ValidationError, match=r"instances\[1\]\.spec\.port: 0"):
        await setup.proton.update_service(name="api", spec=added)
    with pytest.raises(aioproton.ValidationError, match=r"'port' is a required property"):
        await setup.proton.create_service_instance(
            service_name="api",
            name="i3",
            spec="proton: ServiceSpec\ninstances:\n  - name: i3\n    environment: prod\n",
        )


def _schema(types: str, input_type: str = "environment_input_type") -> str:
    return (
        'schema:\n  format:\n    openapi: "3.0.0"\n'
        f"  {input_type}: Inputs\n  types:\n    Inputs:\n      type: object\n{types}"
    )


FAILURES: list[tuple[str, Any, str]] = [
    ("not a tarball", b"this is not gzip", "not a readable tar.gz archive"),
    ("no schema", {"infrastructure/manifest.yaml": manifest()}, "no schema/schema.yaml"),
    (
        "schema not yaml",
        {**environment_files(), "schema/schema.yaml": "schema: [unclosed"},
        "schema/schema.yaml: not valid YAML",
    ),
    (
        "no input type",
        {**environment_files(), "schema/schema.yaml": _schema("", "service_input_type")},
        "environment_input_type must name one of schema.types",
    ),
    (
        "bad json schema",
        {
            **environment_files(),
            "schema/schema.yaml": _schema("      properties:\n        a: {type: 7}\n"),
        },
        "schema.types.Inputs",
    ),
    (
        "no manifest",
        {"schema/schema.yaml": ENV_SCHEMA},
        "no infrastructure/manifest.yaml",
    ),
    (
        "bad engine",
        {**environment_files(), "infrastructure/manifest.yaml": manifest(engine="mustache")},
        "rendering_engine must be one of jinja, hcl, codebuild",
    ),
    (
        "missing IaC file",
        {**environment_files(), "infrastructure/manifest.yaml": manifest(file="main.yaml")},
        "'main.yaml', which is not in infrastructure/",
    ),
    (
        "too many files",
        {**environment_files(), **{f"infrastructure/extra{n}.yaml": "x" for n in range(8)}},
        "more than 10 files",
    ),
    (
        "schema over 50 KB",
        {**environment_files(), "schema/schema.yaml": ENV_SCHEMA + "#" * 51_200},
        "the limit for this file is 51200 bytes",
    ),
]


@pytest.mark.parametrize(
    ("files", "reason"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES]
)
async def test_a_bad_bundle_fails_registration(setup: Setup, files: Any, reason: str) -> None:
    await setup.proton.create_environment_template(name="base")
    version = await setup.version("environment", "base", files)
    assert version.status == "REGISTRATION_FAILED"
    assert reason in (version.status_message or "")


async def test_a_customer_managed_environment_bundle_holds_only_the_schema(
    setup: Setup,
) -> None:
    await setup.proton.create_environment_template(name="ext", provisioning="CUSTOMER_MANAGED")
    failed = await setup.version("environment", "ext", environment_files())
    assert failed.status == "REGISTRATION_FAILED"
    assert "holds only the schema; remove infrastructure/" in (failed.status_message or "")
    ok = await setup.version("environment", "ext", {"schema/schema.yaml": ENV_SCHEMA})
    assert ok.status == "PUBLISHED"


async def test_a_service_bundle_matches_the_templates_pipeline(setup: Setup) -> None:
    await setup.proton.create_environment_template(name="base")
    await setup.version("environment", "base", environment_files())
    await setup.proton.create_service_template(name="web")
    failed = await setup.version("service", "web", service_files(pipeline=False))
    assert "no pipeline_infrastructure/manifest.yaml" in (failed.status_message or "")
    await setup.proton.create_service_template(
        name="worker", pipeline_provisioning="CUSTOMER_MANAGED"
    )
    failed = await setup.version("service", "worker", service_files())
    assert "remove pipeline_infrastructure/" in (failed.status_message or "")
    ok = await setup.version("service", "worker", service_files(pipeline=False))
    assert ok.status == "PUBLISHED"


async def test_minor_versions_must_stay_backward_compatible(setup: Setup) -> None:
    await setup.proton.create_environment_template(name="base")
    await setup.version("environment", "base", environment_files())
    removed = ENV_SCHEMA.replace("        size:\n", "        sizes:\n")
    new_required = ENV_SCHEMA + "      required: [owner]\n"
    narrowed = ENV_SCHEMA.replace("[small, large]", "[small]")
    retyped = ENV_SCHEMA.replace(
        'type: string\n          default: "10', 'type: number\n          default: "10'
    )
    for schema, reason in [
        (removed, "removes input size"),
        (new_required, "makes input owner required without a default"),
        (narrowed, "drops allowed values of input size: large"),
        (retyped, "changes the type of input vpc_cidr"),
    ]:
        version = await setup.version(
            "environment", "base", environment_files(schema), major="1", publish=False
        )
        assert version.status == "REGISTRATION_FAILED"
        assert reason in (version.status_message or ""), version.status_message
        assert "new major version" in (version.status_message or "")
        await setup.proton.delete_environment_template_version(
            template_name="base", major_version="1", minor_version=version.minor_version
        )
    added = ENV_SCHEMA + "        owner:\n          type: string\n"
    compatible_version = await setup.version(
        "environment", "base", environment_files(added), major="1"
    )
    assert compatible_version.status == "PUBLISHED"
    major = await setup.version("environment", "base", environment_files(removed))
    assert (major.major_version, major.status) == ("2", "PUBLISHED")


async def test_a_missing_object_keeps_the_opaque_registration(setup: Setup) -> None:
    await setup.proton.create_environment_template(name="base")
    version = await setup.version("environment", "base", None)
    assert version.status == "PUBLISHED"
    assert "EnvironmentInputs" in (version.schema or "")
    env = await setup.environment("proton: EnvironmentSpec\nspec:\n  anything: goes\n")
    assert env.name == "prod"


async def test_a_key_outside_the_bucket_fails_registration(setup: Setup) -> None:
    await setup.proton.create_environment_template(name="base")
    await setup.proton.create_environment_template_version(
        template_name="base",
        source=models.TemplateVersionSourceInputS3(
            models.S3ObjectSource(bucket=BUCKET, key="../../etc/passwd")
        ),
    )
    setup.emulator.advance(SETTLE)
    got = await setup.proton.get_environment_template_version(
        template_name="base", major_version="1", minor_version="0"
    )
    assert got.status == "REGISTRATION_FAILED"
    assert "not a valid object location" in (got.status_message or "")


async def test_a_bundle_under_one_top_directory_is_read(setup: Setup) -> None:
    await setup.proton.create_environment_template(name="base")
    files = {f"my-template/{path}": text for path, text in environment_files().items()}
    version = await setup.version("environment", "base", files)
    assert version.status == "PUBLISHED"
    assert version.schema == ENV_SCHEMA


async def test_a_codebuild_pipeline_needs_the_codebuild_role(setup: Setup) -> None:
    await setup.proton.create_environment_template(name="base")
    await setup.version("environment", "base", environment_files())
    await setup.environment("proton: EnvironmentSpec\n")
    await setup.proton.create_service_template(name="web")
    files = service_files()
    files["pipeline_infrastructure/manifest.yaml"] = (
        "infrastructure:\n  templates:\n    - rendering_engine: codebuild\n"
        "      settings:\n        image: aws/codebuild/standard:6.0\n"
    )
    await setup.version("service", "web", files)
    await setup.proton.update_account_settings(pipeline_service_role_arn=PIPELINE_ROLE)
    spec = service_spec("port: 80")
    with pytest.raises(aioproton.ValidationError, match="pipelineCodebuildRoleArn"):
        await setup.proton.create_service(
            name="api", template_name="web", template_major_version="1", spec=spec
        )
    await setup.proton.update_account_settings(pipeline_codebuild_role_arn=PIPELINE_ROLE)
    created = await setup.proton.create_service(
        name="api", template_name="web", template_major_version="1", spec=spec
    )
    assert created.status == "CREATE_IN_PROGRESS"
    assert yaml.safe_load(created.spec or "")["instances"][0]["spec"] == {"port": 80}


def _symlinked() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        link = tarfile.TarInfo("schema/schema.yaml")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    return buffer.getvalue()


MORE_FAILURES: list[tuple[str, Any, str]] = [
    ("symlink", _symlinked(), "is not a regular file"),
    ("over 5 MB", os.urandom(5 * 1024 * 1024 + 1), "the limit is 5242880 bytes"),
    (
        "schema not utf-8",
        {**environment_files(), "schema/schema.yaml": b"\xff\xfe schema"},
        "not UTF-8 text",
    ),
    (
        "no openapi format",
        {**environment_files(), "schema/schema.yaml": ENV_SCHEMA.replace('"3.0.0"', '"2.0"')},
        'schema.format.openapi must be "3.0.0"',
    ),
    (
        "input type not an object",
        {**environment_files(), "schema/schema.yaml": _schema("").replace("object", "string")},
        "must be a type: object definition",
    ),
    (
        "manifest without templates",
        {**environment_files(), "infrastructure/manifest.yaml": "infrastructure: {}\n"},
        "must list infrastructure.templates",
    ),
]


@pytest.mark.parametrize(
    ("files", "reason"), [f[1:] for f in MORE_FAILURES], ids=[f[0] for f in MORE_FAILURES]
)
async def test_more_bad_bundles_fail_registration(setup: Setup, files: Any, reason: str) -> None:
    await setup.proton.create_environment_template(name="base")
    version = await setup.version("environment", "base", files)
    assert version.status == "REGISTRATION_FAILED"
    assert reason in (version.status_message or "")


async def test_pipeline_inputs_need_a_pipeline_input_type(setup: Setup) -> None:
    await setup.proton.create_environment_template(name="base")
    await setup.version("environment", "base", environment_files())
    await setup.environment("proton: EnvironmentSpec\n")
    await setup.proton.create_service_template(name="web")
    no_pipeline_type = SERVICE_SCHEMA.replace('  pipeline_input_type: "PipelineInputs"\n', "")
    await setup.version("service", "web", service_files(no_pipeline_type))
    await setup.proton.update_account_settings(pipeline_codebuild_role_arn=PIPELINE_ROLE)
    # The bundle's pipeline renders with jinja: the CodeBuild role is not the one it needs.
    with pytest.raises(aioproton.ValidationError, match="with pipelineServiceRoleArn first"):
        await setup.proton.create_service(
            name="api", template_name="web", template_major_version="1",
            spec=service_spec("port: 80"),
        )  # fmt: skip
    await setup.proton.update_account_settings(pipeline_service_role_arn=PIPELINE_ROLE)
    with pytest.raises(aioproton.ValidationError, match="takes no pipeline inputs"):
        await setup.proton.create_service(
            name="api", template_name="web", template_major_version="1",
            spec=service_spec("port: 80"),
        )  # fmt: skip
    spec = "proton: ServiceSpec\ninstances:\n  - name: i1\n    environment: prod\n"
    await setup.proton.create_service(
        name="api", template_name="web", template_major_version="1",
        spec=spec + "    spec:\n      port: 80\n",
    )  # fmt: skip


async def test_a_rejected_bundle_is_logged_with_its_reason(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    await setup.proton.create_environment_template(name="base")
    with caplog.at_level(logging.INFO, logger="aioproton.emulator"):
        await setup.version("environment", "base", {"schema/schema.yaml": ENV_SCHEMA})
    (record,) = [r for r in caplog.records if r.getMessage().startswith("template bundle")]
    assert record.__dict__["template"] == "base"
    assert record.__dict__["version"] == "1.0"
    assert "no infrastructure/manifest.yaml" in record.__dict__["reason"]


NESTED_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "EnvironmentInputs"
  types:
    Subnet:
      type: object
      properties:
        cidr: {type: string}
      required: [cidr]
    EnvironmentInputs:
      type: object
      properties:
        subnets:
          type: array
          items: {$ref: "#/types/Subnet"}
"""


async def test_types_reach_each_other_with_refs(setup: Setup) -> None:
    await setup.proton.create_environment_template(name="other")
    dangling = NESTED_SCHEMA.replace("#/types/Subnet", "#/types/Subnets")
    failed = await setup.version("environment", "other", environment_files(dangling))
    assert "$ref '#/types/Subnets' must be #/types/" in (failed.status_message or "")
    await setup.proton.create_environment_template(name="base")
    await setup.version("environment", "base", environment_files(NESTED_SCHEMA))
    with pytest.raises(aioproton.ValidationError, match=r"spec\.spec\.subnets\.0: 'cidr'"):
        await setup.environment("proton: EnvironmentSpec\nspec:\n  subnets: [{cdir: x}]\n")
    env = await setup.environment("proton: EnvironmentSpec\nspec:\n  subnets: [{cidr: x}]\n")
    assert env.deployment_status == "IN_PROGRESS"
