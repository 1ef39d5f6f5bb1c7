"""The built book, opened page by page in a real browser (headless Chromium through playwright).

One strict build, one local HTTP server, one browser; every page of the site is loaded and must:
load, log no console error and raise no script error, fetch nothing from outside the site (an
offline reader gets the same book), have every internal link resolve to a page, and every
#anchor to an element of that page (notebook pages included), and have all its math typeset by
MathJax. A few screenshots are kept in build/browser/ so that a
person (or CI's artifacts) can look at the pages.

Needs Debian's `chromium` (`make system-deps`) and MathJax in the book's assets (`make mathjax`).
"""

import functools
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

import pytest

from singsys.chapters import REPO_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT_DIR = REPO_ROOT / "build" / "browser"
SCREENSHOT_PAGES = ["index.html", "ch1_dfdx/index.html", "ch2_lego/lego/index.html",
                    "notebooks/ch1_dfdx/index.html", "appendix_ctoriscv/machine/index.html"]
LAUNCH_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]

MATHJAX = REPO_ROOT / "book/assets/vendor/mathjax/tex-mml-chtml.js"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium for the browser test (make system-deps)")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # one line per request would bury pytest's output
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a page closed while its fonts were still arriving: not the page's fault


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the book once and serve it on 127.0.0.1; yields (site_dir, base_url)."""
    if not MATHJAX.exists():
        pytest.skip("needs MathJax in book/assets/vendor, which `make mathjax` fetches with npm "
                    "(make system-deps installs npm)")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "singsys", "book", "--build", "--out", str(out)],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert (out / "assets/vendor/mathjax/tex-mml-chtml.js").exists()  # copied from book/assets
    handler = functools.partial(QuietHandler, directory=str(out))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (test extra)")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_FLAGS)
        yield chromium
        chromium.close()


def screenshot_name(page_path: str) -> str:
    return re.sub(r"[/.]", "_", page_path.removesuffix(".html")) + ".png"


def site_pages(site_dir: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to its root."""
    return sorted(str(p.relative_to(site_dir)) for p in site_dir.rglob("*.html")
                  if p.name != "404.html")


# Math that MathJax failed on, or did not reach. Markdown pages wrap each formula in an
# .arithmatex element; notebook cells keep $...$ inside .jp-RenderedMarkdown.
MATH_CHECK = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('.arithmatex')) {
    if (!el.querySelector('mjx-container')) problems.push('untypeset: ' + el.textContent);
  }
  for (const el of document.querySelectorAll('.jp-RenderedMarkdown')) {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('code, pre, mjx-container').forEach(n => n.remove());
    const raw = copy.textContent.match(/\\$\\$?[^$\\s][^$]*\\$/);
    if (raw) problems.push('untypeset in a notebook cell: ' + raw[0]);
  }
  for (const el of document.querySelectorAll('mjx-merror')) {
    problems.push('TeX error: ' + el.getAttribute('data-mjx-error'));
  }
  return problems.map(s => s.slice(0, 120));
}"""

LINKS = """() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"""


@functools.cache
def url_exists(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


class PageReport(NamedTuple):
    problems: list[str]  # what is wrong with the page, one line each
    ids: set[str]  # the ids of its elements, which links can point at (#id)
    anchors: set[tuple[str, str]]  # (page url, id) for each internal link with a fragment


def page_url(base_url: str, page_path: str) -> str:
    """The address that links use for a page: a directory for its index.html."""
    return base_url + page_path.removesuffix("index.html")


def check_page(browser, base_url: str, page_path: str, screenshot: Path | None) -> PageReport:
    """Open one page and check what can be checked on the page itself."""
    problems, internal_links, anchors = [], set(), set()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))

    def route(r):  # the site must be whole without the network: refuse anything from outside
        if r.request.url.startswith(base_url) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            problems.append(f"fetches from outside the site: {r.request.url}")
            r.abort()
    page.route("**/*", route)
    page.on("response", lambda r: r.status >= 400
            and problems.append(f"HTTP {r.status}: {r.url}"))
    response = page.goto(base_url + page_path, wait_until="load")
    if response is None or response.status != 200:
        page.close()
        return PageReport(problems + [f"page did not load ({response and response.status})"],
                          set(), set())
    has_math = page.evaluate("() => !!document.querySelector('.arithmatex, .jp-RenderedMarkdown')")
    if has_math:
        if page.evaluate("() => !!document.querySelector('script[src*=\"mathjax\"]')"):
            page.wait_for_function("() => window.MathJax?.startup?.promise", timeout=15000)
            page.evaluate("() => MathJax.startup.promise")  # resolves once the page is typeset
        else:
            problems.append("math on the page but no MathJax script")
        problems += page.evaluate(MATH_CHECK)
    for href in page.evaluate(LINKS):
        if href.startswith(base_url):
            url, _, fragment = href.partition("#")
            internal_links.add(url)
            if fragment:
                anchors.add((url.removesuffix("index.html"), urllib.parse.unquote(fragment)))
    ids = set(page.evaluate("() => Array.from(document.querySelectorAll('[id]'), e => e.id)"))
    if screenshot is not None:
        page.screenshot(path=str(screenshot))
    page.close()
    for link in sorted(internal_links):
        if not url_exists(link):
            problems.append(f"broken link: {link[len(base_url):]}")
    return PageReport(problems, ids, anchors)


def test_every_page_loads_typesets_its_math_and_links_only_to_what_exists(site, browser):
    site_dir, base_url = site
    pages = site_pages(site_dir)
    assert "notebooks/ch1_dfdx/index.html" in pages  # the notebooks are pages too
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    report, ids, anchors = {}, {}, {}
    for page_path in pages:
        shot = None
        if page_path in SCREENSHOT_PAGES:
            shot = SCREENSHOT_DIR / screenshot_name(page_path)
        checked = check_page(browser, base_url, page_path, shot)
        ids[page_url(base_url, page_path)] = checked.ids
        anchors[page_path] = checked.anchors
        if checked.problems:
            report[page_path] = sorted(set(checked.problems))
    for page_path, links in anchors.items():  # a link to #section needs that section
        missing = [f"missing anchor: {url[len(base_url):]}#{fragment}" for url, fragment in links
                   if url in ids and fragment not in ids[url]]
        if missing:
            report.setdefault(page_path, []).extend(sorted(missing))
    assert report == {}, "\n".join(f"{page}:\n  " + "\n  ".join(p) for page, p in report.items())
    for name in SCREENSHOT_PAGES:
        assert (SCREENSHOT_DIR / screenshot_name(name)).exists()


def test_the_check_catches_raw_math_and_broken_links(tmp_path, browser):
    # The checks above must be able to fail: an unrendered formula, a link to a missing page
    # and a link to a missing section are each reported.
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "index.html").write_text(
        '<html><body><div class="jp-RenderedMarkdown">raw $x^2$ here</div>'
        '<h2 id="here">here</h2><a href="missing/">gone</a><a href="#nowhere">x</a></body></html>')
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        page = browser.new_page()
        page.goto(base + "bad/index.html")
        raw = page.evaluate(MATH_CHECK)
        page.close()
        assert raw == ["untypeset in a notebook cell: $x^2$"]
        checked = check_page(browser, base, "bad/index.html", None)
        assert sorted(checked.problems) == ["broken link: bad/missing/",
                                            "math on the page but no MathJax script",
                                            "untypeset in a notebook cell: $x^2$"]
        assert checked.ids == {"here"} and checked.anchors == {(base + "bad/", "nowhere")}
    finally:
        server.shutdown()
