"""Constant folding and propagation on SSA form.

An instruction whose operands are all constants is computed now, in the same 32-bit arithmetic
the machine would use, and its temporary is replaced by the constant everywhere (SSA makes that
safe: the temporary has no other definition). A `br` on a constant becomes a `jmp`, and the
blocks no longer reachable go. Division by zero and INT_MIN / -1 are left to run: C does not
define them, and the program should fail where the machine fails.
"""

from __future__ import annotations

from appendix_ctoriscv.cfg import remove_unreachable, replace_uses, reverse_postorder
from appendix_ctoriscv.ir import IRFunction, signed32

COMMUTATIVE = ("add", "mul", "and", "or", "xor", "eq", "ne")


def unsigned32(x: int) -> int:
    return x & 0xFFFFFFFF


def c_div(a: int, b: int) -> int:
    """C's division truncates toward zero (Python's // floors)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


# --8<-- [start:fold_rules]
# op -> its value on constant operands, each a signed 32-bit int (the result is wrapped again)
FOLD = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": c_div, "rem": lambda a, b: a - b * c_div(a, b),
    "divu": lambda a, b: unsigned32(a) // unsigned32(b),
    "remu": lambda a, b: unsigned32(a) % unsigned32(b),
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
    "shl": lambda a, b: a << (b & 31), "shr": lambda a, b: a >> (b & 31),
    "shru": lambda a, b: unsigned32(a) >> (b & 31),
    "eq": lambda a, b: int(a == b), "ne": lambda a, b: int(a != b),
    "lt": lambda a, b: int(a < b), "le": lambda a, b: int(a <= b),
    "ltu": lambda a, b: int(unsigned32(a) < unsigned32(b)),
    "leu": lambda a, b: int(unsigned32(a) <= unsigned32(b)),
    "neg": lambda a: -a, "not": lambda a: int(a == 0), "bitnot": lambda a: ~a,
    "mov": lambda a: a,
    "conv.i8": lambda a: signed32(a << 24) >> 24, "conv.u8": lambda a: a & 0xFF,
    "conv.i16": lambda a: signed32(a << 16) >> 16, "conv.u16": lambda a: a & 0xFFFF,
}  # fmt: skip
# --8<-- [end:fold_rules]


def defined(op: str, args: list[int]) -> bool:
    """False for the divisions C leaves undefined: keep them for run time."""
    if op in ("div", "rem", "divu", "remu"):
        return args[1] != 0 and not (op in ("div", "rem") and args == [-(1 << 31), -1])
    return True


# --8<-- [start:fold_constants]
def fold_constants(fn: IRFunction) -> bool:
    """Fold and propagate until nothing changes; True if anything did."""
    changed_any = False
    while True:
        constants, decided = {}, False
        order = {name: k for k, name in enumerate(reverse_postorder(fn))}
        for b in sorted(fn.blocks, key=lambda b: order.get(b.name, len(order))):
            for ins in list(b.instrs):
                # what this round folded already, at once: a chain folds in one round
                ins.args = [constants.get(a, a) if isinstance(a, str) else a for a in ins.args]
                if ins.op in COMMUTATIVE and isinstance(ins.args[0], int):
                    ins.args.reverse()  # constants on the right: the immediate operand
                if ins.op == "phi" and len(set(ins.args)) == 1 and isinstance(ins.args[0], int):
                    constants[ins.dst] = ins.args[0]
                elif ins.op in FOLD and all(isinstance(a, int) for a in ins.args):
                    if defined(ins.op, ins.args):
                        constants[ins.dst] = signed32(FOLD[ins.op](*ins.args))
                if ins.dst is not None and ins.dst in constants:
                    b.instrs.remove(ins)
            last = b.instrs[-1]
            if last.op == "br" and isinstance(last.args[0], int):  # the branch is decided
                taken, dropped = (last.args[1], last.args[2])[:: 1 if last.args[0] else -1]
                b.instrs[-1] = type(last)("jmp", None, [taken])
                if dropped != taken:
                    drop_phi_operands(fn, dropped, b.name)
                decided = True
        if not constants and not decided:
            return changed_any
        replace_uses(fn, constants)
        remove_unreachable(fn)
        changed_any = True
# --8<-- [end:fold_constants]


def drop_phi_operands(fn: IRFunction, block: str, pred: str) -> None:
    """The edge pred -> block is gone: its phis forget the operand from pred."""
    for phi in (i for i in fn.block(block).instrs if i.op == "phi"):
        k = phi.incoming.index(pred)
        del phi.args[k], phi.incoming[k]
