"""The driver: `python -m appendix_ctoriscv prog.c [-S] [-o OUT] [--run] [--dump-*]`.

It runs the stages in order (pipeline.py: tokenize, preprocess, parse with add_type, lower to
IR, at -O1 the optimizer and the register allocator, codegen), then hands the assembly to
asm.py, links it with the runtime into an ELF32 executable and, with --run, runs that on the
emulator and exits with the program's exit code. Diagnostics go to stderr as
`file:line:col: error: message`; an invalid program writes no output file.
"""

from __future__ import annotations

import argparse
import io
import os
import sys

from appendix_ctoriscv import emu
from appendix_ctoriscv.asm import AssemblerError, assemble
from appendix_ctoriscv.defs import Node, Obj, SourceFile, Token, TypeKind
from appendix_ctoriscv.errors import CompileError, Diagnostics
from appendix_ctoriscv.ir import format_ir
from appendix_ctoriscv.lex import SOURCE_BYTES, decode_source, read_source
from appendix_ctoriscv.link import LinkError, link
from appendix_ctoriscv.optimize import pass_dump
from appendix_ctoriscv.pipeline import (  # noqa: F401 (re-exported: the driver's API)
    RECURSION_LIMIT,
    Compilation,
    compile_c,
    compile_source,
    deep_recursion,
)
from appendix_ctoriscv.runtime import runtime_objects
from appendix_ctoriscv.type import type_name

# *** 1. building and linking (the stages are in pipeline.py) ***


def build_executable(asm: str, filename: str = "<asm>") -> bytes:
    """Assembly text -> an ELF32 executable linked with the runtime (crt0, libgcc helpers, libc)."""
    return link([assemble(asm, filename)], library=runtime_objects())


def compile_executable(
    text: str, filename: str = "<stdin>", include_paths=(), std: str = "c99", opt_level: int = 0
) -> tuple[Compilation, bytes]:
    """C source text -> (the compilation, an ELF32 executable).

    Raises CompileError for an invalid program, LinkError for a function defined nowhere.
    """
    result = compile_source(text, filename, include_paths, std, opt_level)
    return result, build_executable(result.asm, os.path.splitext(filename)[0] + ".s")


# *** 2. dumps ***


def format_tokens(tokens: list[Token]) -> str:
    return "\n".join(f"{t.line}:{t.col}\t{t.kind.name}\t{t.text}" for t in tokens)


def format_node(node: Node, indent: int = 0, lines: list[str] | None = None) -> list[str]:
    """One line per node, children indented: `ADD int` then its operands (appended to `lines`,
    not concatenated: that would take time quadratic in the depth)."""
    lines = [] if lines is None else lines
    what = node.kind.name
    if node.kind.name == "NUM":
        what += f" {node.val}"
    elif node.var is not None:
        what += f" {node.var.name or '<tmp>'}"
    elif node.func_name:
        what += f" {node.func_name}"
    elif node.label:
        what += f" {node.label}"
    if node.ty is not None:
        what += f" : {type_name(node.ty)}"
    lines.append("  " * indent + what)
    for name in ("cond", "init", "lhs", "rhs", "then", "els", "inc"):
        child = getattr(node, name)
        if child is not None:
            format_node(child, indent + 1, lines)
    for child in node.body + node.args:
        format_node(child, indent + 1, lines)
    return lines


def format_ast(program: list[Obj]) -> str:
    lines = []
    for obj in program:
        if obj.ty.kind == TypeKind.FUNC and obj.body is not None:
            params = ", ".join(f"{type_name(p.ty)} {p.name}" for p in obj.params)
            lines.append(f"function {obj.name}({params}) -> {type_name(obj.ty.return_ty)}")
            format_node(obj.body, 1, lines)
        elif obj.ty.kind != TypeKind.FUNC and obj.is_definition:
            lines.append(f"global {obj.asm_name} : {type_name(obj.ty)}")
    return "\n".join(lines)


# *** 3. the command line ***


MAX_STEPS = 10_000_000_000  # generous: minutes of emulation, but an endless loop still ends


def step_count(text: str) -> int:
    """--max-steps's argument: a whole number of instructions, 0 or more."""
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of instructions, got '{text}'")
    return int(text)


def make_arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m appendix_ctoriscv",
        description="Compile a C89 program to RISC-V RV32I; assemble, link and run it.",
    )
    p.add_argument("file", help="the C source file ('-' for standard input)")
    p.add_argument("-S", action="store_true", help="write assembly (prog.s), do not assemble")
    p.add_argument("-o", metavar="OUT", help="output file (default: prog.s with -S, else a.out)")
    p.add_argument("--run", action="store_true", help="compile and run on the emulator")
    p.add_argument("--dump-tokens", action="store_true", help="print the tokens and stop")
    p.add_argument("--dump-ast", action="store_true", help="print the syntax tree and stop")
    p.add_argument("--dump-ir", action="store_true",
                   help="print the IR as codegen sees it (optimised at -O1) and stop")
    p.add_argument("--dump-passes", action="store_true",
                   help="print the IR after lowering and after each -O1 pass, and stop")
    p.add_argument("-O", dest="opt_level", type=int, choices=[0, 1], default=0,
                   help="optimisation level: -O0 (default) or -O1")
    p.add_argument("-std", choices=["c89", "c90", "c99"], default="c99", help="language level")
    p.add_argument("-I", dest="include", action="append", default=[], metavar="DIR",
                   help="add DIR to the #include search path")
    p.add_argument("--max-steps", type=step_count, default=MAX_STEPS, metavar="N",
                   help=f"stop the emulated program after N instructions (default {MAX_STEPS})")
    return p


def main(argv: list[str] | None = None) -> int:
    args = make_arg_parser().parse_args(argv)
    std = "c89" if args.std in ("c89", "c90") else "c99"
    try:
        if args.file == "-":
            text, filename = decode_source(sys.stdin.buffer.read()), "<stdin>"
        else:
            text, filename = read_source(args.file), args.file
    except OSError as e:
        print(f"error: {args.file}: {e.strerror}", file=sys.stderr)
        return 1
    try:
        level = 0 if args.dump_passes else args.opt_level  # the passes run again for the dump
        result = compile_source(text, filename, args.include, std, level)
        for warning in result.warnings:  # before a link error, as gcc's come before ld's
            print(warning.render(), file=sys.stderr)
        if args.S or args.dump_tokens or args.dump_ast or args.dump_ir or args.dump_passes:
            elf = b""
        else:
            elf = build_executable(result.asm, os.path.splitext(filename)[0] + ".s")
    except CompileError as e:
        print(e, file=sys.stderr)
        n = len(e.errors)
        print(f"{n} error{'s' if n != 1 else ''} generated.", file=sys.stderr)
        return 1
    except LinkError as e:  # e.g. a function that is declared but defined nowhere
        print(f"{filename}: error: {e}", file=sys.stderr)
        return 1
    except AssemblerError as e:  # our own output did not assemble: a bug in this compiler
        print(f"{filename}: internal compiler error: {e}", file=sys.stderr)
        return 2
    if args.dump_tokens:
        sys.stdout.flush()  # then the tokens as the source's bytes, UTF-8 or not
        sys.stdout.buffer.write((format_tokens(result.tokens) + "\n").encode(*SOURCE_BYTES))
        return 0
    if args.dump_ast or args.dump_ir or args.dump_passes:
        try:
            with deep_recursion(SourceFile(filename, text), Diagnostics()):
                if args.dump_ast:
                    dump = format_ast(result.program)
                elif args.dump_ir:
                    dump = format_ir(result.ir)
                else:
                    dump = "; after lowering\n" + format_ir(result.ir) + "\n\n" + pass_dump(
                        result.ir)
        except CompileError as e:
            print(e, file=sys.stderr)
            return 1
        print(dump)
        return 0
    if args.S and args.o == "-":
        sys.stdout.write(result.asm)
        return 0
    if args.run and not args.S:  # -S stops before there is an executable to run
        return run_executable(elf, args.max_steps)
    stem = os.path.splitext(os.path.basename(filename))[0]
    out = args.o or (f"{stem}.s" if args.S else "a.out")
    try:
        write_output(out, result.asm.encode() if args.S else elf, executable=not args.S)
    except OSError as e:
        print(f"error: cannot write {out}: {e.strerror}", file=sys.stderr)
        return 1
    return 0


def write_output(path: str, data: bytes, executable: bool) -> None:
    """Write the assembly or the executable; an executable gets its x bits, as from `cc`."""
    with open(path, "wb") as f:
        f.write(data)
    if executable:
        os.chmod(path, 0o755)


def run_executable(elf: bytes, max_steps: int) -> int:
    """Run on the emulator with this process's stdin, stdout and stderr; its exit code.

    Where sys.stdout or sys.stderr is a text stream without bytes underneath (a notebook's),
    the program's output is collected and written to it as text when the program ends."""
    stdin = getattr(sys.stdin, "buffer", None) or b""  # read only if the program reads
    out = getattr(sys.stdout, "buffer", None) or io.BytesIO()
    err = getattr(sys.stderr, "buffer", None) or io.BytesIO()
    try:
        result = emu.run(elf, stdin, out, max_steps=max_steps, stderr=err)
        code, message = result.exit_code, None
    except (emu.StepLimitExceeded, emu.EmulatorFault) as e:
        code, message = 139, f"emulator: {e}"
    for stream, collected in ((sys.stdout, out), (sys.stderr, err)):
        if isinstance(collected, io.BytesIO):
            stream.write(collected.getvalue().decode("utf-8", "replace"))
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader is gone: send the rest nowhere, as Python advises
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 128 + emu.SIGPIPE
    if message:
        print(message, file=sys.stderr)
    return code
