"""Exercises on the book's pages, rendered from their source regions so a page cannot drift.

A page asks for an exercise with a line of its own, `[[exercise E1.4]]`. `render_page` replaces
it with a question box that gives the exercise's name, where it lives, its hint, the stub the
reader starts from (the enclosing function as `singsys exercise --only` writes it, by the same
`stub_regions`), the command that grades it, and the reference solution folded away. A line
`[[exercise-list ch1]]` becomes a table of every exercise of a chapter, linked to its box.
book/hooks/exercises.py calls `render_page` from mkdocs; an unknown exercise fails the build.
"""

import ast
import posixpath
import re
import textwrap
from functools import cache
from pathlib import Path

from singsys.chapters import CHAPTERS, Chapter
from singsys.exercise import (
    ExerciseError,
    Region,
    exercise_name,
    package_regions,
    parse_exercise,
    stub_regions,
)

EXERCISE_LINE = re.compile(r"^\[\[exercise (?P<name>[^\]\s]+)\]\]\s*$", re.MULTILINE)
LIST_LINE = re.compile(r"^\[\[exercise-list (?P<chapter>[^\]\s]+)\]\]\s*$", re.MULTILINE)
LANGUAGE = {".py": "python", ".c": "c", ".h": "c", ".cu": "cuda", ".cuh": "cuda", ".wgsl": "rust"}
C_ATTRIBUTES = {"__launch_bounds__", "__attribute__", "__align__"}
SNIPPET_MARKER = re.compile(r"^\s*(?:#|//) --8<-- \[(?:start|end):[\w-]+\]\s*$")


# *** 1. which chapter, file and region ***


def chapter_of(number: str) -> Chapter:
    """'1.4' -> ch1_dfdx, 'A.7' -> appendix_ctoriscv."""
    prefix = number.split(".")[0]
    alias = "appendix" if prefix == "A" else f"ch{prefix}"
    for chapter in CHAPTERS:
        if chapter.alias == alias:
            return chapter
    raise ExerciseError(f"exercise {exercise_name(number)} belongs to no chapter")


@cache
def chapter_regions(package: str) -> dict[str, tuple[Path, Region]]:
    chapter = next(c for c in CHAPTERS if c.package == package)
    return package_regions(chapter.source_dir) if chapter.source_dir.is_dir() else {}


def locate(number: str) -> tuple[Chapter, Path, Region]:
    chapter = chapter_of(number)
    regions = chapter_regions(chapter.package)
    if number not in regions:
        raise ExerciseError(f"{chapter.package} has no exercise {exercise_name(number)}")
    rel, region = regions[number]
    return chapter, rel, region


def anchor(number: str) -> str:
    """The HTML id of an exercise's box: 'E2.5' -> 'exercise-e2-5'."""
    return "exercise-" + exercise_name(number).lower().replace(".", "-")


# *** 2. the code a reader sees ***


def enclosing_lines(text: str, line: int, suffix: str) -> tuple[int, int, str]:
    """The 0-based [start, stop) lines of the function around `line`, and its name.

    Python is read with `ast` (the innermost def, decorators included); C-like sources by the
    layout every kernel file here keeps: a function starts and ends in column 0.
    """
    lines = text.splitlines()
    if suffix == ".py":
        best, name, parents = None, "", {}
        for node in ast.walk(ast.parse(text)):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and node.lineno <= line + 1 <= node.end_lineno:
                if best is None or node.lineno > best.lineno:
                    best = node
        if best is None:
            raise ExerciseError(f"line {line + 1} is in no function")
        owner = parents.get(best)
        name = f"{owner.name}.{best.name}" if isinstance(owner, ast.ClassDef) else best.name
        start = min([best.lineno] + [d.lineno for d in best.decorator_list]) - 1
        return start, best.end_lineno, name
    # C, CUDA and WGSL: the function starts at the nearest line above in column 0 that is code
    # (not a comment or a preprocessor line) and ends at the next `}` in column 0.
    start = line
    while start > 0 and (not lines[start].strip() or lines[start][0] in " \t/*#"):
        start -= 1
    stop = line + 1
    while stop < len(lines) and not lines[stop].startswith("}"):
        stop += 1
    header = " ".join(lines[start : line])
    names = [n for n in re.findall(r"([A-Za-z_]\w*)\s*\(", header) if n not in C_ATTRIBUTES]
    return start, min(stop + 1, len(lines)), names[0] if names else lines[start].strip()


def listing(lines: list[str]) -> str:
    """Lines without snippet markers, dedented, as one block of text."""
    kept = [ln for ln in lines if not SNIPPET_MARKER.match(ln)]
    return textwrap.dedent("\n".join(kept)).strip("\n")


def stub_and_solution(number: str) -> tuple[str, str, str, str]:
    """(function name, stub listing, solution listing, language) of one exercise."""
    chapter, rel, region = locate(number)
    suffix = rel.suffix
    text = (chapter.source_dir / rel).read_text()
    stubbed = stub_regions(text, str(rel), {number})
    # The stub is one line, so the region's BEGIN marker sits at the same line in both texts.
    start, stop, name = enclosing_lines(stubbed, region.begin, suffix)
    stub = listing(stubbed.splitlines()[start:stop])
    solution = listing([ln.rstrip("\n") for ln in region.body])
    return name, stub, solution, LANGUAGE.get(suffix, "text")


# *** 3. markdown ***


def indent(text: str, by: int) -> str:
    return textwrap.indent(text, " " * by, lambda ln: True)


def fenced(code: str, language: str) -> str:
    return f"```{language}\n{code}\n```"


def render_exercise(number: str) -> str:
    """The markdown box of one exercise: hint, stub, grading command, folded solution."""
    chapter, rel, region = locate(number)
    name, stub, solution, language = stub_and_solution(number)
    ex = exercise_name(number)
    where = f"{chapter.package}/{rel}"
    body = "\n\n".join([
        f"**Hint:** {region.hint}.",
        f"Your starting point, `{name}` in `{where}` as "
        f"`singsys exercise {chapter.alias} mywork/ --only {ex}` writes it:",
        fenced(stub, language),
        f"Grade it: `singsys test {chapter.alias} --impl mywork/ --exercise {ex}`.",
        '??? success "Solution (try it first)"\n\n' + indent(fenced(solution, language), 4),
    ])
    return (f'<span id="{anchor(number)}"></span>\n\n'
            f'!!! question "Exercise {ex}: `{name}`"\n\n{indent(body, 4)}\n')


def render_list(alias: str, on_this_page: list[str],
                elsewhere: dict[str, str] | None = None) -> str:
    """A table of every exercise of a chapter: name, file, hint. The name links to the box, on
    this page or, through `elsewhere` (number -> relative link to the page), on another."""
    chapter = next((c for c in CHAPTERS if alias in (c.alias, c.package)), None)
    if chapter is None:
        raise ExerciseError(f"[[exercise-list {alias}]]: no such chapter")
    rows = ["| exercise | where | hint |", "|---|---|---|"]
    for number, (rel, region) in chapter_regions(chapter.package).items():
        ex = exercise_name(number)
        if number in on_this_page:
            link = f"[{ex}](#{anchor(number)})"
        elif elsewhere and number in elsewhere:
            link = f"[{ex}]({elsewhere[number]}#{anchor(number)})"
        else:
            link = ex
        rows.append(f"| {link} | `{rel}` | "
                    f"{region.hint.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def pages_showing(docs: dict[str, str]) -> dict[str, str]:
    """Exercise number -> the page (its path in the docs folder) whose text shows it."""
    where = {}
    for path, text in docs.items():
        for m in EXERCISE_LINE.finditer(text):
            where[parse_exercise(m["name"])] = path
    return where


def render_page(markdown: str, page_path: str = "",
                where: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """The page with its exercise lines expanded, and the numbers of the exercises it shows.

    `where` (from `pages_showing`) lets an exercise list link to boxes on other pages.
    """
    shown: list[str] = []

    def one(m: re.Match) -> str:
        number = parse_exercise(m["name"])
        shown.append(number)
        return render_exercise(number)

    markdown = EXERCISE_LINE.sub(one, markdown)
    here = posixpath.dirname(page_path)
    elsewhere = {n: posixpath.relpath(p, here or ".") for n, p in (where or {}).items()
                 if p != page_path}
    markdown = LIST_LINE.sub(lambda m: render_list(m["chapter"], shown, elsewhere), markdown)
    return markdown, shown
