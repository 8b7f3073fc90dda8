"""What start-up does and leaves for later, checked by structure (never by time).

Opening a client reads the service model once (so that the first call does not), but
builds no model class: attrs finishes each generated class, and each enum is made, on
its first use (``aioproton._deferred``), exactly as the class statement would have. Each probe
runs in a fresh interpreter, where nothing else has touched the models yet.
"""

from __future__ import annotations

import inspect
import json
import pickle
import re
import subprocess
import sys
import textwrap
import threading
from typing import Any

import attrs
import pytest

import aioproton
from aioproton import _service_model
from aioproton._generated import facts, models, typeddicts


def probe(code: str) -> Any:
    """What ``code`` prints as JSON on its last line, run in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_opening_a_client_reads_the_model_once_and_builds_no_model_class() -> None:
    found = probe(
        """
        import asyncio, json

        import aioproton
        from aioproton import _service_model
        from aioproton._generated import models

        async def main():
            async with aioproton.ProtonClient(
                region_name="us-east-1",
                endpoint_url="http://127.0.0.1:9",
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="example",
            ):
                pass

        asyncio.run(main())
        print(json.dumps({
            "service_model_loads": _service_model.service_description.cache_info().currsize,
            "classes_built": [name for name in models.__all__[3:] if name in vars(models)],
        }))
        """
    )
    # The typed dicts evaluate their annotations at import: the classes they name are
    # the only ones built, and only a few of all.
    named = set(re.findall(r"\bm\.(\w+)", inspect.getsource(typeddicts)))
    assert found["service_model_loads"] == 1
    assert set(found["classes_built"]) <= named
    assert len(named) < len(models.STRUCTURES) / 20


def test_the_facts_the_transport_uses_are_the_models() -> None:
    service = _service_model.service_model()
    assert service.metadata["targetPrefix"] == facts.TARGET_PREFIX
    assert service.signing_name == facts.SIGNING_NAME


def test_a_class_is_finished_on_first_use_with_the_classes_its_fields_name() -> None:
    found = probe(
        """
        import json
        from aioproton._generated import models

        before = "Environment" in vars(models)
        environment = models.Environment
        after = set(vars(models))
        print(json.dumps({
            "before": before,
            "qualname": environment.__qualname__,
            "module": environment.__module__,
            "fields_found": sorted(
                word
                for annotation in environment.__annotations__.values()
                for word in ("RepositoryBranch", "DeploymentStatus", "Provisioning")
                if word in annotation and word in after
            ),
            "unrelated_built": "ServiceTemplateVersion" in after,
        }))
        """
    )
    assert found == {
        "before": False,
        "qualname": "Environment",
        "module": "aioproton._generated.models",
        "fields_found": ["DeploymentStatus", "Provisioning", "RepositoryBranch"],
        "unrelated_built": False,
    }


def test_a_finished_class_is_what_attrs_frozen_makes() -> None:
    tag = models.Tag(key="team", value="platform")
    assert attrs.has(models.Tag)
    assert [f.name for f in attrs.fields(models.Tag)] == ["key", "value"]
    assert models.Tag.__slots__ == ("key", "value", "__weakref__")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        tag.key = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        models.Tag("team", "platform")  # type: ignore[misc]  # keyword-only
    assert pickle.loads(pickle.dumps(tag)) == tag
    assert models.STRUCTURES["Tag"] is models.Tag


def test_an_enum_made_on_first_use_is_the_open_enum_the_class_statement_makes() -> None:
    status = models.DeploymentStatus
    assert issubclass(status, aioproton.OpenEnum) and issubclass(status, str)
    assert (status.__module__, status.__qualname__) == (models.__name__, "DeploymentStatus")
    assert status.SUCCEEDED.value == "SUCCEEDED" and status.SUCCEEDED == "SUCCEEDED"
    assert status("SUCCEEDED") is status.SUCCEEDED and status.SUCCEEDED.known
    assert status("A_NEW_STATE") == "A_NEW_STATE" and not status("A_NEW_STATE").known
    assert pickle.loads(pickle.dumps(status.FAILED)) is status.FAILED
    assert status.__doc__
    assert models.ENUMS["DeploymentStatus"] is status
    expected = _service_model.service_description()["shapes"]["DeploymentStatus"]["enum"]
    assert [member.value for member in status] == expected


def test_unions_tables_and_names_come_from_the_finished_classes() -> None:
    variants, unknown = models.UNIONS["DeploymentState"]
    assert variants["environment"] is models.DeploymentStateEnvironment
    assert unknown is models.DeploymentStateUnknown
    assert set(models.DeploymentState.__args__) == {*variants.values(), unknown}  # type: ignore[attr-defined]
    assert set(models.__all__) <= set(dir(models))
    assert all(models.STRUCTURES[name] is getattr(models, name) for name in models.STRUCTURES)
    with pytest.raises(AttributeError, match="no attribute 'Nonexistent'"):
        models.Nonexistent  # type: ignore[attr-defined]  # noqa: B018


def test_threads_looking_up_one_class_at_once_get_the_same_class() -> None:
    found = probe(
        """
        import json, threading
        from aioproton._generated import models

        seen = []
        start = threading.Barrier(8)

        def look():
            start.wait()
            seen.append(id(models.ServiceInstance))

        threads = [threading.Thread(target=look) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(json.dumps(len(set(seen))))
        """
    )
    assert found == 1
    assert threading.active_count() >= 1
