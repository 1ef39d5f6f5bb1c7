"""A pytest plugin that keeps only the tests named in SINGSYS_SELECT (node ids, one per line).

`singsys test --exercise` and `singsys progress` run the files that hold an exercise's grading
tests with this plugin, instead of naming the tests on pytest's command line: a file that skips
itself at import (no GPU, no pycuda) is then reported as skipped, where a node id inside it would
stop pytest with "found no collectors". `file::test` keeps every parametrization of the test.
"""

import os


def selected(nodeid: str, wanted: str) -> bool:
    return nodeid == wanted or ("[" not in wanted and nodeid.startswith(wanted + "["))


def pytest_collection_modifyitems(config, items):
    wanted = [w for w in os.environ.get("SINGSYS_SELECT", "").splitlines() if w]
    if not wanted:
        return
    keep = [item for item in items if any(selected(item.nodeid, w) for w in wanted)]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
