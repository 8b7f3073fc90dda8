"""Nested inputs: the model classes and their boto3-style dicts send the same request."""

from __future__ import annotations

from typing import Any

import pytest

import aioproton
from aioproton import _service_model, models
from aioproton.emulator import Emulator
from aioproton.models import S3ObjectSource, Tag, TagDict, TemplateVersionSourceInputS3


def test_models_is_a_module_of_the_generated_classes_and_dicts() -> None:
    from aioproton._generated import models as generated
    from aioproton._generated import typeddicts

    assert aioproton.models is models
    assert models.Tag is generated.Tag
    assert set(models.__all__) == set(generated.__all__) | set(typeddicts.__all__)
    assert all(hasattr(models, name) for name in models.__all__)
    # Every input structure has a dict form; Unknown union variants are output-only.
    assert "TagDict" in models.__all__
    assert "TemplateVersionSourceInputDict" in models.__all__
    assert not any(name.endswith("UnknownDict") for name in models.__all__)


async def test_dict_and_model_tags_reach_the_service_alike(
    proton_client: aioproton.ProtonClient,
) -> None:
    as_dicts: list[Tag | TagDict] = [{"key": "team", "value": "a"}, {"key": "tier", "value": "1"}]
    as_models: list[Tag | TagDict] = [Tag(key="team", value="a"), Tag(key="tier", value="1")]
    arns = []
    for name, tags in (("from-dicts", as_dicts), ("from-models", as_models)):
        template = await proton_client.create_environment_template(name=name, tags=tags)
        arns.append(template.arn)
    for arn in arns:
        listed = await proton_client.list_tags_for_resource(resource_arn=arn)
        assert sorted((t.key, t.value) for t in listed.tags) == [("team", "a"), ("tier", "1")]


async def test_a_union_takes_its_variant_class_or_a_dict_of_one_member(
    proton_client: aioproton.ProtonClient,
) -> None:
    await proton_client.create_environment_template(name="base")
    sources: list[Any] = [
        TemplateVersionSourceInputS3(S3ObjectSource(bucket="my-templates", key="v1.tar.gz")),
        {"s3": {"bucket": "my-templates", "key": "v2.tar.gz"}},
        {"s3": S3ObjectSource(bucket="my-templates", key="v3.tar.gz")},
    ]
    for source in sources:
        version = await proton_client.create_environment_template_version(
            template_name="base", source=source
        )
        assert version.template_name == "base"


async def test_an_unknown_union_variant_is_refused_before_sending(
    proton_client: aioproton.ProtonClient, proton_emulator: Emulator
) -> None:
    """The type checker refuses it (tests/typing/inputs.py); at run time, so does validation."""
    proton_emulator.requests.clear()
    with pytest.raises(aioproton.ParameterValidationError, match="source") as raised:
        await proton_client.create_environment_template_version(
            template_name="base",
            source=models.TemplateVersionSourceInputUnknown("git"),  # type: ignore[arg-type]
        )
    assert raised.value.operation == "CreateEnvironmentTemplateVersion"
    assert len(proton_emulator.requests) == 0


def test_dict_forms_know_their_required_keys_at_run_time() -> None:
    """Runtime validators (pydantic, typeguard) read the same required keys as mypy."""
    from aioproton._generated import typeddicts

    assert models.TagDict.__required_keys__ == {"key", "value"}
    # A union's dict names one member, so none is required on its own.
    assert models.TemplateVersionSourceInputDict.__required_keys__ == frozenset()
    described = _service_model.service_description()["shapes"]
    for name in typeddicts.__all__:
        shape = described[name.removesuffix("Dict")]
        dict_type = getattr(typeddicts, name)
        required = set() if shape.get("union") else set(shape.get("required", []))
        assert dict_type.__required_keys__ == required, name
        assert dict_type.__optional_keys__ == set(shape["members"]) - required, name
