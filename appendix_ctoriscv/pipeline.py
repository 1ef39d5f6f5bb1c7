"""The compiler's stages in order, C source text in, assembly text out (no linking, no running).

tokenize, preprocess, parse with add_type, lower to IR, at -O1 the optimizer and the register
allocator, then codegen. main.py (the driver) and runtime/ (which compiles the C library with
it) both import this module, which imports neither of them.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path

from appendix_ctoriscv.codegen import codegen
from appendix_ctoriscv.defs import Obj, SourceFile, Token, TokenKind
from appendix_ctoriscv.errors import CompileError, Diagnostic, Diagnostics
from appendix_ctoriscv.ir import IRFunction
from appendix_ctoriscv.lex import tokenize
from appendix_ctoriscv.lower import lower_program
from appendix_ctoriscv.optimize import optimize
from appendix_ctoriscv.parse import parse
from appendix_ctoriscv.preprocess import preprocess
from appendix_ctoriscv.regalloc import allocate_registers

# the C library's headers (<stdio.h> ...): searched after the -I directories, as a system's are
INCLUDE_DIR = Path(__file__).parent / "runtime" / "include"

RECURSION_LIMIT = 50_000  # Python frames: a C expression nests 14 deep per parenthesis


@dataclass
class Compilation:
    """Everything one compilation produced, stage by stage (the notebook shows each)."""

    tokens: list[Token]  # after preprocessing
    program: list[Obj]  # functions and globals with their ASTs
    ir: list[IRFunction]  # the functions as codegen saw them (optimised at -O1)
    asm: str
    warnings: list[Diagnostic]


def compile_source(
    text: str, filename: str = "<stdin>", include_paths=(), std: str = "c99", opt_level: int = 0
) -> Compilation:
    """C source text -> assembly text. Raises CompileError with every diagnostic of the run."""
    diag = Diagnostics()
    file = SourceFile(filename, text)
    with deep_recursion(file, diag):
        # The parser goes on after the lexer's and the preprocessor's errors, as gcc does: the
        # tokens are still all there (a stray character is dropped, a bad constant reads as 0),
        # so one run also reports the syntax and type errors further down.
        # the C library's headers come after the -I directories, as a system's do
        paths = [*include_paths, str(INCLUDE_DIR)]
        tokens = preprocess(tokenize(file, diag, std), diag, paths, std)
        program = parse(tokens, diag, std)
        diag.check()
        functions, registers = lower_program(program), None
        if opt_level >= 1:
            optimize(functions)
            registers = {fn.name: allocate_registers(fn) for fn in functions}
        # far branches in the functions too long for near ones
        asm = codegen(program, functions, registers, fuse_branches=opt_level >= 1)
    return Compilation(tokens, program, functions, asm, diag.warnings)


# --8<-- [start:deep_recursion]
@contextlib.contextmanager
def deep_recursion(file: SourceFile, diag: Diagnostics):
    """Every stage, and the dumps, recurse on nested code: raise Python's recursion limit for
    them, and turn nesting deeper than even that into a diagnostic, never a RecursionError."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, RECURSION_LIMIT))
    try:
        yield
    except RecursionError:
        where = Token(TokenKind.EOF, "", file, 1, 1)
        diag.error(where, "program nested too deeply for this compiler")
        raise CompileError(diag.items) from None
    finally:
        sys.setrecursionlimit(limit)
# --8<-- [end:deep_recursion]


def compile_c(text: str, filename: str = "<stdin>", include_paths=(), std: str = "c99",
              opt_level: int = 0) -> str:
    """C source text -> RV32I assembly text."""
    return compile_source(text, filename, include_paths, std, opt_level).asm


