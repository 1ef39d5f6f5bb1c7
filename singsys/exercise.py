"""Exercise regions: the reference solutions a reader writes for themselves.

A region is a block of lines inside a function body, between two marker comments:

    # EXERCISE 1.4: visit nodes in reverse topological order, calling each _backward
    ...the reference solution...
    # END EXERCISE

C, CUDA and WGSL sources use `// EXERCISE 3.1: hint` ... `// END EXERCISE`. The marker's number
`1.4` is exercise E1.4 to the reader: the E keeps exercises apart from the book's sections (E2.5
is an exercise, 2.5 a section). A reader's copy of a chapter has some regions stubbed: the body
becomes one line that fails with the exercise's name and hint (`raise NotImplementedError(...)` in
Python, `#error` in C and CUDA, a call of an undefined function in WGSL). The markers stay, so the
reader writes their solution between them and `region_diffs` compares it with the reference.
"""

import difflib
import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

NUMBER = r"(?:\d+|A)\.\d+"
BEGIN = re.compile(
    rf"^(?P<indent>[ \t]*)(?:#|//) EXERCISE (?P<number>{NUMBER}): (?P<hint>.+?)\s*$")
END = re.compile(r"^[ \t]*(?:#|//) END EXERCISE\s*$")
SOURCE_SUFFIXES = (".py", ".c", ".h", ".cu", ".cuh", ".wgsl")
MAX_COLUMNS = 100  # the sources' line limit, kept by the stubs too


class ExerciseError(ValueError):
    """Malformed exercise markers, or a reader's copy that cannot be compared."""


@dataclass
class Region:
    number: str  # "1.4", as in the marker; the reader calls it E1.4
    hint: str
    indent: str
    begin: int  # 0-based line index of the BEGIN marker
    end: int  # 0-based line index of the END marker
    body: list[str]  # the lines strictly between the markers

    @property
    def name(self) -> str:
        return exercise_name(self.number)


# *** 1. names ***


def exercise_name(number: str) -> str:
    """'2.5' -> 'E2.5', the name the book and the command use."""
    return f"E{number}"


def parse_exercise(text: str) -> str:
    """A name the reader typed ('E2.5', 'e2.5' or '2.5') -> the marker's number '2.5'."""
    number = text[1:] if text[:1] in "Ee" else text
    number = number.upper() if number[:1] in "aA" else number
    if not re.fullmatch(NUMBER, number):
        raise ExerciseError(f"{text!r} is not an exercise name (write it as E1.4, E2.5, EA.7)")
    return number


def sort_key(number: str) -> tuple[int, int]:
    """Chapters in course order (1, 2, 3, 4, then the appendix A), then the exercise number."""
    chapter, index = number.split(".")
    return (99 if chapter == "A" else int(chapter), int(index))


# *** 2. finding regions ***


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


def source_files(package_dir: Path) -> list[Path]:
    """The files of a package that may hold exercise regions, in a stable order."""
    return sorted(p for p in package_dir.rglob("*")
                  if p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts)


def package_regions(package_dir: Path) -> dict[str, tuple[Path, Region]]:
    """Exercise number -> (file relative to the package, region), in exercise order."""
    found: dict[str, tuple[Path, Region]] = {}
    for path in source_files(package_dir):
        rel = path.relative_to(package_dir)
        for region in find_regions(path.read_text(), str(rel)):
            if region.number in found:
                other = found[region.number][0]
                raise ExerciseError(f"exercise {region.name} appears in {other} and {rel}")
            found[region.number] = (rel, region)
    return dict(sorted(found.items(), key=lambda item: sort_key(item[0])))


# *** 3. stubs ***


def stub_line(region: Region, suffix: str) -> str:
    """The one line that replaces a region's body: it fails, naming the exercise and its hint."""
    message = f"Exercise {region.name}: {region.hint}"
    if suffix == ".py":
        one_line = f"{region.indent}raise NotImplementedError({message!r})\n"
        if len(one_line) <= MAX_COLUMNS + 1:
            return one_line
        # Too long for one line: the message as adjacent string literals, one per line.
        inner = region.indent + " " * 4
        width = MAX_COLUMNS - len(inner) - 3  # room for the quotes and the closing paren
        parts = textwrap.wrap(message, width, drop_whitespace=False)
        literals = "\n".join(inner + repr(part) for part in parts)
        return f"{region.indent}raise NotImplementedError(\n{literals})\n"
    # C and WGSL stubs stay on one line; past 100 columns they leave the hint to the marker.
    if suffix == ".wgsl":  # WGSL has no preprocessor: an undefined function fails to compile
        line = f"{region.indent}{wgsl_stub_call(region)}  // {message}"
        return (line if len(line) <= MAX_COLUMNS else line.partition("  //")[0]) + "\n"
    line = f"{region.indent}#error \"{message.replace(chr(34), chr(39))}\""
    if len(line) > MAX_COLUMNS:
        line = f"{region.indent}#error \"Exercise {region.name}: see the hint just above\""
    return line + "\n"


def wgsl_stub_call(region: Region) -> str:
    return f"exercise_{region.name.replace('.', '_')}_not_done();"


def is_stub(region: Region) -> bool:
    """Does the region's body hold only the stub line that `stub_regions` writes?"""
    body = [line.strip() for line in region.body if line.strip()]
    if len(body) == 1 and body[0].startswith(wgsl_stub_call(region)):
        return True
    return bool(body) and f"Exercise {region.name}:" in "".join(body) and (
        body[0].startswith(("raise NotImplementedError(", "#error"))) and (
        len(body) == 1 or body[0] == "raise NotImplementedError(")


def stub_regions(text: str, filename: str = "<source>", only: set[str] | None = None) -> str:
    """`text` with each region's body (or only those numbered in `only`) replaced by its stub."""
    suffix = Path(filename).suffix or ".py"
    lines = text.splitlines(keepends=True)
    for region in reversed(find_regions(text, filename)):
        if only is None or region.number in only:
            lines[region.begin + 1 : region.end] = [stub_line(region, suffix)]
    return "".join(lines)


# *** 4. the reader's copy ***


def make_exercise_copy(package_dir: Path, dest_root: Path,
                       only: set[str] | None = None) -> tuple[Path, int]:
    """Copy the package into dest_root/<package>/ with every region (or those in `only`) stubbed.

    Returns the copy's folder and how many regions were stubbed. Refuses to overwrite an
    existing copy, which may hold a reader's work.
    """
    dest = dest_root / package_dir.name
    if dest.exists():
        raise ExerciseError(f"{dest} already exists; move it away first (it may hold your work)")
    check_numbers(package_dir, only)
    shutil.copytree(package_dir, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest, stub_in_copy(dest, only)


def stub_in_copy(copy_dir: Path, only: set[str] | None = None) -> int:
    """Stub regions of an existing copy in place; returns how many were stubbed."""
    count = 0
    for path in source_files(copy_dir):
        text = path.read_text()
        chosen = [r for r in find_regions(text, str(path)) if only is None or r.number in only]
        if chosen:
            path.write_text(stub_regions(text, str(path), only))
            count += len(chosen)
    return count


def check_numbers(package_dir: Path, numbers: set[str] | None) -> None:
    """Raise unless every number names an exercise of the package."""
    known = package_regions(package_dir)
    for number in sorted(numbers or (), key=sort_key):
        if number not in known:
            names = ", ".join(exercise_name(n) for n in known)
            raise ExerciseError(f"{package_dir.name} has no exercise {exercise_name(number)} "
                                f"(it has {names})")


def region_states(reference_dir: Path, reader_dir: Path) -> dict[str, str]:
    """Exercise number -> where the reader's copy stands, in exercise order:

    'stub' (to do), 'reference' (not taken yet: still the reference solution),
    'yours' (the reader's own code), or 'missing' (the region is gone from the copy).
    """
    reader = package_regions(reader_dir)
    states = {}
    for number, (_, ref_region) in package_regions(reference_dir).items():
        if number not in reader:
            states[number] = "missing"
        elif is_stub(reader[number][1]):
            states[number] = "stub"
        elif reader[number][1].body == ref_region.body:
            states[number] = "reference"
        else:
            states[number] = "yours"
    return states


def take_exercise(reference_dir: Path, dest_root: Path, number: str) -> Path:
    """Stub one exercise in the reader's copy, creating the copy (nothing else stubbed) if needed.

    Refuses a region that holds the reader's own code, so no work is overwritten.
    """
    dest = dest_root / reference_dir.name
    if not dest.exists():
        return make_exercise_copy(reference_dir, dest_root, {number})[0]
    check_numbers(reference_dir, {number})
    state = region_states(reference_dir, dest).get(number)
    if state == "yours":
        raise ExerciseError(f"{exercise_name(number)} in {dest} holds your own code; "
                            "it was left as it is")
    if state == "missing":
        raise ExerciseError(f"{exercise_name(number)}'s markers are missing from {dest}")
    stub_in_copy(dest, {number})
    return dest


def next_exercise(reference_dir: Path, dest_root: Path) -> str | None:
    """The first exercise, in order, that the reader's copy still holds as the reference."""
    dest = dest_root / reference_dir.name
    if not dest.exists():
        return next(iter(package_regions(reference_dir)), None)
    states = region_states(reference_dir, dest)
    return next((n for n, state in states.items() if state == "reference"), None)


# *** 5. comparing a reader's solutions with the reference ***


def region_diffs(reference_dir: Path, reader_dir: Path, only: set[str] | None = None) -> str:
    """A unified diff, region by region, of the reader's solutions (or those in `only`)
    against the reference."""
    reference = package_regions(reference_dir)
    reader = package_regions(reader_dir)
    out = []
    for number, (rel, ref_region) in reference.items():
        if only is not None and number not in only:
            continue
        name = exercise_name(number)
        if number not in reader:
            out.append(f"# exercise {name} ({rel}): missing from your copy\n")
            continue
        mine = reader[number][1].body
        out.extend(difflib.unified_diff(
            ref_region.body, mine,
            fromfile=f"reference/{reference_dir.name}/{rel} (exercise {name})",
            tofile=f"yours/{reader_dir.name}/{reader[number][0]} (exercise {name})",
        ))
    return "".join(out)
