"""The architecture the README draws: each layer imports only the layers below it.

Read from the source with ``ast``, so a new import that crosses a layer fails here
before it becomes a cycle or a surprise dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aioproton"

#: Layer of each part of the package, lowest first; a module may import its own layer
#: and the ones below.
LAYERS = {
    "core": 0,  # _generated, client, validation, codec, errors, clock, ...
    "workflow": 1,
    "emulator": 1,
    "testing": 2,
    "cli": 2,
}
#: Imports allowed across a layer boundary, each for a stated reason.
EXCEPTIONS = {
    # Emulator.client(): a convenience that builds a client for the emulator's URL; the
    # server and the backend never use the client.
    ("emulator/_emulator.py", "_client"),
}


def layer_of(relative: Path) -> str:
    if relative == Path("__main__.py"):
        return "cli"  # python -m aioproton
    top = relative.parts[0]
    return top if top in LAYERS else "core"


def imported_parts(path: Path) -> set[str]:
    """First package-level part of every aioproton module that ``path`` imports."""
    module_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(module_parts[: len(module_parts) - node.level])
                target = base + (node.module.split(".") if node.module else [])
                names = [target] if node.module else [[*target, a.name] for a in node.names]
            elif node.module and node.module.split(".")[0] == "aioproton":
                names = [node.module.split(".")]
            else:
                continue
        elif isinstance(node, ast.Import):
            names = [a.name.split(".") for a in node.names if a.name.startswith("aioproton")]
        else:
            continue
        for name in names:
            if len(name) > 1 and name[0] == "aioproton":
                found.add(name[1])
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    relative = path.relative_to(PACKAGE)
    own = layer_of(relative)
    for part in imported_parts(path):
        other = part if part in LAYERS else "core"
        if other == own or (str(relative), part) in EXCEPTIONS:
            continue
        assert LAYERS[other] < LAYERS[own], f"{relative} ({own}) imports aioproton.{part}"


def test_the_backend_and_server_never_import_the_client() -> None:
    for path in (PACKAGE / "emulator").rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if (str(relative), "_client") in EXCEPTIONS:
            continue
        assert "_client" not in imported_parts(path), relative
        assert "workflow" not in imported_parts(path), relative


def test_the_scan_sees_imports() -> None:
    assert "_client" in imported_parts(PACKAGE / "workflow" / "waiters.py")
    assert "workflow" in imported_parts(PACKAGE / "cli" / "_wait.py")


MODULE_NAMES = {
    ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for p in MODULES
}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(
        ".__init__"
    )


def imported_modules(path: Path) -> set[str]:
    """Every aioproton module ``path`` imports (``TYPE_CHECKING`` imports included)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in MODULE_NAMES else source)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {module for module in found if module in MODULE_NAMES and module != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in ``graph`` (as the path that closes it), or ``None``."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for successor in sorted(graph.get(node, ())):
            cycle = visit(successor)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle is not None:
            return cycle
    return None


def test_no_import_cycle_among_aioproton_modules() -> None:
    graph = {module_name(path): imported_modules(path) for path in MODULES}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_the_cycle_scan_sees_cycles_and_imports() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    waiter = imported_modules(PACKAGE / "workflow" / "waiter.py")
    assert {"aioproton.workflow.errors", "aioproton.workflow.states"} <= waiter
    assert "aioproton._client" in imported_modules(PACKAGE / "workflow" / "waiters.py")
