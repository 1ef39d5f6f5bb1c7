"""Induction variable strength reduction: `a[i]` in a loop becomes a pointer that steps.

In `for (i = 0; i < n; i++) s += a[i];` the address of a[i] is `a + (i << 2)`, a shift and an
add per trip. But i grows by 1 per trip, so the address grows by 4: a second induction variable
p, started at `a + (init << 2)` before the loop and advanced by `p + 4` where i is advanced,
gives the address with one add, and the shift disappears. On SSA form: i is a phi at the loop's
header whose value round the back edge is `i + step`; the address is `base + (i << k)` with
`base` defined outside the loop.
"""

from __future__ import annotations

from appendix_ctoriscv.cfg import natural_loops
from appendix_ctoriscv.ir import Instr, IRFunction, is_temp, signed32
from appendix_ctoriscv.licm import insert_before_end


def scaled_addresses(instrs: list[Instr], iv: str, invariant):
    """(scale, base, add) for each `add base, iv * scale` (a `mul` or a `shl`) among `instrs`
    with `base` invariant."""
    shifts = {i.dst: i.args[1] if i.op == "mul" else 1 << (i.args[1] & 31) for i in instrs
              if i.op in ("mul", "shl") and i.args[0] == iv and isinstance(i.args[1], int)}
    for add in instrs:
        if add.op != "add":
            continue
        for operand, base in (add.args, add.args[::-1]):
            if operand in shifts and invariant(base):
                yield shifts[operand], base, add
                break


# --8<-- [start:reduce_induction_variables]
def reduce_induction_variables(fn: IRFunction) -> bool:
    """Replace `base + (i << k)` in loops by a pointer induction variable; True if any."""
    preds = fn.predecessors()
    blocks = {b.name: b for b in fn.blocks}
    defined_in = {i.dst: b.name for b in fn.blocks for i in b.instrs if i.dst}
    definition = {i.dst: i for i in fn.instructions() if i.dst}
    replacement = {}
    for header, body in natural_loops(fn).items():
        outside = [p for p in preds[header] if p not in body]
        inside = [p for p in preds[header] if p in body]
        if len(outside) != 1 or len(inside) != 1 or len(preds[header]) != 2:
            continue  # one way in, one back edge
        pre, latch = blocks[outside[0]], blocks[inside[0]]
        instrs = [i for name in body for i in blocks[name].instrs]
        invariant = lambda v, body=body: isinstance(v, int) or (  # noqa: E731
            is_temp(v) and defined_in.get(v) not in body)
        for phi in [i for i in blocks[header].instrs if i.op == "phi"]:
            start = phi.args[phi.incoming.index(pre.name)]
            advance = definition.get(phi.args[phi.incoming.index(latch.name)])
            if advance is None or advance.op != "add" or advance.args[0] != phi.dst \
                    or not isinstance(advance.args[1], int):
                continue  # not i = phi(start, i + step)
            for scale, base, add in scaled_addresses(instrs, phi.dst, invariant):
                if add.dst in replacement:
                    continue
                scaled, first, pointer, following = (fn.new_temp() for _ in range(4))
                # p starts at base + start * scale and steps by step * scale where i steps
                insert_before_end(pre, [Instr("mul", scaled, [start, scale]),
                                        Instr("add", first, [base, scaled])])
                insert_before_end(latch, [Instr("add", following,
                                                [pointer, signed32(advance.args[1] * scale)])])
                incoming = {pre.name: first, latch.name: following}
                blocks[header].instrs.insert(0, Instr("phi", pointer, [
                    incoming[p] for p in preds[header]], list(preds[header])))
                replacement[add.dst] = pointer
    for ins in fn.instructions():
        ins.args = [replacement.get(a, a) if is_temp(a) else a for a in ins.args]
    return bool(replacement)
# --8<-- [end:reduce_induction_variables]
