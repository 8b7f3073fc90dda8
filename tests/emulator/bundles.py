"""Real template bundles for the tests: tar.gz archives built from a schema and IaC files."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from pathlib import Path

ENV_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "EnvironmentInputs"
  types:
    EnvironmentInputs:
      type: object
      description: "Inputs of the environment."
      properties:
        vpc_cidr:
          type: string
          default: "10.0.0.0/16"
        size:
          type: string
          enum: [small, large]
          default: small
"""

SERVICE_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  service_input_type: "ServiceInputs"
  pipeline_input_type: "PipelineInputs"
  types:
    ServiceInputs:
      type: object
      properties:
        port:
          type: number
          minimum: 1
          maximum: 65535
        image:
          type: string
          default: nginx
      required: [port]
    PipelineInputs:
      type: object
      properties:
        unit_tests:
          type: boolean
          default: true
"""

CLOUDFORMATION = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: "{{ service_instance.name }}"
"""


def manifest(file: str = "cloudformation.yaml", engine: str = "jinja") -> str:
    return (
        "infrastructure:\n  templates:\n"
        f"    - file: {file}\n      rendering_engine: {engine}\n"
        "      template_language: cloudformation\n"
    )


def environment_files(schema: str = ENV_SCHEMA) -> dict[str, str]:
    return {
        "schema/schema.yaml": schema,
        "infrastructure/manifest.yaml": manifest(),
        "infrastructure/cloudformation.yaml": CLOUDFORMATION,
    }


def service_files(schema: str = SERVICE_SCHEMA, *, pipeline: bool = True) -> dict[str, str]:
    files = {
        "schema/schema.yaml": schema,
        "instance_infrastructure/manifest.yaml": manifest(),
        "instance_infrastructure/cloudformation.yaml": CLOUDFORMATION,
    }
    if pipeline:
        files["pipeline_infrastructure/manifest.yaml"] = manifest()
        files["pipeline_infrastructure/cloudformation.yaml"] = CLOUDFORMATION
    return files


def tarball(files: Mapping[str, str | bytes]) -> bytes:
    """A tar.gz archive holding ``files`` (path -> content)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def put(root: Path, bucket: str, key: str, data: bytes) -> None:
    """Store ``data`` as the S3 object ``bucket/key`` under a bundle root."""
    path = root / bucket / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
