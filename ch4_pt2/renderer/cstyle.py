"""The C-family renderer: a lowered Kernel's lines -> the text of one kernel function.

A language is a subclass that overrides class attributes: `type_map` (our dtype -> its type
name), `code_for_op` (an ALU op -> a function of the operands' strings), `loop_pragmas` and
`prelude`. `render_kernel` walks the lines once: every statement becomes one local variable,
named v0, v1, ..., in the loop where lowering placed it.
"""

from __future__ import annotations

import itertools
import math

from ch4_pt2.gemm import render_gemm
from ch4_pt2.lower import Kernel, is_python_division
from ch4_pt2.ops import Ops, UOp


def reduce_identity(op: Ops, dtype):
    """The value a reduction starts from: 0 for +, 1 for *, the lowest value for max, ..."""
    # EXERCISE 4.3: 0 / 1 for ADD / MUL; for MAX / MIN -inf / inf (floats), 0 / 1 (bool), int range
    if op in (Ops.ADD, Ops.MUL):
        return 0 if op is Ops.ADD else 1
    if dtype.category == 2:
        return -math.inf if op is Ops.MAX else math.inf
    if dtype.category == 0:
        return 0 if op is Ops.MAX else 1
    bits = 8 * dtype.itemsize - 1
    return -(2 ** bits) if op is Ops.MAX else 2 ** bits - 1
    # END EXERCISE


# --8<-- [start:cstyle]
class CStyleLanguage:
    type_map = {"bool": "_Bool", "int32": "int", "int64": "long", "float32": "float",
                "float64": "double"}
    code_for_op = {
        Ops.NEG: lambda x, t: f"(-{x})",
        Ops.NOT: lambda x, t: f"(!{x})",
        Ops.RECIP: lambda x, t: f"(1/{x})",
        Ops.ADD: lambda a, b, t: f"({a}+{b})",
        Ops.SUB: lambda a, b, t: f"({a}-{b})",
        Ops.MUL: lambda a, b, t: f"({a}*{b})",
        Ops.DIV: lambda a, b, t: f"({a}/{b})",
        Ops.CMPLT: lambda a, b, t: f"({a}<{b})",
        Ops.CMPLE: lambda a, b, t: f"({a}<={b})",
        Ops.CMPEQ: lambda a, b, t: f"({a}=={b})",
        Ops.CMPNE: lambda a, b, t: f"({a}!={b})",
        Ops.AND: lambda a, b, t: f"({a}&{b})",
        Ops.OR: lambda a, b, t: f"({a}|{b})",
        Ops.XOR: lambda a, b, t: f"({a}^{b})",
        Ops.WHERE: lambda c, a, b, t: f"({c}?{a}:{b})",
    }
    prelude = ""
    kernel_prefix = "void"

    def render_type(self, u: UOp) -> str:
        return self.type_map[u.dtype.name]

    def render_const(self, value, dtype) -> str:
        if dtype.category == 2:
            value = float(value)
            if math.isinf(value):
                return "INFINITY" if value > 0 else "(-INFINITY)"
            if math.isnan(value):
                return "NAN"
            return f"{value!r}f" if dtype.name == "float32" else repr(value)
        value = int(value)
        if value == -(2 ** 63):  # the literal 9223372036854775808 itself overflows
            return "(-9223372036854775807L-1)"
        return str(value) if abs(value) < 2 ** 31 else f"{value}L"

    def render_alu(self, u: UOp, ops: list[str]) -> str:
        if u.op is Ops.CAST:
            return f"({self.render_type(u)})({ops[0]})"
        if u.op in (Ops.IDIV, Ops.MOD) and u.dtype.category == 1 and not is_python_division(u):
            return f"({ops[0]}{'/' if u.op is Ops.IDIV else '%'}{ops[1]})"  # index arithmetic
        return self.code_for_op[u.op](*ops, u.dtype)

    def render_kernel(self, kernel: Kernel) -> str:
        """The kernel as one C function: void name(float* restrict data0, ...)."""
        names: dict[UOp, str] = {}

        def name(u: UOp) -> str:
            if u.op is Ops.CONST:
                return self.render_const(u.arg, u.dtype)
            if u.op is Ops.RANGE:
                return u.arg[0]
            return names[u]

        params = []
        for p in kernel.params:
            names[p] = f"data{p.arg}"
            const = "" if p.arg < kernel.outputs else "const "
            params.append(f"{const}{self.type_map[p.dtype.name]}* restrict data{p.arg}")
        if kernel.faults:  # fault[0]: which (1 + its place in kernel.faults), fault[1]: a value
            params.append("long* restrict fault")
        body, depth, top, fresh = [], 1, set(), itertools.count(len(names))
        staged = {line[1] for line in kernel.lines if line[0] == "stage"}
        if kernel.gemm:  # a library matmul into data0 first; the lines are its epilogue
            params.append("void* gemm")
            body += ["  " + line for line in
                     render_gemm(kernel.gemm, self.type_map[kernel.gemm.dtype.name])]
        for line in kernel.lines:
            kind, u = line[0], line[1]
            pad = "  " * depth
            if kind == "loop":
                body += [pad + p for p in self.render_pragmas(line[2])]
                body.append(f"{pad}for (long {u.arg[0]} = 0; {u.arg[0]} < {u.arg[1]}; "
                            f"{u.arg[0]}++) {{")
                depth += 1
            elif kind == "end":
                body.append("  " * (depth - 1) + "}")
                depth -= 1
            elif kind == "acc":
                body.append(pad + self.render_acc(u, names))
                if u in staged:
                    body[-1] += f" {self.render_type(u)} {names[u]}_row[{u.src[1].arg[1]}];"
            elif kind == "stage":  # the value into the row; the row is declared with the acc
                body.append(f"{pad}{names[u]}_row[{u.src[1].arg[0]}] = {name(u.src[0])};")
            elif kind == "update" and len(line) > 2:  # the row added up, in order
                body += [pad + p for p in self.render_staged(u, names)]
            elif kind == "update":
                body.append(pad + self.render_update(u, names, name))
            elif u.op is Ops.STORE:
                body.append(f"{pad}{name(u.src[0])}[{name(u.src[1])}] = {name(u.src[2])};")
            elif u in names and u in top:
                continue  # computed at function scope by an earlier loop nest (split loops)
            else:
                value = self.render_value(u, name)
                names[u] = f"v{next(fresh)}"  # unique, even for a node seen before
                if depth == 1:
                    top.add(u)
                body.append(f"{pad}{self.render_type(u)} {names[u]} = {value};")
        return (f"{self.kernel_prefix} {kernel.name}({', '.join(params)}) {{\n"
                + "\n".join(body) + "\n}\n")
# --8<-- [end:cstyle]

    def render_pragmas(self, attrs: frozenset[str]) -> list[str]:
        """The lines above a loop that carry its attributes (parallel, simd, unroll)."""
        return []

    def render_value(self, u: UOp, name) -> str:
        if u.op is Ops.LOAD and u.src[0].op is Ops.REDUCE:  # one lane of an accumulator
            return f"{name(u.src[0])}[{name(u.src[1])}]"
        if u.op is Ops.LOAD:
            read = f"{name(u.src[0])}[{name(u.src[1])}]"
            return read if len(u.src) == 2 else f"({name(u.src[2])}?{read}:0)"
        if u.op is Ops.CHECK:  # the kernel's faults list is in the order lowering found them
            code = self.faults.index(u.arg) + 1
            return f"checked({name(u.src[0])}, {name(u.src[1])}, {code}, fault)"
        return self.render_alu(u, [name(s) for s in u.src])

    def render_acc(self, u: UOp, names: dict) -> str:
        op, lanes = u.arg if isinstance(u.arg, tuple) else (u.arg, None)
        names[u] = f"acc{len(names)}"
        init = self.render_const(reduce_identity(op, u.dtype), u.dtype)
        if lanes is None:
            return f"{self.render_type(u)} {names[u]} = {init};"
        return (f"{self.render_type(u)} {names[u]}[{lanes}]; "
                f"for (int i = 0; i < {lanes}; i++) {names[u]}[i] = {init};")

    def render_update(self, u: UOp, names: dict, name) -> str:
        op, lanes = u.arg if isinstance(u.arg, tuple) else (u.arg, None)
        acc = names[u] if lanes is None else f"{names[u]}[{u.src[-1].arg[0]}]"
        fake = UOp(op, u.dtype, (u.src[0], u.src[0]))  # op(acc, value), rendered like any ALU op
        return f"{acc} = {self.render_alu(fake, [acc, name(u.src[0])])};"

    def render_staged(self, u: UOp, names: dict) -> list[str]:
        """The loop that adds up a staged reduction's row, in order."""
        var, size = u.src[1].arg
        row = f"{names[u]}_row[{var}]"
        return [*self.render_pragmas(frozenset({"unroll"})),
                f"for (long {var} = 0; {var} < {size}; {var}++) "
                + self.render_update(u, names, lambda _: row)]

    def render(self, kernel: Kernel) -> str:
        self.faults = kernel.faults
        return self.prelude + self.render_kernel(kernel)
