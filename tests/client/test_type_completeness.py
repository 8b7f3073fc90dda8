"""pyright's verdict on the published API: every type is known, every symbol documented.

``pyright --verifytypes`` reads the package as a user's type checker does (py.typed,
re-exports, inferred attributes); a symbol whose type it would have to guess fails
here. CI installs pyright from npm (.ci/run); elsewhere the test runs where it is
installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: Classes pyright synthesizes for attrs fields with a converter: nothing to document.
SYNTHESIZED = "__converterDescriptor_"
#: Public symbols allowed without a docstring: none.
MAX_UNDOCUMENTED = 0


@pytest.mark.slow
def test_pyright_finds_every_exported_type_known(tmp_path: Path) -> None:
    pyright = shutil.which("pyright")
    if pyright is None:
        if os.environ.get("CI"):
            pytest.fail("pyright is missing: .ci/run installs it with `npm install -g pyright`")
        pytest.skip("pyright is not installed (npm install -g pyright)")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        [pyright, "--verifytypes", "aioproton", "--ignoreexternal", "--outputjson"],
        # pyright finds the package through the first ``python`` on PATH: this one's.
        env={**os.environ, "PATH": path},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = json.loads(result.stdout)
    assert output["generalDiagnostics"] == []
    report = output["typeCompleteness"]
    unknown = [
        f"{symbol['name']}: {'; '.join(d['message'] for d in symbol['diagnostics'])}"
        for symbol in report["symbols"]
        if symbol["isExported"] and not symbol["isTypeKnown"]
    ]
    assert unknown == []
    assert report["exportedSymbolCounts"]["withAmbiguousType"] == 0
    assert report["exportedSymbolCounts"]["withUnknownType"] == 0
    assert report["completenessScore"] == 1
    undocumented = [
        symbol["name"]
        for symbol in report["symbols"]
        if any(d["message"].startswith("No docstring") for d in symbol["diagnostics"])
        and SYNTHESIZED not in symbol["name"]
    ]
    assert len(undocumented) <= MAX_UNDOCUMENTED, undocumented
