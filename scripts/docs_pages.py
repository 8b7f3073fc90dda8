"""Generate the documentation pages that come from the code, at ``mkdocs build`` time.

Run by the mkdocs-gen-files plugin (``mkdocs.yml``); nothing it writes is committed, so
the pages follow the code:

- ``reference/``: a page per public module (every module whose dotted path has no
  ``_`` part), listing its ``__all__``. A name defined in a private module is rendered
  on the page of the public module that exports it; a name a public submodule also
  exports is rendered there once, and linked from the package page.
- ``cli.md``: the ``--help`` of ``aioproton`` and each of its subcommands, from the
  argparse parsers themselves.

``python scripts/docs_pages.py`` prints the module list and the CLI page, to check the
generator without building the site.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PACKAGE = "aioproton"
#: Width of the generated ``--help`` text.
HELP_COLUMNS = "100"


def public_modules() -> list[str]:
    """Every importable module of the package whose dotted path has no private part."""
    package = importlib.import_module(PACKAGE)
    names = [PACKAGE]
    for info in pkgutil.walk_packages(package.__path__, prefix=PACKAGE + "."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts):
            continue
        names.append(info.name)
    # A module made public by a re-export (``from ._generated import models``).
    for name in getattr(package, "__all__", ()):
        value = getattr(package, name)
        if isinstance(value, ModuleType) and f"{PACKAGE}.{name}" not in names:
            names.append(f"{PACKAGE}.{name}")
    return sorted(names)


def exported(module_name: str) -> list[str]:
    module = _module(module_name)
    return list(getattr(module, "__all__", ()))


def _module(name: str) -> ModuleType:
    """The module named ``name``, or the module an attribute of its parent refers to."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        parent, _, attribute = name.rpartition(".")
        value = getattr(importlib.import_module(parent), attribute)
        assert isinstance(value, ModuleType), name
        return value


def home_of(module_name: str, name: str, modules: list[str]) -> str:
    """The public module whose page renders ``module_name.name``: the deepest that exports it."""
    value = getattr(_module(module_name), name)
    if isinstance(value, ModuleType):
        return f"{module_name}.{name}"
    homes = [
        other
        for other in modules
        if other.startswith(module_name + ".")
        and name in exported(other)
        and getattr(_module(other), name) is value
    ]
    return max(homes, key=len) if homes else module_name


def reference_page(module_name: str, modules: list[str]) -> str:
    own: list[str] = []
    elsewhere: list[tuple[str, str]] = []
    for name in exported(module_name):
        home = home_of(module_name, name, modules)
        if home == module_name:
            own.append(name)
        else:
            elsewhere.append((name, home))
    lines = [
        "---",
        f"title: {module_name}",
        "---",
        "",
        f"::: {module_name}",
        "    options:",
        "      show_root_heading: true",
        "      heading_level: 1",
    ]
    if own or hasattr(_module(module_name), "__all__"):
        lines.append("      members:")
        lines.extend(f"        - {name}" for name in own)
        if not own:
            lines[-1] = "      members: false"
    if elsewhere:
        lines += ["", "## Also exported here", ""]
        for name, home in elsewhere:
            target = home if home == f"{module_name}.{name}" else f"{home}.{name}"
            lines.append(f"- [`{name}`][{target}] (from `{home}`)")
    return "\n".join(lines) + "\n"


def summary(modules: list[str]) -> str:
    """The literate-nav of ``reference/``: modules nested under their packages."""
    lines = []
    for name in modules:
        depth = name.count(".")
        lines.append(f"{'    ' * depth}- [{name}]({name}.md)")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- the CLI page


@contextmanager
def _columns() -> Iterator[None]:
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_COLUMNS
    try:
        yield
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subcommands of ``parser`` by name, each once (an alias is not repeated)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: dict[int, str] = {}
            for name, child in action.choices.items():
                seen.setdefault(id(child), name)
            return {name: action.choices[name] for name in seen.values()}
    return {}


def _help_sections(
    parser: argparse.ArgumentParser, title: str, depth: int
) -> Iterator[tuple[str, int, str]]:
    from aioproton.emulator.__main__ import build_parser as emulator_parser

    if parser.prog.endswith(" emulator") and not parser.add_help:
        # ``aioproton emulator`` hands its arguments to ``python -m aioproton.emulator``.
        parser = emulator_parser(parser.prog)
    yield title, depth, parser.format_help()
    for name, child in _subcommands(parser).items():
        yield from _help_sections(child, f"{title} {name}", depth + 1)


def cli_page() -> str:
    from aioproton.cli._parser import build_parser

    lines = [
        "# The command line",
        "",
        "`aioproton` (also `python -m aioproton`) follows and rolls out deployments and",
        "serves the emulator. This page is generated from the command's own argument",
        "parser, so it is the same text as `--help`.",
        "",
    ]
    with _columns():
        for title, depth, text in _help_sections(build_parser(), "aioproton", 2):
            heading = "#" * min(depth, 4)
            lines += [f"{heading} `{title}`", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(lines)


def write_all() -> None:
    import mkdocs_gen_files

    modules = public_modules()
    for name in modules:
        with mkdocs_gen_files.open(f"reference/{name}.md", "w") as page:
            page.write(reference_page(name, modules))
    with mkdocs_gen_files.open("reference/SUMMARY.md", "w") as page:
        page.write(summary(modules))
    with mkdocs_gen_files.open("cli.md", "w") as page:
        page.write(cli_page())


def _print(out: TextIO) -> None:
    modules = public_modules()
    for name in modules:
        out.write(f"{name}: {', '.join(exported(name)) or '(no __all__)'}\n")
    out.write("\n" + cli_page())


if __name__ == "__main__":
    _print(sys.stdout)
else:  # run by mkdocs-gen-files
    write_all()
