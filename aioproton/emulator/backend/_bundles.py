"""Template bundles: where a version's bundle comes from, and what a valid one holds.

Reference §11: *"Template bundle (S3 ``.tar.gz``, referenced by ``source.s3``) [G]:
environment bundle ``schema/schema.yaml`` + ``infrastructure/manifest.yaml`` + IaC
file(s); service bundle ``schema/schema.yaml``, ``instance_infrastructure/…``, optional
``pipeline_infrastructure/…``."* *"Manifest: ``infrastructure.templates[] = {file,
rendering_engine (jinja|hcl|codebuild), template_language (cloudformation|terraform)}``."*
§5.1 row 3: a bundle is rejected (REGISTRATION_FAILED, ``statusMessage`` explains) when
it is unreadable, its manifest or schema is invalid, a minor version's schema is not
backward compatible with the earlier minors of its major, or a customer-managed
environment template's bundle holds more than the schema. §7.17: *"Template bundle 5 MB;
manifest 50 KB; schema 50 KB; other template file 200 KB; ≤10 files per bundle"*.

Where bundles come from: a :class:`BundleResolver` asks its sources in turn. The S3
source reads ``<root>/<bucket>/<key>`` under a local directory standing in for S3, and
objects registered in memory (the control API); the git source reads a directory of
a linked repository at one commit (template sync, see ``_template_sync``) and hands it
over as files with :meth:`Bundle.from_files`. A source
that has no such object answers ``None``, and the version is then registered opaquely
(DRAFT with a placeholder schema), as it was before bundles were read.

Readings [I]: the 5 MB limit applies to the compressed object; a tarball whose files
all sit under one top-level directory (``tar czf b.tar.gz my-template/``) is read as if
that directory were the root; the manifest's ``file`` must name a file next to it
(CodeBuild manifests name none); a service template with a pipeline needs
``pipeline_infrastructure/manifest.yaml``, and one without a pipeline must not have it.
"""

from __future__ import annotations

import io
import logging
import tarfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import attrs

from . import _schemas
from ._git import GitError, GitRepositories
from ._records import DRAFT, PUBLISHED, Template, TemplateVersion
from ._specs import load_file

logger = logging.getLogger("aioproton.emulator")

BUNDLE_BYTES = 5 * 1024 * 1024
MANIFEST_BYTES = 50 * 1024
SCHEMA_BYTES = 50 * 1024
FILE_BYTES = 200 * 1024
MAX_FILES = 10

SCHEMA_FILE = "schema/schema.yaml"
RENDERING_ENGINES = ("jinja", "hcl", "codebuild")
TEMPLATE_LANGUAGES = ("cloudformation", "terraform")


class BundleError(Exception):
    """The bundle cannot be registered; the message becomes the version's statusMessage."""


@attrs.frozen
class Bundle:
    """A bundle's files by path (``schema/schema.yaml``, ...)."""

    files: Mapping[str, bytes]

    def file(self, path: str) -> bytes:
        """The file at ``path``, or a BundleError saying the bundle has none."""
        raw = self.files.get(path)
        if raw is None:
            raise BundleError(f"The template bundle has no {path}.")
        return raw

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> Bundle:
        """A bundle of ``files``, checked against the file count and size limits."""
        if len(files) > MAX_FILES:
            raise BundleError(
                f"The template bundle holds {len(files)} files; at most {MAX_FILES} are allowed."
            )
        for path, data in files.items():
            limit = _limit(path)
            if len(data) > limit:
                raise BundleError(
                    f"{path} is {len(data)} bytes; the limit for this file is {limit} bytes."
                )
        return cls(dict(_strip_top_directory(files)))

    @classmethod
    def from_tarball(cls, data: bytes) -> Bundle:
        """A bundle from a ``.tar.gz`` archive, checked against the bundle's limits."""
        if len(data) > BUNDLE_BYTES:
            raise BundleError(
                f"The template bundle is {len(data)} bytes; the limit is {BUNDLE_BYTES} bytes."
            )
        files: dict[str, bytes] = {}
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
                for member in archive:
                    if member.isdir():
                        continue
                    if not member.isfile():
                        raise BundleError(
                            f"The template bundle holds {member.name}, which is not a regular "
                            "file (links are not allowed)."
                        )
                    name = member.name.removeprefix("./")
                    if len(files) >= MAX_FILES:
                        raise BundleError(f"The template bundle holds more than {MAX_FILES} files.")
                    if member.size > _limit(name):
                        raise BundleError(
                            f"{name} is {member.size} bytes; the limit for this file is "
                            f"{_limit(name)} bytes."
                        )
                    handle = archive.extractfile(member)
                    files[name] = handle.read() if handle is not None else b""
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise BundleError(
                f"The template bundle is not a readable tar.gz archive: {exc}"
            ) from exc
        return cls.from_files(files)


def _limit(path: str) -> int:
    base = path.rsplit("/", 1)[-1]
    if base == "schema.yaml":
        return SCHEMA_BYTES
    if base == "manifest.yaml":
        return MANIFEST_BYTES
    return FILE_BYTES


_ROOT_DIRECTORIES = (
    "schema",
    "infrastructure",
    "instance_infrastructure",
    "pipeline_infrastructure",
)


def _strip_top_directory(files: Mapping[str, bytes]) -> Mapping[str, bytes]:
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) != 1 or all("/" not in p for p in files):
        return files
    (top,) = tops
    if top in _ROOT_DIRECTORIES:
        return files
    return {path.split("/", 1)[1]: data for path, data in files.items()}


# Where bundles come from.


class BundleSource(Protocol):
    def fetch(self, source: Mapping[str, Any]) -> Bundle | None:
        """The bundle ``source`` names, ``None`` if this source does not have it.

        Raises :class:`BundleError` when the object exists but cannot be read.
        """


class S3Directory:
    """S3 objects: registered in memory, or ``<root>/<bucket>/<key>`` on disk."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.objects: dict[tuple[str, str], bytes] = {}

    def register(self, bucket: str, key: str, data: bytes) -> None:
        """Hold ``data`` as the object ``s3://bucket/key`` (in memory)."""
        self.objects[(bucket, key)] = data

    def fetch(self, source: Mapping[str, Any]) -> Bundle | None:
        """The bundle at the source's S3 location, ``None`` if there is no such object."""
        s3 = source.get("s3")
        if not isinstance(s3, Mapping):
            return None
        bucket, key = str(s3.get("bucket", "")), str(s3.get("key", ""))
        data = self.objects.get((bucket, key))
        if data is None:
            data = self._read(bucket, key)
        return None if data is None else Bundle.from_tarball(data)

    def _read(self, bucket: str, key: str) -> bytes | None:
        if self.root is None:
            return None
        root = self.root.resolve()
        if not bucket or "/" in bucket or bucket in (".", ".."):
            raise BundleError(f"s3://{bucket}/{key} is not a valid object location.")
        path = (root / bucket / key).resolve()
        if not path.is_relative_to(root / bucket):
            raise BundleError(f"s3://{bucket}/{key} is not a valid object location.")
        if not path.is_file():
            return None
        try:
            if path.stat().st_size > BUNDLE_BYTES:
                raise BundleError(
                    f"The template bundle is {path.stat().st_size} bytes; the limit is "
                    f"{BUNDLE_BYTES} bytes."
                )
            return path.read_bytes()
        except OSError as exc:
            raise BundleError(f"s3://{bucket}/{key} could not be read: {exc.strerror}.") from exc


class GitSource:
    """Bundles in linked repositories: ``{"git": {provider, name, sha, directory}}``."""

    def __init__(self, repositories: GitRepositories) -> None:
        self.repositories = repositories

    def fetch(self, source: Mapping[str, Any]) -> Bundle | None:
        git = source.get("git")
        if not isinstance(git, Mapping):
            return None
        provider, name = str(git.get("provider")), str(git.get("name"))
        sha, directory = str(git.get("sha")), str(git.get("directory"))
        try:
            files = self.repositories.files(provider, name, sha, directory, most=MAX_FILES)
        except GitError as exc:
            raise BundleError(f"The template directory could not be read: {exc}") from exc
        return Bundle.from_files(files)


class BundleResolver:
    """Finds a version's bundle by asking each source in turn."""

    def __init__(self) -> None:
        self.s3: S3Directory = S3Directory()
        self.git: GitRepositories = GitRepositories()
        self.sources: list[BundleSource] = [self.s3, GitSource(self.git)]

    def fetch(self, source: Mapping[str, Any]) -> Bundle | None:
        """The bundle from the first source that has it, or ``None``."""
        for candidate in self.sources:
            bundle = candidate.fetch(source)
            if bundle is not None:
                return bundle
        return None


# What a valid bundle holds.


@attrs.frozen
class Registration:
    """What registering a bundle gives a version."""

    schema: str
    pipeline_engine: str | None


def _manifest(bundle: Bundle, directory: str) -> list[dict[str, Any]]:
    path = f"{directory}/manifest.yaml"
    data = load_file(bundle.file(path), path, BundleError)
    infrastructure = data.get("infrastructure") if isinstance(data, dict) else None
    templates = infrastructure.get("templates") if isinstance(infrastructure, dict) else None
    if not isinstance(templates, list) or not templates:
        raise BundleError(f"{path} must list infrastructure.templates.")
    for index, entry in enumerate(templates):
        where = f"{path}: infrastructure.templates[{index}]"
        if not isinstance(entry, dict):
            raise BundleError(f"{where} must be a mapping.")
        engine = entry.get("rendering_engine")
        if engine not in RENDERING_ENGINES:
            raise BundleError(
                f"{where}.rendering_engine must be one of {', '.join(RENDERING_ENGINES)}."
            )
        if engine == "codebuild":
            continue
        if entry.get("template_language") not in TEMPLATE_LANGUAGES:
            raise BundleError(
                f"{where}.template_language must be one of {', '.join(TEMPLATE_LANGUAGES)}."
            )
        file = entry.get("file")
        if not isinstance(file, str) or f"{directory}/{file}" not in bundle.files:
            raise BundleError(f"{where}.file names {file!r}, which is not in {directory}/.")
    return templates


def check(bundle: Bundle, template: Template) -> Registration:
    """The registration a bundle gives a version of ``template``, or a BundleError."""
    try:
        schema = bundle.file(SCHEMA_FILE).decode()
    except UnicodeDecodeError as exc:
        raise BundleError(f"{SCHEMA_FILE} is not UTF-8 text.") from exc
    try:
        _schemas.parse(schema, template.kind)
    except _schemas.SchemaError as exc:
        raise BundleError(f"{SCHEMA_FILE}: {exc}") from exc
    directories = {path.split("/", 1)[0] for path in bundle.files if "/" in path}
    pipeline_engine = None
    if template.kind == "environment":
        if template.provisioning == "CUSTOMER_MANAGED":
            extra = sorted(directories - {"schema"})
            if extra:
                raise BundleError(
                    "A customer-managed environment template bundle holds only the schema; "
                    f"remove {', '.join(extra)}/."
                )
        else:
            _manifest(bundle, "infrastructure")
    else:
        _manifest(bundle, "instance_infrastructure")
        if template.has_pipeline:
            entries = _manifest(bundle, "pipeline_infrastructure")
            pipeline_engine = str(entries[0].get("rendering_engine"))
        elif "pipeline_infrastructure" in directories:
            raise BundleError(
                f"Service template {template.name} has no pipeline "
                "(pipelineProvisioning CUSTOMER_MANAGED); remove pipeline_infrastructure/."
            )
    return Registration(schema, pipeline_engine)


def register(
    resolver: BundleResolver, template: Template, version: TemplateVersion
) -> Registration | None:
    """Read and check ``version``'s bundle; ``None`` when no source has it (opaque)."""
    facts = {"template": template.name, "version": version.number, "source": version.source}
    try:
        registration = _register(resolver, template, version)
    except BundleError as exc:
        logger.info("template bundle rejected: %s", exc, extra={**facts, "reason": str(exc)})
        raise
    if registration is None:
        logger.debug("no template bundle found; registering without a schema", extra=facts)
    return registration


def _register(
    resolver: BundleResolver, template: Template, version: TemplateVersion
) -> Registration | None:
    bundle = resolver.fetch(version.source)
    if bundle is None:
        return None
    registration = check(bundle, template)
    for earlier in template.versions.values():
        if (
            earlier.major == version.major
            and earlier.minor < version.minor
            and earlier.schema_from_bundle
            and earlier.status in (DRAFT, PUBLISHED)
            and earlier.schema is not None
        ):
            problem = _schemas.incompatibility(earlier.schema, registration.schema, template.kind)
            if problem is not None:
                raise BundleError(
                    f"The schema is not backward compatible with version {earlier.number}: "
                    f"{problem}. Register it as a new major version instead."
                )
    return registration
