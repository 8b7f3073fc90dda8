"""The runnable examples, from an installed package: ``python -m aioproton.examples NAME``.

The scripts themselves live in the repository's ``examples/`` folder and ship inside
the wheel (``aioproton/examples/scripts``); :func:`scripts_dir` finds them either way.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["available", "scripts_dir"]


def scripts_dir() -> Path:
    """Where the example scripts are: inside an installed wheel, or in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "scripts", here.parents[1] / "examples"):
        if (candidate / "_harness.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"the example scripts are neither in {here / 'scripts'} nor in a checkout's "
        "examples/ folder: reinstall aioproton from its wheel or sdist"
    )


def available() -> list[str]:
    """The examples' names, the ones ``python -m aioproton.examples`` runs."""
    return sorted(p.stem for p in scripts_dir().glob("*.py") if not p.stem.startswith("_"))
