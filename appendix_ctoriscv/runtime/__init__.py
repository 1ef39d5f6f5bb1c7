"""The runtime: what a compiled C program links with, written in RV32I assembly.

crt0.s (_start: call main, then exit with its result), libgcc.s (multiply, divide, remainder:
RV32I has no M extension), syscalls.s (exit, _exit, read, write, sbrk through Linux system
calls), stdio.s (putchar, getchar, puts) and string.s (memcpy, memset, strlen).
runtime_objects() assembles them once per process; link them as a library so that only the
files a program needs go in: `link([program], library=runtime_objects())`.
"""

from __future__ import annotations

import functools
from pathlib import Path

from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.link import ObjectFile

RUNTIME_DIR = Path(__file__).parent
RUNTIME_FILES = ["crt0.s", "libgcc.s", "syscalls.s", "stdio.s", "string.s"]


@functools.cache
def _assembled() -> tuple[ObjectFile, ...]:
    return tuple(assemble((RUNTIME_DIR / name).read_text(), f"runtime/{name}")
                 for name in RUNTIME_FILES)  # fmt: skip


def runtime_objects() -> list[ObjectFile]:
    """The assembled runtime, one ObjectFile per source file (cached: do not modify them)."""
    return list(_assembled())
