"""The runtime: what a compiled C program links with. A small C library, compiled by this
compiler, over a few assembly files that C cannot express.

Assembly (ASM_FILES): crt0.s (_start: call main, then exit with its result), syscalls.s
(_exit, read, write, brk: the `ecall` instruction has no C spelling), libgcc.s (multiply and
divide: the compiler emits calls to them for `*`, `/` and `%`, so writing them in C would
recurse).

C (libc/*.c, headers in include/): string and memory functions, ctype, stdlib, malloc over
brk, stdio with printf, assert, and the soft-float routines. One public function (or a family
used together) per file, as in a C library's archive: the linker takes a file only when it
defines a missing symbol, so a program that defines its own strlen still links.

runtime_objects() gives the assembled objects (the C compiled at -O1 once per process, its
assembly cached on disk under a key of the sources and the compiler's own code); link them as
a library: `link([program], library=runtime_objects())`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

from appendix_ctoriscv.asm import assemble
from appendix_ctoriscv.errors import CompileError
from appendix_ctoriscv.link import ObjectFile
from appendix_ctoriscv.pipeline import INCLUDE_DIR, compile_c

RUNTIME_DIR = Path(__file__).parent
LIBC_DIR = RUNTIME_DIR / "libc"
ASM_FILES = ["crt0.s", "libgcc.s", "syscalls.s"]
LIBC_OPT_LEVEL = 1


def libc_sources() -> list[Path]:
    return sorted(LIBC_DIR.glob("*.c"))


def _cache_key() -> str:
    """A hash of everything the compiled library depends on: its sources and headers, and the
    compiler (every .py file of the package)."""
    digest = hashlib.sha256(f"O{LIBC_OPT_LEVEL}".encode())
    package = RUNTIME_DIR.parent
    inputs = [*sorted(package.glob("*.py")), Path(__file__), *libc_sources(),
              *sorted(LIBC_DIR.glob("*.h")), *sorted(INCLUDE_DIR.glob("*.h"))]
    for path in inputs:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_dir() -> Path:
    """$XDG_CACHE_HOME (or ~/.cache)/singsys/appendix-libc/<key>, created if need be; where
    that cannot be written (a CI runner's read-only or missing HOME), the same under the
    system's temporary directory."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for root in (Path(base), Path(tempfile.gettempdir())):
        out_dir = root / "singsys" / "appendix-libc" / _cache_key()
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(out_dir, os.W_OK):
            return out_dir
    raise LibraryBuildError(f"no writable cache directory for the C library under {base} "
                            f"or {tempfile.gettempdir()}")


class LibraryBuildError(RuntimeError):
    """A file of the C library did not compile (a bug in the library or in the compiler), or
    there is nowhere to write its assembly."""


@functools.cache
def compiled_libc() -> tuple[Path, ...]:
    """The C library compiled to assembly: one .s file per libc/*.c, in the cache directory.

    Files already there (same sources, same compiler) are reused; new ones are written to a
    temporary name and renamed, so that parallel test workers never read half a file."""
    out_dir = _cache_dir()
    paths = []
    for source in libc_sources():
        target = out_dir / (source.stem + ".s")
        if not target.exists():
            try:
                asm = compile_c(source.read_text(), str(source), include_paths=[str(INCLUDE_DIR)],
                                std="c99", opt_level=LIBC_OPT_LEVEL)  # fmt: skip
            except CompileError as e:
                raise LibraryBuildError(f"runtime/libc/{source.name}:\n{e}") from None
            temporary = target.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(asm)
            os.replace(temporary, target)
        paths.append(target)
    return tuple(paths)


def runtime_assembly_files() -> list[Path]:
    """Every assembly file of the runtime: the hand-written ones and the compiled C library
    (what GNU as and ld need to build a program with our runtime)."""
    return [RUNTIME_DIR / name for name in ASM_FILES] + list(compiled_libc())


@functools.cache
def _assembled() -> tuple[ObjectFile, ...]:
    return tuple(assemble(path.read_text(), f"runtime/{path.name}")
                 for path in runtime_assembly_files())  # fmt: skip


def runtime_objects() -> list[ObjectFile]:
    """The assembled runtime, one ObjectFile per source file (cached: do not modify them)."""
    return list(_assembled())


def __getattr__(name: str):
    # RUNTIME_FILES (names under RUNTIME_DIR; the compiled C as absolute paths, which
    # `RUNTIME_DIR / name` keeps) is computed on first use: it compiles the library.
    if name == "RUNTIME_FILES":
        return [str(path) for path in runtime_assembly_files()]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
