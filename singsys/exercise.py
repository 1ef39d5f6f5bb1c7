"""Exercise regions: the reference solutions a reader writes for themselves.

A region is a block of lines inside a function body, between two marker comments:

    # EXERCISE 1.4: visit nodes in reverse topological order, calling each _backward
    ...the reference solution...
    # END EXERCISE

`make_exercise_copy` writes a copy of a chapter package in which each region's body becomes
`raise NotImplementedError("Exercise 1.4: <hint>")`; the markers stay, so the reader writes their
solution between them and `region_diffs` can compare it with the reference, region by region.
"""

import difflib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# EXERCISE (?P<number>(?:\d+|A)\.\d+): (?P<hint>.+?)\s*$")
END = re.compile(r"^[ \t]*# END EXERCISE\s*$")


class ExerciseError(ValueError):
    """Malformed exercise markers, or a reader's copy that cannot be compared."""


@dataclass
class Region:
    number: str  # "1.4"
    hint: str
    indent: str
    begin: int  # 0-based line index of the BEGIN marker
    end: int  # 0-based line index of the END marker
    body: list[str]  # the lines strictly between the markers


# *** 1. finding regions ***


def find_regions(text: str, filename: str = "<source>") -> list[Region]:
    """Every exercise region of one source file, in order; unclosed or nested markers raise."""
    regions, open_region = [], None
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if m := BEGIN.match(line):
            if open_region is not None:
                raise ExerciseError(f"{filename}:{i + 1}: exercise regions may not nest")
            open_region = Region(m["number"], m["hint"], m["indent"], i, -1, [])
        elif END.match(line):
            if open_region is None:
                raise ExerciseError(f"{filename}:{i + 1}: END EXERCISE without EXERCISE")
            open_region.end = i
            open_region.body = lines[open_region.begin + 1 : i]
            regions.append(open_region)
            open_region = None
    if open_region is not None:
        raise ExerciseError(f"{filename}:{open_region.begin + 1}: EXERCISE is never closed")
    return regions


def package_regions(package_dir: Path) -> dict[str, tuple[Path, Region]]:
    """Exercise number -> (file relative to the package, region) over a whole package."""
    found: dict[str, tuple[Path, Region]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir)
        for region in find_regions(path.read_text(), str(rel)):
            if region.number in found:
                other = found[region.number][0]
                raise ExerciseError(f"exercise {region.number} appears in {other} and {rel}")
            found[region.number] = (rel, region)
    return found


# *** 2. the reader's copy ***


def stub_regions(text: str, filename: str = "<source>") -> str:
    """`text` with each region's body replaced by a raise of NotImplementedError."""
    lines = text.splitlines(keepends=True)
    for region in reversed(find_regions(text, filename)):
        message = f"Exercise {region.number}: {region.hint}"
        stub = f"{region.indent}raise NotImplementedError({message!r})\n"
        lines[region.begin + 1 : region.end] = [stub]
    return "".join(lines)


def make_exercise_copy(package_dir: Path, dest_root: Path) -> tuple[Path, int]:
    """Copy the package into dest_root/<package>/ with every region stubbed.

    Returns the copy's folder and how many regions were stubbed. Refuses to overwrite an
    existing copy, which may hold a reader's work.
    """
    dest = dest_root / package_dir.name
    if dest.exists():
        raise ExerciseError(f"{dest} already exists; move it away first (it may hold your work)")
    shutil.copytree(package_dir, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    count = 0
    for path in sorted(dest.rglob("*.py")):
        text = path.read_text()
        n = len(find_regions(text, str(path)))
        if n:
            path.write_text(stub_regions(text, str(path)))
            count += n
    return dest, count


# *** 3. comparing a reader's solutions with the reference ***


def region_diffs(reference_dir: Path, reader_dir: Path) -> str:
    """A unified diff, region by region, of the reader's solutions against the reference."""
    reference = package_regions(reference_dir)
    reader = package_regions(reader_dir)
    out = []
    for number in sorted(reference, key=lambda n: [int(p) if p.isdigit() else 0
                                                    for p in n.split(".")]):
        rel, ref_region = reference[number]
        if number not in reader:
            out.append(f"# exercise {number} ({rel}): missing from your copy\n")
            continue
        mine = reader[number][1].body
        out.extend(difflib.unified_diff(
            ref_region.body, mine,
            fromfile=f"reference/{reference_dir.name}/{rel} (exercise {number})",
            tofile=f"yours/{reader_dir.name}/{reader[number][0]} (exercise {number})",
        ))
    return "".join(out)
