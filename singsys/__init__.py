"""The course command, `singsys`: the demo tour, chapter test suites, exercise copies and the book.

Modules: chapters.py (which chapters exist and where), exercise.py (solution regions: stub them
out, diff them), cli.py (the `singsys` command). The CLI sits above every chapter: it may import
them all, and no chapter imports it.
"""
