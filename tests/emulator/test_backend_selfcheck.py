"""The response self-check, and that accounts' regions are separate worlds."""

from __future__ import annotations

import aioproton
from aioproton._service_model import service_model
from aioproton.emulator import Emulator
from aioproton.emulator.backend import check_response
from aioproton.emulator.backend._dispatch import HANDLERS

from ..recipes import ACCOUNT

VALID = {
    "environmentTemplate": {
        "arn": f"arn:aws:proton:us-east-1:{ACCOUNT}:environment-template/base",
        "name": "base",
        "createdAt": 1767225600.0,
        "lastModifiedAt": 1767225600,
    }
}


def test_accepts_a_valid_response() -> None:
    assert check_response("GetEnvironmentTemplate", VALID) == []
    assert check_response("TagResource", {}) == []


def test_reports_what_an_sdk_would_trip_on() -> None:
    template = dict(VALID["environmentTemplate"])
    del template["name"]
    template["createdAt"] = "2026-01-01T00:00:00Z"
    template["description"] = None
    problems = check_response("GetEnvironmentTemplate", {"environmentTemplate": template})
    text = "\n".join(problems)
    assert "environmentTemplate.name: required" in text
    assert "environmentTemplate.createdAt: timestamp" in text
    assert "environmentTemplate.description: null" in text
    status = check_response(
        "ListEnvironmentTemplates", {"templates": [{"name": "x", "arn": "bad", "createdAt": 1}]}
    )
    assert any("lastModifiedAt" in p for p in status)
    assert check_response("TagResource", {"x": 1}) != []


async def test_regions_are_separate(
    proton_emulator: Emulator, proton_client: aioproton.ProtonClient
) -> None:
    await proton_client.create_environment_template(name="base")
    async with proton_emulator.client(
        region_name="eu-west-1", retry=aioproton.RetryPolicy.never()
    ) as europe:
        assert list((await europe.list_environment_templates()).templates) == []
        created = await europe.create_environment_template(name="base", description="eu")
        assert created.arn == f"arn:aws:proton:eu-west-1:{ACCOUNT}:environment-template/base"
    home = await proton_client.get_environment_template(name="base")
    assert home.description is None


def test_every_operation_has_a_handler() -> None:
    assert set(HANDLERS) == set(service_model().operation_names)
    assert len(HANDLERS) == 87
