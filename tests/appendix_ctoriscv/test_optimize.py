"""The -O1 middle end, pass by pass (book: the optimizer page): SSA construction and
destruction, constant folding, copy propagation, dead code elimination, CSE, strength reduction,
inlining, loop constants. Hand-written IR goes in and the expected IR, worked out by hand, must
come out; where a pass changes what a C program computes, the program is also run at -O1 and
compared with the host's gcc.
"""

import re
from pathlib import Path

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.cfg import immediate_dominators, natural_loops, simplify_cfg
from appendix_ctoriscv.copyprop import propagate_copies
from appendix_ctoriscv.cse import eliminate_common_subexpressions
from appendix_ctoriscv.dce import eliminate_dead_code
from appendix_ctoriscv.fold import fold_constants
from appendix_ctoriscv.hoist import hoist_loop_constants, loop_blocks
from appendix_ctoriscv.inline import inline_small_functions
from appendix_ctoriscv.ir import format_function, parse_function
from appendix_ctoriscv.ivsr import reduce_induction_variables
from appendix_ctoriscv.licm import hoist_loop_invariants
from appendix_ctoriscv.main import compile_executable, compile_source, main
from appendix_ctoriscv.optimize import optimize
from appendix_ctoriscv.ssa import from_ssa, to_ssa
from appendix_ctoriscv.strength import reduce_strength

pytestmark = pytest.mark.sec_a_12
C_DIR = Path(__file__).parent / "c"


def ir(text: str):
    return parse_function(text)


def same(fn, expected: str) -> bool:
    return format_function(fn).strip() == parse_and_format(expected)


def parse_and_format(text: str) -> str:
    return format_function(parse_function(text)).strip()


def lowered(source: str, name: str = "f"):
    return next(fn for fn in compile_source(source, "t.c").ir if fn.name == name)


def run_both(source: str, native_run):
    """(ours at -O1, gcc): (exit code, stdout) of each."""
    _, elf = compile_executable(source, "t.c", include_paths=[str(C_DIR)], opt_level=1)
    result = emu.run(elf, max_steps=20_000_000)
    return (result.exit_code, result.stdout), native_run(source, flags=[f"-I{C_DIR}"])


# *** the control-flow graph ***

DIAMOND = """
function f(%1):
entry:
  br %1, left, right
left:
  jmp join
right:
  jmp join
join:
  br %1, entry2, done
entry2:
  jmp join
done:
  ret %1
"""


def test_dominators_by_hand():
    fn = ir(DIAMOND)
    # entry reaches left, right and join; join is reached through either side, so only entry
    # dominates it; entry2 and done are reached through join only; entry2 -> join is a loop
    assert immediate_dominators(fn) == {"entry": "entry", "left": "entry", "right": "entry",
                                        "join": "entry", "entry2": "join", "done": "join"}
    assert natural_loops(fn) == {"join": {"join", "entry2"}}


def test_simplify_cfg_jumps_past_empty_blocks_and_merges():
    fn = ir(DIAMOND)
    simplify_cfg(fn)
    # by hand: left and right only jump, so entry branches to join directly (both ways: a jmp);
    # join is then entry's only successor with entry2's back edge, so it stays a block
    assert format_function(fn) == parse_and_format("""
function f(%1):
entry:
  jmp join
join:
  br %1, join, done
done:
  ret %1
""")


# *** SSA ***


def test_to_ssa_puts_a_phi_where_a_loop_variable_changes():
    fn = lowered("int f(int n) { int s = 0, i; for (i = 0; i < n; i++) s += i; return s; }")
    to_ssa(fn)
    text = format_function(fn)
    assert not fn.slots and "load" not in text and "store" not in text
    test_block = next(b for b in fn.blocks if b.name.startswith("test"))
    # two variables change in the loop, s and i: two phis at the join before the test
    assert [i.op for i in test_block.instrs].count("phi") == 2
    assert all(sorted(i.incoming) == sorted(fn.predecessors()[test_block.name])
               for i in test_block.instrs if i.op == "phi")  # fmt: skip


def test_to_ssa_leaves_a_variable_whose_address_escapes_in_memory():
    fn = lowered("void g(int *p); int f(void) { int x = 1, y = 2; g(&x); return x + y; }")
    to_ssa(fn)
    assert list(fn.slots) == ["$x"]  # y became a temporary, x must stay in memory
    assert "load.i32" in format_function(fn)


def test_from_ssa_keeps_parallel_phis_apart():
    """The swap problem: a = b, b = a at once; copies made one after the other would lose a."""
    fn = ir("""
function f(%1, %2, %3):
entry:
  jmp loop
loop:
  %4 = phi %1 [entry], %5 [loop]
  %5 = phi %2 [entry], %4 [loop]
  %6 = phi %3 [entry], %7 [loop]
  %7 = sub %6, 1
  br %7, loop, done
done:
  ret %4
""")
    from_ssa(fn)
    # worked by hand: each phi reads its operand into a fresh temporary at the end of the
    # predecessor, and only then takes it; the back edge loop -> loop is critical (loop has two
    # successors and two predecessors), so its copies get a block of their own
    assert same(fn, """
function f(%1, %2, %3):
entry:
  %8 = mov %1
  %9 = mov %2
  %10 = mov %3
  jmp loop
loop.to.loop.1:
  %8 = mov %5
  %9 = mov %4
  %10 = mov %7
  jmp loop
loop:
  %4 = mov %8
  %5 = mov %9
  %6 = mov %10
  %7 = sub %6, 1
  br %7, loop.to.loop.1, done
done:
  ret %4
""")


def test_swapping_variables_in_a_loop_matches_gcc(native_run):
    source = ('#include "test.h"\nint main() { int a = 1, b = 2, t, i;\n'
              "  for (i = 0; i < 5; i++) { t = a; a = b; b = t + a; }\n"
              "  print_int(a); putchar(32); print_int(b); putchar(10); return a; }\n")
    ours, gcc = run_both(source, native_run)
    assert ours == gcc


# *** constant folding ***


def test_fold_computes_and_propagates():
    fn = ir("""
function f(%1):
entry:
  %2 = add 2, 3
  %3 = mul %2, 4
  %4 = div -7, 2
  %5 = shru -1, 28
  %6 = conv.i8 200
  %7 = add %1, %3
  ret %7
""")
    assert fold_constants(fn)
    eliminate_dead_code(fn)
    # by hand: 5 * 4 = 20; -7 / 2 truncates to -3; 0xffffffff >> 28 = 15; (signed char)200 = -56
    assert same(fn, "function f(%1):\nentry:\n  %7 = add %1, 20\n  ret %7")


def test_fold_leaves_division_by_zero_to_run_time():
    fn = ir("function f():\nentry:\n  %1 = div 1, 0\n  %2 = rem -2147483648, -1\n"
            "  %3 = add %1, %2\n  ret %3")
    fold_constants(fn)
    assert [i.op for i in fn.blocks[0].instrs] == ["div", "rem", "add", "ret"]


def test_fold_decides_a_branch_and_drops_the_dead_side():
    fn = ir("""
function f(%1):
entry:
  %2 = lt 1, 2
  br %2, yes, no
yes:
  jmp done
no:
  jmp done
done:
  %3 = phi 7 [yes], %1 [no]
  ret %3
""")
    fold_constants(fn)
    assert [b.name for b in fn.blocks] == ["entry", "yes", "done"]
    assert str(fn.blocks[-1].instrs[-1]) == "  ret 7"


def test_fold_takes_a_chain_in_one_round(monkeypatch):
    """A chain %2 = 1 + 1, %3 = %2 + 1, ... folds in one round, not one round per link (which
    made a long straight function take minutes)."""
    from appendix_ctoriscv import fold

    chain = "\n".join(f"  %{k} = add %{k - 1}, 1" for k in range(3, 500))
    fn = ir(f"function f():\nentry:\n  %2 = add 1, 1\n{chain}\n  ret %499")
    rounds = []
    monkeypatch.setattr(fold, "replace_uses", lambda fn, m: rounds.append(len(m)))
    fold_constants(fn)
    assert rounds == [498]  # one round folds them all (the next finds nothing and stops)
    assert str(fn.blocks[0].instrs[-1]) == "  ret 499"


def test_folded_constant_expressions_match_gcc(native_run, make_expressions):
    """Each random constant expression becomes one `ret` of its value, the value gcc prints."""
    exprs = make_expressions(seed=7, count=40)
    funcs = "\n".join(f"int f{k}(void) {{ return {e}; }}" for k, e in enumerate(exprs))
    calls = " ".join(f"print_int(f{k}()); putchar(10);" for k in range(len(exprs)))
    source = f'#include "test.h"\n{funcs}\nint main() {{ {calls} return 0; }}\n'
    _, expected = native_run(source, flags=[f"-I{C_DIR}"])
    functions = compile_source(source, "t.c", include_paths=[str(C_DIR)], opt_level=1).ir
    values = []
    for k in range(len(exprs)):
        (block,) = next(fn for fn in functions if fn.name == f"f{k}").blocks
        (ret,) = block.instrs
        values.append(ret.args[0])
    assert b"".join(b"%d\n" % v for v in values) == expected


# *** copy propagation, dead code, CSE ***


def test_copy_propagation_reads_the_source():
    fn = ir("function f(%1):\nentry:\n  %2 = mov %1\n  %3 = mov %2\n  %4 = add %3, %2\n"
            "  ret %4")
    assert propagate_copies(fn)
    assert same(fn, "function f(%1):\nentry:\n  %4 = add %1, %1\n  ret %4")


def test_dead_code_goes_and_side_effects_stay():
    fn = ir("""
function f(%1):
entry:
  %2 = add %1, 1
  %3 = mul %2, %2
  %4 = load.i32 %1
  %5 = addr @g
  store.i32 %5, %2
  %6 = call h
  ret %1
""")
    assert eliminate_dead_code(fn)
    # by hand: %3 and %4 are never read; the store needs %5 and %2; the call stays for itself
    assert same(fn, """
function f(%1):
entry:
  %2 = add %1, 1
  %5 = addr @g
  store.i32 %5, %2
  %6 = call h
  ret %1
""")


def test_cse_reuses_what_dominates_and_only_that():
    fn = ir("""
function f(%1, %2):
entry:
  %3 = add %1, %2
  %4 = load.i32 %1
  br %3, left, right
left:
  %5 = add %2, %1
  %6 = load.i32 %1
  store.i32 %1, 0
  %7 = load.i32 %1
  %8 = mul %1, 3
  jmp done
right:
  %9 = mul %1, 3
  jmp done
done:
  %10 = mul %1, 3
  %11 = add %5, %9
  ret %11
""")
    assert eliminate_common_subexpressions(fn)
    text = format_function(fn)
    assert "%5 =" not in text and "%11 = add %3, %9" in text  # a + b is b + a, and dominated
    assert "%7 = load.i32 %1" in text  # the store in between may change memory
    assert "%6 = load.i32 %1" in text  # loads merge only inside one block
    assert "%8 = mul" in text and "%9 = mul" in text  # siblings: neither dominates the other
    assert "%10 = mul" in text  # neither branch dominates the join


# *** strength reduction ***


def test_strength_reduction_rules_by_hand():
    fn = ir("""
function f(%1):
entry:
  %2 = mul %1, 8
  %3 = divu %1, 16
  %4 = remu %1, 32
  %5 = mul %1, 10
  %6 = add %1, 0
  %7 = mul %1, 7
  %8 = call g, %2, %3, %4, %5, %6, %7
  ret %8
""")
    assert reduce_strength(fn)
    propagate_copies(fn)
    text = format_function(fn)
    assert "%2 = shl %1, 3" in text and "%3 = shru %1, 4" in text and "%4 = and %1, 31" in text
    assert "mul" not in text and "divu" not in text and "remu" not in text
    assert "call g, %2, %3, %4, %5, %1, %7" in text  # x + 0 is x


def test_strength_reduced_arithmetic_matches_gcc(native_run):
    """x * c, x / 2^k, x % 2^k for negative and positive x, signed and unsigned, against gcc;
    and no call of the multiply or divide helpers is left."""
    xs = [0, 1, 7, -1, -7, 100, -100, 2147483647, -2147483647 - 1, 123456789, -99]
    ops = ["x * 2", "x * 10", "x * 7", "x * 12", "x / 4", "x % 8", "x / 1024", "x % 2",
           "(int)((unsigned)x / 8)", "(int)((unsigned)x % 64)", "x * 0", "x * 1", "x / 1",
           "x % 1", "(int)((unsigned)x % 1)", "x / 1073741824", "x % 1073741824", "x * 65537"]
    body = "\n".join(f"  print_int({op}); putchar(10);" for op in ops)
    source = (f'#include "test.h"\nvoid show(int x) {{\n{body}\n}}\n'
              f"int main() {{ {' '.join(f'show({x});' for x in xs)} return 0; }}\n")
    ours, gcc = run_both(source, native_run)
    assert ours == gcc
    asm = compile_source(source, "t.c", include_paths=[str(C_DIR)], opt_level=1).asm
    show = asm[asm.index("show:") : asm.index("main:")]
    assert "__mulsi3" not in show and "__divsi3" not in show and "__udivsi3" not in show


# *** inlining and loop constants ***


def test_a_small_function_is_inlined(native_run):
    source = ('#include "test.h"\nint max(int a, int b) { return a > b ? a : b; }\n'
              "int main() { int i, m = -5;\n"
              "  for (i = 0; i < 10; i++) m = max(m, (i * 7) % 5);\n"
              "  print_int(m); putchar(10); return m; }\n")
    functions = compile_source(source, "t.c", include_paths=[str(C_DIR)], opt_level=1).ir
    main_ir = format_function(next(fn for fn in functions if fn.name == "main"))
    assert "call max" not in main_ir
    ours, gcc = run_both(source, native_run)
    assert ours == gcc


def test_recursion_is_not_inlined():
    fn = lowered("int f(int n) { return n ? f(n - 1) : 0; }")
    to_ssa(fn)
    assert not inline_small_functions(fn, {"f": fn})


def test_loop_constants_are_loaded_once():
    fn = lowered("char a[5000]; void f(void) { int i; for (i = 0; i < 3000; i++) a[i] = 1; }")
    to_ssa(fn)
    for run in (fold_constants, propagate_copies, eliminate_dead_code):
        run(fn)
    assert hoist_loop_constants(fn)
    loops = loop_blocks(fn)
    assert loops and "entry" not in loops
    # by hand: the compare needs 3000 in a register (too big for slti), the store needs 1;
    # `i + 1` keeps its 1 as addi's immediate
    assert [(i.op, i.args) for i in fn.blocks[0].instrs[:2]] == [("mov", [1]), ("mov", [3000])]
    in_loops = [i for b in fn.blocks if b.name in loops for i in b.instrs]
    assert [i.op for i in in_loops if 3000 in i.args or 1 in i.args] == ["add"]


LOOP = """
function f(%1, %2):
entry:
  jmp test
body:
  %5 = addr @a
  %6 = mul %2, 80
  %7 = add %5, %6
  %8 = shl %4, 2
  %9 = add %7, %8
  %10 = load.i32 %9
  %11 = div %1, %2
  %3 = add %12, %10
  %13 = add %3, %11
  %14 = add %4, 1
  jmp test
test:
  %12 = phi 0 [entry], %13 [body]
  %4 = phi 0 [entry], %14 [body]
  %15 = lt %4, %2
  br %15, body, done
done:
  ret %12
"""


def test_licm_moves_what_does_not_change_in_the_loop():
    fn = ir(LOOP)
    assert hoist_loop_invariants(fn)
    # by hand: the row address a + %2 * 80 depends on nothing the loop changes; the division
    # might fault (it is not moved), the load reads memory, the rest depends on %4 or %12
    assert [str(i) for i in fn.blocks[0].instrs] == [
        "  %5 = addr @a", "  %6 = mul %2, 80", "  %7 = add %5, %6", "  jmp test"]
    assert [i.dst for i in fn.block("body").instrs] == [
        "%8", "%9", "%10", "%11", "%3", "%13", "%14", None]


def test_ivsr_turns_the_scaled_index_into_a_pointer_that_steps():
    fn = ir(LOOP)
    hoist_loop_invariants(fn)
    assert reduce_induction_variables(fn)
    text = format_function(fn)
    # by hand: p = phi(%7 + 0 * 4, p + 1 * 4) replaces %9 = %7 + (%4 << 2)
    assert "%16 = mul 0, 4\n  %17 = add %7, %16\n  jmp test" in text
    assert "%18 = phi %17 [entry], %19 [body]" in text
    assert "%10 = load.i32 %18" in text and "%19 = add %18, 4\n  jmp test" in text
    for run in (fold_constants, reduce_strength, propagate_copies, eliminate_dead_code):
        run(fn)
    body = [i.op for i in fn.block("body").instrs]
    assert "shl" not in body and body.count("add") == 4  # %3, %13, i + 1 and p + 4


def test_loop_optimisations_in_a_matrix_product_match_gcc(native_run):
    source = ('#include "test.h"\nint a[6][7], b[7][5];\n'
              "int main() { int i, j, k, s, t = 0;\n"
              "  for (i = 0; i < 6; i++) for (j = 0; j < 7; j++) a[i][j] = i * 3 - j;\n"
              "  for (i = 0; i < 7; i++) for (j = 0; j < 5; j++) b[i][j] = i + j * j;\n"
              "  for (i = 0; i < 6; i++) for (j = 0; j < 5; j++) {\n"
              "    for (s = 0, k = 0; k < 7; k++) s += a[i][k] * b[k][j];\n"
              "    t = t * 7 + s; }\n"
              "  for (k = 6; k >= 0; k -= 2) t += a[5][k];\n"
              "  print_int(t); putchar(10); return 0; }\n")
    ours, gcc = run_both(source, native_run)
    assert ours == gcc


# *** the pipeline ***


def test_dump_passes_shows_the_ir_after_each_pass(tmp_path, capsys):
    src = tmp_path / "p.c"
    src.write_text("int main() { int x = 2; int y = x * 8; return y + 1; }\n")
    assert main([str(src), "--dump-passes"]) == 0
    out = capsys.readouterr().out
    titles = re.findall(r"^; after (.+)$", out, re.M)
    assert titles[:2] == ["lowering", "ssa"] and "fold" in titles and titles[-1] == "out of ssa"
    assert out.rstrip().endswith("ret 17")  # 2 * 8 + 1, folded


def test_optimize_leaves_no_phi_for_the_register_allocator():
    functions = compile_source((C_DIR / "control.c").read_text(), "control.c",
                               include_paths=[str(C_DIR)]).ir  # fmt: skip
    optimize(functions)
    assert all(i.op != "phi" for fn in functions for i in fn.instructions())


BENCH = Path(__file__).parents[2] / "bench" / "programs"


@pytest.mark.parametrize("program", sorted(p.name for p in BENCH.glob("*.c")))
def test_benchmark_programs_match_gcc_at_both_levels(program, native_run):
    """bench/appendix_codegen.py counts instructions of these: they must compute what gcc's do."""
    source = (BENCH / program).read_text()
    expected = native_run(source)
    for level in (0, 1):
        _, elf = compile_executable(source, program, opt_level=level)
        result = emu.run(elf, max_steps=50_000_000)
        assert (result.exit_code, result.stdout) == expected, f"-O{level}"


ASSETS = Path(__file__).parents[2] / "book" / "assets" / "appendix_ctoriscv"


def book_listings() -> dict[str, str]:
    """What the optimizer page shows for sum.c: the IR as lowered, in SSA form after the
    passes, and the -O1 assembly."""
    from appendix_ctoriscv.main import compile_c
    from appendix_ctoriscv.optimize import PASSES

    source = (ASSETS / "sum.c").read_text()
    fn = lowered(source, "sum")
    listings = {"sum.ir.txt": format_function(fn)}
    to_ssa(fn)
    listings["sum.ssa.txt"] = format_function(fn)
    while any([run(fn) for _, run in PASSES]):  # every pass, until a round changes nothing
        pass
    listings["sum.opt.txt"] = format_function(fn)
    listings["sum.O1.s"] = compile_c(source, "sum.c", opt_level=1).rstrip("\n")
    return listings


@pytest.mark.parametrize("name", ["sum.ir.txt", "sum.ssa.txt", "sum.opt.txt", "sum.O1.s"])
def test_book_listings_are_what_the_optimizer_prints(name):
    """Golden files: a change in lowering, SSA, the passes or codegen fails here."""
    assert book_listings()[name] + "\n" == (ASSETS / name).read_text()
