"""Template sync: a commit to a git repository registers a new template version.

A local git repository stands in for GitHub: it is linked with ``CreateRepository`` and
the templates are synced from its ``main`` branch with ``CreateTemplateSyncConfig``.
The first sync registers version 1.0 of each template; three service instances run it.
A commit that adds an input to the service template registers 1.1, which is published
and rolled out to the instances with ``Rollout``; a broken commit then fails its sync
attempt and says why.

    python examples/template_sync.py
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

import anyio
from _harness import ROLE, Proton, parser, proton

from aioproton.workflow import Rollout

TemplateKind = Literal["ENVIRONMENT", "SERVICE"]
CONNECTION = "arn:aws:codestar-connections:us-east-1:123456789012:connection/example"
INSTANCES = 3
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Example",
    "GIT_AUTHOR_EMAIL": "example@example.com",
    "GIT_COMMITTER_NAME": "Example",
    "GIT_COMMITTER_EMAIL": "example@example.com",
}
MANIFEST = """infrastructure:
  templates:
    - file: cloudformation.yaml
      rendering_engine: jinja
      template_language: cloudformation
"""
CLOUDFORMATION = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
"""
ENV_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "EnvironmentInputs"
  types:
    EnvironmentInputs:
      type: object
      properties: {}
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
IMAGE_INPUT = "        image:\n          type: string\n          default: nginx\n"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_IDENTITY},
    )
    return done.stdout.strip()


def commit(repo: Path, files: dict[str, str | None], message: str) -> str:
    """Write (``None``: delete) ``files`` and commit them; the short commit id."""
    for path, text in files.items():
        if text is None:
            (repo / path).unlink()
        else:
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "--short", "HEAD")


async def wait_for_sync(p: Proton, template: str, kind: TemplateKind) -> None:
    """Read the branch now, then wait for the sync attempt to end; print it."""
    await p.control.sync()
    while True:
        status = await p.client.get_template_sync_status(
            template_name=template, template_type=kind, template_version="1"
        )
        latest = status.latest_sync
        if latest is not None and latest.status != "IN_PROGRESS":
            break
        await p.clock.sleep(5)
    sha = latest.target_revision.sha[:7]
    print(f"    sync of {template} at {sha}: {latest.status}")
    for event in latest.events:
        print(f"        {event.type}: {event.event}")


async def publish(p: Proton, kind: str, template: str, minor: str) -> None:
    update = getattr(p.client, f"update_{kind}_template_version")
    await update(template_name=template, major_version="1", minor_version=minor, status="PUBLISHED")


async def scenario(p: Proton, repo: Path) -> None:
    base, web, api = p.name("base"), p.name("web"), p.name("api")
    repository = p.name("org/templates")
    first = commit(
        repo,
        {
            f"{base}/v1/schema/schema.yaml": ENV_SCHEMA,
            f"{base}/v1/infrastructure/manifest.yaml": MANIFEST,
            f"{base}/v1/infrastructure/cloudformation.yaml": CLOUDFORMATION,
            f"{web}/v1/schema/schema.yaml": SERVICE_SCHEMA,
            f"{web}/v1/instance_infrastructure/manifest.yaml": MANIFEST,
            f"{web}/v1/instance_infrastructure/cloudformation.yaml": CLOUDFORMATION,
            f"{web}/v1/.compatible-envs": f"{base}:1\n",
        },
        "templates",
    )
    print(f"committed {base}/v1 and {web}/v1 as {first}")
    await p.control.point_repository("GITHUB", repository, str(repo))
    await p.client.create_repository(name=repository, provider="GITHUB", connection_arn=CONNECTION)
    await p.client.create_environment_template(name=base)
    await p.client.create_service_template(name=web, pipeline_provisioning="CUSTOMER_MANAGED")
    kinds: tuple[tuple[str, TemplateKind], ...] = ((base, "ENVIRONMENT"), (web, "SERVICE"))
    for template, kind in kinds:
        await p.client.create_template_sync_config(
            template_name=template,
            template_type=kind,
            repository_name=repository,
            repository_provider="GITHUB",
            branch="main",
        )
        await wait_for_sync(p, template, kind)
        await publish(p, kind.lower(), template, "0")

    await p.client.create_environment(
        name=p.name("dev"),
        template_name=base,
        template_major_version="1",
        spec="proton: EnvironmentSpec\nspec: {}\n",
        proton_service_role_arn=ROLE,
    )
    await p.waiters().environment_deployed(p.name("dev"), timeout=3600)
    instances = "".join(
        f"  - name: i{index}\n    environment: {p.name('dev')}\n    spec: {{}}\n"
        for index in range(1, INSTANCES + 1)
    )
    await p.client.create_service(
        name=api,
        template_name=web,
        template_major_version="1",
        spec=f"proton: ServiceSpec\ninstances:\n{instances}",
    )
    await p.waiters().service_created(api, timeout=3600)
    print(f"{INSTANCES} service instances run {web} 1.0")

    second = commit(
        repo, {f"{web}/v1/schema/schema.yaml": SERVICE_SCHEMA + IMAGE_INPUT}, "web: image"
    )
    print(f"committed an image input to {web}/v1 as {second}")
    await wait_for_sync(p, web, "SERVICE")
    await publish(p, "service", web, "1")
    report = await Rollout(p.client, service_template=web, version="1.1", clock=p.clock).run()
    print(report)

    third = commit(repo, {f"{web}/v1/instance_infrastructure/manifest.yaml": None}, "web: oops")
    print(f"committed a bundle without its manifest as {third}")
    await wait_for_sync(p, web, "SERVICE")

    await p.client.delete_service(name=api)


async def main() -> None:
    args = parser(__doc__).parse_args()
    with tempfile.TemporaryDirectory() as directory:
        repo = Path(directory) / "templates"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        async with proton(args) as p:
            await scenario(p, repo)


if __name__ == "__main__":
    anyio.run(main)
