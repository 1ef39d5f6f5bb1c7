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
from appendix_ctoriscv.blocks import BRANCHES, MAX_BLOCK, M
from appendix_ctoriscv.fastpath import Layout, block_code

MAX_BLOCKS = 48  # per region: more makes the if-chain on pc long and the translation slow


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
        else:  # a long block: the region goes on where it stopped
            todo.append(pc)
        if instrs:
            blocks[start] = instrs
    return blocks


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
    Each block runs its fast version when its guards pass, else its slow one (fastpath.py).
    """
    blocks = region_blocks(fetch, entry)
    if not blocks:
        return None
    layout = Layout(mem.stack_lo, mem.top, mem.write_lo, mem.brk_start, mem.ro_lo, mem.ro_hi)
    named, written = registers(blocks)
    store = [f"X[{r}] = x{r}" for r in sorted(written)]

    def leave(pc: str) -> list[str]:  # registers back to X, then out to the run loop
        return store + [f"return {pc}, steps"]

    order = sorted(blocks, key=lambda s: (s < entry, s))  # the entry, a loop head, first
    position = {start: k for k, start in enumerate(order)}

    def go(target: int, here: int | None = None) -> list[str]:
        """Lines that go on at `target`: back to the top of the loop if its test comes before
        the test at position `here` (skipping the tests after it), else on through them."""
        if target not in blocks:
            return leave(hex(target))
        back = here is not None and position[target] <= here
        return [f"pc = {target:#x}"] + (["continue"] if back else [])

    body = []
    for k, start in enumerate(order):
        code = block_code(blocks[start], layout)
        lines, end = code.slow, code.end
        if code.guards:
            lines = [f"if {' and '.join(g.condition(layout) for g in code.guards)}:",
                     *("    " + s for s in [g.setup() for g in code.guards] + code.fast),
                     "else:", *("    " + s for s in code.slow or ["pass"])]  # fmt: skip
        n = len(blocks[start])
        check = [f"steps += {n}", "if steps > limit:", f"    steps -= {n}",
                 *("    " + s for s in leave(hex(start)))]  # fmt: skip
        if end[0] == "branch" and end[2] == start:  # a loop of one block: a Python for loop
            inner = lines + [f"if {end[1]}:", "    continue", f"steps += it * {n}",
                             *go(end[3]), "break"]  # fmt: skip
            done = [f"steps += rounds * {n}", *leave(hex(start))]  # the limit stops it
            body += [f"if pc == {start:#x}:", f"    rounds = (limit - steps) // {n}",
                     "    for it in range(1, rounds + 1):", *("        " + s for s in inner),
                     "    else:", *("        " + s for s in done)]  # fmt: skip
            continue
        if end[0] == "branch":
            taken, fall = go(end[2], k), go(end[3], k)
            if len(taken) == 1 and len(fall) == 1:
                lines.append(f"pc = {end[2]:#x} if {end[1]} else {end[3]:#x}")
            else:  # `else:` too: a taken branch inside the region must not run the leaving
                lines += [f"if {end[1]}:", *("    " + s for s in taken), "else:",
                          *("    " + s for s in fall)]  # fmt: skip
        elif end[0] in ("jump", "fall"):
            lines += go(end[1], k)
        else:  # an indirect jump, a `ret` most often: stay if it lands in the region
            lines += ["if pc not in inside:", *("    " + s for s in leave("pc"))]
        body += [f"if pc == {start:#x}:", *("    " + s for s in check + lines)]
    name = f"region_{entry:x}"
    inside = "frozenset((" + ", ".join(hex(start) for start in blocks) + ",))"
    source = [f"def {name}(X, limit, M=M, mv=mv, ram=ram, lb=lb, lh=lh, lw=lw, lbu=lbu, "
              f"lhu=lhu, sb=sb, sh=sh, sw=sw, inside={inside}):",
              *(f"    x{r} = X[{r}]" for r in sorted(named)),
              f"    pc, steps = {entry:#x}, 0", "    while True:",
              *("        " + s for s in body)]  # fmt: skip
    return "\n".join(source), name
# --8<-- [end:translate_region]
