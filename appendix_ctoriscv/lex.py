"""The lexer: C source text -> a list of Tokens ending in an EOF token.

It recognises every C89 token: identifiers, integer constants (decimal, octal, hex, with `u`/`l`
suffixes) and character constants with their escapes, string literals, and the punctuators. It
skips comments (`/* */`, and C99's `//` unless std is "c89") and records each token's line and
column. Keywords stay IDENTs here and become KEYWORDs after preprocessing, as the preprocessor
may `#define` any identifier. Floating-point constants and wide literals (L'a') are reported
as unsupported.
"""

import re

from appendix_ctoriscv.defs import SourceFile, Token, TokenKind, Type
from appendix_ctoriscv.errors import Diagnostics
from appendix_ctoriscv.type import CHAR, INT, LONG, UINT, ULONG, array_of

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
)

SIMPLE_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "0": 0}
SIMPLE_ESCAPES.update({"\\": 92, "'": 39, '"': 34, "?": 63})

IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
PP_NUMBER_RE = re.compile(r"\.?[0-9](?:[eEpP][+-]|[A-Za-z_0-9.])*")
INT_RE = re.compile(r"(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([uU][lL]?|[lL][uU]?)?")


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


def read_escape(text: str, i: int) -> tuple[int, int, bool]:
    """The escape sequence starting after the backslash at text[i-1]: (value, next index, known)."""
    c = text[i]
    if c == "x":
        m = re.match(r"[0-9a-fA-F]+", text[i + 1 :])
        if not m:
            return ord("x"), i + 1, False
        return int(m.group(), 16) & 0xFF, i + 1 + m.end(), True
    if c in "01234567":
        m = re.match(r"[0-7]{1,3}", text[i:])
        return int(m.group(), 8) & 0xFF, i + m.end(), True
    if c in SIMPLE_ESCAPES:
        return SIMPLE_ESCAPES[c], i + 1, True
    return ord(c), i + 1, False


# *** 3. the lexer ***


def lex_number(tok: Token, diag: Diagnostics) -> None:
    """Fill in the value and type of an integer constant token."""
    m = INT_RE.fullmatch(tok.text)
    if not m:
        if any(ch in tok.text for ch in ".eE") and not tok.text.lower().startswith("0x"):
            diag.error(tok, "floating-point constants are not supported")
        else:
            diag.error(tok, f"invalid integer constant '{tok.text}'")
        tok.ty = INT
        return
    digits, suffix = m.group(1), m.group(2) or ""
    base = 16 if digits[:2].lower() == "0x" else 8 if digits.startswith("0") else 10
    tok.val = int(digits, base)
    if tok.val >= 2**32:
        diag.error(tok, "integer constant is too large for its type")
        tok.val &= 0xFFFFFFFF
    tok.ty = int_constant_type(digits, suffix, tok.val)


def lex_char(file: SourceFile, text: str, start: int, add, diag: Diagnostics) -> int:
    """Lex the character constant at text[start] == "'"; return the index after it."""
    i = start + 1
    values = []
    while i < len(text) and text[i] not in "'\n":
        if text[i] == "\\" and i + 1 < len(text):
            value, i, known = read_escape(text, i + 1)
            if not known:
                where = position_token(file, text, i - 2)
                diag.warning(where, f"unknown escape sequence '\\{chr(value)}'")
        else:
            value, i = ord(text[i]), i + 1
        values.append(value)
    tok = add(TokenKind.NUM, start, i + 1)
    tok.ty = INT
    if i >= len(text) or text[i] != "'":
        diag.error(tok, "missing terminating ' character")
        return i
    if not values:
        diag.error(tok, "empty character constant")
    elif len(values) > 1:
        diag.warning(tok, "multi-character character constant")
    # NOTE: plain char is unsigned in the RISC-V ABI, so '\xff' is 255 (it is -1 on x86 gcc).
    tok.val = values[0] if values else 0
    return i + 1


def lex_string(text: str, start: int, add, diag: Diagnostics) -> int:
    """Lex the string literal at text[start] == '"'; return the index after it."""
    i = start + 1
    data = bytearray()
    while i < len(text) and text[i] not in '"\n':
        if text[i] == "\\" and i + 1 < len(text):
            value, i, _ = read_escape(text, i + 1)
            data.append(value)
        else:
            data += text[i].encode()
            i += 1
    tok = add(TokenKind.STR, start, i + 1)
    if i >= len(text) or text[i] != '"':
        diag.error(tok, 'missing terminating " character')
    tok.str_val = bytes(data) + b"\0"
    tok.ty = array_of(CHAR, len(tok.str_val))
    return i + 1


def position_token(file: SourceFile, text: str, pos: int) -> Token:
    """A position-only token at text[pos], for diagnostics inside a token."""
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return Token(TokenKind.EOF, "", file, line, col)


# --8<-- [start:tokenize]
def tokenize(file: SourceFile, diag: Diagnostics, std: str = "c99") -> list[Token]:
    """Split `file` into tokens; problems go to `diag` and the lexer carries on after them."""
    text = file.text
    tokens: list[Token] = []
    i, line, line_start = 0, 1, 0
    at_bol, has_space = True, False

    def here(pos: int) -> Token:
        # a stand-in token that only carries a position, for diagnostics
        return Token(TokenKind.EOF, "", file, line, pos - line_start + 1)

    def add(kind: TokenKind, start: int, end: int) -> Token:
        nonlocal at_bol, has_space
        tok = Token(kind, text[start:end], file, line, start - line_start + 1)
        tok.at_bol, tok.has_space = at_bol, has_space
        at_bol = has_space = False
        tokens.append(tok)
        return tok

    while i < len(text):
        c = text[i]
        if c == "\n":
            i, line, line_start = i + 1, line + 1, i + 1
            at_bol, has_space = True, False
        elif c.isspace():
            i, has_space = i + 1, True
        elif text.startswith("\\\n", i):  # a line splice inside a #define
            i, line, line_start, has_space = i + 2, line + 1, i + 2, True
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
        elif c.isdigit() or (c == "." and text[i + 1 : i + 2].isdigit()):
            m = PP_NUMBER_RE.match(text, i)
            tok = add(TokenKind.NUM, i, m.end())
            lex_number(tok, diag)
            i = m.end()
        elif c == "'":
            i = lex_char(file, text, i, add, diag)
        elif c == '"':
            i = lex_string(text, i, add, diag)
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
                diag.error(here(i), f"stray '{c}' in program")
                i += 1
    eof = Token(TokenKind.EOF, "", file, line, i - line_start + 1)
    eof.at_bol = True
    tokens.append(eof)
    return tokens
# --8<-- [end:tokenize]


# *** 4. after preprocessing ***


def convert_keywords(tokens: list[Token]) -> None:
    """Turn identifiers that are C keywords into KEYWORD tokens."""
    for tok in tokens:
        if tok.kind == TokenKind.IDENT and tok.text in KEYWORDS:
            tok.kind = TokenKind.KEYWORD
