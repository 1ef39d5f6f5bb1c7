"""The lexer: C source text -> a list of Tokens ending in an EOF token.

It recognises every C89 token: identifiers, integer and floating constants, character
constants with their escapes, string literals, and the punctuators. It first joins lines that
end in a backslash (and replaces trigraphs when std is "c89"), skips comments (`/* */`, and
C99's `//` unless std is "c89") and records each token's line and column in the file. Keywords
stay IDENTs here and become KEYWORDs after preprocessing, as the preprocessor may `#define` any
identifier. Wide literals (L'a') are reported as unsupported.
"""

import bisect
import math
import re
import struct
from fractions import Fraction

from appendix_ctoriscv.defs import SourceFile, Token, TokenKind, Type
from appendix_ctoriscv.errors import Diagnostics
from appendix_ctoriscv.type import CHAR, DOUBLE, FLOAT, INT, LONG, UINT, ULONG, array_of, f32

# *** 1. the vocabulary ***

# Longest first, so that `<<=` is one token rather than `<<` then `=`.
PUNCTUATORS = sorted(
    "... <<= >>= -> ++ -- << >> <= >= == != && || *= /= %= += -= &= ^= |= ## "
    "[ ] ( ) { } . & * + - ~ ! / % < > ^ | ? : ; = , #".split(),
    key=len,
    reverse=True,
)

KEYWORDS = set(
    "auto break case char const continue default do else enum extern float for goto if int long "
    "register return short signed sizeof static struct switch typedef union unsigned void "
    "volatile while double".split()
) | {"_Bool", "_Complex", "_Imaginary"}  # C99's; reserved names in C89: rejected, clearly

SIMPLE_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "0": 0}
SIMPLE_ESCAPES.update({"\\": 92, "'": 39, '"': 34, "?": 63})

DIGITS = set("0123456789")  # not str.isdigit(), which is true of '²' and '٣'
IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
PP_NUMBER_RE = re.compile(r"\.?[0-9](?:[eEpP][+-]|[A-Za-z_0-9.])*")
FLOAT_RE = re.compile(r"((?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)"
                      r"([fFlL]?)")
INT_RE = re.compile(r"(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([uU][lL]?|[lL][uU]?)?")


# Source files are read as bytes and decoded as UTF-8; a byte that is not UTF-8 becomes a lone
# surrogate (Python's "surrogateescape"), so that encoding it again gives back the very byte: a
# raw 0xE9 in a character constant is 0xE9, as gcc reads it.
# --8<-- [start:source_bytes]
SOURCE_BYTES = ("utf-8", "surrogateescape")


def decode_source(data: bytes) -> str:
    """The text of a C source file from its bytes, losing none of them."""
    return data.decode(*SOURCE_BYTES)


def read_source(path: str) -> str:
    with open(path, "rb") as f:
        return decode_source(f.read())
# --8<-- [end:source_bytes]


def spell_char(c: str) -> str:
    """A character as gcc quotes it in a message: itself if printable ASCII, else its first
    byte in octal (0xE9 is '\\351')."""
    return c if c.isascii() and c.isprintable() else f"\\{c.encode(*SOURCE_BYTES)[0]:o}"


# *** 2. constants ***


# --8<-- [start:int_constant_type]
def int_constant_type(digits: str, suffix: str, value: int) -> Type:
    """The type C89 gives an integer constant: the first of a list of types that holds its value.

    Decimal: int, long, unsigned long. Octal and hex: int, unsigned, long, unsigned long. A `u`
    suffix starts the list at unsigned, an `l` at long. With 32-bit int and long, this picks
    between int, long, unsigned int and unsigned long by the suffix and whether the value fits
    in 31 bits.
    """
    # EXERCISE A.1: pick the type of an integer constant by C89's lists (see the docstring)
    suffix = suffix.lower()
    decimal = not digits.startswith("0") or digits == "0"
    if "u" in suffix:
        return ULONG if "l" in suffix else UINT
    fits_signed = value < 2**31
    if "l" in suffix:
        return LONG if fits_signed else ULONG
    if fits_signed:
        return INT
    return ULONG if decimal else UINT
    # END EXERCISE
# --8<-- [end:int_constant_type]


def read_escape(text: str, i: int) -> tuple[list[int], int, str | None]:
    """The escape sequence after the backslash at text[i-1]: (its bytes, next index, problem).

    `problem` is None, or gcc's message for it; one starting with "error:" makes it an error.
    An unknown escape stands for its character's own bytes, as in gcc (a warning, not an error).
    """
    c = text[i]
    if c == "x":
        m = re.match(r"[0-9a-fA-F]+", text[i + 1 :])
        if not m:
            return [ord("x")], i + 1, "error:\\x used with no following hex digits"
        value = int(m.group()[-9:], 16)  # the tail decides whether it fits; no 4300-digit int
        problem = "hex escape sequence out of range" if len(m.group().lstrip("0")) > 2 else None
        return [value & 0xFF], i + 1 + m.end(), problem
    if c in "01234567":
        m = re.match(r"[0-7]{1,3}", text[i:])
        value = int(m.group(), 8)
        problem = "octal escape sequence out of range" if value > 0xFF else None
        return [value & 0xFF], i + m.end(), problem
    if c in SIMPLE_ESCAPES:
        return [SIMPLE_ESCAPES[c]], i + 1, None
    spelled = spell_char(c) if spell_char(c) != c else "\\" + c  # gcc writes '\q' but '\316'
    return list(c.encode(*SOURCE_BYTES)), i + 1, f"unknown escape sequence: '{spelled}'"


def literal_bytes(tok: Token, text: str, start: int, quote: str, diag: Diagnostics):
    """The bytes of the character or string literal at text[start] == quote, escapes applied:
    (the bytes, the index of the closing quote or of the line's end if it is missing)."""
    i, data = start + 1, bytearray()
    while i < len(text) and text[i] not in quote + "\n":
        if text[i] == "\\" and i + 1 < len(text):
            values, i, problem = read_escape(text, i + 1)
            data += bytes(values)
            if problem is not None and problem.startswith("error:"):
                diag.error(tok, problem.removeprefix("error:"))
            elif problem is not None:
                diag.warning(tok, problem)
        else:  # a source byte, even one that is not UTF-8 (kept by SOURCE_BYTES's error handler)
            data += text[i].encode(*SOURCE_BYTES)
            i += 1
    return bytes(data), i


# *** 3. the lexer ***


def round_to_float(nearest_double: float, text: str) -> float:
    """The float nearest to the decimal `text` (ties to even). Rounding its nearest double
    again could be off by one in the last place, so the neighbours are compared exactly."""
    exact = Fraction(text)
    r = f32(nearest_double)
    bits = struct.unpack("<I", struct.pack("<f", r))[0]
    if math.isinf(r) or r == 0:
        return r
    neighbours = [struct.unpack("<f", struct.pack("<I", b))[0] for b in (bits - 1, bits + 1)]
    best = r
    for n in neighbours:
        if math.isinf(n):
            continue
        closer = abs(Fraction(n) - exact) < abs(Fraction(best) - exact)
        tie = abs(Fraction(n) - exact) == abs(Fraction(best) - exact)
        even = struct.unpack("<I", struct.pack("<f", n))[0] % 2 == 0
        if closer or (tie and even):
            best = n
    return best


def lex_number(tok: Token, diag: Diagnostics) -> None:
    """Fill in the value and type of an integer or floating constant token."""
    m = INT_RE.fullmatch(tok.text)
    if not m:
        f = FLOAT_RE.fullmatch(tok.text)
        if f and not tok.text.lower().startswith("0x"):
            tok.fval = float(f.group(1))  # Python rounds the decimal to the nearest double
            tok.ty = FLOAT if f.group(2) in ("f", "F") else DOUBLE
            if f.group(2) in ("l", "L"):
                diag.error(tok, "'long double' is not supported by this compiler")
            elif tok.ty is FLOAT:  # to the nearest float, once, from the decimal: as gcc
                tok.fval = round_to_float(tok.fval, f.group(1))
            return
        if re.fullmatch(r"[0-9]*\.?[0-9]*[eE][+-]?", tok.text):
            diag.error(tok, "exponent has no digits")
        elif FLOAT_RE.match(tok.text) and not tok.text.lower().startswith("0x"):
            rest = tok.text[FLOAT_RE.match(tok.text).end(1) :]
            diag.error(tok, f"invalid suffix \"{rest}\" on floating constant")
        else:
            diag.error(tok, f"invalid integer constant '{tok.text}'")
        tok.ty = INT
        return
    digits, suffix = m.group(1), m.group(2) or ""
    base = 16 if digits[:2].lower() == "0x" else 8 if digits.startswith("0") else 10
    significant = digits[2:] if base == 16 else digits
    if len(significant.lstrip("0")) > 12:  # too large anyway: skip the (slow) conversion
        tok.val = 2**64
    else:
        tok.val = int(digits, base)
    if tok.val >= 2**32:
        diag.error(tok, "integer constant is too large for its type")
        tok.val &= 0xFFFFFFFF
    tok.ty = int_constant_type(digits, suffix, tok.val)


def lex_char(where: Token, text: str, start: int, add, diag: Diagnostics) -> int:
    """Lex the character constant at text[start] == "'" (`where` is); return the index after
    it."""
    data, i = literal_bytes(where, text, start, "'", diag)
    tok = add(TokenKind.NUM, start, i + 1)
    tok.ty = INT
    if i >= len(text) or text[i] != "'":
        diag.error(tok, "missing terminating ' character")
        return i
    if not data:
        diag.error(tok, "empty character constant")
    elif len(data) > 4:
        diag.warning(tok, "character constant too long for its type")
    elif len(data) > 1:  # gcc's value: the bytes as the digits of a base-256 number
        diag.warning(tok, "multi-character character constant")
    # NOTE: plain char is unsigned in the RISC-V ABI, so '\xff' is 255 (it is -1 on x86 gcc).
    tok.val = int.from_bytes(data[-4:], "big")
    return i + 1


def lex_string(where: Token, text: str, start: int, add, diag: Diagnostics) -> int:
    """Lex the string literal at text[start] == '"' (`where` is); return the index after it."""
    data, i = literal_bytes(where, text, start, '"', diag)
    tok = add(TokenKind.STR, start, i + 1)
    if i >= len(text) or text[i] != '"':
        diag.error(tok, 'missing terminating " character')
    tok.str_val = data + b"\0"
    tok.ty = array_of(CHAR, len(tok.str_val))
    return i + 1


# translation phases 1 and 2 (C89 2.1.1.2): trigraphs (in ISO C89 mode, as gcc -std=c89), then
# a backslash at the end of a line joins it to the next, anywhere, even inside a token
TRIGRAPHS = dict(zip("=(/)'<!>-", "#[\\]^{|}~"))
SPLICE = re.compile(r"\\\r?\n")
SPLICE_OR_TRIGRAPH = re.compile(r"\?\?/\r?\n|\\\r?\n|\?\?[=(/)'<!>-]")


# --8<-- [start:join_lines]
def join_lines(text: str, std: str) -> tuple[str, list[tuple[int, int]] | None]:
    """The text after translation phases 1 and 2, and where its characters came from: a list
    of (offset in the new text, characters removed before it), or None if nothing changed."""
    pattern = SPLICE_OR_TRIGRAPH if std == "c89" else SPLICE
    if not pattern.search(text):
        return text, None
    pieces, shifts, last, removed = [], [(0, 0)], 0, 0
    for m in pattern.finditer(text):
        spliced = m.group().endswith("\n")
        replacement = "" if spliced else TRIGRAPHS[m.group()[2]]
        pieces += [text[last : m.start()], replacement]
        after = m.start() - removed + len(replacement)  # where the next character lands
        removed += len(m.group()) - len(replacement)
        shifts.append((after, removed))
        last = m.end()
    pieces.append(text[last:])
    return "".join(pieces), shifts
# --8<-- [end:join_lines]


def physical_position(file: SourceFile, shifts: list[tuple[int, int]], line_starts: list[int],
                      pos: int) -> Token:  # fmt: skip
    """A position-only token at the place in `file` that offset `pos` of its joined text
    (join_lines) came from; line_starts are the offsets in file.text where its lines begin."""
    at = pos + shifts[bisect.bisect_right(shifts, (pos, math.inf)) - 1][1]
    line = bisect.bisect_right(line_starts, at)
    return Token(TokenKind.EOF, "", file, line, at - line_starts[line - 1] + 1)


# --8<-- [start:tokenize_setup]
def tokenize(file: SourceFile, diag: Diagnostics, std: str = "c99") -> list[Token]:
    """Split `file` into tokens; problems go to `diag` and the lexer carries on after them."""
    text, shifts = join_lines(file.text, std)  # usually no change: shifts is None
    line_starts = [0, *(m.end() for m in re.finditer("\n", file.text))] if shifts else []
    tokens: list[Token] = []
    i, line, line_start = 0, 1, 0
    at_bol, has_space = True, False

    def here(pos: int) -> Token:
        # a stand-in token that only carries a position, for diagnostics
        if shifts is not None:  # lines were joined: find the place in the file
            return physical_position(file, shifts, line_starts, pos)
        return Token(TokenKind.EOF, "", file, line, pos - line_start + 1)

    def add(kind: TokenKind, start: int, end: int) -> Token:
        nonlocal at_bol, has_space
        where = here(start)
        tok = Token(kind, text[start:end], file, where.line, where.col)
        tok.at_bol, tok.has_space = at_bol, has_space
        at_bol = has_space = False
        tokens.append(tok)
        return tok
    # --8<-- [end:tokenize_setup]

    # --8<-- [start:tokenize_skip]
    while i < len(text):
        c = text[i]
        if c == "\n":
            i, line, line_start = i + 1, line + 1, i + 1
            at_bol, has_space = True, False
        elif c in " \t\r\v\f":
            i, has_space = i + 1, True
        elif text.startswith("//", i):
            if std == "c89":
                diag.error(here(i), "C++ style comments are not allowed in ISO C90")
            while i < len(text) and text[i] != "\n":
                i += 1
            has_space = True
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                diag.error(here(i), "unterminated comment")
                end = len(text) - 2
            for j in range(i, end):  # comments may span lines
                if text[j] == "\n":
                    line, line_start = line + 1, j + 1
            i, has_space = end + 2, True
        # --8<-- [end:tokenize_skip]
        # --8<-- [start:tokenize_tokens]
        elif c in DIGITS or (c == "." and text[i + 1 : i + 2] in DIGITS):
            m = PP_NUMBER_RE.match(text, i)
            tok = add(TokenKind.NUM, i, m.end())
            lex_number(tok, diag)
            i = m.end()
        elif c == "'":
            i = lex_char(here(i), text, i, add, diag)
        elif c == '"':
            i = lex_string(here(i), text, i, add, diag)
        elif text.startswith(("L'", 'L"'), i):  # wide literals: their type, wchar_t, is not here
            diag.error(here(i), "wide character and string literals are not supported")
            i += 1  # then lex the literal as a narrow one, so that parsing can go on
        elif m := IDENT_RE.match(text, i):
            add(TokenKind.IDENT, i, m.end())
            i = m.end()
        else:
            for p in PUNCTUATORS:
                if text.startswith(p, i):
                    add(TokenKind.PUNCT, i, i + len(p))
                    i += len(p)
                    break
            else:
                diag.error(here(i), f"stray '{spell_char(c)}' in program")
                i += 1
    eof = here(i)
    eof.at_bol = True
    tokens.append(eof)
    return tokens
# --8<-- [end:tokenize_tokens]


# *** 4. after preprocessing ***


# C99's hints, which a compiler may ignore (a single translation unit: an inline function is
# also an ordinary one); their GNU spellings are keywords in every mode, as for gcc
HINT_KEYWORDS = {"__inline", "__inline__", "__restrict", "__restrict__"}
C99_HINT_KEYWORDS = {"inline", "restrict"}


def convert_keywords(tokens: list[Token], std: str = "c99") -> None:
    """Turn identifiers that are C keywords into KEYWORD tokens (in C89, `inline` is a name)."""
    words = KEYWORDS | HINT_KEYWORDS | (C99_HINT_KEYWORDS if std != "c89" else set())
    for tok in tokens:
        if tok.kind == TokenKind.IDENT and tok.text in words:
            tok.kind = TokenKind.KEYWORD
