"""Exercises on the book's pages: each one shown once, from its source, its solution folded away.

The book must never print a solution in the open beside its task. Pages show an exercise with a
`[[exercise E1.4]]` line (singsys/exercise_page.py renders it); a listing that pulls in a snippet
section holding an exercise region must sit inside a collapsed `???` block.
"""

import re
import textwrap
from pathlib import Path

import pytest

from singsys.chapters import CHAPTERS, REPO_ROOT
from singsys.exercise import exercise_name, package_regions, stub_regions
from singsys.exercise_page import EXERCISE_LINE, render_exercise, render_page

BOOK = REPO_ROOT / "book"
INCLUDE = re.compile(r'^(?P<indent>[ \t]*)--8<-- "(?P<path>[^":]+):(?P<section>[\w-]+)"\s*$')
# Pages that still print a solution in the open, each to move to `[[exercise ...]]` lines.
NOT_YET_CONVERTED: set[str] = set()
PACKAGES = {c.package for c in CHAPTERS}
# Chapters whose every exercise must be on a page.
COMPLETE = ["ch1_dfdx", "ch2_lego", "ch3_brrr", "ch4_pt2", "appendix_ctoriscv"]


def pages() -> list[Path]:
    return sorted(BOOK.rglob("*.md"))


def shown_on_pages() -> dict[str, list[str]]:
    shown: dict[str, list[str]] = {}
    for page in pages():
        for m in EXERCISE_LINE.finditer(page.read_text()):
            number = m["name"][1:]
            shown.setdefault(number, []).append(str(page.relative_to(BOOK)))
    return shown


def section_text(path: str, section: str) -> str:
    """The text of a snippet section; empty where the file or section is missing (the strict
    build of the book reports those)."""
    if not (REPO_ROOT / path).is_file():
        return ""
    lines = (REPO_ROOT / path).read_text().splitlines()
    if not any(f"[start:{section}]" in ln for ln in lines):
        return ""
    start = next(i for i, ln in enumerate(lines) if f"[start:{section}]" in ln)
    end = next(i for i, ln in enumerate(lines) if f"[end:{section}]" in ln)
    return "\n".join(lines[start + 1 : end])


def inside_fold(lines: list[str], i: int) -> bool:
    """Is line i inside a collapsed `??? ` block (a less-indented `???` line above it)?"""
    indent = len(lines[i]) - len(lines[i].lstrip())
    for line in reversed(lines[:i]):
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            if line.lstrip().startswith("??? "):
                return True
            indent = len(line) - len(line.lstrip())
    return False


@pytest.mark.parametrize("package", COMPLETE)
def test_every_exercise_of_a_finished_chapter_is_on_a_page(package):
    chapter = next(c for c in CHAPTERS if c.package == package)
    shown = shown_on_pages()
    missing = [exercise_name(n) for n in package_regions(chapter.source_dir) if n not in shown]
    assert missing == []


def test_no_exercise_is_shown_twice_and_every_shown_one_exists():
    known = {n for c in CHAPTERS if c.source_dir.is_dir() for n in package_regions(c.source_dir)}
    for number, where in shown_on_pages().items():
        assert number in known, f"E{number} on {where} is no exercise"
        assert len(where) == 1, f"E{number} appears on {where}"


def test_no_page_prints_a_solution_in_the_open():
    offenders = []
    for page in pages():
        if str(page.relative_to(BOOK)) in NOT_YET_CONVERTED:
            continue
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            m = INCLUDE.match(line)
            if m and m["path"].split("/")[0] not in PACKAGES:
                continue  # e.g. the course page's example of the marker format
            if m and re.search(r"(#|//) EXERCISE ", section_text(m["path"], m["section"])):
                if not inside_fold(lines, i):
                    where = f"{page.relative_to(BOOK)}:{i + 1}"
                    offenders.append(f"{where}: {m['path']}:{m['section']}")
    assert offenders == []


def test_a_box_shows_the_stub_singsys_writes_and_folds_the_solution():
    # E1.4's function, stubbed by the same function that writes a reader's copy.
    source = (REPO_ROOT / "ch1_dfdx" / "engine.py").read_text()
    stubbed = stub_regions(source, "engine.py", {"1.4"})
    start = stubbed.index("def gradients(")
    function = stubbed[start : stubbed.index("    return grads\n", start) + len("    return grads")]

    box = render_exercise("1.4")
    head, fold = box.split('??? success "Solution (try it first)"')
    # Inside the box (indented by 4), every line of the function, blank ones too.
    assert textwrap.indent(function, " " * 4, lambda line: True) in head
    assert "raise NotImplementedError(" in head
    solution = "for node in reverse_topological_order(root):"
    assert solution not in head and solution in fold
    assert all(not ln.strip() or ln.startswith(" " * 8) for ln in fold.splitlines()[1:])


def test_unknown_exercise_on_a_page_is_an_error():
    from singsys.exercise import ExerciseError

    with pytest.raises(ExerciseError, match="no exercise E1.99"):
        render_page("text\n\n[[exercise E1.99]]\n")


def test_an_exercise_list_links_to_boxes_on_other_pages():
    from singsys.exercise_page import pages_showing

    docs = {"appendix_ctoriscv/compiler.md": "[[exercise EA.1]]\n",
            "appendix_ctoriscv/machine.md": "[[exercise EA.7]]\n\n[[exercise-list appendix]]\n"}
    where = pages_showing(docs)
    assert where["A.1"] == "appendix_ctoriscv/compiler.md"
    page, shown = render_page(docs["appendix_ctoriscv/machine.md"],
                              "appendix_ctoriscv/machine.md", where)
    assert shown == ["A.7"]
    assert "[EA.1](compiler.md#exercise-ea-1)" in page  # on the other page
    assert "[EA.7](#exercise-ea-7)" in page  # on this one
    assert "| EA.8 |" in page  # shown nowhere: no link
