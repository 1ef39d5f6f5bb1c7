"""The exercise tooling: finding regions, stubbing them, diffing a reader's solutions."""

import importlib.util
import shutil
from pathlib import Path

import pytest

from singsys.exercise import (
    ExerciseError,
    find_regions,
    make_exercise_copy,
    package_regions,
    region_diffs,
    stub_regions,
)

EXAMPLE = Path(__file__).with_name("exercise_example.py")


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem + "_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def example_package(tmp_path: Path) -> Path:
    package = tmp_path / "ref" / "toypkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    shutil.copy(EXAMPLE, package / "graph.py")
    return package


def test_find_regions_reads_number_hint_and_body():
    (region,) = find_regions(EXAMPLE.read_text())
    assert region.number == "0.1"
    assert region.hint.startswith("visit nodes depth first")
    assert region.indent == " " * 4
    assert region.body[0].strip().startswith("order, seen, stack")


def test_reference_solution_and_stub(tmp_path):
    parents = {"loss": ["a", "b"], "a": ["x"], "b": ["x"], "x": []}.__getitem__
    order = load(EXAMPLE).reverse_topological_order("loss", parents)
    # Hand-checked: every node comes before the nodes it depends on.
    assert order[0] == "loss" and order[-1] == "x" and sorted(order) == ["a", "b", "loss", "x"]

    stubbed = tmp_path / "stubbed.py"
    stubbed.write_text(stub_regions(EXAMPLE.read_text()))
    with pytest.raises(NotImplementedError, match=r"Exercise 0\.1: visit nodes depth first"):
        load(stubbed).reverse_topological_order("loss", parents)
    # The markers stay so that the reader's solution can be found again.
    assert [r.number for r in find_regions(stubbed.read_text())] == ["0.1"]


@pytest.mark.parametrize("text, problem", [
    ("# EXERCISE 1.1: a\n# EXERCISE 1.2: b\n# END EXERCISE\n", "may not nest"),
    ("x = 1\n# END EXERCISE\n", "without EXERCISE"),
    ("def f():\n    # EXERCISE 1.1: a\n    pass\n", "never closed"),
])
def test_malformed_markers_are_named_errors(text, problem):
    with pytest.raises(ExerciseError, match=problem):
        find_regions(text, "bad.py")


def test_copy_refuses_to_overwrite_and_diff_shows_the_readers_change(tmp_path):
    package = example_package(tmp_path)
    dest, count = make_exercise_copy(package, tmp_path / "mine")
    assert count == 1 and (dest / "__init__.py").exists()
    with pytest.raises(ExerciseError, match="already exists"):
        make_exercise_copy(package, tmp_path / "mine")

    # A reader's solution: the stub replaced by their own code.
    mine = dest / "graph.py"
    mine.write_text(mine.read_text().replace(
        "raise NotImplementedError('Exercise 0.1: visit nodes depth first without recursion; "
        "emit a node after its parents')", "order = my_walk(root, parents)"))
    diff = region_diffs(package, dest)
    assert "+    order = my_walk(root, parents)" in diff
    assert "-    order, seen, stack = [], set(), [(root, False)]" in diff

    # An identical solution diffs to nothing; a missing region is reported.
    assert region_diffs(package, package) == ""
    (dest / "graph.py").write_text("")
    assert "missing from your copy" in region_diffs(package, dest)


def test_duplicate_exercise_numbers_are_refused(tmp_path):
    package = example_package(tmp_path)
    shutil.copy(EXAMPLE, package / "again.py")
    with pytest.raises(ExerciseError, match="appears in"):
        package_regions(package)
