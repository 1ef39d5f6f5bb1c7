"""The assembler: RV32I assembly text in, an ObjectFile (link.py) out.

assemble(source, filename) reads GNU-style assembly: labels (also numeric ones, `1:` used as
`1b`/`1f`, and `.` for the current address), the usual directives (.text .data .word .asciz
.align .globl .equ ...), the RV32I instructions of isa.py and the common pseudo-instructions
(li, la, mv, call, ret, beqz, ...). Each use of a label becomes a relocation for the linker; the
difference of two labels (`.-main`) is not supported. Errors: AssemblerError, `file:line:`.
"""

from __future__ import annotations

import re

from appendix_ctoriscv import elf, isa
from appendix_ctoriscv.link import ObjectFile, Relocation, Section, Symbol, hi20, lo12

# *** 1. errors and the text of a statement ***


class AssemblerError(ValueError):
    """The assembly text is invalid. str() lists every `file:line: error: message`."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


class _LineError(Exception):
    """One statement is wrong; assemble() adds the file and line and carries on."""


SPECIAL_IN_LINE = re.compile("[\"'#;]")  # what makes a line more than one plain statement
QUOTES = re.compile("[\"']")


def split_statements(line: str) -> list[str]:
    """The statements of one line: `#` starts a comment, `;` separates, quotes protect both."""
    if not SPECIAL_IN_LINE.search(line):  # most lines: one statement, nothing to scan for
        return [line.strip()] if line.strip() else []
    statements, start, quote, i = [], 0, None, 0
    while i < len(line):
        ch = line[i]
        if quote and ch == "\\":
            i += 1  # the escaped character cannot end the string
        elif quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "#;":
            statements.append(line[start:i])
            start = i + 1
            if ch == "#":
                start = len(line)
                break
        i += 1
    statements.append(line[start:])
    return [s.strip() for s in statements if s.strip()]


def split_operands(text: str) -> list[str]:
    """Split at commas outside parentheses and quotes: `a0, %lo(x)(a1)` -> [a0, %lo(x)(a1)]."""
    paren = text.find("(")
    if (paren < 0 or text.rfind(",") < paren) and not QUOTES.search(text):
        # no comma inside parentheses or quotes (`t0, -12(s0)`): a plain split does
        parts = [part.strip() for part in text.split(",")]
        return parts if parts != [""] else []
    parts, depth, quote, start, i = [], 0, None, 0, 0
    while i < len(text):
        ch = text[i]
        if quote and ch == "\\":
            i += 1
        elif quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    last = text[start:].strip()
    return [*parts, last] if last or parts else []


ESCAPES = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, '"': 34, "'": 39, "a": 7, "b": 8,
           "f": 12, "v": 11, "e": 27}  # fmt: skip


def parse_string(text: str) -> bytes:
    """The bytes of a quoted string literal, C escapes (\\n, \\x41, \\101) applied."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise _LineError(f"expected a string in double quotes, got `{text}`")
    out, i, body = bytearray(), 0, text[1:-1]
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out += ch.encode()
            i += 1
            continue
        esc = body[i + 1 : i + 2]
        if m := re.match(r"[0-7]{1,3}", body[i + 1 :]):
            out.append(int(m.group(), 8) & 0xFF)
            i += 1 + len(m.group())
        elif esc == "x" and (m := re.match(r"[0-9a-fA-F]+", body[i + 2 :])):
            out.append(int(m.group(), 16) & 0xFF)
            i += 2 + len(m.group())
        elif esc in ESCAPES:
            out.append(ESCAPES[esc])
            i += 2
        else:
            raise _LineError(f"unknown escape sequence `\\{esc}` in string")
    return bytes(out)


# *** 2. expressions: a number, or a symbol plus a number ***

TOKEN = re.compile(r"\s*(?:(?P<num>0[xX][0-9a-fA-F]+|0[bB][01]+|\d+[bf]?)|(?P<chr>'(?:\\.|[^'])+')|"
                   r"(?P<sym>[A-Za-z_.$][\w.$]*)|(?P<op><<|>>|[-+*/%&|^~()]))")  # fmt: skip
PLAIN_OPERAND = re.compile(r"\s*(?:(?P<num>-?(?:[1-9]\d*|0))|(?P<sym>[A-Za-z_.$][\w.$]*))\s*")
BINARY = {"|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


class Expr:
    """Parse `text` into (symbol or None, constant): a relocatable value `symbol + constant`.

    Constants fold with C's operators; a symbol may only be added to or subtracted from.
    `lookup` maps a name to a constant (.equ) or None (a label, resolved at link time).
    """

    def __init__(self, text: str, lookup):
        self.tokens = []
        pos = 0
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise _LineError(f"bad expression `{text}`")
            self.tokens.append((m.lastgroup, m.group(m.lastgroup)))
            pos = m.end()
        self.lookup, self.i = lookup, 0
        if not self.tokens:
            raise _LineError("missing operand")
        self.value = self.binary(0)
        if self.i != len(self.tokens):
            raise _LineError(f"bad expression `{text}`")

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def binary(self, min_prec: int):
        sym, val = self.unary()
        while (op := self.peek()[1]) in BINARY and BINARY[op] > min_prec:
            self.i += 1
            rsym, rval = self.binary(BINARY[op])
            if op == "+" and not (sym and rsym):
                sym, val = sym or rsym, val + rval
            elif op == "-" and not rsym:
                val -= rval
            elif sym or rsym:
                raise _LineError(f"cannot apply `{op}` to a label (only label +/- constant)")
            elif op in "/%" and rval == 0:
                raise _LineError("division by zero in expression")
            elif op in ("<<", ">>") and not 0 <= rval < 64:
                raise _LineError(f"shift by {rval} in expression (0..63 allowed)")
            elif op in "/%":  # C's division, truncating towards zero
                quotient = abs(val) // abs(rval) * (1 if (val < 0) == (rval < 0) else -1)
                val = quotient if op == "/" else val - quotient * rval
            else:
                val = {"|": val | rval, "^": val ^ rval, "&": val & rval, "<<": val << rval,
                       ">>": val >> rval, "*": val * rval}[op]  # fmt: skip
        return sym, val

    def unary(self):
        kind, text = self.peek()
        self.i += 1
        if kind == "num" and text[-1] in "bf" and not text.startswith(("0x", "0X")):
            return text, 0  # a numeric label reference, 1b or 1f
        if kind == "num":
            return None, int(text, 8) if re.fullmatch(r"0[0-7]+", text) else int(text, 0)
        if kind == "chr":
            data = parse_string('"' + text[1:-1] + '"')
            if len(data) != 1:
                raise _LineError(f"bad character constant {text}")
            return None, data[0]
        if kind == "sym":
            const = self.lookup(text)
            return (None, const) if const is not None else (text, 0)
        if text in ("-", "~", "+"):
            sym, val = self.unary()
            if sym and text != "+":
                raise _LineError(f"cannot apply `{text}` to a label")
            return sym, {"-": -val, "~": ~val, "+": val}[text]
        if text == "(":
            value = self.binary(0)
            if self.peek()[1] != ")":
                raise _LineError("missing `)` in expression")
            self.i += 1
            return value
        raise _LineError(f"unexpected `{text}` in expression" if text else "missing operand")


# *** 3. pseudo-instructions, as rewrites into base instructions (manual chapter 25) ***

# --8<-- [start:pseudo]
PSEUDO = {  # (name, number of operands) -> the base instruction it stands for
    ("nop", 0): "addi zero, zero, 0",
    ("mv", 2): "addi {0}, {1}, 0",
    ("not", 2): "xori {0}, {1}, -1",
    ("neg", 2): "sub {0}, zero, {1}",
    ("seqz", 2): "sltiu {0}, {1}, 1",
    ("snez", 2): "sltu {0}, zero, {1}",
    ("sltz", 2): "slt {0}, {1}, zero",
    ("sgtz", 2): "slt {0}, zero, {1}",
    ("beqz", 2): "beq {0}, zero, {1}",
    ("bnez", 2): "bne {0}, zero, {1}",
    ("blez", 2): "bge zero, {0}, {1}",
    ("bgez", 2): "bge {0}, zero, {1}",
    ("bltz", 2): "blt {0}, zero, {1}",
    ("bgtz", 2): "blt zero, {0}, {1}",
    ("bgt", 3): "blt {1}, {0}, {2}",  # a > b is b < a
    ("ble", 3): "bge {1}, {0}, {2}",
    ("bgtu", 3): "bltu {1}, {0}, {2}",
    ("bleu", 3): "bgeu {1}, {0}, {2}",
    ("j", 1): "jal zero, {0}",
    ("jal", 1): "jal ra, {0}",
    ("jr", 1): "jalr zero, 0({0})",
    ("jalr", 1): "jalr ra, 0({0})",
    ("jalr", 3): "jalr {0}, {2}({1})",  # GNU's three-operand spelling
    ("ret", 0): "jalr zero, 0(ra)",
}
# --8<-- [end:pseudo]
# the same, split once: (base instruction, a template per operand)
PSEUDO_PARTS = {key: (text.split(None, 1)[0], split_operands(text.partition(" ")[2]))
                for key, text in PSEUDO.items()}  # fmt: skip

# *** 4. the assembler ***

SYNTAX = {name: op.syntax.split(",") if op.syntax else [] for name, op in isa.INSTRUCTIONS.items()}
MEMORY_OPERAND = re.compile(r"^(?P<offset>.*)\(\s*(?P<reg>[\w$]+)\s*\)$")
RELOC_OPERATOR = re.compile(r"^%(?P<kind>hi|lo)\((?P<expr>.*)\)$")
LABEL = re.compile(r"^\s*(?P<name>[A-Za-z_.$][\w.$]*|\d+)\s*:")
NOP = 0x00000013  # addi zero, zero, 0: what .align pads code with
MAX_ALIGN, MAX_SPACE = 1 << 16, 1 << 26  # beyond these a program cannot fit the emulator anyway


class Assembler:
    """Assembles one file. State: the object being built, the current section, local labels."""

    def __init__(self, filename: str):
        self.obj = ObjectFile(filename)
        self.filename = filename
        self.section = self.switch(".text")
        self.line = 0
        self.numeric: dict[str, int] = {}  # numeric label -> how many times it was defined
        self.dots = 0  # uses of `.`, the location counter, so far
        self.global_names: set[str] = set()

    # --- sections and symbols

    def switch(self, name: str) -> Section:
        self.section = self.obj.sections.setdefault(name, Section(name))
        return self.section

    @property
    def in_bss(self) -> bool:
        return self.section.name.startswith((".bss", ".sbss"))

    def define(self, name: str, section: str, value: int) -> None:
        if re.fullmatch(r"\d+", name):  # numeric label: each definition gets its own name
            self.numeric[name] = self.numeric.get(name, 0) + 1
            name = f"{name}\x02{self.numeric[name]}"
        old = self.obj.symbols.get(name)
        if old is not None and old.section is not None:
            raise _LineError(f"symbol `{name}` is already defined")
        sym = self.obj.symbols[name] = Symbol(name, section, value)
        sym.is_global = name in self.global_names
        if old is not None:
            sym.kind, sym.size = old.kind, old.size

    def symbol(self, name: str) -> Symbol:
        return self.obj.symbols.setdefault(name, Symbol(name, None, 0))

    def lookup(self, name: str) -> int | None:
        """The constant an .equ gave `name`; None for labels. `1b`/`1f` name numeric labels."""
        if re.fullmatch(r"\d+[bf]", name):
            return None
        sym = self.obj.symbols.get(name)
        return sym.value if sym is not None and sym.section == "*ABS*" else None

    def expr(self, text: str) -> tuple[str | None, int]:
        if m := PLAIN_OPERAND.fullmatch(text):  # most operands: a decimal number or a name
            const = None if m["num"] is None else int(m["num"])
            const = self.lookup(m["sym"]) if m["sym"] is not None else const
            sym, val = (None, const) if const is not None else (m["sym"], 0)
        else:
            sym, val = Expr(text, self.lookup).value
        if sym == ".":  # the location counter: a hidden label at the start of this statement
            self.dots += 1
            sym = f".\x02{self.dots}"
            self.define(sym, self.section.name, self.section.size)
        if sym and (m := re.fullmatch(r"(\d+)([bf])", sym)):  # 1b: last `1:`; 1f: the next one
            count = self.numeric.get(m[1], 0) + (m[2] == "f")
            if count == 0:
                raise _LineError(f"no label `{m[1]}:` before this `{sym}`")
            sym = f"{m[1]}\x02{count}"
        return sym, val

    def constant(self, text: str) -> int:
        sym, val = self.expr(text)
        if sym:
            raise _LineError(f"`{text}` must be a constant, not a label")
        return val

    # --- emitting bytes

    def emit(self, data: bytes) -> None:
        if self.in_bss and any(data):
            raise _LineError(f"non-zero data in {self.section.name} (use .zero or .data)")
        if not self.in_bss:
            self.section.data += data
        self.section.size += len(data)

    def relocate(self, kind: str, sym: str, addend: int) -> None:
        where = f"{self.filename}:{self.line}"
        self.obj.relocations.append(Relocation(self.section.name, self.section.size, kind, sym,
                                               addend, where))  # fmt: skip
        self.symbol(sym)

    def align(self, n: int) -> None:
        if n <= 0 or n & (n - 1) or n > MAX_ALIGN:
            raise _LineError(f"alignment must be a power of 2 up to {MAX_ALIGN}, got {n}")
        self.section.align = max(self.section.align, n)
        pad = -self.section.size % n
        code = self.section.name.startswith(".text") and pad % 4 == 0 and self.section.size % 4 == 0
        self.emit(NOP.to_bytes(4, "little") * (pad // 4) if code else bytes(pad))

    # --- instructions

    def register(self, text: str) -> int:
        if text not in isa.REGISTERS:
            raise _LineError(f"`{text}` is not a register")
        return isa.REGISTERS[text]

    def immediate(self, fmt: str, text: str, name: str) -> int:
        """An immediate operand; `%hi(sym)`/`%lo(sym)` leave a relocation and give 0."""
        if m := RELOC_OPERATOR.match(text.strip()):
            sym, val = self.expr(m["expr"])
            if sym is None:  # %hi/%lo of a constant: split it now
                return hi20(val) << 12 if m["kind"] == "hi" else lo12(val)
            want = {"hi": ("U",), "lo": ("I", "S")}[m["kind"]]
            if fmt not in want:
                raise _LineError(f"%{m['kind']} cannot be used with `{name}`")
            kind = {"U": "R_RISCV_HI20", "I": "R_RISCV_LO12_I", "S": "R_RISCV_LO12_S"}[fmt]
            self.relocate(kind, sym, val)
            return 0
        value = self.constant(text)
        if fmt == "U":
            if not 0 <= value <= 0xFFFFF:
                raise _LineError(f"immediate {value} out of range for `{name}` (0..0xfffff)")
            return value << 12
        if not isa.imm_fits(fmt, value):
            lo, hi, _ = isa.IMM_RANGE[fmt]
            raise _LineError(f"immediate {value} out of range for `{name}` ({lo}..{hi})")
        return value

    def instruction(self, name: str, operands: list[str]) -> None:
        """Encode one base instruction, with relocations for labels it refers to."""
        op = isa.INSTRUCTIONS[name]
        if self.section.size % 4:
            raise _LineError(f"instruction at offset {self.section.size}, not a multiple of 4 "
                             f"(add .align 2 before it)")  # fmt: skip
        if name == "fence":  # `fence pred, succ` (sets of i, o, r, w); plain `fence` is all
            sets = operands or ["iorw", "iorw"]
            if len(sets) != 2 or not all(re.fullmatch("i?o?r?w?", s) and s for s in sets):
                raise _LineError(f"expected `fence` or `fence pred, succ`, got `{', '.join(sets)}`")
            bits = [sum(8 >> "iorw".index(c) for c in s) for s in sets]
            word = isa.encode(name, imm=bits[0] << 4 | bits[1])
            self.emit(word.to_bytes(4, "little"))
            return
        syntax = SYNTAX[name]
        if len(operands) != len(syntax):
            raise _LineError(f"`{name}` takes {len(syntax)} operands ({op.syntax or 'none'}), "
                             f"got {len(operands)}")  # fmt: skip
        fields = {"rd": 0, "rs1": 0, "rs2": 0, "imm": 0}
        for want, text in zip(syntax, operands):
            if want in ("rd", "rs1", "rs2"):
                fields[want] = self.register(text)
            elif want == "imm":
                fields["imm"] = self.immediate(op.fmt, text, name)
            elif want == "imm(rs1)":
                if not (m := MEMORY_OPERAND.match(text)) or m["reg"] not in isa.REGISTERS:
                    raise _LineError(f"expected `offset(register)` for `{name}`, got `{text}`")
                fields["rs1"] = self.register(m["reg"])
                fields["imm"] = self.immediate(op.fmt, m["offset"] or "0", name)
            elif want == "target":
                sym, addend = self.expr(text)
                if sym is None:
                    raise _LineError(f"`{name}` needs a label as its target, got `{text}`")
                self.relocate("R_RISCV_BRANCH" if op.fmt == "B" else "R_RISCV_JAL", sym, addend)
        self.emit(isa.encode(name, **fields).to_bytes(4, "little"))

    def pseudo(self, name: str, operands: list[str]) -> bool:
        """Expand a pseudo-instruction; False if `name` is none."""
        n = len(operands)
        if (name, n) in PSEUDO:
            base, templates = PSEUDO_PARTS[(name, n)]
            self.instruction(base, [t.format(*operands) for t in templates])
        elif name == "li" and n == 2:
            value = self.constant(operands[1])
            if not -(1 << 31) <= value < 1 << 32:
                raise _LineError(f"li: {value} does not fit in 32 bits")
            value = ((value & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000  # 0xfffff800 is -2048
            if -2048 <= value < 2048:
                self.instruction("addi", [operands[0], "zero", str(value)])
            else:
                self.instruction("lui", [operands[0], str(hi20(value))])
                if lo12(value):
                    self.instruction("addi", [operands[0], operands[0], str(lo12(value))])
        elif name in ("la", "lla") and n == 2:  # absolute: lui + addi, fine in a static program
            self.instruction("lui", [operands[0], f"%hi({operands[1]})"])
            self.instruction("addi", [operands[0], operands[0], f"%lo({operands[1]})"])
        elif name in ("call", "tail") and n == 1:  # auipc + jalr reach any address
            sym, addend = self.expr(operands[0])
            if sym is None:
                raise _LineError(f"`{name}` needs a label, got `{operands[0]}`")
            link_reg, scratch = ("ra", "ra") if name == "call" else ("zero", "t1")
            self.relocate("R_RISCV_CALL", sym, addend)
            self.instruction("auipc", [scratch, "0"])
            self.instruction("jalr", [link_reg, f"0({scratch})"])
        else:
            return False
        return True

    # --- directives

    def directive(self, name: str, args: str) -> None:
        operands = split_operands(args)
        if name in (".text", ".data", ".bss", ".rodata"):
            self.switch(name)
        elif name == ".section":
            self.switch(operands[0] if operands else ".text")
        elif name in (".globl", ".global"):
            for sym in operands:
                self.global_names.add(sym)
                self.symbol(sym).is_global = True
        elif name in (".word", ".4byte", ".long", ".half", ".2byte", ".short", ".byte"):
            size = {"w": 4, "4": 4, "l": 4, "h": 2, "2": 2, "s": 2, "b": 1}[name[1]]
            for text in operands:
                sym, val = self.expr(text)
                if sym is not None:
                    if size != 4:
                        raise _LineError(f"a label address needs 4 bytes, not {name}")
                    self.relocate("R_RISCV_32", sym, val)
                    val = 0
                if not -(1 << (8 * size - 1)) <= val < 1 << (8 * size):
                    raise _LineError(f"value {val} does not fit in {name}")
                self.emit((val & ((1 << 8 * size) - 1)).to_bytes(size, "little"))
        elif name in (".ascii", ".asciz", ".string"):
            for text in operands:
                self.emit(parse_string(text) + (b"\0" if name != ".ascii" else b""))
        elif name in (".zero", ".space", ".skip"):
            size = self.constant(operands[0])
            if not 0 <= size <= MAX_SPACE:
                raise _LineError(f"{name} {size}: the size must be 0..{MAX_SPACE}")
            fill = self.constant(operands[1]) if len(operands) > 1 else 0
            self.emit(bytes([fill & 0xFF]) * size)
        elif name in (".align", ".p2align"):  # on RISC-V, .align n means 2**n bytes as well
            self.align(1 << min(max(self.constant(operands[0]), 0), 31))
        elif name == ".balign":
            self.align(self.constant(operands[0]))
        elif name in (".comm", ".lcomm"):
            sym, size = operands[0], self.constant(operands[1])
            if not 0 <= size <= MAX_SPACE:
                raise _LineError(f"{name} {sym}, {size}: the size must be 0..{MAX_SPACE}")
            align = self.constant(operands[2]) if len(operands) > 2 else min(size & -size, 16) or 1
            saved = self.section
            self.switch(".bss")
            self.align(align)
            if name == ".comm":
                self.global_names.add(sym)
            self.define(sym, ".bss", self.section.size)
            self.emit(bytes(size))
            self.section = saved
        elif name in (".equ", ".set"):
            self.define(operands[0], "*ABS*", self.constant(operands[1]))
        elif name == ".type":
            kinds = {"function": elf.STT_FUNC, "object": elf.STT_OBJECT}
            self.symbol(operands[0]).kind = kinds.get(operands[1].lstrip("@%#"), elf.STT_NOTYPE)
        elif name == ".size":
            try:  # usually `.-name`, which we cannot evaluate: then the size stays unknown (0)
                sym, val = Expr(operands[1], self.lookup).value
                if sym is None:
                    self.symbol(operands[0]).size = val
            except (_LineError, IndexError):
                pass
        elif name in (".file", ".ident", ".option", ".attribute", ".local", ".weak", ".loc",
                      ".addrsig") or name.startswith(".cfi_"):  # fmt: skip
            pass  # metadata our linker does not use
        else:
            raise _LineError(f"unknown directive `{name}`")

    # --- one statement

    def statement(self, text: str) -> None:
        while m := LABEL.match(text):
            self.define(m["name"], self.section.name, self.section.size)
            text = text[m.end() :].strip()
        if not text:
            return
        name, _, rest = text.replace("\t", " ").partition(" ")
        name, rest = name.lower(), rest.strip()
        try:
            if name.startswith("."):
                self.directive(name, rest)
            elif not self.pseudo(name, split_operands(rest)):
                if name not in isa.INSTRUCTIONS:
                    raise _LineError(f"unknown instruction `{name}`")
                self.instruction(name, split_operands(rest))
        except IndexError:  # a directive read past its last operand
            raise _LineError(f"missing operand in `{text}`") from None


# --8<-- [start:assemble]
def assemble(source: str, filename: str = "<asm>") -> ObjectFile:
    """Assemble `source` into an ObjectFile; AssemblerError lists every bad line."""
    asm, errors = Assembler(filename), []
    for number, line in enumerate(source.splitlines(), start=1):
        asm.line = number
        for statement in split_statements(line):
            try:
                asm.statement(statement)
            except (_LineError, ValueError) as e:
                errors.append(f"{filename}:{number}: error: {e}")
    for sym in asm.obj.symbols.values():
        if sym.section is None and (sym.name.startswith(".L") or "\x02" in sym.name):
            label = sym.name.split("\x02")[0] + ":" if "\x02" in sym.name else sym.name
            where = next((r.where for r in asm.obj.relocations if r.symbol == sym.name), filename)
            errors.append(f"{where}: error: label `{label}` is used but never defined")
        if sym.name in asm.global_names:
            sym.is_global = True
    if errors:
        raise AssemblerError(errors)
    return asm.obj
# --8<-- [end:assemble]
