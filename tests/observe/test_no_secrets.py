"""With DEBUG on for every logger (botocore too), no record holds a secret once the
redaction filter is installed as :mod:`aioproton.redaction` documents."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import aioproton
from aioproton.clock import ManualClock
from aioproton.emulator import Emulator, FaultSettings
from aioproton.redaction import install_redaction
from aioproton.testing._fixtures import EmulatorFactory
from aioproton.workflow import IdempotentCalls, Waiters

from .support import MANIFEST, TEMPLATE_FILE, Collect, environment, template

ACCESS_KEY_ID = "ASIAQ7EXAMPLEKEY1234"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue0123456789"


@pytest.fixture
def every_logger_at_debug() -> Iterator[Collect]:
    root = logging.getLogger()
    handler = Collect()
    root.addHandler(handler)
    install_redaction()
    saved = {
        name: logging.getLogger(name).level for name in ("", "botocore", "aioproton", "aiohttp")
    }
    for name in saved:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def rendered(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), record.exc_text or ""]
    parts += [repr(value) for value in vars(record).values()]
    return "\n".join(parts)


async def test_no_record_holds_a_key_id_secret_or_session_token(
    proton_emulator_factory: EmulatorFactory, every_logger_at_debug: Collect
) -> None:
    emulator: Emulator = await proton_emulator_factory(credentials={ACCESS_KEY_ID: SECRET})
    clock = emulator.clock
    assert isinstance(clock, ManualClock)
    async with emulator.client(clock=clock, aws_session_token=SESSION_TOKEN) as proton:
        await template(emulator, proton)
        await environment(emulator, proton, "prod")
        emulator.faults.configure(FaultSettings(throttle_burst=2))
        await IdempotentCalls(clock=clock).call(
            "key/c",
            proton.create_component,
            name="c",
            environment_name="prod",
            manifest=MANIFEST,
            template_file=TEMPLATE_FILE,
        )
        await Waiters(proton).component_deployed("c", timeout=3600)
        await proton.raw.list_environments()  # botocore's own DEBUG lines too
        with pytest.raises(aioproton.ResourceNotFoundError):
            await proton.get_environment(name="missing")
    records = every_logger_at_debug.records
    assert any(r.name.startswith("botocore") for r in records)
    assert any(r.name.startswith("aioproton.client") for r in records)
    for record in records:
        text = rendered(record)
        for secret in (ACCESS_KEY_ID, SECRET, SESSION_TOKEN, ACCESS_KEY_ID[4:]):
            assert secret not in text, f"{record.name}: {record.getMessage()[:200]}"
