"""The committed generated code is exactly what the installed botocore model produces."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CODEGEN = ROOT / "scripts" / "codegen.py"
GENERATED = ROOT / "aioproton" / "_generated"


def run_check(target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CODEGEN), "--check", "--target", str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.slow
def test_committed_code_matches_the_installed_model() -> None:
    result = run_check(GENERATED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matches botocore" in result.stdout


@pytest.mark.slow
def test_a_hand_edit_is_reported_as_drift(tmp_path: Path) -> None:
    copy = tmp_path / "_generated"
    shutil.copytree(GENERATED, copy)
    models = copy / "models.py"
    models.write_text(models.read_text().replace("IN_PROGRESS", "IN_PROGRES", 1))
    result = run_check(copy)
    assert result.returncode == 1
    assert "models.py" in result.stdout
    assert "differ from the installed botocore model" in result.stderr


@pytest.mark.slow
def test_a_missing_or_extra_file_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "_generated"
    shutil.copytree(GENERATED, copy)
    (copy / "paginators.py").unlink()
    (copy / "stale.py").write_text("# left over\n")
    result = run_check(copy)
    assert result.returncode == 1
    assert "paginators.py" in result.stdout and "stale.py" in result.stdout


def test_generated_files_carry_the_do_not_edit_banner() -> None:
    import botocore

    for path in GENERATED.glob("*.py"):
        first = path.read_text().splitlines()[0]
        assert "DO NOT EDIT" in first and botocore.__version__ in first, path.name


# ---------------------------------------------------------------------- classification


def load_codegen() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("_codegen_under_test", CODEGEN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_operation_with_an_unreviewed_verb_stops_the_generator() -> None:
    codegen = load_codegen()
    with pytest.raises(SystemExit, match="'Frobnicate' is not in VERBS"):
        codegen.verb_of("FrobnicateEnvironment")


def test_model_facts_that_contradict_the_classification_stop_the_generator() -> None:
    codegen = load_codegen()
    model = codegen.Model()
    # Change copies only: the model data may be shared with other code in this process.
    model.shapes, model.operations = dict(model.shapes), dict(model.operations)
    delete = {**model.operations["DeleteService"], "idempotent": False}
    with pytest.raises(SystemExit, match="DeleteService is a delete the model does not mark"):
        codegen.kind_of(model, delete)
    create = {**model.operations["CreateEnvironment"], "idempotent": False}
    with pytest.raises(SystemExit, match="CreateEnvironment is listed in NAME_KEYED_CREATES"):
        codegen.kind_of(model, create)
    shape = model.shapes["CreateComponentInput"]
    members = {**shape["members"], "name": {**shape["members"]["name"], "idempotencyToken": True}}
    model.shapes["CreateComponentInput"] = {**shape, "members": members}
    with pytest.raises(SystemExit, match="several idempotency tokens"):
        codegen.kind_of(model, model.operations["CreateComponent"])
    del model.operations["CreateService"]
    with pytest.raises(SystemExit, match="NAME_KEYED_CREATES names operations the model lacks"):
        codegen.render_facts(model)


def test_generated_text_is_formatted_and_unformattable_text_is_refused() -> None:
    codegen = load_codegen()
    assert codegen.formatted("x.py", "x = {'a':1}\n") == 'x = {"a": 1}\n'
    with pytest.raises(SystemExit, match=r"ruff format failed on the generated x\.py"):
        codegen.formatted("x.py", "def broken(:\n")
