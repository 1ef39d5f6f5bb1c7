"""The `singsys` command, run as a reader runs it: in a subprocess, checking output and status."""

import os
import re
import subprocess
import sys

import pytest

from singsys.chapters import CHAPTERS, find_chapter
from singsys.exercise import package_regions, region_states, stub_line


def singsys(*args, cwd=None, timeout=600):
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("SINGSYS_IMPL", None)
    return subprocess.run([sys.executable, "-m", "singsys", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=timeout)


def chapters_with_exercises():
    return [c.alias for c in CHAPTERS
            if c.source_dir.is_dir() and c.test_dir.is_dir() and package_regions(c.source_dir)]


@pytest.mark.parametrize("args, message", [
    (["test", "ch9"], "unknown chapter 'ch9'"),
    (["exercise", "nope", "x"], "unknown chapter 'nope'"),
    (["diff", "ch1", "/no/such/folder"], "no such folder: /no/such/folder"),
    (["test", "ch1", "--impl", "/no/such/folder"], "no such folder"),
])
def test_user_mistakes_are_one_line_errors(args, message):
    result = singsys(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_impl_folder_without_the_package_is_an_error(tmp_path):
    result = singsys("test", "ch1", "--impl", str(tmp_path))
    assert result.returncode == 2 and "holds no ch1_dfdx/ package" in result.stderr


def test_chapter_aliases():
    assert find_chapter("ch2").package == "ch2_lego"
    assert find_chapter("APPENDIX").package == "appendix_ctoriscv"
    assert find_chapter("ch4_pt2").alias == "ch4"


@pytest.mark.parametrize("alias", chapters_with_exercises())
def test_exercise_copy_fails_the_suite_until_solved(alias, tmp_path):
    chapter = find_chapter(alias)
    result = singsys("exercise", alias, str(tmp_path))
    assert result.returncode == 0, result.stderr
    copy = tmp_path / chapter.package
    states = region_states(chapter.source_dir, copy)
    assert len(states) > 0 and set(states.values()) == {"stub"}

    graded = singsys("test", alias, "--impl", str(tmp_path), "--", "-x", "-p", "no:cacheprovider")
    assert graded.returncode == 1, graded.stdout[-2000:]
    assert "Exercise E" in graded.stdout  # a Python stub's raise, or a kernel's #error

    # Untouched stubs differ from every reference solution.
    diff = singsys("diff", alias, str(tmp_path))
    assert diff.returncode == 0
    assert all(f"+{stub_line(region, rel.suffix).splitlines()[0]}" in diff.stdout.splitlines()
               for rel, region in package_regions(chapter.source_dir).values())


@pytest.mark.skipif(not find_chapter("ch1").test_dir.is_dir(), reason="ch1 has no suite yet")
def test_reference_chapter_passes_its_suite():
    result = singsys("test", "ch1", "--", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout


def test_demo_reports_chapters_not_built(tmp_path, monkeypatch, capsys):
    # Every chapter has a tour by now, so pretend chapter 4's is missing, as it once was.
    import importlib

    from singsys import cli

    real_import = importlib.import_module

    def import_module(name, *args):
        if name == "ch4_pt2.tour":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args)

    monkeypatch.setattr(cli.importlib, "import_module", import_module)
    assert cli.main(["demo", "--only", "ch4", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^ch4\s+tour\s+not built yet", out, re.MULTILINE), out


@pytest.mark.skipif(not (find_chapter("ch1").source_dir / "tour.py").exists(),
                    reason="ch1 has no tour yet")
def test_demo_runs_the_ch1_tour_and_saves_its_plots(tmp_path):
    result = singsys("demo", "--only", "ch1", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ch1" in result.stdout and "wall time" in result.stdout
    plots = list((tmp_path / "ch1_dfdx").glob("*.png"))
    assert len(plots) >= 2, "the decision boundary and the loss curve"
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in plots)


# *** one exercise at a time ***


def subcommands() -> list[str]:
    from singsys.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return sorted(sub.choices)


@pytest.mark.parametrize("command", subcommands())
def test_every_command_explains_itself_with_an_example(command):
    result = singsys(command, "--help")
    assert result.returncode == 0
    assert "example" in result.stdout and f"singsys {command}" in result.stdout.split("example")[1]


def test_unknown_exercise_is_a_one_line_error(tmp_path):
    for args in (["exercise", "ch1", str(tmp_path), "--only", "E1.99"],
                 ["test", "ch1", "--exercise", "E7"]):
        result = singsys(*args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def replace_region(path, number, new_body):
    """The reader writes `new_body` between the markers of exercise `number`."""
    text = path.read_text()
    begin = re.search(rf"^.*# EXERCISE {re.escape(number)}:.*\n", text, re.MULTILINE)
    end = text.index("# END EXERCISE", begin.end())
    end = text.rindex("\n", 0, end) + 1
    path.write_text(text[: begin.end()] + new_body + text[end:])


def test_next_only_grading_and_progress_on_a_readers_copy(tmp_path):
    # --next on a fresh folder stubs E1.1 alone; the next --next moves on to E1.2.
    assert singsys("exercise", "ch1", str(tmp_path), "--next").returncode == 0
    assert singsys("exercise", "ch1", str(tmp_path), "--next").returncode == 0
    copy = tmp_path / "ch1_dfdx"
    stubs = re.findall(r"NotImplementedError\(\s*'Exercise (E[\d.]+):",
                       "".join(p.read_text() for p in copy.rglob("*.py")))
    assert sorted(stubs) == ["E1.1", "E1.2"]

    # The reader solves E1.1 as the reference does (tests pass), E1.7 in other words (still
    # right), and E1.9 wrongly (momentum forgotten); E1.2 stays a stub.
    engine = copy / "engine.py"
    reference_mul = (find_chapter("ch1").source_dir / "engine.py").read_text()
    body = re.search(r"# EXERCISE 1\.1:.*?\n(.*?)\n\s*# END EXERCISE", reference_mul, re.S)[1]
    replace_region(engine, "1.1", body + "\n")
    replace_region(copy / "gradcheck.py", "1.7",
                   "    shifted = list(xs)\n    shifted[arg] = xs[arg] + eps\n"
                   "    above = _evaluate(f, shifted)\n    shifted[arg] = xs[arg] - eps\n"
                   "    return (above - _evaluate(f, shifted)) / (2 * eps)\n")
    replace_region(copy / "nn.py", "1.9",
                   "        for p in self.params:\n            p.data -= self.lr * p.grad\n")

    graded = singsys("test", "ch1", "--impl", str(tmp_path), "--exercise", "E1.2", "--",
                     "-p", "no:cacheprovider")
    assert graded.returncode == 1 and "grading E1.2" in graded.stdout
    assert "NotImplementedError: Exercise E1.2" in graded.stdout
    assert "Exercise E1.1" not in graded.stdout

    result = singsys("progress", "ch1", str(tmp_path), "--", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()
            if re.match(r"E1\.\d ", line)}
    assert len(rows) == len(package_regions(find_chapter("ch1").source_dir))
    # E1.1 holds the reference text again, so it counts as not taken.
    assert "not taken" in rows["E1.1"]
    assert "stub (to do)" in rows["E1.2"] and "fails" in rows["E1.2"]
    assert "your code" in rows["E1.7"] and "passes" in rows["E1.7"]
    assert "your code" in rows["E1.9"] and "fails" in rows["E1.9"]
    for name in ("E1.3", "E1.4", "E1.5", "E1.6", "E1.8"):
        assert "not taken" in rows[name]
    assert "1 of 9 exercises pass" in result.stdout

    one = singsys("diff", "ch1", str(tmp_path), "--exercise", "E1.9")
    assert one.returncode == 0 and "(exercise E1.9)" in one.stdout
    assert "+            p.data -= self.lr * p.grad" in one.stdout
    assert "(exercise E1.7)" not in one.stdout
