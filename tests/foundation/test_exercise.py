"""The exercise tooling: finding regions, stubbing them, diffing a reader's solutions."""

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from singsys.exercise import (
    ExerciseError,
    find_regions,
    make_exercise_copy,
    next_exercise,
    package_regions,
    parse_exercise,
    region_diffs,
    region_states,
    stub_regions,
    take_exercise,
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
    with pytest.raises(NotImplementedError, match=r"Exercise E0\.1: visit nodes depth first"):
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
    stub = re.compile(r"raise NotImplementedError\(.*?'\)", re.DOTALL)
    assert len(stub.findall(mine.read_text())) == 1
    mine.write_text(stub.sub("order = my_walk(root, parents)", mine.read_text()))
    diff = region_diffs(package, dest)
    assert "+    order = my_walk(root, parents)" in diff
    assert "-    order, seen, stack = [], set(), [(root, False)]" in diff

    assert region_diffs(package, dest, only={"0.1"}) == diff
    assert region_diffs(package, dest, only={"0.2"}) == ""
    # An identical solution diffs to nothing; a missing region is reported.
    assert region_diffs(package, package) == ""
    (dest / "graph.py").write_text("")
    assert "missing from your copy" in region_diffs(package, dest)


def test_duplicate_exercise_numbers_are_refused(tmp_path):
    package = example_package(tmp_path)
    shutil.copy(EXAMPLE, package / "again.py")
    with pytest.raises(ExerciseError, match="appears in"):
        package_regions(package)


@pytest.mark.parametrize("typed, number", [("E2.5", "2.5"), ("e2.5", "2.5"), ("2.5", "2.5"),
                                           ("EA.7", "A.7"), ("ea.11", "A.11"), ("a.3", "A.3")])
def test_exercise_names_typed_any_way(typed, number):
    assert parse_exercise(typed) == number


@pytest.mark.parametrize("typed", ["E2", "2.5.1", "Ex2.5", "", "B.1"])
def test_bad_exercise_names_are_named_errors(typed):
    with pytest.raises(ExerciseError, match="not an exercise name"):
        parse_exercise(typed)


def test_numbers_sort_by_chapter_then_number(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    regions = "".join(f"def f{i}():\n    # EXERCISE {n}: h\n    pass\n    # END EXERCISE\n"
                      for i, n in enumerate(["A.2", "2.10", "A.10", "2.9", "1.1"]))
    (package / "m.py").write_text(regions)
    assert list(package_regions(package)) == ["1.1", "2.9", "2.10", "A.2", "A.10"]


C_SOURCE = """int twice(int x) {
    int y;
    // EXERCISE 9.1: double "x"
    y = 2 * x;
    // END EXERCISE
    return y;
}
"""


def test_c_regions_are_found_and_stubbed_with_an_error_directive(tmp_path):
    (region,) = find_regions(C_SOURCE, "twice.c")
    assert (region.number, region.hint, region.body) == ("9.1", 'double "x"', ["    y = 2 * x;\n"])
    stubbed = stub_regions(C_SOURCE, "twice.c")
    assert '    #error "Exercise E9.1: double \'x\'"\n' in stubbed
    assert [r.number for r in find_regions(stubbed, "twice.c")] == ["9.1"]
    wgsl = stub_regions(C_SOURCE, "twice.wgsl")
    assert "exercise_E9_1_not_done();  // Exercise E9.1" in wgsl

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to check that the stub stops compilation")
    for text, ok in [(C_SOURCE, True), (stubbed, False)]:
        (tmp_path / "twice.c").write_text(text)
        result = subprocess.run([cc, "-c", "twice.c", "-o", "twice.o"], cwd=tmp_path,
                                capture_output=True, text=True)
        assert (result.returncode == 0) == ok, result.stderr
        if not ok:
            assert "Exercise E9.1" in result.stderr


def test_one_exercise_at_a_time(tmp_path):
    ref = example_package(tmp_path)
    (ref / "second.py").write_text(
        "def f():\n    # EXERCISE 0.2: return two\n    return 2\n    # END EXERCISE\n")
    mine = tmp_path / "mine"
    assert next_exercise(ref, mine) == "0.1"
    dest = take_exercise(ref, mine, "0.1")
    assert region_states(ref, dest) == {"0.1": "stub", "0.2": "reference"}
    assert next_exercise(ref, mine) == "0.2"

    # The reader solves 0.1 in their own words; taking it again must not overwrite it.
    graph = dest / "graph.py"
    graph.write_text(graph.read_text().replace(
        "    raise NotImplementedError(", "    order = walk(root)  # mine\n    (", 1))
    assert region_states(ref, dest)["0.1"] == "yours"
    with pytest.raises(ExerciseError, match="holds your own code"):
        take_exercise(ref, mine, "0.1")
    take_exercise(ref, mine, "0.2")
    assert region_states(ref, dest) == {"0.1": "yours", "0.2": "stub"}
    assert next_exercise(ref, mine) is None
    with pytest.raises(ExerciseError, match="has no exercise E0.3"):
        take_exercise(ref, mine, "0.3")


@pytest.mark.parametrize("suffix", [".c", ".cu", ".wgsl"])
def test_long_kernel_stubs_keep_to_100_columns(suffix, tmp_path):
    hint = "a hint long enough that the stub line would pass the hundredth column of the page"
    text = f"void f() {{\n    // EXERCISE 3.4: {hint}\n    x = 1;\n    // END EXERCISE\n}}\n"
    stubbed = stub_regions(text, "k" + suffix)
    (stub,) = [ln for ln in stubbed.splitlines() if "EXERCISE" not in ln and "E3" in ln]
    assert len(stub) <= 100 and ("E3.4" in stub or "E3_4" in stub)
    ref, mine = tmp_pkg(text, "k" + suffix), tmp_pkg(stubbed, "k" + suffix)
    assert region_states(ref, mine) == {"3.4": "stub"}


def test_long_stubs_keep_to_100_columns_and_still_read_as_stubs():
    hint = "a hint long enough that the raise statement would pass the hundredth column"
    text = f"def f():\n    if True:\n        # EXERCISE 3.4: {hint.strip()}\n        return 1\n" \
           "        # END EXERCISE\n"
    stubbed = stub_regions(text)
    assert max(len(line) for line in stubbed.splitlines()) <= 100
    namespace = {}
    exec(compile(stubbed, "<stub>", "exec"), namespace)
    with pytest.raises(NotImplementedError) as error:
        namespace["f"]()
    assert str(error.value) == f"Exercise E3.4: {hint.strip()}"
    ref, mine = tmp_pkg(text), tmp_pkg(stubbed)
    assert region_states(ref, mine) == {"3.4": "stub"}


def tmp_pkg(text: str, name: str = "m.py") -> Path:
    import tempfile
    package = Path(tempfile.mkdtemp()) / "pkg"
    package.mkdir()
    (package / name).write_text(text)
    return package
