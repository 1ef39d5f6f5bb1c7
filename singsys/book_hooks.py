"""mkdocs hook (registered in mkdocs.yml): `[[exercise E1.4]]` lines become exercise boxes.

The rendering lives in singsys/exercise_page.py, beside the code that writes the reader's stubs,
so the box shows exactly the stub `singsys exercise` writes. An unknown exercise fails the build.
"""

from mkdocs.exceptions import PluginError

from singsys.exercise import ExerciseError
from singsys.exercise_page import pages_showing, render_page

WHERE: dict[str, str] = {}  # exercise number -> the page that shows it, for cross-page links


def on_files(files, config):
    docs = {f.src_uri: f.content_string for f in files if f.src_uri.endswith(".md")}
    try:
        WHERE.clear()
        WHERE.update(pages_showing(docs))
    except ExerciseError as e:
        raise PluginError(str(e)) from e
    return files


def on_page_markdown(markdown, page, config, files):
    try:
        return render_page(markdown, page.file.src_uri, WHERE)[0]
    except ExerciseError as e:
        raise PluginError(f"{page.file.src_path}: {e}") from e
