"""The book: it builds in strict mode, its listings resolve, and its section markers are real."""

import json
import re
import subprocess
import sys

import yaml

from singsys.chapters import REPO_ROOT

BOOK = REPO_ROOT / "book"


def nav_files(nav) -> list[str]:
    """Every page named in mkdocs.yml's nav, depth first."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [f for v in nav.values() for f in nav_files(v)]
    return [f for item in nav for f in nav_files(item)]


def load_config() -> dict:
    # mkdocs.yml is plain YAML (no python tags), so the safe loader reads it.
    return yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text())


def test_book_builds_in_strict_mode(tmp_path):
    # Strict mode turns every warning into a failure: a missing page, a broken link, or a
    # snippet whose file or section marker does not exist (check_paths is on).
    # Built through the course command, as a reader would: `singsys book --build`.
    result = subprocess.run(
        [sys.executable, "-m", "singsys", "book", "--build", "--out", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert (tmp_path / "index.html").exists()
    # Strict mode checks links in markdown pages only; a notebook page is HTML by then, so its
    # relative links are checked here against the built site.
    broken = []
    for page in (tmp_path / "notebooks").rglob("index.html"):
        for href in re.findall(r'<a[^>]* href="([^"#]+)', page.read_text()):
            if re.match(r"[a-z]+:", href) or href.startswith("/"):
                continue  # another site, or mail
            target = (page.parent / href).resolve()
            if not (target / "index.html" if href.endswith("/") else target).exists():
                broken.append(f"{page.relative_to(tmp_path)}: {href}")
    assert broken == [], "notebook links to pages that do not exist"


def test_every_nav_page_exists_and_every_page_is_in_the_nav():
    listed = set(nav_files(load_config()["nav"]))
    on_disk = {str(p.relative_to(BOOK)) for p in BOOK.rglob("*.md")}
    on_disk |= {str(p.relative_to(BOOK)) for p in BOOK.rglob("*.ipynb")
                if ".ipynb_checkpoints" not in p.parts}
    assert sorted(listed - on_disk) == [], "pages in the nav but missing"
    assert sorted(on_disk - listed) == [], "pages not in the nav"


def book_sections() -> set[str]:
    """Marker names of the numbered sections, e.g. '## 1.3 Reverse mode' -> 'sec_1_3'."""
    found = set()
    for page in BOOK.rglob("*.md"):
        for number in re.findall(r"^## ([0-9A]+)\.(\d+)\b", page.read_text(), re.MULTILINE):
            found.add(f"sec_{number[0].lower()}_{number[1]}")
    return found


def test_section_markers_point_at_real_sections():
    used = set()
    for path in (REPO_ROOT / "tests").rglob("test_*.py"):
        used |= set(re.findall(r"mark\.(sec_[0-9a]_\d+)", path.read_text()))
    missing = sorted(used - book_sections(), key=lambda s: (s[4], int(s.split("_")[2])))
    assert missing == [], f"tests name book sections that no page has: {missing}"


def test_listings_come_from_source_not_pasted():
    # A listing is a snippet include; a fenced python block with more than a few lines of code
    # written into the page would drift from the source.
    offenders = []
    for page in BOOK.rglob("*.md"):
        blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.DOTALL)
        for block in blocks:
            code = [ln for ln in block.splitlines() if ln.strip() and "--8<--" not in ln]
            if len(code) > 6:
                offenders.append(f"{page.relative_to(REPO_ROOT)}: {code[0][:60]}")
    assert offenders == []


# A measured figure (a speed ratio, a time, a rate) is shown by including it from
# bench/RESULTS.md (`--8<-- "bench/RESULTS.md:section"`), never typed into the prose, so that
# a page cannot drift from the measurement. These patterns catch the usual ways of retyping one.
MEASURED = [
    r"\b\d+(?:\.\d+)?(?:\s*(?:-|–|to)\s*\d+(?:\.\d+)?)?x\b",  # 3.4x, 2.35-2.51x
    r"\b\d+(?:\.\d+)?\s?(?:ms|µs|us|microseconds|milliseconds|seconds|MIPS|GFLOP/s|TFLOP/s|GB/s"
    r"|steps/s)\b",
    r"\b\d+\.\d+ s\b",  # 0.4 s
    r"\b(?:\d+(?:\.\d+)?|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty)"
    r"\s+times\s+(?:faster|slower|as fast|as slow|the\b)",  # five times faster
    r"\b\d+\.\d+ times\b",  # 1.4 times PyTorch's time
    r"\b\d+(?:\.\d+)?\s+million instructions per second",
]
# Retyped figures on pages whose owners have yet to switch them to inclusions. Each entry must
# still be on its page (the list can only shrink): remove it when the page is fixed.
NOT_YET_INCLUDED: dict[str, list[str]] = {}


def prose(markdown: str) -> str:
    """A page without code blocks, math and inline code, where digits are not claims."""
    markdown = re.sub(r"```.*?```", "", markdown, flags=re.DOTALL)
    markdown = re.sub(r"\$\$.*?\$\$", "", markdown, flags=re.DOTALL)
    markdown = re.sub(r"\$[^$\n]+\$", "", markdown)
    return re.sub(r"`[^`\n]+`", "", markdown)


def retyped_numbers(markdown: str) -> list[str]:
    text = prose(markdown)
    return [m.group(0) for pattern in MEASURED for m in re.finditer(pattern, text)]


def page_texts() -> dict[str, str]:
    """Every page's prose as written: the markdown pages, and the markdown cells of the
    notebooks (a notebook's printed output is measured on the spot, so it may hold numbers)."""
    texts = {str(page.relative_to(BOOK)): page.read_text() for page in sorted(BOOK.rglob("*.md"))}
    for notebook in sorted((BOOK / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        texts[str(notebook.relative_to(BOOK))] = "\n\n".join(
            "".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return texts


def test_measured_numbers_are_included_from_the_benchmark_results_not_retyped():
    found = {page: retyped_numbers(text) for page, text in page_texts().items()}
    unexpected = {page: sorted(set(hits) - set(NOT_YET_INCLUDED.get(page, [])))
                  for page, hits in found.items()}
    assert {page: hits for page, hits in unexpected.items() if hits} == {}
    fixed = {page: sorted(set(known) - set(found.get(page, [])))
             for page, known in NOT_YET_INCLUDED.items()}
    assert {page: gone for page, gone in fixed.items() if gone} == {}, (
        "fixed at last: remove these from NOT_YET_INCLUDED")


def test_the_retyped_number_check_catches_each_way_of_retyping():
    page = ("The GPT trains 3.4x slower (2.35-2.51x after fusion), each op costs 10 microseconds,\n"
            "the build takes about 0.4 s, it is five times faster, 1.4 times PyTorch's time,\n"
            "and 15 million instructions per second. Not these: a 3x3 kernel, $2x$, `0.5 s`,\n"
            "```\nratio 1.9x\n```\n8x8 digits, section 2.17, 97% accuracy.")
    assert retyped_numbers(page) == ["3.4x", "2.35-2.51x", "10 microseconds", "0.4 s",
                                     "five times faster", "1.4 times",
                                     "15 million instructions per second"]



def test_notebook_code_fits_the_listing_width():
    # Listings and notebook cells are sized so that 100 columns fit the page
    # (book/assets/stylesheets/listings.css); a longer line scrolls sideways.
    long_lines = []
    for notebook in sorted((BOOK / "notebooks").glob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "code":
                long_lines += [f"{notebook.name}: {line.strip()[:60]}"
                               for line in "".join(cell["source"]).splitlines() if len(line) > 100]
    assert long_lines == []
