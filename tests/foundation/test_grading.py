"""The grading table: every exercise is graded, and its tests are the ones its stub breaks.

The independent truth here is what a stub does: a copy of the chapter with one exercise stubbed
(by `make_exercise_copy`, nothing else changed) must fail each of that exercise's grading tests
(at least one parametrization of each listed test function), while the tests of exercises it
does not touch keep passing.
"""

import ast
import os
import re
import subprocess
from pathlib import Path

import pytest

from singsys.chapters import CHAPTERS, REPO_ROOT
from singsys.exercise import exercise_name, make_exercise_copy, package_regions
from singsys.grading import GRADING, grading_tests, matches, pytest_command, run_grading
from singsys.pytest_select import selected

GRADED = [c for c in CHAPTERS if c.source_dir.is_dir() and c.test_dir.is_dir()]
ALL_EXERCISES = [(c, n) for c in GRADED for n in package_regions(c.source_dir)]


def test_every_exercise_has_grading_tests_and_every_row_an_exercise():
    numbers = {n for _, n in ALL_EXERCISES}
    assert sorted(numbers - set(GRADING)) == [], "exercises without grading tests"
    assert sorted(set(GRADING) - numbers) == [], "grading rows for exercises that do not exist"


def defines_test(path: Path, function: str) -> bool:
    """Does the test file define the function `function` (parametrization id stripped)?"""
    name = function.partition("[")[0]
    tree = ast.parse(path.read_text())
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in ast.walk(tree))


def test_every_grading_node_id_names_collected_tests():
    node_ids = sorted({t for n in GRADING for t in grading_tests(n)})
    command, select = pytest_command(node_ids, ["--collect-only", "-q", "-p", "no:cacheprovider"])
    result = subprocess.run(command, cwd=REPO_ROOT, env=os.environ | select, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    # A file that skips itself at import (no GPU here) collects nothing: check its source.
    skipped_files = set(re.findall(r"^SKIPPED \[\d+\] ([^:]+):", result.stdout, re.MULTILINE))
    for node_id in node_ids:
        path, _, function = node_id.partition("::")
        if path in skipped_files:
            assert defines_test(REPO_ROOT / path, function), f"{node_id} is not in {path}"
        else:
            assert any(selected(c, node_id) for c in collected), f"{node_id} selects no test"


def test_matches_reads_junit_names():
    node = "tests/ch1_dfdx/test_engine.py::test_unary"
    assert matches(node, "tests.ch1_dfdx.test_engine", "test_unary")
    assert matches(node, "tests.ch1_dfdx.test_engine", "test_unary[tanh]")
    assert not matches(node, "tests.ch1_dfdx.test_engine", "test_unary_other")
    assert not matches(node, "tests.ch1_dfdx.test_nn", "test_unary")
    assert matches(node + "[tanh]", "tests.ch1_dfdx.test_engine", "test_unary[tanh]")
    assert not matches(node + "[tanh]", "tests.ch1_dfdx.test_engine", "test_unary[exp]")


@pytest.mark.slow
@pytest.mark.parametrize("chapter, number", ALL_EXERCISES,
                         ids=[exercise_name(n) for _, n in ALL_EXERCISES])
def test_stubbing_an_exercise_fails_each_of_its_grading_tests(chapter, number, tmp_path):
    make_exercise_copy(chapter.source_dir, tmp_path, {number})
    outcome = run_grading([number], tmp_path)[number]
    if not outcome.ran_node_ids and outcome.skipped:
        pytest.skip(f"{exercise_name(number)}'s grading tests skip here (a GPU or a tool absent)")
    # Every listed test that could run here has a failing case; a test that skips here (it
    # needs a GPU) is checked where it runs.
    assert outcome.failing_node_ids == outcome.ran_node_ids, outcome
    assert outcome.ran_node_ids == set(grading_tests(number)) or outcome.skipped, outcome


@pytest.mark.slow
def test_stubbing_e2_5_alone_leaves_other_exercises_passing(tmp_path):
    # Type promotion (E2.5) is not used by strides, reshape or broadcasting of shapes, so the
    # tests of E2.1, E2.2 and E2.4 must still pass in a copy where only E2.5 is stubbed.
    chapter = next(c for c in GRADED if c.alias == "ch2")
    make_exercise_copy(chapter.source_dir, tmp_path, {"2.5"})
    outcomes = run_grading(["2.5", "2.1", "2.2", "2.4"], tmp_path)
    assert outcomes["2.5"].failing_node_ids == set(grading_tests("2.5"))
    for number in ("2.1", "2.2", "2.4"):
        assert outcomes[number].failed == 0 and outcomes[number].passed > 0, (number, outcomes)
