"""The chapters of the course: their packages, test folders and the names a reader may type.

A chapter is named by its package (`ch1_dfdx`) or by a short alias (`ch1`, `appendix`). Every
path is relative to the repository root, which holds the packages, `tests/` and `book/`.
"""

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class UnknownChapterError(ValueError):
    """A chapter name that names no chapter of the course."""


@dataclass(frozen=True)
class Chapter:
    package: str  # the importable package, e.g. "ch1_dfdx"
    alias: str  # the short name, e.g. "ch1"
    title: str

    @property
    def source_dir(self) -> Path:
        return REPO_ROOT / self.package

    @property
    def test_dir(self) -> Path:
        return REPO_ROOT / "tests" / self.package


# In layer order: a chapter may import the chapters before it, never those after it.
CHAPTERS = [
    Chapter("ch1_dfdx", "ch1", "the derivative"),
    Chapter("ch2_lego", "ch2", "the tensor interpreter"),
    Chapter("ch3_brrr", "ch3", "make it go brrr"),
    Chapter("ch4_pt2", "ch4", "graph mode"),
    Chapter("appendix_ctoriscv", "appendix", "C89 to RV32I"),
]


def find_chapter(name: str) -> Chapter:
    """The chapter called `name` (package name or alias, case-insensitive)."""
    for chapter in CHAPTERS:
        if name.lower() in (chapter.package, chapter.alias):
            return chapter
    known = ", ".join(c.alias for c in CHAPTERS)
    raise UnknownChapterError(f"unknown chapter {name!r} (known: {known})")
