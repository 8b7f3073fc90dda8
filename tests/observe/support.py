"""Shared by the observability tests: a record collector and a small world to act on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import aioproton
from aioproton import models
from aioproton.emulator import Emulator

SERVICE_ROLE = "arn:aws:iam::123456789012:role/proton-service"
COMPONENT_ROLE = "arn:aws:iam::123456789012:role/proton-component"
ENV_SPEC = "proton: EnvironmentSpec\nspec: {}\n"
MANIFEST = "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n"
TEMPLATE_FILE = "Resources: {}\n"
BUNDLE = models.TemplateVersionSourceInputS3(
    value=models.S3ObjectSource(bucket="bundles", key="template.tar.gz")
)
SETTLE = 600.0


class Collect(logging.Handler):
    """Keeps every record it is given."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def named(self, logger: str) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name == logger]


@contextmanager
def collecting(name: str = "aioproton") -> Iterator[Collect]:
    """A DEBUG handler on ``name``, as a daemon author would install it."""
    handler = Collect()
    logger = logging.getLogger(name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def template(
    emulator: Emulator, proton: aioproton.ProtonClient, name: str = "base", minors: int = 1
) -> None:
    """An environment template with published versions 1.0 .. 1.(minors-1)."""
    await proton.create_environment_template(name=name)
    for minor in range(minors):
        await proton.create_environment_template_version(
            template_name=name, source=BUNDLE, major_version="1" if minor else None
        )
        emulator.advance(SETTLE)
        await proton.update_environment_template_version(
            template_name=name, major_version="1", minor_version=str(minor), status="PUBLISHED"
        )


async def environment(
    emulator: Emulator, proton: aioproton.ProtonClient, name: str, template_name: str = "base"
) -> models.Environment:
    await proton.create_environment(
        name=name,
        template_name=template_name,
        template_major_version="1",
        template_minor_version="0",
        spec=ENV_SPEC,
        proton_service_role_arn=SERVICE_ROLE,
        component_role_arn=COMPONENT_ROLE,
    )
    emulator.advance(SETTLE)
    return await proton.get_environment(name=name)
