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
