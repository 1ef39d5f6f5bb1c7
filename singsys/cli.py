"""`singsys`: the course command.

    singsys demo [--out DIR] [--only CHAPTER ...]    the tour of the whole stack
    singsys test CHAPTER [--impl DIR] [-- PYTEST_ARGS] a chapter's suite, on the reference or yours
    singsys exercise CHAPTER DIR                      write your copy with the solutions stubbed
    singsys diff CHAPTER DIR                          your solutions against the reference
    singsys book [--build [--out DIR]]                serve (or build) the book

A user mistake (an unknown chapter, a missing folder) ends with one line on stderr and exit
status 2, never a traceback.
"""

import argparse
import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

from singsys.chapters import CHAPTERS, REPO_ROOT, Chapter, UnknownChapterError, find_chapter
from singsys.exercise import ExerciseError, make_exercise_copy, region_diffs


class UsageError(Exception):
    """A mistake in how the command was called; reported in one line."""


def reader_package(chapter: Chapter, impl_dir: str) -> Path:
    """The reader's copy of `chapter` inside impl_dir, which must exist."""
    root = Path(impl_dir)
    if not root.is_dir():
        raise UsageError(f"no such folder: {impl_dir}")
    package = root / chapter.package
    if not (package / "__init__.py").is_file():
        raise UsageError(f"{impl_dir} holds no {chapter.package}/ package "
                         f"(write one with: singsys exercise {chapter.alias} {impl_dir})")
    return package


# *** the subcommands ***


def cmd_demo(args) -> int:
    """Run each chapter's tour (its `tour.tour(out_dir)`), then print one summary table."""
    out_dir = Path(args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = [find_chapter(name) for name in args.only] if args.only else CHAPTERS
    rows: list[tuple[str, str, str]] = []
    for chapter in chosen:
        try:
            tour = importlib.import_module(f"{chapter.package}.tour")
        except ModuleNotFoundError as e:
            if e.name not in (f"{chapter.package}.tour", chapter.package):
                raise
            rows.append((chapter.alias, "tour", "not built yet"))
            continue
        print(f"\n=== {chapter.alias}: {chapter.title} ===", flush=True)
        start = time.perf_counter()
        summary = tour.tour(out_dir / chapter.package)
        summary["wall time"] = f"{time.perf_counter() - start:.1f} s"
        rows.extend((chapter.alias, what, value) for what, value in summary.items())
    print_table(["chapter", "what", "result"], rows)
    print(f"\nplots and files: {out_dir}")
    return 0


def cmd_test(args) -> int:
    """Run one chapter's suite with pytest, on the reference or on the reader's copy."""
    chapter = find_chapter(args.chapter)
    if not chapter.test_dir.is_dir():
        raise UsageError(f"{chapter.package} has no test suite yet ({chapter.test_dir})")
    env = dict(os.environ)
    if args.impl:
        env["SINGSYS_IMPL"] = str(reader_package(chapter, args.impl).parent.resolve())
    command = [sys.executable, "-m", "pytest", str(chapter.test_dir), "-q", *args.pytest_args]
    return subprocess.run(command, cwd=REPO_ROOT, env=env).returncode


def cmd_exercise(args) -> int:
    """Write the reader's copy of a chapter, every solution region stubbed out."""
    chapter = find_chapter(args.chapter)
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    dest, count = make_exercise_copy(chapter.source_dir, Path(args.dir))
    print(f"wrote {dest} with {count} exercises; check your work with:")
    print(f"  singsys test {chapter.alias} --impl {args.dir}")
    return 0


def cmd_diff(args) -> int:
    """Print a unified diff of the reader's solution regions against the reference."""
    chapter = find_chapter(args.chapter)
    diff = region_diffs(chapter.source_dir, reader_package(chapter, args.dir))
    print(diff if diff else "your solutions match the reference line for line", end="")
    return 0


def cmd_book(args) -> int:
    """Serve the book on localhost, or build it in strict mode with --build."""
    if importlib.util.find_spec("mkdocs") is None:
        raise UsageError("mkdocs is not installed: run `make test`, or pip install -e '.[docs]'")
    if args.build:
        # Strict: a warning (a missing page, a listing whose file or section is gone) fails.
        verb = ["build", "--strict", "--site-dir", str(Path(args.out).resolve())]
    else:
        verb = ["serve"]
    return subprocess.run([sys.executable, "-m", "mkdocs", *verb], cwd=REPO_ROOT).returncode


# *** output ***


def print_table(header: list[str], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print("\n" + "  ".join(h.ljust(w) for h, w in zip(header, widths)) + "\n" + line)
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)))


# *** entry point ***


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="singsys", description="Singularity Systems: the course")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="the tour of the whole stack, on the CPU")
    demo.add_argument("--out", default="demo_out", help="folder for plots (default demo_out/)")
    demo.add_argument("--only", nargs="+", metavar="CHAPTER", help="run only these chapters")
    demo.set_defaults(run=cmd_demo)
    test = sub.add_parser("test", help="run a chapter's test suite")
    test.add_argument("chapter")
    test.add_argument("--impl", metavar="DIR", help="test your copy of the chapter in DIR")
    test.set_defaults(run=cmd_test)
    exercise = sub.add_parser("exercise", help="write your copy of a chapter, solutions stubbed")
    exercise.add_argument("chapter")
    exercise.add_argument("dir")
    exercise.set_defaults(run=cmd_exercise)
    diff = sub.add_parser("diff", help="diff your solutions against the reference")
    diff.add_argument("chapter")
    diff.add_argument("dir")
    diff.set_defaults(run=cmd_diff)
    book = sub.add_parser("book", help="serve the book locally")
    book.add_argument("--build", action="store_true", help="build the site instead of serving")
    book.add_argument("--out", default="build/site", help="where --build writes the site")
    book.set_defaults(run=cmd_book)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # Everything after `--` goes to pytest untouched (`singsys test ch1 -- -x -k mul`).
    pytest_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, pytest_args = argv[:cut], argv[cut + 1 :]
    parser = build_parser()
    args = parser.parse_args(argv)
    if pytest_args and args.command != "test":
        parser.error("arguments after -- are only for `singsys test`")
    args.pytest_args = pytest_args
    try:
        return args.run(args)
    except (UsageError, UnknownChapterError, ExerciseError) as e:
        print(f"singsys {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
