"""Strength reduction and algebraic identities: cheaper instructions that compute the same value.

RV32I has no multiply or divide: `x * 8` is a call to __mulsi3 of a few dozen instructions,
`x << 3` is one. The rules are data, as in tinygrad's pattern matcher: each takes the operand
and the constant of `op x, c` and gives the replacement instructions, or None where it does not
apply. They run on SSA after constant folding, which puts the constant on the right.
"""

from __future__ import annotations

from appendix_ctoriscv.ir import Instr, IRFunction


def log2(c: int) -> int | None:
    """k if c == 2**k (k > 0... 30), else None."""
    return c.bit_length() - 1 if 0 < c < (1 << 31) and c & (c - 1) == 0 else None


def times_constant(x, c: int, new) -> list[Instr] | None:
    """x * c as shifts and an add or a sub, when c has at most two bits set or is 2^a - 2^b."""
    if c < 0 or c >= 1 << 31:
        return None
    bits = [k for k in range(31) if c >> k & 1]
    if len(bits) == 2:  # c = 2^a + 2^b
        a, b = new(), new()
        return [Instr("shl", a, [x, bits[1]]), *([Instr("shl", b, [x, bits[0]])] if bits[0]
                else []), Instr("add", None, [a, b if bits[0] else x])]
    high = log2(c + (c & -c))  # c = 2^h - 2^l, as 7 = 8 - 1 or 15 = 16 - 1
    if high is not None and 0 < high < 31:
        low = (c & -c).bit_length() - 1
        a, b = new(), new()
        return [Instr("shl", a, [x, high]), *([Instr("shl", b, [x, low])] if low else []),
                Instr("sub", None, [a, b if low else x])]
    return None


# --8<-- [start:strength_rules]
def reduce(ins: Instr, new) -> list[Instr] | None:
    """The instructions that replace `ins`, the last one defining ins.dst; None if none do."""
    op, args = ins.op, ins.args
    if len(args) != 2 or not isinstance(args[1], int):
        return None
    x, c = args
    k = log2(c)
    if c == 0 and op in ("add", "sub", "or", "xor", "shl", "shr", "shru"):
        return [Instr("mov", None, [x])]  # x + 0 -> x
    if c == 1 and op in ("mul", "div", "divu"):
        return [Instr("mov", None, [x])]  # x * 1 -> x
    if (c == 0 and op in ("mul", "and")) or (c == 1 and op in ("rem", "remu")):
        return [Instr("mov", None, [0])]  # x * 0 -> 0, x % 1 -> 0
    if c == -1 and op == "and":
        return [Instr("mov", None, [x])]
    if op == "mul" and k is not None:
        return [Instr("shl", None, [x, k])]  # x * 2^k -> x << k
    if op == "mul":
        return times_constant(x, c, new)
    if op == "divu" and k is not None:
        return [Instr("shru", None, [x, k])]  # unsigned x / 2^k -> x >> k
    if op == "remu" and k is not None:
        return [Instr("and", None, [x, c - 1])]  # unsigned x % 2^k -> x & (2^k - 1)
    if op in ("div", "rem") and k is not None:  # signed: round toward zero, so add 2^k-1 if x<0
        sign, bias, biased = new(), new(), new()
        steps = [Instr("shr", sign, [x, 31]), Instr("shru", bias, [sign, 32 - k]),
                 Instr("add", biased, [x, bias])]
        if op == "div":
            return steps + [Instr("shr", None, [biased, k])]
        rounded = new()
        return steps + [Instr("and", rounded, [biased, -c]), Instr("sub", None, [x, rounded])]
    return None
# --8<-- [end:strength_rules]


def reduce_strength(fn: IRFunction) -> bool:
    """Apply the rules to every instruction; True if any applied."""
    changed = False
    for b in fn.blocks:
        out = []
        for ins in b.instrs:
            replacement = reduce(ins, fn.new_temp) if ins.dst else None
            if replacement is None:
                out.append(ins)
                continue
            replacement[-1].dst = ins.dst
            out += replacement
            changed = True
        b.instrs = out
    return changed
