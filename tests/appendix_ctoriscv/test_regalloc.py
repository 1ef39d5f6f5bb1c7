"""Register allocation at -O1 (book: the optimizer page): liveness by hand, the allocation's
invariants on real programs (no two live temporaries share a register, values live across a
call sit in callee-saved registers), spilling under pressure against gcc, and the code it
saves against -O0.
"""

import random
from pathlib import Path

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.codegen import CALLEE_SAVED
from appendix_ctoriscv.ir import parse_function
from appendix_ctoriscv.main import compile_executable, compile_source
from appendix_ctoriscv.optimize import optimize
from appendix_ctoriscv.regalloc import coalesce, intervals, linear_scan, liveness

pytestmark = pytest.mark.sec_a_13
C_DIR = Path(__file__).parent / "c"
BENCH = Path(__file__).parents[2] / "bench" / "programs"

LOOP = """
function f(%1, %2):
entry:
  %3 = mov 0
  %4 = mov 0
  jmp test
body:
  %5 = shl %4, 2
  %6 = add %1, %5
  %7 = load.i32 %6
  %3 = add %3, %7
  %4 = add %4, 1
  jmp test
test:
  %8 = lt %4, %2
  br %8, body, done
done:
  ret %3
"""


def test_liveness_of_a_loop_by_hand():
    fn = parse_function(LOOP)
    live_in, live_out = liveness(fn)
    # worked by hand: the pointer %1, the bound %2, the sum %3 and the index %4 are all live
    # around the loop; %5-%8 die inside their block; after the loop only the sum is needed
    assert live_in == {"entry": {"%1", "%2"}, "body": {"%1", "%2", "%3", "%4"},
                       "test": {"%1", "%2", "%3", "%4"}, "done": {"%3"}}  # fmt: skip
    assert live_out["entry"] == live_out["body"] == {"%1", "%2", "%3", "%4"}
    assert live_out["test"] == {"%1", "%2", "%3", "%4"} and live_out["done"] == set()


def test_linear_scan_gives_the_loop_registers_without_spills():
    fn = parse_function(LOOP)
    where = linear_scan(fn)
    temps = {f"%{k}" for k in range(1, 9)}
    assert set(where) == temps  # eight temporaries, at most six live at once: no spill
    span, _ = intervals(fn)
    for a in temps:
        for b in temps:
            if a < b and where[a] == where[b]:  # a register is shared only by disjoint lives
                assert span[a][1] <= span[b][0] or span[b][1] <= span[a][0]


def test_coalescing_removes_the_copies_of_a_phi():
    source = "int f(int n) { int s = 0, i; for (i = 0; i < n; i++) s += i; return s; }"
    functions = compile_source(source, "t.c").ir
    optimize(functions)
    (fn,) = functions
    copies = sum(i.op == "mov" for i in fn.instructions())
    coalesce(fn)
    # from_ssa made a copy into and out of each phi (s and i, from two predecessors each);
    # none of the pairs interferes, so only the copies of the constant 0 remain
    assert copies > 2 and [i.args for i in fn.instructions() if i.op == "mov"] == [[0], [0]]


@pytest.mark.parametrize("program", sorted(p.name for p in BENCH.glob("*.c")))
def test_no_two_live_temporaries_share_a_register(program):
    functions = compile_source((BENCH / program).read_text(), program).ir
    optimize(functions)
    for fn in functions:
        coalesce(fn)
        where = linear_scan(fn)
        span, calls = intervals(fn)
        by_reg: dict[str, list[str]] = {}
        for t, reg in where.items():
            by_reg.setdefault(reg, []).append(t)
            if any(span[t][0] < c < span[t][1] for c in calls):
                assert reg in CALLEE_SAVED, f"{fn.name}: {t} lives across a call in {reg}"
        for reg, temps in by_reg.items():
            lives = sorted(span[t] for t in temps)
            for (_, end), (start, _) in zip(lives, lives[1:]):
                assert end <= start, f"{fn.name}: {reg} holds two live temporaries"


def test_spilling_under_register_pressure_matches_gcc(native_run):
    """Forty values live at once: more than the registers, so some live in the frame."""
    rng = random.Random(5)
    n = 40
    decls = " ".join(f"int v{k} = x * {rng.randint(2, 99)} + {k};" for k in range(n))
    total = " ^ ".join(f"(v{k} << {k % 7})" for k in range(n))
    source = (f'#include "test.h"\nint f(int x) {{ {decls} g(); return {total}; }}\n'
              "int calls;\nvoid g(void) { calls++; }\n"
              "int main() { int i; for (i = -3; i < 4; i++) { print_int(f(i)); putchar(10); }"
              " return calls; }\n")
    source = source.replace('#include "test.h"\n', '#include "test.h"\nvoid g(void);\n')
    result, elf = compile_executable(source, "t.c", include_paths=[str(C_DIR)], opt_level=1)
    f = next(fn for fn in result.ir if fn.name == "f")
    temps = {i.dst for i in f.instructions() if i.dst}
    assert len(linear_scan(f)) < len(temps)  # some of them were spilled
    ours = emu.run(elf)
    assert (ours.exit_code, ours.stdout) == native_run(source, flags=[f"-I{C_DIR}"])


def test_o1_keeps_values_in_registers():
    source = (BENCH / "sieve.c").read_text()
    o0 = compile_source(source, "sieve.c").asm
    o1 = compile_source(source, "sieve.c", opt_level=1).asm
    memory = lambda asm: sum(line.split()[0] in ("lw", "sw", "lbu", "sb")  # noqa: E731
                             for line in asm.splitlines() if line.startswith("\t"))  # fmt: skip
    assert memory(o1) * 4 < memory(o0)
