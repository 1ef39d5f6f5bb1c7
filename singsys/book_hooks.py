"""mkdocs hook (registered in mkdocs.yml): `[[exercise E1.4]]` lines become exercise boxes.

The rendering lives in singsys/exercise_page.py, beside the code that writes the reader's stubs,
so the box shows exactly the stub `singsys exercise` writes. An unknown exercise fails the build.
"""

from mkdocs.exceptions import PluginError

from singsys.exercise import ExerciseError
from singsys.exercise_page import render_page


def on_page_markdown(markdown, page, config, files):
    try:
        return render_page(markdown)[0]
    except ExerciseError as e:
        raise PluginError(f"{page.file.src_path}: {e}") from e
