"""Shared by the observability tests: a record collector and a small world to act on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import aioproton
from aioproton import models
from aioproton.emulator import Emulator

from .. import recipes
from ..recipes import MANIFEST as MANIFEST
from ..recipes import TEMPLATE_FILE as TEMPLATE_FILE

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
    await recipes.env_template(
        proton, emulator, name, tuple(f"1.{minor}" for minor in range(minors)), settle=SETTLE
    )


async def environment(
    emulator: Emulator, proton: aioproton.ProtonClient, name: str, template_name: str = "base"
) -> models.Environment:
    """An environment on ``template_name`` 1.0, deployed."""
    await recipes.environment(proton, emulator, name, template=template_name, minor="0")
    emulator.advance(SETTLE)
    return await proton.get_environment(name=name)
