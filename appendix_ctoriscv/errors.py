"""Diagnostics: errors and warnings about the program being compiled, as a C compiler prints them.

Every stage reports into one `Diagnostics` collector and goes on where it can, so one run shows
several errors. Each renders as `file:line:col: error: message`, then the source line and a caret
under the column; inside a macro's expansion, a note points at the macro's use, as gcc's does.
After a stage, `check()` raises `CompileError` if there were errors; the driver prints it. A
user's mistake never surfaces as a Python traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from appendix_ctoriscv.defs import SourceFile, Token

MAX_ERRORS = 20  # then stop: later errors are mostly echoes of the first ones


@dataclass
class Diagnostic:
    severity: str  # "error", "warning" or "note"
    file: SourceFile
    line: int
    col: int
    message: str
    notes: list[Diagnostic] = field(default_factory=list)  # e.g. "in expansion of macro 'F'"

    # --8<-- [start:render]
    def render(self) -> str:
        """`file:line:col: severity: message`, the source line, and a caret under the column."""
        src = printable(self.file.line_text(self.line)).expandtabs(1)  # a column a character
        caret = " " * (self.col - 1) + "^"
        head = f"{self.file.name}:{self.line}:{self.col}: {self.severity}: {self.message}"
        head = printable(head)
        return "\n".join([head, src, caret] + [note.render() for note in self.notes])
    # --8<-- [end:render]


NOT_UTF8 = re.compile("[\udc80-\udcff]")  # the lone surrogates that stand for raw bytes


def printable(text: str) -> str:
    """`text` with each byte that was not UTF-8 (a lone surrogate, see lex.py) shown as '?'."""
    return NOT_UTF8.sub("?", text)


class CompileError(Exception):
    """The program is invalid. Holds every diagnostic of the run; str() is the full report."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.render() for d in diagnostics))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class ParseError(Exception):
    """A syntax error, already reported; the parser catches it where it can resynchronise."""


class Diagnostics:
    """The collector one compilation reports into."""

    def __init__(self):
        self.items: list[Diagnostic] = []
        self.error_count = 0
        self.muted = False

    # --8<-- [start:report]
    def report(self, severity: str, tok: Token, message: str, notes=()) -> None:
        """Add a diagnostic at `tok`; `notes` are (token, message) pairs shown under it, such as
        gcc's "previous declaration of 'x' with type 'int'"."""
        if self.muted:
            return
        diagnostic = Diagnostic(severity, tok.file, tok.line, tok.col, message)
        use = tok.origin  # the token came from a macro: say where that macro was used
        while use is not None:
            note = f"in expansion of macro '{use.text}'"
            diagnostic.notes.append(Diagnostic("note", use.file, use.line, use.col, note))
            use = use.origin
        for where, note in notes:
            diagnostic.notes.append(Diagnostic("note", where.file, where.line, where.col, note))
        self.items.append(diagnostic)
        self.error_count += severity == "error"
        if self.error_count >= MAX_ERRORS:
            raise CompileError(self.items)
    # --8<-- [end:report]

    def error(self, tok: Token, message: str, notes=()) -> None:
        self.report("error", tok, message, notes)

    def warning(self, tok: Token, message: str, notes=()) -> None:
        self.report("warning", tok, message, notes)

    def mute(self) -> None:
        """Report nothing more: after a construct this compiler does not support, what follows
        would be a cascade of errors about names and types it could not understand."""
        self.muted = True

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def check(self) -> None:
        """Raise CompileError if any error was reported so far."""
        if self.errors:
            raise CompileError(self.items)
