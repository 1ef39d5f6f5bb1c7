"""One block of a region -> Python lines, with the fast paths that what it knows allows.

blocks.py translates every instruction the same way: its SEMANTICS line, each load and store a
call that checks the address. regions.py runs hot code many times, so it spends some thought on
each block first. Three facts make most of compiled code cheaper:

* Base registers. Every register holds, at any point of a block, either an unknown value, a
  constant (from lui, auipc, li), or its *origin* plus an offset: the value some register had
  when the block was entered, moved by addi. `addi s0, sp, 16` then `lw a0, -12(s0)` reads at
  sp + 4 of the block's entry. All accesses off one origin are checked at once, on entry: one
  *guard* per origin (in the stack or in the static data, and aligned), after which each is a
  bare `mv[w2 + 1]`. If a guard fails the block runs its *slow* version, with a check at every
  access, which faults where the plain emulator would.
* No wrap-around. An origin that passed its guard lies in a known interval, so `addi` on it
  cannot leave 0..2**32-1 and needs no `& M`; elsewhere a compare and a rare fix-up replace the
  mask (Python's `&` on a 32-bit mask costs more than the addition itself).
* Values already in registers. A load that reads back a word the same block stored (the -O0
  code's store of every temporary and load of it at once) becomes a copy, and a copy or a
  constant whose register is written again before it is read is dropped.

block_code(instrs, layout) -> BlockCode: the guard, the fast and slow lines, and how it ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from appendix_ctoriscv import isa
from appendix_ctoriscv.blocks import BRANCHES, SEMANTICS, M, S, _operands

WIDTH = {"lw": 4, "sw": 4, "lh": 2, "lhu": 2, "sh": 2, "lb": 1, "lbu": 1, "sb": 1}
STORES = {"sw", "sh", "sb"}


@dataclass(frozen=True)
class Layout:
    """The address ranges where inline accesses are always legal (for this machine's whole
    run): the stack lo..hi, the static data dlo..dhi (up to the initial break), and, for loads,
    the read-only segment rlo..rhi. Each is [start, end)."""

    lo: int
    hi: int
    dlo: int
    dhi: int
    rlo: int
    rhi: int

    def fits(self, address: int, size: int, store: bool) -> bool:
        """Whether `size` bytes at `address` are in the static data (or, for a load, in the
        read-only segment): the ranges `mv` and `ram` serve."""
        end = address + size
        return self.dlo <= address and end <= self.dhi or \
            not store and self.rlo <= address and end <= self.rhi  # fmt: skip


class Op(NamedTuple):
    """Python lines for one step, the names it reads and writes, and whether it does nothing
    else (then it is dropped when no one reads what it writes)."""

    lines: list[str]
    reads: frozenset[str]
    writes: frozenset[str]
    pure: bool


# Cheaper forms of SEMANTICS lines (the same results): a compare and a fix-up instead of `& M`;
# signed order from unsigned compares, without an xor on numbers above 2**30 (slow in CPython).
FIX_UP = "if {rd} > 0xFFFFFFFF: {rd} -= 0x100000000"
FIX_DOWN = "if {rd} < 0: {rd} += 0x100000000"
SIGNED_LT = "({a} < {b} if ({a} < 0x80000000) == ({b} < 0x80000000) else {a} > {b})"
SIGNED_GE = "({a} >= {b} if ({a} < 0x80000000) == ({b} < 0x80000000) else {a} < {b})"


def signed_less(a: str, b: str) -> str:
    """Python for `a < b` on 32-bit two's complement numbers held as unsigned ints; a and b
    are local names, or constants (which start with 0)."""
    if b == "0":
        return f"{a} > 0x7FFFFFFF"
    if a == "0":
        return f"0 < {b} < 0x80000000"
    if b[0] == "0":
        c = int(b, 0)
        return f"({a} < {b} or {a} > 0x7FFFFFFF)" if c < S else f"0x7FFFFFFF < {a} < {b}"
    if a[0] == "0":
        c = int(a, 0)
        return f"{a} < {b} < 0x80000000" if c < S else f"({b} > {a} or {b} < 0x80000000)"
    return SIGNED_LT.format(a=a, b=b)


def branch_condition(d: isa.Decoded, f: dict[str, str]) -> str:
    """Python for the condition under which branch `d` is taken; f names its operands."""
    a, b = f["rs1"], f["rs2"]
    if d.name == "blt":
        return signed_less(a, b)
    if d.name == "bge":
        return f"not ({signed_less(a, b)})" if "0" in (a[0], b[0]) else SIGNED_GE.format(a=a, b=b)
    return BRANCHES[d.name].format(**f)


def alu_lines(d: isa.Decoded, f: dict[str, str]) -> list[str]:
    """An ALU instruction with rd != x0, in its cheapest general form."""
    rd, a, b = f["rd"], f["rs1"], f["rs2"]
    if d.name == "addi" and d.imm > 0:
        return [f"{rd} = {a} + {d.imm}", FIX_UP.format(rd=rd)]
    if d.name == "addi" and d.imm < 0:
        return [f"{rd} = {a} - {-d.imm}", FIX_DOWN.format(rd=rd)]
    if d.name == "addi":
        return [f"{rd} = {a}"]
    if d.name == "add":
        return [f"{rd} = {a} + {b}", FIX_UP.format(rd=rd)]
    if d.name == "sub":
        return [f"{rd} = {a} - {b}", FIX_DOWN.format(rd=rd)]
    if d.name == "slt":
        return [f"{rd} = 1 if {signed_less(a, b)} else 0"]
    if d.name == "slti" and d.imm >= 0:
        return [f"{rd} = 1 if {a} < {d.imm} or {a} > 0x7FFFFFFF else 0"]
    if d.name == "slti":
        return [f"{rd} = 1 if 0x7FFFFFFF < {a} < {d.imm & M:#x} else 0"]
    if d.name == "srai":
        fill = (M << (32 - d.imm)) & M
        return [f"{rd} = {a} >> {d.imm} if {a} < 0x80000000 else {a} >> {d.imm} | {fill:#x}"]
    return [SEMANTICS[d.name].format(**f)]


# Loads and stores whose base is not known: an inline test of the two ranges that stay valid all
# run long (the stack, a list of words `stk`; the static data, in `mv` and `ram`), else the
# checked helper of emu.Memory. `a :=` keeps the unmasked address: it is in range only if no
# wrap-around happened, and the helper masks it.
# --8<-- [start:inline_memory]
IN_STACK = "{lo} <= (a := {rs1} + {imm}) <= {hi4} and not a & 3"
INLINE_MEMORY = {
    "lw": ["{rd} = stk[(a - {lo}) >> 2] if " + IN_STACK + " else mv[a >> 2] if "
           "{dlo} <= a <= {dhi4} and not a & 3 else lw(a & M, {pc})"],
    "sw": ["if " + IN_STACK + ":", "    stk[(a - {lo}) >> 2] = {rs2}",
           "elif {dlo} <= a <= {dhi4} and not a & 3:", "    mv[a >> 2] = {rs2}",
           "else:", "    sw(a & M, {rs2}, {pc})"],
    "lbu": ["{rd} = ram[a] if {dlo} <= (a := {rs1} + {imm}) < {dhi} else lbu(a & M, {pc})"],
    "sb": ["if {dlo} <= (a := {rs1} + {imm}) < {dhi}:", "    ram[a] = {rs2} & 0xFF",
           "else:", "    sb(a & M, {rs2}, {pc})"],
}  # fmt: skip
# Where the address is known to be legal: a guarded origin, or a constant in range. In the
# stack, a byte is a part of its word: the guard made the origin aligned, so which part is known.
DIRECT_MEMORY = {
    "lw": ["{rd} = mv[{word}]"],
    "lbu": ["{rd} = ram[{byte}]"],
    "lb": ["{rd} = ram[{byte}]", "if {rd} > 127: {rd} |= 0xFFFFFF00"],
    "sw": ["mv[{word}] = {rs2}"],
    "sb": ["ram[{byte}] = {rs2} & 0xFF"],
}
DIRECT_STACK = {
    "lw": ["{rd} = stk[{word}]"],
    "lbu": ["{rd} = stk[{word}] >> {shift} & 0xFF"],
    "lb": ["{rd} = stk[{word}] >> {shift} & 0xFF", "if {rd} > 127: {rd} |= 0xFFFFFF00"],
    "sw": ["stk[{word}] = {rs2}"],
    "sb": ["stk[{word}] = stk[{word}] & {keep} | ({rs2} & 0xFF) << {shift}"],
}
# --8<-- [end:inline_memory]


@dataclass
class Guard:
    """The accesses off one origin that its guard covers, in the stack or in the static data:
    offsets from the origin's entry value [low, high) in bytes, and `k0`, the offset of the
    first word access (all covered words are aligned alike: the guard checks that origin + k0
    is a multiple of 4; in the stack, the origin itself, so that bytes are parts of words)."""

    origin: int
    stack: bool
    low: int = 1 << 40
    high: int = -(1 << 40)
    k0: int | None = None
    covered: set[int] = field(default_factory=set)

    def bounds(self, layout: Layout) -> tuple[int, int]:
        """Where the origin's entry value lies once its guard passed (both ends included)."""
        lo, hi = (layout.lo, layout.hi) if self.stack else (layout.dlo, layout.dhi)
        return lo - self.low, hi - self.high

    def condition(self, layout: Layout) -> str:
        x, (first, last), base = f"x{self.origin}", self.bounds(layout), self.base()
        inside = f"{first:#x} <= {x} <= {last:#x}"
        if self.k0 is None and not self.stack:
            return inside
        return f"{inside} and not ({x} + {base}) & 3" if base else f"{inside} and not {x} & 3"

    def base(self) -> int:  # w<origin> is the word at origin + base
        return self.k0 % 4 if self.k0 is not None and not self.stack else 0

    def word(self, offset: int) -> str:
        """The index of the word that holds origin + offset, in stk or mv (a covered one)."""
        k = (offset - self.base()) >> 2
        return f"w{self.origin}" + (f" + {k}" if k > 0 else f" - {-k}" if k < 0 else "")

    def setup(self, layout: Layout) -> str:
        x, base = f"x{self.origin}", self.base()
        if self.stack:
            return f"w{self.origin} = ({x} - {layout.lo:#x}) >> 2"
        return f"w{self.origin} = ({x} + {base}) >> 2" if base else f"w{self.origin} = {x} >> 2"


class BlockCode(NamedTuple):
    """A block translated: the guards (none: `slow` is its only version), the lines to run
    when they all pass and those to run otherwise, and how it ends: ("branch", condition, taken
    pc, next pc), ("jump", target pc), ("indirect",) after `pc = <target>`, or ("fall", pc)."""

    guards: list[Guard]
    fast: list[str]
    slow: list[str]
    end: tuple


MIN_COVERED = 2  # accesses off one origin worth a guard (and a second version of the block)


# --8<-- [start:block_code]
def block_code(instrs: list[tuple[int, isa.Decoded]], layout: Layout,
               min_covered: int = MIN_COVERED, in_stack=lambda r: r == 2) -> BlockCode:
    """Translate one block of a region (its last instruction may be a branch or jump); an
    origin gets a guard if it covers at least `min_covered` accesses, for the stack where
    in_stack(register) says it most likely points there (sp always does), else for the data."""
    slow, end, accesses = emit(instrs, layout, {})
    guards: dict[int, Guard] = {}
    for i, origin, offset, width in accesses:
        guard = guards.setdefault(origin, Guard(origin, in_stack(origin)))
        if width == 4:
            if guard.k0 is None:
                guard.k0 = offset
            if (offset - guard.k0) % 4 or guard.stack and offset % 4:
                continue  # aligned differently from the first word: not covered
        guard.covered.add(i)
        guard.low, guard.high = min(guard.low, offset), max(guard.high, offset + width)
    guards = {o: g for o, g in guards.items() if len(g.covered) >= min_covered}
    if not guards:
        return BlockCode([], [], slow, end)
    fast, _, _ = emit(instrs, layout, guards)
    return BlockCode(list(guards.values()), fast, slow, end)
# --8<-- [end:block_code]


def emit(instrs, layout: Layout, guards: dict[int, Guard],
         no_wrap: frozenset[int] = frozenset()) -> tuple[list[str], tuple, list]:  # fmt: skip
    """The block's lines (with the accesses that `guards` cover made direct), its ending, and
    the accesses off origins it makes: [(index, origin, offset, width)] of lw, sw, lb, lbu, sb.
    `addi r, r, c` of a register in no_wrap needs no wrap-around: the caller knows it cannot."""
    constants = {"lo": hex(layout.lo), "hi": hex(layout.hi), "hi4": hex(layout.hi - 4),
                 "dlo": hex(layout.dlo), "dhi": hex(layout.dhi), "dhi4": hex(layout.dhi - 4)}
    origin = {r: (r, 0) for r in range(1, 32)}  # register -> (origin, offset)
    const = {0: 0}  # register -> its known value
    version = [0] * 32  # how often each register was written: a store's value is still there?
    stored: dict[tuple, tuple] = {}  # address key -> (store index, reg, its version, value)
    alias: dict[int, tuple[int, int]] = {}  # register -> (register, version) it is a copy of
    ops, accesses, end = [], [], None

    def name(r: int) -> str:
        """The cheapest Python for register r's value now: a constant, a copy's source, x<r>."""
        if r in const:
            return hex(const[r]) if const[r] else "0"
        if r in alias and version[alias[r][0]] == alias[r][1]:
            return f"x{alias[r][0]}"
        return f"x{r}"

    def write(rd: int, lines: list[str], reads: set[str], pure: bool = True,
              known: tuple[int, int] | None = None, value: int | None = None) -> None:
        ops.append(Op(lines, frozenset(reads), frozenset({f"x{rd}"}) if rd else frozenset(), pure))
        version[rd] += 1
        origin.pop(rd, None)
        const.pop(rd, None)
        alias.pop(rd, None)
        if len(reads) == 1 and lines == [f"x{rd} = {min(reads)}"]:  # a copy
            source = int(min(reads)[1:]) if min(reads)[0] == "x" else None
            if source is not None and source != rd:
                alias[rd] = (source, version[source])
        if known is not None:
            origin[rd] = known
        if value is not None:
            const[rd] = value

    for i, (pc, d) in enumerate(instrs):
        f = _operands(d, pc) | constants | {"rs1": name(d.rs1), "rs2": name(d.rs2)}
        rs1, rs2 = {f["rs1"]} - {"0"}, {f["rs2"]} - {"0"}
        rs1, rs2 = {n for n in rs1 if n[0] != "0"}, {n for n in rs2 if n[0] != "0"}
        if d.name in BRANCHES:
            ops.append(Op([], frozenset(rs1 | rs2), frozenset(), False))
            end = ("branch", branch_condition(d, f), (pc + d.imm) & M, pc + 4)
            break
        if d.name in ("jal", "jalr"):
            target = f"{f['rs1']} + {d.imm}" if d.imm else f["rs1"]
            lines = [f"pc = ({target}) & 0xFFFFFFFE"] if d.name == "jalr" else []
            ops.append(Op(lines, frozenset(rs1 if d.name == "jalr" else ()), frozenset(), False))
            if d.rd:  # after the target: rd may be rs1
                write(d.rd, [f"{f['rd']} = {pc + 4:#x}"], set(), value=pc + 4)
            end = ("jump", (pc + d.imm) & M) if d.name == "jal" else ("indirect",)
            break
        if d.name in WIDTH:
            width, store = WIDTH[d.name], d.name in STORES
            if not store and not d.rd:
                f["rd"] = "_"  # a load into x0 still faults on a bad address
            if d.rs1 in const:
                key, address = ("c", (const[d.rs1] + d.imm) & M), (const[d.rs1] + d.imm) & M
            elif d.rs1 in origin:
                o, offset = origin[d.rs1][0], origin[d.rs1][1] + d.imm
                key, address = (o, offset), None
                if width != 2:
                    accesses.append((i, o, offset, width))
            else:
                key = address = None
            if d.name == "lw" and key in stored:  # read back what this block stored there
                j, src, ver, value = stored[key]
                if value[0] == "0" and d.rd:  # a constant
                    write(d.rd, [f"{f['rd']} = {value}"], set(), value=int(value, 0))
                elif version[src] == ver and src != d.rd and d.rd:
                    source = name(src)
                    write(d.rd, [f"{f['rd']} = {source}"], {source} - {"0"} if source[0] == "x"
                          else set(), known=origin.get(src), value=const.get(src))  # fmt: skip
                elif version[src] != ver and d.rd:
                    write(d.rd, [f"{f['rd']} = f{j}"], {f"f{j}"})
                continue
            direct = None
            if address is not None and d.name in DIRECT_MEMORY and not address % width and \
                    layout.fits(address, width, store):  # fmt: skip
                direct = {"word": hex(address >> 2), "byte": hex(address)}
            elif key is not None and key[0] in guards and i in guards[key[0]].covered:
                guard, shift = guards[key[0]], (key[1] & 3) * 8
                byte = f"{f['rs1']} + {d.imm}" if d.imm else f["rs1"]
                direct = {"word": guard.word(key[1]), "byte": byte, "shift": shift,
                          "keep": hex(M ^ (0xFF << shift)), "stack": guard.stack}
            if direct is not None:
                table = DIRECT_STACK if direct.get("stack") else DIRECT_MEMORY
                lines = [s.format(**f, **direct) for s in table[d.name]]
            elif d.name in INLINE_MEMORY:
                lines = [s.format(**f).replace(" + 0)", ")") for s in INLINE_MEMORY[d.name]]
            else:
                lines = [SEMANTICS[d.name].format(**f)]
            if not store:
                if d.rd == 0 and direct is not None:
                    continue  # a legal load into x0: nothing happens
                if d.rd == 0:
                    ops.append(Op(lines, frozenset(rs1), frozenset(), False))
                else:
                    write(d.rd, lines, rs1, pure=False)
                continue
            ops.append(Op(lines, frozenset(rs1 | rs2), frozenset(), False))
            if d.name == "sw" and key is not None:  # other words of the same origin stay
                stored = {k: v for k, v in stored.items()
                          if k[0] == key[0] and abs(k[1] - key[1]) >= 4}  # fmt: skip
                stored[key] = (i, d.rs2, version[d.rs2], f["rs2"])
                if rs2:
                    ops.append(Op([f"f{i} = {f['rs2']}"], frozenset(rs2), frozenset({f"f{i}"}),
                                  True))  # fmt: skip
            else:
                stored = {}
            continue
        if not d.rd or d.name == "fence":
            continue  # nothing to do: x0 stays 0
        if d.name in ("lui", "auipc"):
            value = d.imm & M if d.name == "lui" else (pc + d.imm) & M
            write(d.rd, [f"{f['rd']} = {value:#x}"], set(), value=value)
        elif d.name == "addi" and d.rs1 in const:
            value = (const[d.rs1] + d.imm) & M
            write(d.rd, [f"{f['rd']} = {value:#x}"], set(), value=value)
        elif d.name == "addi" and d.rs1 in origin:
            o, offset = origin[d.rs1]
            known = (o, offset + d.imm)
            lines = alu_lines(d, f)
            if o in guards:  # no wrap-around possible: the guard bounds the origin
                low, high = guards[o].bounds(layout)
                if 0 <= low + known[1] and high + known[1] <= M:
                    lines = lines[:1]
            if d.rd == d.rs1 and d.rd in no_wrap:
                lines = lines[:1]
            write(d.rd, lines, rs1, known=known)
        else:
            write(d.rd, alu_lines(d, f), rs1 | rs2)
    if end is None:  # it ended before a system call, or was long
        end = ("fall", instrs[-1][0] + 4)
    return without_dead(ops), end, accesses


def without_dead(ops: list[Op]) -> list[str]:
    """The lines of `ops`, less pure ones whose results are overwritten before they are read
    (every register is live at the end; the f<i> copies of stored values are not)."""
    live = {f"x{r}" for r in range(1, 32)}
    kept = []
    for op in reversed(ops):
        if op.pure and not op.writes & live:
            continue
        live = (live - op.writes) | op.reads
        kept.append(op.lines)
    return [line for lines in reversed(kept) for line in lines]
