"""Line counts per chapter and per file, so that growth is a decision (teenygrad's sz.py).

    python -m singsys.sz            every chapter, files over 600 lines flagged
"""

import sys

from singsys.chapters import CHAPTERS

SPLIT_AT = 600  # STYLE.md: split a file that passes 600 lines


def code_lines(text: str) -> int:
    """Lines that are neither blank nor comments (docstrings count: they are read too)."""
    return sum(1 for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#"))


def main() -> int:
    total = 0
    for chapter in CHAPTERS:
        files = sorted(chapter.source_dir.rglob("*.py"))
        counts = [(p.relative_to(chapter.source_dir.parent), code_lines(p.read_text()))
                  for p in files]
        subtotal = sum(n for _, n in counts)
        total += subtotal
        print(f"\n{chapter.package}: {subtotal} lines in {len(counts)} files")
        for path, n in sorted(counts, key=lambda c: -c[1]):
            flag = "  <- over the split line" if n > SPLIT_AT else ""
            print(f"  {n:6d}  {path}{flag}")
    print(f"\ntotal: {total} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
