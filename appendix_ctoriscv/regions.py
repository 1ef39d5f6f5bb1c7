"""Region translation: many basic blocks of RV32I -> one Python function with the loop inside.

emu.py translates one basic block at a time, and every block returns to the run loop, which
looks up the next one; each block also loads its registers from the list X and stores them back.
A *region* is the set of blocks that direct branches and jumps reach from one entry pc (at most
MAX_BLOCKS, stopping at calls' targets, indirect jumps and system calls). Translated together,
control passes between its blocks inside one Python function (`while True:` over an if-chain on
pc), registers stay in local variables the whole time, and loads and stores to the stack, the
most frequent by far, are inlined. The run loop translates a region for an entry only once the
entry is hot (emu.HOT_ENTRY uses), so short runs do not pay for translating what runs once.

translate_region(fetch, entry, mem) -> (Python source, function name), or None if the entry is
itself a system call or not an instruction: the basic-block translator handles those.
"""

from __future__ import annotations

from appendix_ctoriscv import isa
from appendix_ctoriscv.blocks import BRANCHES, LOADS, MAX_BLOCK, SEMANTICS, M, _operands

MAX_BLOCKS = 48  # per region: more makes the if-chain on pc long and the translation slow

# Loads and stores inline when the address is in the stack or in the data from the writable
# segment up to the initial break, which stay valid all run long (constants of this machine:
# `lo`..`hi`, `dlo`..`dhi`); else they call the checked helpers of emu.Memory. `a :=` keeps the
# unmasked address: it is in range only if no wrap-around happened, and the helper masks it.
# `mv` views memory as 32-bit words, so an aligned word is one subscript.
# --8<-- [start:inline_memory]
IN_RANGE = "({lo} <= (a := {rs1} + {imm}) <= {hi4} or {dlo} <= a <= {dhi4})"
IN_RANGE_BYTE = "({lo} <= (a := {rs1} + {imm}) < {hi} or {dlo} <= a < {dhi})"
INLINE_MEMORY = {
    "lw": ["{rd} = mv[a >> 2] if " + IN_RANGE + " and not a & 3 else lw(a & M, {pc})"],
    "lbu": ["{rd} = ram[a] if " + IN_RANGE_BYTE + " else lbu(a & M, {pc})"],
    "sw": ["if " + IN_RANGE + " and not a & 3:", "    mv[a >> 2] = {rs2}",
           "else:", "    sw(a & M, {rs2}, {pc})"],
    "sb": ["if " + IN_RANGE_BYTE + ":", "    ram[a] = {rs2} & 0xFF",
           "else:", "    sb(a & M, {rs2}, {pc})"],
}  # fmt: skip
# Two common cases of addi: `li rd, imm` (from x0) and `mv rd, rs1` (adding 0)
LI, MV = "{rd} = {uimm}", "{rd} = {rs1}"
# --8<-- [end:inline_memory]


def region_blocks(fetch, entry: int) -> dict[int, list[tuple[int, isa.Decoded]]]:
    """The blocks reachable from `entry` by direct control flow: start pc -> [(pc, instr)].

    A block ends at a branch or jump (included), or before a system call, an ebreak or a word
    that is not an instruction (left to emu.py, whose blocks handle them). A call brings in the
    callee and the return address, so that a `ret` (an indirect jump) can stay in the region.
    """
    blocks: dict[int, list] = {}
    todo = [entry]
    while todo and len(blocks) < MAX_BLOCKS:
        start = todo.pop(0)  # breadth first: the entry's neighbourhood comes first
        if start in blocks:
            continue
        instrs, pc = [], start
        known: dict[int, int] = {}  # registers set by auipc or lui in this block: their values
        while len(instrs) < MAX_BLOCK:
            word = fetch(pc)
            d = isa.decode(word) if word is not None else None
            if d is None or d.name in ("ecall", "ebreak"):
                break
            if d.name == "jalr" and d.rs1 in known:  # `call f` is auipc + jalr: a direct call
                d = d._replace(name="jal", imm=((known[d.rs1] + d.imm) & ~1) - pc)
            known.pop(d.rd, None)
            if d.name in ("auipc", "lui") and d.rd:
                known[d.rd] = (pc + d.imm if d.name == "auipc" else d.imm) & M
            instrs.append((pc, d))
            if d.name in BRANCHES:
                todo += [(pc + d.imm) & M, pc + 4]
                break
            if d.name == "jal":  # a jump, or a call: then also where the callee returns to
                todo += [(pc + d.imm) & M] + ([pc + 4] if d.rd else [])
                break
            if d.name == "jalr":
                break
            pc += 4
        if instrs:
            blocks[start] = instrs
    return blocks


def forwarded_loads(instrs: list[tuple[int, isa.Decoded]]) -> dict[int, int]:
    """Loads that read back a word stored earlier in the same block, with the same base
    register unchanged and no store between that may overlap it: load index -> store index.
    The stack machine's push then pop is the common case."""
    stores: dict[tuple[int, int], int] = {}  # (base register, offset) -> index of its sw
    found = {}
    for i, (_, d) in enumerate(instrs):
        if d.name == "lw" and (d.rs1, d.imm) in stores:
            found[i] = stores[(d.rs1, d.imm)]
        if d.name == "sw":  # other words at 4 or more bytes from it, off the same base, stay
            stores = {k: j for k, j in stores.items() if k[0] == d.rs1 and abs(k[1] - d.imm) >= 4}
            stores[(d.rs1, d.imm)] = i
        elif d.name in ("sb", "sh"):
            stores = {}
        elif d.rd and d.name not in BRANCHES:  # a new base value: its entries are stale
            stores = {k: j for k, j in stores.items() if k[0] != d.rd}
    return found


def block_lines(instrs: list[tuple[int, isa.Decoded]], mem) -> tuple[list[str], tuple]:
    """Python lines for one block's instructions but its last jump or branch, and how the block
    ends: ("branch", condition, taken pc, next pc), ("jump", target pc), ("indirect",) after
    `pc = <target>` (a jalr), or ("fall", next pc)."""
    lines = []
    constants = {"lo": hex(mem.stack_lo), "hi": hex(mem.top), "hi4": hex(mem.top - 4),
                 "dlo": hex(mem.write_lo), "dhi": hex(mem.brk_start),
                 "dhi4": hex(mem.brk_start - 4)}  # fmt: skip
    forwarded = forwarded_loads(instrs)
    sources = set(forwarded.values())
    for i, (pc, d) in enumerate(instrs):
        f = _operands(d, pc) | constants
        if d.name in BRANCHES:
            return lines, ("branch", BRANCHES[d.name].format(**f), (pc + d.imm) & M,
                           pc + 4)  # fmt: skip
        if d.name in ("jal", "jalr"):
            if d.name == "jalr":  # the target before the link: rd may be rs1
                lines.append(f"pc = ({f['rs1']} + {d.imm}) & 0xFFFFFFFE")
            if d.rd:
                lines.append(f"{f['rd']} = {pc + 4:#x}")
            return lines, ("jump", (pc + d.imm) & M) if d.name == "jal" else ("indirect",)
        if i in forwarded:  # the value stored before: no memory access needed
            if d.rd:
                lines.append(f"{f['rd']} = f{forwarded[i]}")
        elif d.name == "addi" and d.rd and (d.rs1 == 0 or d.imm == 0):
            lines.append((LI if d.rs1 == 0 else MV).format(**f))
        elif d.name in INLINE_MEMORY and (d.rd or d.name in ("sw", "sb")):
            lines += [line.format(**f) for line in INLINE_MEMORY[d.name]]
            if i in sources:
                lines.append(f"f{i} = {f['rs2']}")
        elif d.rd or not SEMANTICS[d.name].startswith("{rd}"):
            lines.append(SEMANTICS[d.name].format(**f))
        elif d.name in LOADS:  # a load into x0 still faults on a bad address
            lines.append(SEMANTICS[d.name].format(**f | {"rd": "_"}))
    return lines, ("fall", instrs[-1][0] + 4)  # it ended before a system call, or was long


def registers(blocks) -> tuple[set[int], set[int]]:
    """The registers the region names, and those it writes (and must store when it leaves)."""
    named, written = set(), set()
    for instrs in blocks.values():
        for _, d in instrs:
            named.update(r for r in (d.rd, d.rs1, d.rs2) if r)
            if d.rd and d.name not in BRANCHES and d.name not in ("sb", "sh", "sw"):
                written.add(d.rd)
    return named, written


# --8<-- [start:translate_region]
def translate_region(fetch, entry: int, mem) -> tuple[str, str] | None:
    """Python source for the region at `entry`, and its function's name.

    The function takes the registers X and how many instructions it may still run; it returns
    (the pc to go on at, the instructions it ran). It stops before a block that would cross
    the limit, so a return with 0 instructions run means the step limit is reached. Blocks are
    laid out in address order from the entry (most often a loop's head, the target of its back
    edge: the first test), then those before it, each under `if pc == start:`, so falling
    through to the next block costs one comparison; a block that branches to itself becomes a
    `for` loop over as many rounds as the limit allows, and counts its steps when it leaves.
    """
    blocks = region_blocks(fetch, entry)
    if not blocks:
        return None
    named, written = registers(blocks)
    store = [f"X[{r}] = x{r}" for r in sorted(written)]

    def leave(pc: str) -> list[str]:  # registers back to X, then out to the run loop
        return store + [f"return {pc}, steps"]

    def go(target: int) -> list[str]:
        return [f"pc = {target:#x}"] if target in blocks else leave(hex(target))

    body = []
    for start in sorted(blocks, key=lambda s: (s < entry, s)):  # the entry, a loop head, first
        lines, end = block_lines(blocks[start], mem)
        n = len(blocks[start])
        check = [f"if steps + {n} > limit:", *("    " + s for s in leave(hex(start))),
                 f"steps += {n}"]
        if end[0] == "branch" and end[2] == start:  # a loop of one block: a Python for loop
            inner = lines + [f"if {end[1]}:", "    continue", f"steps += it * {n}", *go(end[3]),
                             "break"]  # fmt: skip
            done = [f"steps += rounds * {n}", *leave(hex(start))]  # the limit stops it
            body += [f"if pc == {start:#x}:", f"    rounds = (limit - steps) // {n}",
                     "    for it in range(1, rounds + 1):", *("        " + s for s in inner),
                     "    else:", *("        " + s for s in done)]  # fmt: skip
            continue
        if end[0] == "branch":
            taken, fall = go(end[2]), go(end[3])
            if len(taken) == 1 and len(fall) == 1:
                lines.append(f"pc = {end[2]:#x} if {end[1]} else {end[3]:#x}")
            else:  # `else:` too: a taken branch inside the region must not run the leaving
                lines += [f"if {end[1]}:", *("    " + s for s in taken), "else:",
                          *("    " + s for s in fall)]  # fmt: skip
        elif end[0] in ("jump", "fall"):
            lines += go(end[1])
        else:  # an indirect jump, a `ret` most often: stay if it lands in the region
            lines += ["if pc not in inside:", *("    " + s for s in leave("pc"))]
        body += [f"if pc == {start:#x}:", *("    " + s for s in check + lines)]
    name = f"region_{entry:x}"
    inside = "frozenset((" + ", ".join(hex(start) for start in blocks) + ",))"
    source = [f"def {name}(X, limit, M=M, S=S, mv=mv, ram=ram, lb=lb, lh=lh, lw=lw, lbu=lbu, "
              f"lhu=lhu, sb=sb, sh=sh, sw=sw, inside={inside}):",
              *(f"    x{r} = X[{r}]" for r in sorted(named)),
              f"    pc, steps = {entry:#x}, 0", "    while True:",
              *("        " + s for s in body)]  # fmt: skip
    return "\n".join(source), name
# --8<-- [end:translate_region]
