"""Chapters are layers: each imports only the chapters before it; the appendix imports none.

Checked on the source text (every import statement of every module), so an import hidden inside a
function counts too.
"""

import ast
from pathlib import Path

import pytest

from singsys.chapters import CHAPTERS, REPO_ROOT

PACKAGES = [c.package for c in CHAPTERS]
LAYERED = ["ch1_dfdx", "ch2_lego", "ch3_brrr", "ch4_pt2"]


def imported_packages(path: Path) -> set[str]:
    """Top-level names of everything `path` imports (relative imports stay inside the package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def allowed_imports(package: str) -> set[str]:
    if package in LAYERED:
        return set(LAYERED[: LAYERED.index(package) + 1])
    return {package}  # the appendix stands alone


@pytest.mark.parametrize("package", PACKAGES)
def test_chapter_imports_only_earlier_chapters(package):
    forbidden = (set(PACKAGES) | {"singsys"}) - allowed_imports(package)
    offenders = []
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        bad = imported_packages(path) & forbidden
        offenders += [f"{path.relative_to(REPO_ROOT)} imports {name}" for name in sorted(bad)]
    assert not offenders, "layering broken:\n" + "\n".join(offenders)


def test_checker_sees_a_violation(tmp_path):
    # The checker itself must notice a bad import, even one inside a function.
    bad = tmp_path / "mod.py"
    bad.write_text("def f():\n    from ch4_pt2 import ops\n    import appendix_ctoriscv.emu\n")
    assert imported_packages(bad) == {"ch4_pt2", "appendix_ctoriscv"}
    assert "ch4_pt2" not in allowed_imports("ch2_lego")
    assert allowed_imports("appendix_ctoriscv") == {"appendix_ctoriscv"}


# *** inside a chapter: modules form layers too, so the import graph has no cycle ***


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `path` imports, anywhere in the file. `from pkg import x`
    names the submodule pkg.x when there is one, else pkg itself (its __init__)."""
    package = module_name(path) if path.name == "__init__.py" else \
        module_name(path).rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
    return out & known


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` (module -> modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def import_graph(package: str) -> dict[str, set[str]]:
    paths = sorted((REPO_ROOT / package).rglob("*.py"))
    known = {module_name(p) for p in paths}
    return {module_name(p): imported_modules(p, known) - {module_name(p)} for p in paths}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_inside_a_chapter(package):
    cycle = find_cycle(import_graph(package))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_cycle_finder_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
