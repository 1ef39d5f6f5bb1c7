"""Region translation: many basic blocks of RV32I -> one Python function with the loop inside.

emu.py translates one basic block at a time, and every block returns to the run loop, which
looks up the next one; each block also loads its registers from the list X and stores them back.
A *region* is the set of blocks that direct branches, jumps and calls reach from one entry pc,
a callee's blocks and those its `ret` comes back to included (at most MAX_BLOCKS; a block ends
at a branch or jump, before a system call, or after MAX_BLOCK instructions, where the next one
starts). Translated together, control passes between its blocks inside one Python function
(`while True:` over an if-chain on pc), registers stay in local variables the whole time, and
each block gets the fast paths of fastpath.py (a fast version behind guards, a checked slow
one); a block that loops on itself has its guards checked once before the loop (fast_loop).
The run loop translates a region for an entry only once the entry is hot (emu.HOT_ENTRY uses),
so short runs do not pay for translating what runs once.

translate_region(fetch, entry, mem, values) -> (Python source, function name), or None if the
entry is itself a system call or not an instruction: the basic-block translator handles those.
"""

from __future__ import annotations

import re

from appendix_ctoriscv import isa
from appendix_ctoriscv.blocks import BRANCHES, MAX_BLOCK, M
from appendix_ctoriscv.fastpath import MIN_COVERED, Layout, block_code, emit

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


# --8<-- [start:fast_loop]
def fast_loop(instrs, code, layout) -> tuple[list[str], list[str], list[str], dict] | None:
    """A block that branches back to itself, with its guards checked once before the loop:
    (lines that bound `safe`, the rounds the fast version may run; lines each round starts
    with; the fast version's lines; {origin: step} of the pointers it does not step), or None
    where that cannot be shown.

    An origin no instruction of the block writes keeps its guard all loop long. One that only
    `addi r, r, c` moves (a pointer stepping through an array) stays in the range it starts in
    for a number of rounds that its distance to the range's end gives; and so does a counter,
    stepped the same way, stay clear of wrapping around. Past `safe` rounds the block runs one
    round as it does outside loops (its guards checked: the fast version if they pass, else
    the slow one), and the loop starts again, which checks again.
    A pointer that nothing else in the fast version reads, only the accesses off it, is not
    stepped round by round: its word index comes from the round number `it`, and the pointer
    moves by step * rounds when the loop ends.
    """
    writes: dict[int, list] = {}
    for _, d in instrs:
        if d.rd and d.name not in BRANCHES and d.name not in ("sw", "sh", "sb"):
            writes.setdefault(d.rd, []).append(d)
    steps = {r: ds[0].imm for r, ds in writes.items()
             if len(ds) == 1 and ds[0].name == "addi" and ds[0].rs1 == r and ds[0].imm}
    guards = {g.origin: g for g in code.guards}
    if any(o in writes and o not in steps for o in guards):
        return None
    if any((g.k0 is not None or g.stack) and steps.get(o, 0) % 4 for o, g in guards.items()):
        return None  # the origin would not stay aligned
    counters = frozenset(r for r in steps if r not in guards)
    if not guards and not counters:
        return None
    fixed = [g for o, g in guards.items() if o not in steps]
    hoisted = [f"if not ({' and '.join(g.condition(layout) for g in fixed)}):",
               "    safe = 0"] if fixed else []  # fmt: skip
    for o, g in guards.items():
        if o in steps:  # its guard holds for the first round: for how many more?
            c, (first, last) = steps[o], g.bounds(layout)
            rounds = f"({last:#x} - x{o}) // {c}" if c > 0 else f"(x{o} - {first:#x}) // {-c}"
            hoisted += [f"if {g.condition(layout)}:", f"    safe = min(safe, {rounds} + 1)",
                        "else:", "    safe = 0"]  # fmt: skip
    for r in sorted(counters):  # x + c * rounds must stay in 0..2**32-1
        c = steps[r]
        hoisted.append(f"safe = min(safe, (0xFFFFFFFF - x{r}) // {c})" if c > 0 else
                       f"safe = min(safe, x{r} // {-c})")  # fmt: skip
    hoisted += [g.setup(layout) for g in fixed]
    per_round = [guards[o].setup(layout) for o in guards if o in steps]
    lines, _, _ = emit(instrs, layout, guards, counters)
    moved = {}
    for o in (o for o in guards if o in steps and steps[o] % 4 == 0):
        step = f"x{o} = x{o} + {steps[o]}" if steps[o] > 0 else f"x{o} = x{o} - {-steps[o]}"
        uses = [s for s in lines + [code.end[1]] if re.search(rf"\bx{o}\b", s)]
        if uses == [step]:  # read by nothing else: its word index follows `it`
            m, setup = steps[o] // 4, guards[o].setup(layout)
            hoisted.append(f"v{o} = ({setup.split(' = ', 1)[1]}) - {m}")
            index = "it" if m == 1 else "-it" if m == -1 else f"{m} * it"
            per_round[per_round.index(setup)] = f"w{o} = v{o} + {index}"
            lines.remove(step)
            moved[o] = steps[o]
    return hoisted, per_round, lines, moved
# --8<-- [end:fast_loop]

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
def translate_region(fetch, entry: int, mem, values=None) -> tuple[str, str] | None:
    """Python source for the region at `entry`, and its function's name.

    The function takes the registers X and how many instructions it may still run; it returns
    (the pc to go on at, the instructions it ran). It stops before a block that would cross
    the limit, so a return with 0 instructions run means the step limit is reached. Blocks are
    laid out in address order from the entry (most often a loop's head, the target of its back
    edge: the first test), then those before it, each under `if pc == start:`, so falling
    through to the next block costs one comparison; a block that branches to itself becomes a
    `for` loop over as many rounds as the limit allows, and counts its steps when it leaves.
    Each block runs its fast version when its guards pass, else its slow one (fastpath.py);
    `values`, the registers now, tell which guards to make for the stack.
    """
    blocks = region_blocks(fetch, entry)
    if not blocks:
        return None
    layout = Layout(mem.stack_lo, mem.top, mem.write_lo, mem.brk_start, mem.ro_lo, mem.ro_hi)

    def in_stack(r: int) -> bool:  # sp, or a register that points into the stack now
        return r == 2 or values is not None and mem.stack_lo <= values[r] < mem.top

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
        last_pc, last = blocks[start][-1]
        loop = last.name in BRANCHES and (last_pc + last.imm) & M == start
        code = block_code(blocks[start], layout, 1 if loop else MIN_COVERED, in_stack)
        lines, end = code.slow, code.end
        if code.guards:
            lines = [f"if {' and '.join(g.condition(layout) for g in code.guards)}:",
                     *("    " + s for s in [g.setup(layout) for g in code.guards] + code.fast),
                     "else:", *("    " + s for s in code.slow or ["pass"])]  # fmt: skip
        n = len(blocks[start])
        check = [f"steps += {n}", "if steps > limit:", f"    steps -= {n}",
                 *("    " + s for s in leave(hex(start)))]  # fmt: skip
        if end[0] == "branch" and end[2] == start:
            fast = fast_loop(blocks[start], code, layout)
        if end[0] == "branch" and end[2] == start and fast is not None:
            hoisted, per_round, rounds_body, moved = fast
            inner = per_round + rounds_body + [f"if {end[1]}:", "    continue",
                                               f"steps += it * {n}",
                                               *(f"x{o} += {c} * it" for o, c in moved.items()),
                                               *go(end[3]), "break"]  # fmt: skip
            taken, fall = go(end[2], k), go(end[3], k)
            done = [*(f"x{o} += {c} * safe" for o, c in moved.items()),
                    f"steps += safe * {n}", f"if steps + {n} > limit:",
                    *("    " + s for s in leave(hex(start))), f"steps += {n}", *lines,
                    f"if {end[1]}:", *("    " + s for s in taken), "else:",
                    *("    " + s for s in fall)]  # fmt: skip
            body += [f"if pc == {start:#x}:", f"    safe = (limit - steps) // {n}",
                     *("    " + s for s in hoisted), "    for it in range(1, safe + 1):",
                     *("        " + s for s in inner), "    else:",
                     *("        " + s for s in done)]  # fmt: skip
            continue
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
    source = [f"def {name}(X, limit, M=M, stk=stk, mv=mv, ram=ram, lb=lb, lh=lh, lw=lw, lbu=lbu, "
              f"lhu=lhu, sb=sb, sh=sh, sw=sw, inside={inside}):",
              *(f"    x{r} = X[{r}]" for r in sorted(named)),
              f"    pc, steps = {entry:#x}, 0", "    while True:",
              *("        " + s for s in body)]  # fmt: skip
    return "\n".join(source), name
# --8<-- [end:translate_region]
