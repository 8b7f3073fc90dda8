"""Each operation's generated kind and result shape agree with the model and the reference."""

from __future__ import annotations

import inspect

import pytest

import aioproton
from aioproton import _service_model
from aioproton._facts import OperationKind, ResultShape
from aioproton._generated.facts import OPERATIONS

SERVICE = _service_model.service_model()

# From proton-api-behaviour.md, section 8: the operations of each idempotency group.
CLIENT_TOKEN = {
    "CreateComponent",
    "CreateEnvironmentAccountConnection",
    "CreateEnvironmentTemplateVersion",
    "CreateServiceInstance",
    "CreateServiceTemplateVersion",
    "UpdateComponent",
    "UpdateServiceInstance",
}
NAME_KEYED = {
    "CreateEnvironment",
    "CreateEnvironmentTemplate",
    "CreateService",
    "CreateServiceTemplate",
}
DELETES = {
    "DeleteComponent",
    "DeleteDeployment",
    "DeleteEnvironment",
    "DeleteEnvironmentAccountConnection",
    "DeleteEnvironmentTemplate",
    "DeleteEnvironmentTemplateVersion",
    "DeleteRepository",
    "DeleteService",
    "DeleteServiceSyncConfig",
    "DeleteServiceTemplate",
    "DeleteServiceTemplateVersion",
    "DeleteTemplateSyncConfig",
}


@pytest.mark.parametrize(
    ("operation", "kind"),
    [
        ("CreateEnvironment", OperationKind.NAME_KEYED_CREATE),
        ("CreateComponent", OperationKind.CLIENT_TOKEN),
        ("UpdateComponent", OperationKind.CLIENT_TOKEN),
        ("UpdateEnvironment", OperationKind.TOKENLESS_UPDATE),
        ("UpdateEnvironmentAccountConnection", OperationKind.OTHER),
        ("DeleteService", OperationKind.DELETE),
        ("GetEnvironment", OperationKind.READ_ONLY),
        ("ListServices", OperationKind.READ_ONLY),
        ("CreateRepository", OperationKind.OTHER),
        ("CancelEnvironmentDeployment", OperationKind.OTHER),
    ],
)
def test_known_operations_are_classified(operation: str, kind: OperationKind) -> None:
    facts = OPERATIONS[operation]
    assert facts.kind is kind
    assert facts.read_only == (kind is OperationKind.READ_ONLY)


def test_every_operation_has_exactly_one_kind_and_the_groups_match_the_reference() -> None:
    groups: dict[OperationKind, set[str]] = {kind: set() for kind in OperationKind}
    for name, facts in OPERATIONS.items():
        assert isinstance(facts.kind, OperationKind), name
        groups[facts.kind].add(name)
    assert sum(len(names) for names in groups.values()) == len(OPERATIONS) == 87
    assert groups[OperationKind.CLIENT_TOKEN] == CLIENT_TOKEN
    assert groups[OperationKind.NAME_KEYED_CREATE] == NAME_KEYED
    assert groups[OperationKind.DELETE] == DELETES
    # Section 8.4: the updates left to resend blindly are those neither tokened nor flagged.
    for name in groups[OperationKind.TOKENLESS_UPDATE]:
        assert not OPERATIONS[name].idempotent and OPERATIONS[name].client_token is None
    for name in groups[OperationKind.READ_ONLY]:
        facts = OPERATIONS[name]
        assert facts.client_token is None and not facts.idempotent and facts.replay_safe


def test_only_creates_are_marked_as_making_a_resource() -> None:
    creates = {name for name, facts in OPERATIONS.items() if facts.creates}
    assert creates >= NAME_KEYED
    assert "CreateComponent" in creates and "UpdateComponent" not in creates
    assert not creates & DELETES
    assert all(not OPERATIONS[name].read_only for name in creates)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_result_shape_matches_the_typed_method(operation: str) -> None:
    facts = OPERATIONS[operation]
    method = getattr(aioproton.ProtonClient, facts.method)
    returns = inspect.signature(method).return_annotation
    output = SERVICE.operation_model(operation).output_shape
    members = list(output.members) if output is not None else []
    if facts.result is ResultShape.NOTHING:
        assert (returns, members, facts.result_member) == ("None", [], None)
    elif facts.result is ResultShape.OUTPUT:
        assert len(members) > 1 and facts.result_member is None
        assert returns == f"m.{facts.output_shape}"
    else:
        assert members == [facts.result_member]
        assert returns.endswith(" | None") != facts.result_required


def test_a_delete_returns_its_member_or_none_for_an_empty_answer() -> None:
    for name in DELETES:
        facts = OPERATIONS[name]
        assert facts.result is ResultShape.MEMBER and not facts.result_required, name
    assert OPERATIONS["TagResource"].result is ResultShape.NOTHING
    assert OPERATIONS["ListServices"].result is ResultShape.OUTPUT
