"""Operation docstrings: the model's documentation as Markdown, and one entry per parameter."""

from __future__ import annotations

import inspect
import keyword
import re

from botocore import xform_name

from aioproton import ProtonClient, _service_model
from aioproton._generated.facts import OPERATIONS


def python_name(member: str) -> str:
    name = xform_name(member)
    return f"{name}_" if keyword.iskeyword(name) else name


def test_every_documented_parameter_has_an_args_entry() -> None:
    described = _service_model.service_description()
    for facts in OPERATIONS.values():
        doc = inspect.getdoc(getattr(ProtonClient, facts.method)) or ""
        members = described["shapes"][facts.input_shape]["members"] if facts.input_shape else {}
        parameters = set(inspect.signature(getattr(ProtonClient, facts.method)).parameters)
        documented = {
            python_name(member) for member, ref in members.items() if ref.get("documentation")
        }
        assert documented <= parameters, facts.method
        if documented:
            args = doc.split("\nArgs:\n", 1)[1]
            named = re.findall(r"^    (\w+): ", args, flags=re.M)
            assert set(named) == documented, facts.method
        assert not re.search(r"</?(p|code|i|b|a|ul|li|dl|dt|dd|note)\b", doc), facts.method


def test_parameter_docs_keep_what_the_summary_leaves_out() -> None:
    doc = inspect.getdoc(ProtonClient.list_environment_template_versions) or ""
    args = doc.split("\nArgs:\n", 1)[1]
    # The model's note that leaving major_version out lists the major versions.
    assert "major_version: To view a list of minor of versions under a major version" in args
    assert "*exclude* `major Version`" in args
    # Wire names of the input become the method's parameter names.
    create = inspect.getdoc(ProtonClient.create_environment) or ""
    assert "`environment_account_connection_id`" in create
    assert "`environmentAccountConnectionId`" not in create
    assert "[Environments](https://docs.aws.amazon.com/proton/latest/userguide/" in create
