"""What the ``aioproton rollout`` tests share: a fleet of four instances and the command."""

from __future__ import annotations

import aioproton
from aioproton.emulator import Emulator
from aioproton.workflow import Waiters

from ..recipes import service_spec, template_version

INSTANCES = ("one", "two", "three", "four")


async def fleet_of_four(
    proton: aioproton.ProtonClient, emulator: Emulator, waiters: Waiters
) -> str:
    """Service ``api`` with four instances on ``web`` 1.0, and ``web`` 1.1 published."""
    await proton.create_service_template(name="web", pipeline_provisioning="CUSTOMER_MANAGED")
    await template_version(proton, emulator, "service", "web")
    await proton.create_service(
        name="api",
        template_name="web",
        template_major_version="1",
        spec=service_spec(*((name, "dev") for name in INSTANCES)),
    )
    await waiters.service_created("api", timeout=3600)
    return await template_version(proton, emulator, "service", "web", major="1")


def rollout_args(emulator: Emulator, *extra: str) -> list[str]:
    """``aioproton rollout`` of ``web`` 1.1 against ``emulator``, then ``extra``."""
    return [
        "rollout",
        "--endpoint-url",
        emulator.endpoint_url,
        "--service-template",
        "web",
        "--version",
        "1.1",
        "--poll-interval",
        "0.05",
        *extra,
    ]
