"""Suite-wide pytest set-up.

1. SINGSYS_IMPL=DIR makes `import <chapter>` resolve to the reader's copy of a chapter package in
   DIR (written by `singsys exercise`), so `singsys test CHAPTER --impl DIR` grades the reader.
2. Book-section markers: `@pytest.mark.sec_1_3` tags a test with section 1.3 of the book, so
   `pytest -m sec_1_3` runs one section. Chapters 1-4 and the appendix ("a") are registered.
"""

import os
import sys

# *** 1. a reader's implementation in front of the reference ***

IMPL_DIR = os.environ.get("SINGSYS_IMPL")
if IMPL_DIR:
    sys.path.insert(0, os.path.abspath(IMPL_DIR))


# *** 2. book-section markers ***

SECTION_MARKERS = [f"sec_{c}_{s}" for c in ("1", "2", "3", "4", "a") for s in range(1, 31)]


def pytest_configure(config):
    for name in SECTION_MARKERS:
        chapter, section = name.split("_")[1:]
        config.addinivalue_line("markers", f"{name}: book section {chapter.upper()}.{section}")


def pytest_report_header(config):
    if IMPL_DIR:
        return f"singsys: chapter packages from {os.path.abspath(IMPL_DIR)}"
    return None
