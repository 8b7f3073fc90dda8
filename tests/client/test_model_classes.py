"""The generated model classes behave as attrs' own frozen classes would.

They are built with fewer attrs features (cheap to import) and inherit equality,
hashing and ``repr`` from ``Structure``; these tests compare every generated class
with a twin that attrs builds with its defaults.
"""

from __future__ import annotations

import datetime
from typing import Any

import attrs
import pytest

from aioproton import models
from aioproton._generated.models import STRUCTURES, UNIONS

CLASSES = sorted(
    [*STRUCTURES.values(), *(c for v, u in UNIONS.values() for c in (*v.values(), u))],
    key=lambda c: c.__name__,
)


def twin(cls: type) -> type:
    """The class attrs would build with its defaults (eq, hash and repr included)."""
    fields = {
        f.name: attrs.field(default=f.default, repr=f.repr, kw_only=f.kw_only)
        for f in attrs.fields(cls)
    }
    return attrs.make_class(cls.__name__, fields, frozen=True)


def sample(cls: type, marker: object) -> dict[str, Any]:
    return {f.name: (marker, f.name) for f in attrs.fields(cls)}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_equality_hash_and_repr_match_attrs(cls: type) -> None:
    reference = twin(cls)
    values = sample(cls, "a")
    ours, theirs = cls(**values), reference(**values)
    assert repr(ours) == repr(theirs)
    assert ours == cls(**values)
    assert hash(ours) == hash(cls(**values))
    assert ours != theirs  # another class never compares equal, as with attrs
    assert (ours == theirs) is (theirs == ours) is False
    if values:
        name = next(iter(values))
        changed = cls(**{**values, name: ("b", name)})
        assert ours != changed
        assert attrs.evolve(ours, **{name: ("b", name)}) == changed
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ours.anything = 1  # type: ignore[attr-defined]
    assert not hasattr(ours, "__dict__")


def test_sensitive_members_stay_out_of_repr() -> None:
    env = models.Environment(
        arn="a",
        created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        deployment_status=models.DeploymentStatus.SUCCEEDED,
        last_deployment_attempted_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        last_deployment_succeeded_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        name="prod",
        template_major_version="1",
        template_minor_version="0",
        template_name="base",
        spec="secret-spec",
    )
    assert "secret-spec" not in repr(env)
    assert "name='prod'" in repr(env)


def test_a_required_member_is_still_required() -> None:
    with pytest.raises(TypeError):
        models.Tag(key="k")  # type: ignore[call-arg]
