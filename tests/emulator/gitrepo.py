"""Local git repositories for template sync tests: made with ``git init``, committed to
by the ``git`` command with a fixed author and date, so every commit id is the same on
every run."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .bundles import CLOUDFORMATION, manifest

AUTHOR = {
    "GIT_AUTHOR_NAME": "Template Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_NAME": "Template Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}

ENV_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "EnvironmentInputs"
  types:
    EnvironmentInputs:
      type: object
      properties:
        size:
          type: string
          default: small
"""

SERVICE_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  service_input_type: "ServiceInputs"
  types:
    ServiceInputs:
      type: object
      properties:
        port:
          type: number
          default: 80
"""

#: Version 1.1 of the service schema: a new optional input (backward compatible).
SERVICE_SCHEMA_V11 = (
    SERVICE_SCHEMA + "        image:\n          type: string\n          default: nginx\n"
)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **AUTHOR},
        check=True,
    )
    return done.stdout.strip()


def init(repo: Path, branch: str = "main") -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", branch)
    return repo


def commit(repo: Path, files: Mapping[str, str | None], message: str) -> str:
    """Write (or, for ``None``, delete) ``files`` and commit them; the new commit's id."""
    for path, text in files.items():
        target = repo / path
        if text is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def environment_template(directory: str, schema: str = ENV_SCHEMA) -> dict[str, str | None]:
    return {
        f"{directory}/schema/schema.yaml": schema,
        f"{directory}/infrastructure/manifest.yaml": manifest(),
        f"{directory}/infrastructure/cloudformation.yaml": CLOUDFORMATION,
    }


def service_template(
    directory: str, schema: str = SERVICE_SCHEMA, compatible: str | None = "base:1"
) -> dict[str, str | None]:
    files: dict[str, str | None] = {
        f"{directory}/schema/schema.yaml": schema,
        f"{directory}/instance_infrastructure/manifest.yaml": manifest(),
        f"{directory}/instance_infrastructure/cloudformation.yaml": CLOUDFORMATION,
    }
    if compatible is not None:
        files[f"{directory}/.compatible-envs"] = compatible + "\n"
    return files
