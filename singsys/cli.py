"""`singsys`: the course command.

    singsys demo [--out DIR] [--only CHAPTER ...]     the tour of the whole stack
    singsys test CHAPTER [--impl DIR] [--exercise E1.4 ...] [-- PYTEST_ARGS]
                                                       a chapter's suite (or one exercise's tests)
    singsys exercise CHAPTER DIR [--only E1.4 ... | --next]
                                                       your copy, with solutions stubbed
    singsys progress CHAPTER DIR                       which exercises pass in your copy
    singsys diff CHAPTER DIR [--exercise E1.4 ...]     your solutions against the reference
    singsys book [--build [--out DIR]]                 serve (or build) the book
    singsys bench [LADDER ...] [--device D] [--size N] chapter 3's kernel ladders, a roofline

A user mistake (an unknown chapter or exercise, a missing folder) ends with one line on stderr
and exit status 2, never a traceback.
"""

import argparse
import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

from singsys.chapters import CHAPTERS, REPO_ROOT, Chapter, UnknownChapterError, find_chapter
from singsys.exercise import (
    ExerciseError,
    exercise_name,
    make_exercise_copy,
    next_exercise,
    package_regions,
    parse_exercise,
    region_diffs,
    region_states,
    take_exercise,
)
from singsys.grading import grading_tests, pytest_command, run_grading


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
    """Run one chapter's suite with pytest (or only the tests that grade some exercises)."""
    chapter = find_chapter(args.chapter)
    if not chapter.test_dir.is_dir():
        raise UsageError(f"{chapter.package} has no test suite yet ({chapter.test_dir})")
    env = dict(os.environ)
    if args.impl:
        env["SINGSYS_IMPL"] = str(reader_package(chapter, args.impl).parent.resolve())
    command = [sys.executable, "-m", "pytest", str(chapter.test_dir), "-q", *args.pytest_args]
    if args.exercise:
        numbers = chapter_exercises(chapter, args.exercise)
        node_ids = list(dict.fromkeys(t for n in numbers for t in grading_tests(n)))
        names = ", ".join(exercise_name(n) for n in numbers)
        print(f"grading {names}: {len(node_ids)} test functions", flush=True)
        command, select = pytest_command(node_ids, ["-q", *args.pytest_args])
        env |= select
    return subprocess.run(command, cwd=REPO_ROOT, env=env).returncode


def chapter_exercises(chapter: Chapter, names: list[str]) -> list[str]:
    """Exercise names the reader typed -> marker numbers, each checked to be in `chapter`."""
    known = package_regions(chapter.source_dir)
    numbers = [parse_exercise(name) for name in names]
    for number in numbers:
        if number not in known:
            raise UsageError(f"{chapter.package} has no exercise {exercise_name(number)} (it has "
                             f"{', '.join(exercise_name(n) for n in known)})")
    return numbers


def cmd_exercise(args) -> int:
    """Write the reader's copy: every solution stubbed, or one at a time (--only, --next)."""
    chapter = find_chapter(args.chapter)
    root = Path(args.dir)
    root.mkdir(parents=True, exist_ok=True)
    if not args.only and not args.next:
        dest, count = make_exercise_copy(chapter.source_dir, root)
        print(f"wrote {dest} with {count} exercises stubbed; check your work with:")
        print(f"  singsys test {chapter.alias} --impl {args.dir}")
        return 0
    if args.next:
        number = next_exercise(chapter.source_dir, root)
        if number is None:
            print(f"every exercise of {chapter.alias} is taken in {root / chapter.package}; "
                  f"see: singsys progress {chapter.alias} {args.dir}")
            return 0
        numbers = [number]
    else:
        numbers = chapter_exercises(chapter, args.only)
    regions = package_regions(chapter.source_dir)
    for number in numbers:
        dest = take_exercise(chapter.source_dir, root, number)
        rel, region = regions[number]
        print(f"{exercise_name(number)} stubbed in {dest / rel}\n  hint: {region.hint}")
    names = " ".join(exercise_name(n) for n in numbers)
    print(f"grade it with:\n  singsys test {chapter.alias} --impl {args.dir} --exercise {names}")
    return 0


def cmd_progress(args) -> int:
    """Print, for each exercise of a chapter, where the reader's copy stands and its tests."""
    chapter = find_chapter(args.chapter)
    package = reader_package(chapter, args.dir)
    states = region_states(chapter.source_dir, package)
    taken = [n for n, state in states.items() if state in ("stub", "yours")]
    outcomes = run_grading(taken, package.parent, args.pytest_args) if taken else {}
    regions = package_regions(chapter.source_dir)
    words = {"stub": "stub (to do)", "yours": "your code", "missing": "markers missing",
             "reference": "not taken (reference code)"}
    rows = []
    for number, state in states.items():
        verdict = outcomes[number].verdict if number in outcomes else "-"
        rows.append((exercise_name(number), str(regions[number][0]), words[state], verdict))
    print_table(["exercise", "file", "your copy", "grading tests"], rows)
    done = sum(1 for n in taken if outcomes[n].failed == 0 and outcomes[n].passed > 0)
    print(f"\n{done} of {len(states)} exercises pass in your copy; "
          f"take the next one with: singsys exercise {chapter.alias} {args.dir} --next")
    return 0


def cmd_diff(args) -> int:
    """Print a unified diff of the reader's solution regions against the reference."""
    chapter = find_chapter(args.chapter)
    only = set(chapter_exercises(chapter, args.exercise)) if args.exercise else None
    diff = region_diffs(chapter.source_dir, reader_package(chapter, args.dir), only)
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


def cmd_bench(args) -> int:
    """Chapter 3's kernel ladders on this machine: tables and a roofline (ch3_brrr.bench)."""
    bench = importlib.import_module("ch3_brrr.bench")
    rounds = ["--rounds", str(args.rounds)] if args.rounds else []
    gpt = ["--gpt"] if args.gpt else []
    size = ["--size", str(args.size)] if args.size is not None else []
    device = ["--device", args.device] if args.device else []
    return bench.main([*args.ladders, *device, *size, *rounds, "--out", args.out, *gpt])


# *** output ***


def print_table(header: list[str], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print("\n" + "  ".join(h.ljust(w) for h, w in zip(header, widths)) + "\n" + line)
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)))


# *** entry point ***


EXAMPLES = {
    "demo": "example:\n  singsys demo --only ch1 appendix --out demo_out/",
    "test": ("examples:\n"
             "  singsys test ch1                                  the reference passes its suite\n"
             "  singsys test ch1 --impl mywork/                   grade your whole copy\n"
             "  singsys test ch2 --impl mywork/ --exercise E2.5   only the tests of E2.5\n"
             "  singsys test ch1 -- -x -k mul                     pass -x -k mul to pytest"),
    "exercise": ("examples:\n"
                 "  singsys exercise ch2 mywork/ --next        stub the next exercise\n"
                 "  singsys exercise ch2 mywork/ --only E2.5   stub E2.5 alone; the rest stays\n"
                 "                                             the reference, so its tests pass\n"
                 "  singsys exercise ch1 mywork/               stub every exercise at once"),
    "progress": "example:\n  singsys progress ch2 mywork/",
    "diff": "examples:\n  singsys diff ch1 mywork/\n  singsys diff ch2 mywork/ --exercise E2.5",
    "book": "examples:\n  singsys book                 serve on http://127.0.0.1:8000\n"
            "  singsys book --build --out site/",
    "bench": "examples:\n  singsys bench                every ladder this machine can run\n"
             "  singsys bench c --size 512   the C ladder at 512x512x512\n"
             "  singsys bench --device cuda  the CUDA kernels beside cuBLAS and PyTorch",
}


def add_command(sub, name: str, summary: str, description: str, run) -> argparse.ArgumentParser:
    command = sub.add_parser(name, help=summary, description=description, epilog=EXAMPLES[name],
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    command.set_defaults(run=run)
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="singsys", description="Singularity Systems: the course")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = add_command(sub, "demo", "the tour of the whole stack, on the CPU",
                       "Run each chapter's tour and print one summary table.", cmd_demo)
    demo.add_argument("--out", default="demo_out", help="folder for plots (default demo_out/)")
    demo.add_argument("--only", nargs="+", metavar="CHAPTER", help="run only these chapters")
    test = add_command(sub, "test", "run a chapter's test suite",
                       "Run a chapter's test suite with pytest, on the reference code or on "
                       "your copy (--impl); with --exercise, only the tests that grade those "
                       "exercises. Arguments after -- go to pytest.", cmd_test)
    test.add_argument("chapter", help="ch1, ch2, ch3, ch4 or appendix")
    test.add_argument("--impl", metavar="DIR", help="test your copy of the chapter in DIR")
    test.add_argument("--exercise", nargs="+", metavar="EN.M",
                      help="run only the grading tests of these exercises (E1.4 or 1.4)")
    exercise = add_command(
        sub, "exercise", "write your copy of a chapter, solutions stubbed",
        "Write your copy of a chapter into DIR/<package>/. Without options every solution "
        "region is stubbed. With --only or --next one exercise at a time is stubbed (the copy "
        "is created first if needed) and the rest keeps the reference code, so the chapter "
        "still runs; a region holding your own code is never overwritten.", cmd_exercise)
    exercise.add_argument("chapter", help="ch1, ch2, ch3, ch4 or appendix")
    exercise.add_argument("dir", help="the folder for your copy, e.g. mywork/")
    one = exercise.add_mutually_exclusive_group()
    one.add_argument("--only", nargs="+", metavar="EN.M", help="stub only these exercises")
    one.add_argument("--next", action="store_true",
                     help="stub the first exercise your copy still holds as the reference")
    progress = add_command(sub, "progress", "which exercises pass in your copy",
                           "Print a table of a chapter's exercises: whether each region in your "
                           "copy is a stub, your code or still the reference, and whether its "
                           "grading tests pass.", cmd_progress)
    progress.add_argument("chapter", help="ch1, ch2, ch3, ch4 or appendix")
    progress.add_argument("dir", help="the folder holding your copy")
    diff = add_command(sub, "diff", "diff your solutions against the reference",
                       "Print a unified diff, exercise by exercise, of your solution regions "
                       "against the reference.", cmd_diff)
    diff.add_argument("chapter", help="ch1, ch2, ch3, ch4 or appendix")
    diff.add_argument("dir", help="the folder holding your copy")
    diff.add_argument("--exercise", nargs="+", metavar="EN.M", help="only these exercises")
    book = add_command(sub, "book", "serve the book locally",
                       "Serve the book with mkdocs, or build it in strict mode.", cmd_book)
    book.add_argument("--build", action="store_true", help="build the site instead of serving")
    book.add_argument("--out", default="build/site", help="where --build writes the site")
    bench = add_command(sub, "bench", "time chapter 3's kernel ladders",
                        "Check every rung of the C, WGSL and CUDA matmul ladders that can run "
                        "here, time them beside the baseline (numpy) in the same run, print the "
                        "tables and save a roofline plot.", cmd_bench)
    bench.add_argument("ladders", nargs="*", metavar="LADDER", help="c, wgsl, cuda (default all)")
    bench.add_argument("--device", help="the ladder of one device: c, wgpu or cuda")
    bench.add_argument("--size", type=int, help="M = N = K (default 1024; cuda: 4096)")
    bench.add_argument("--rounds", type=int, help="timed rounds per rung (default: the ladder's)")
    bench.add_argument("--out", default="bench_out", help="folder for roofline.png")
    bench.add_argument("--gpt", action="store_true",
                       help="also time ch2's GPT training step on cpu and on our devices")
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
    if pytest_args and args.command not in ("test", "progress"):
        parser.error("arguments after -- are only for `singsys test` and `singsys progress`")
    args.pytest_args = pytest_args
    try:
        return args.run(args)
    except (UsageError, UnknownChapterError, ExerciseError) as e:
        print(f"singsys {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
