"""The preprocessor: tokens -> tokens with the directives carried out and the macros expanded.

`#include "file"` (next to the including file, then each -I directory), `<file>`, and a macro
that expands to either; object-like and function-like `#define` with `#` and `##`, `#undef`,
`#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif` with `defined`. Expansion follows Prosser's
algorithm: a token's hideset names the macros that may not expand it again.
Predefined: __FILE__, __LINE__, __DATE__, __TIME__, __STDC__ (C89 3.8.8) and __riscv. The C
library's headers are runtime/include. `#line` changes what __LINE__ and __FILE__ say.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from appendix_ctoriscv.defs import SourceFile, Token, TokenKind
from appendix_ctoriscv.errors import CompileError, Diagnostics
from appendix_ctoriscv.lex import SOURCE_BYTES, convert_keywords, read_source, tokenize
from appendix_ctoriscv.type import CHAR, INT, array_of

MAX_INCLUDES = 1000  # a file that includes itself without a guard would go on for ever
# Tokens that macro expansion may produce in one translation unit: `#define A(x) x x` nested
# doubles at each level, so a few lines could otherwise fill the memory.
MAX_EXPANDED_TOKENS = 1_000_000  # a 10,000-line C file has some 100,000 tokens


@dataclass
class Macro:
    name: str
    body: list[Token]
    params: list[str] | None = None  # None for an object-like macro


@dataclass
class CondIncl:
    """One open #if ... #endif: the directive that opened it and whether a branch was taken."""

    tok: Token
    taken: bool
    seen_else: bool = False


# *** 1. helpers over token lists ***


def copy_token(tok: Token, **changes) -> Token:
    """A copy of `tok` with `changes` (dataclasses.replace, without its checks: expanding a
    macro copies every token of its body, and replace took most of the preprocessor's time)."""
    new = object.__new__(Token)
    new.__dict__.update(tok.__dict__, **changes)
    return new


def new_num(tok: Token, value: int) -> Token:
    return copy_token(tok, kind=TokenKind.NUM, text=str(value), val=value, ty=INT)


def stringize(tok: Token, arg: list[Token]) -> Token:
    """`#x`: the spelling of the argument as a string literal, with `"` and `\\` escaped."""
    text = ""
    for i, t in enumerate(arg):
        if i > 0 and t.has_space:
            text += " "
        text += t.text
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return copy_token(
        tok,
        kind=TokenKind.STR,
        text=f'"{quoted}"',
        str_val=text.encode() + b"\0",
        ty=array_of(CHAR, len(text.encode()) + 1),
    )


def is_header_name(line: list[Token]) -> bool:
    """Whether a (macro-expanded) #include line is one "file" or <file> and nothing else."""
    if len(line) == 1:
        return line[0].kind == TokenKind.STR
    return len(line) > 2 and line[0].text == "<" and line[-1].text == ">"


# *** 2. the preprocessor ***


@dataclass
class Preprocessor:
    diag: Diagnostics
    include_paths: list[str] = field(default_factory=list)
    std: str = "c99"
    macros: dict[str, Macro] = field(default_factory=dict)
    cond_stack: list[CondIncl] = field(default_factory=list)
    pending: list[Token] = field(default_factory=list)  # the input, reversed: pop() is next
    includes: int = 0  # files included so far
    expanded: int = 0  # tokens produced by macro expansion so far
    # id of a file -> (line of its last #line, the number it gave, the name it gave)
    line_maps: dict[int, tuple[int, int, str]] = field(default_factory=dict)

    # -- the token stream --

    def next(self) -> Token:
        return self.pending.pop()

    def peek(self) -> Token:
        return self.pending[-1]

    def push(self, tokens: list[Token]) -> None:
        """Put `tokens` back in front of the input, e.g. a macro's expansion or a file."""
        self.pending.extend(reversed(tokens))

    def read_line(self) -> list[Token]:
        """The rest of a directive's line."""
        line = []
        while not self.peek().at_bol:
            line.append(self.next())
        return line

    # -- the main loop --

    def run(self, tokens: list[Token]) -> list[Token]:
        self.push(tokens)
        out = []
        while True:
            tok = self.next()
            if tok.kind == TokenKind.EOF:
                break
            if self.expand_macro(tok):
                continue
            if tok.text == "#" and tok.at_bol and tok.kind == TokenKind.PUNCT:
                self.directive(tok)
            else:
                out.append(tok)
        for cond in self.cond_stack:
            self.diag.error(cond.tok, "unterminated conditional directive")
        out.append(tok)
        return out

    def directive(self, hash_tok: Token) -> None:
        tok = self.next()
        if tok.at_bol:  # a lone `#` is the null directive
            self.push([tok])
            return
        name = tok.text
        if name == "include":
            self.include(tok, self.read_line())
        elif name == "define":
            self.define(self.read_line(), tok)
        elif name == "undef":
            line = self.read_line()
            if not line or line[0].kind != TokenKind.IDENT:
                self.diag.error(tok, "macro names must be identifiers")
            else:
                self.macros.pop(line[0].text, None)
        elif name in ("if", "ifdef", "ifndef"):
            line = self.read_line()
            if name == "if":
                taken = self.eval_if(tok, line)
            elif not line or line[0].kind != TokenKind.IDENT:
                self.diag.error(tok, "macro names must be identifiers")
                taken = False
            else:
                taken = (line[0].text in self.macros) == (name == "ifdef")
            self.cond_stack.append(CondIncl(tok, taken))
            if not taken:
                self.skip_group()
        elif name in ("elif", "else", "endif"):
            self.conditional_branch(tok, name)
        elif name == "error":
            line = self.read_line()
            self.diag.error(tok, "#error " + " ".join(t.text for t in line))
        elif name == "line":
            self.line_directive(tok, self.expand_all(self.read_line()))
        elif name == "pragma":
            self.read_line()
        else:
            self.diag.error(tok, f"invalid preprocessing directive #{name}")
            self.read_line()

    # -- #include --

    def include(self, tok: Token, line: list[Token]) -> None:
        # A missing header ends the compilation, as in gcc: what follows would only be a
        # cascade of errors about the names it should have declared.
        # "name" is searched for beside the including file, then in the include path;
        # <name> (a system header, such as the runtime's <stdio.h>) in the include path only
        if line and line[0].kind == TokenKind.IDENT:  # C89 3.8.2: `#include MACRO`
            expanded = self.expand_all(line)
            if not is_header_name(expanded):
                spelling = " ".join(t.text for t in expanded) or "nothing"
                self.diag.error(line[0], f"#include {' '.join(t.text for t in line)} expands to "
                                f'{spelling}, not "FILENAME" or <FILENAME>')
                return
            line = expanded
        if line and line[0].text == "<" and line[-1].text == ">" and len(line) > 2:
            name = line[1].text + "".join(" " * t.has_space + t.text for t in line[2:-1])
            directories = self.include_paths
        elif line and line[0].kind == TokenKind.STR:
            name = line[0].str_val[:-1].decode(*SOURCE_BYTES)  # a file name need not be UTF-8
            directories = [os.path.dirname(tok.file.name), *self.include_paths]
        else:
            self.diag.error(tok, '#include expects "FILENAME" or <FILENAME>')
            return
        for directory in directories:
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                break
        else:
            self.diag.error(line[0], f"{name}: No such file or directory")
            raise CompileError(self.diag.items)
        self.includes += 1
        if self.includes > MAX_INCLUDES:
            self.diag.error(line[0], f"more than {MAX_INCLUDES} #includes: a recursive #include?")
            raise CompileError(self.diag.items)
        file = SourceFile(path, read_source(path))
        tokens = tokenize(file, self.diag, self.std)
        self.push(tokens[:-1])  # without its EOF

    # -- #define --

    def define(self, line: list[Token], tok: Token) -> None:
        if not line or line[0].kind != TokenKind.IDENT:
            self.diag.error(tok, "macro names must be identifiers")
            return
        name, rest = line[0], line[1:]
        if name.text == "defined":  # #if gives the word its own meaning
            self.diag.error(name, '"defined" cannot be used as a macro name')
            return
        params = None
        if rest and rest[0].text == "(" and not rest[0].has_space:  # function-like
            params, i = [], 1
            while i < len(rest) and rest[i].text != ")":
                if params:  # each parameter after the first follows a comma
                    if rest[i].text != ",":
                        self.diag.error(rest[i], "expected ',' or ')' in macro parameter list")
                        return
                    i += 1
                if i >= len(rest) or rest[i].kind != TokenKind.IDENT:
                    self.diag.error(rest[min(i, len(rest) - 1)], "expected parameter name")
                    return
                if rest[i].text in params:
                    self.diag.error(rest[i], f"duplicate macro parameter '{rest[i].text}'")
                    return
                params.append(rest[i].text)
                i += 1
            if i >= len(rest):
                self.diag.error(name, "missing ')' in macro parameter list")
                return
            rest = rest[i + 1 :]
        for end in (rest[:1] + rest[-1:]) if rest else []:  # C89 3.8.3.3: `##` needs 2 sides
            if end.text == "##":
                self.diag.error(end, "'##' cannot appear at either end of a macro expansion")
                return
        if params is not None:
            for j, t in enumerate(rest):
                if t.text == "#" and (j + 1 == len(rest) or rest[j + 1].text not in params):
                    self.diag.error(t, "'#' is not followed by a macro parameter")
                    return
        self.macros[name.text] = Macro(name.text, rest, params)

    # -- macro expansion --

    def line_directive(self, tok: Token, line: list[Token]) -> None:
        """`#line N` or `#line N "name"` (C89 3.8.4): the next line's __LINE__ is N, and its
        __FILE__ "name". Diagnostics go on naming the physical line, which they quote."""
        if not line:
            self.diag.error(tok, "unexpected end of file after #line")
            return
        if line[0].kind != TokenKind.NUM or not line[0].text.isdigit():
            self.diag.error(line[0], f'"{line[0].text}" after #line is not a positive integer')
            return
        number, name = int(line[0].text), self.presumed(tok)[1]
        if not 0 < number <= 2147483647:
            self.diag.warning(line[0], "line number out of range")
        if len(line) > 1:
            if line[1].kind != TokenKind.STR or line[1].text[0] != '"':
                self.diag.error(line[1], f'"{line[1].text}" is not a valid filename')
                return
            name = line[1].str_val[:-1].decode("utf-8", "surrogateescape")
        if len(line) > 2:
            self.diag.warning(line[2], "extra tokens at end of #line directive")
        self.line_maps[id(tok.file)] = (tok.line, number, name)

    def presumed(self, tok: Token) -> tuple[int, str]:
        """The line and the file name of `tok` as __LINE__ and __FILE__ say them (#line)."""
        if id(tok.file) not in self.line_maps:
            return tok.line, tok.file.name
        at, number, name = self.line_maps[id(tok.file)]
        return number + tok.line - at - 1, name

    # --8<-- [start:expand_macro]
    def expand_macro(self, tok: Token) -> bool:
        """If `tok` names a macro, push its expansion back onto the input and return True."""
        if tok.kind != TokenKind.IDENT or tok.text in tok.hideset:
            return False
        if tok.text in ("__LINE__", "__FILE__"):
            use = tok
            while use.origin is not None:  # inside a macro, the line and file of its use
                use = use.origin
            line, name = self.presumed(use)
            if tok.text == "__LINE__":
                self.push([new_num(tok, line)])
            else:  # as gcc: assert() in a header names the file that uses it
                self.push([stringize(tok, [copy_token(tok, text=name)])])
            return True
        macro = self.macros.get(tok.text)
        if macro is None:
            return False
        if macro.params is None:
            body = macro.body
        else:
            if self.peek().text != "(":  # a function-like macro's name alone is no call
                return False
            args = self.read_args(tok, macro)
            if args is None:
                return True
            body = self.substitute(macro, args)
        hideset = tok.hideset | {macro.name}
        # Each token remembers the macro use it came from, for diagnostics, but not that use's
        # hideset: a chain of n macros would keep n sets of up to n names alive. A token whose
        # own hideset is within the new one (none yet, or the name's) shares that one set.
        use = copy_token(tok, hideset=frozenset())
        expansion = [copy_token(t, origin=use, at_bol=False, hideset=hideset if not t.hideset
                                or t.hideset is tok.hideset else t.hideset | hideset)
                     for t in body]  # fmt: skip
        if expansion:  # the expansion is spaced as the macro's name was, for `#` later
            expansion[0].has_space = tok.has_space
        self.expanded += len(expansion)
        if self.expanded > MAX_EXPANDED_TOKENS:
            self.diag.error(tok, f"macro expansion produced over {MAX_EXPANDED_TOKENS} tokens "
                            f"(does '{macro.name}' grow exponentially?)")
            raise CompileError(self.diag.items)
        self.push(expansion)
        return True
    # --8<-- [end:expand_macro]

    def read_args(self, tok: Token, macro: Macro) -> list[list[Token]] | None:
        self.next()  # (
        args: list[list[Token]] = [[]]
        depth = 0
        while True:
            t = self.next()
            if t.kind == TokenKind.EOF:
                self.diag.error(tok, f"unterminated argument list invoking macro '{macro.name}'")
                self.push([t])
                return None
            if t.text == ")" and depth == 0:
                break
            if t.text == "," and depth == 0:
                args.append([])
                continue
            depth += {"(": 1, ")": -1}.get(t.text, 0)
            args[-1].append(t)
        if macro.params == [] and args == [[]]:
            args = []
        if len(args) != len(macro.params):
            n, want = len(args), len(macro.params)
            self.diag.error(tok, f"macro '{macro.name}' passed {n} arguments, but takes {want}")
            return None
        return args

    # --8<-- [start:substitute]
    def substitute(self, macro: Macro, args: list[list[Token]]) -> list[Token]:
        """The macro body with each parameter replaced by its argument, `#` and `##` applied."""
        # EXERCISE A.2: replace parameters by arguments: `#p` stringizes, `##` pastes unexpanded
        arg_of = dict(zip(macro.params, args))
        body, out, i = macro.body, [], 0
        while i < len(body):
            t = body[i]
            if t.text == "#" and i + 1 < len(body) and body[i + 1].text in arg_of:
                out.append(stringize(t, arg_of[body[i + 1].text]))
                i += 2
                continue
            pasted = (out and i > 0 and body[i - 1].text == "##") or (
                i + 1 < len(body) and body[i + 1].text == "##"
            )
            if t.text == "##":
                i += 1
                continue
            if t.text in arg_of:
                # operands of ## are not expanded first; every other argument is
                arg = arg_of[t.text] if pasted else self.expand_all(arg_of[t.text])
                arg = [copy_token(a) for a in arg]
                if arg:
                    arg[0].has_space = t.has_space
            else:
                arg = [t]
            if i > 0 and body[i - 1].text == "##" and out and arg:
                out[-1] = self.paste(out[-1], arg[0])
                arg = arg[1:]
            out.extend(arg)
            i += 1
        return out
        # END EXERCISE
    # --8<-- [end:substitute]

    def paste(self, lhs: Token, rhs: Token) -> Token:
        text = lhs.text + rhs.text
        tokens = tokenize(SourceFile(lhs.file.name, text), Diagnostics(), self.std)
        if len(tokens) != 2:
            msg = f'pasting "{lhs.text}" and "{rhs.text}" does not give a valid preprocessing token'
            self.diag.error(lhs, msg)
            return lhs
        return copy_token(tokens[0], file=lhs.file, line=lhs.line, col=lhs.col)

    def expand_all(self, tokens: list[Token]) -> list[Token]:
        """Macro-expand a list of tokens on its own (a macro argument, an #if line)."""
        saved, self.pending = self.pending, []
        eof = Token(TokenKind.EOF, "", tokens[0].file if tokens else None, 0, 0, at_bol=True)
        self.push([*tokens, eof])
        out = []
        while (t := self.next()) is not eof:
            if not self.expand_macro(t):
                out.append(t)
        self.pending = saved
        return out

    # -- conditional inclusion --

    # --8<-- [start:eval_if]
    def eval_if(self, tok: Token, line: list[Token]) -> bool:
        """The value of an #if line: `defined` first, then macros, then other names are 0."""
        from appendix_ctoriscv.parse import Parser  # the parser evaluates constant expressions

        resolved, i = [], 0
        while i < len(line):
            t = line[i]
            if t.text == "defined":
                paren = i + 1 < len(line) and line[i + 1].text == "("
                j = i + 2 if paren else i + 1
                if j >= len(line) or line[j].kind != TokenKind.IDENT:
                    self.diag.error(t, "operator \"defined\" requires an identifier")
                    return False
                resolved.append(new_num(t, int(line[j].text in self.macros)))
                i = j + 2 if paren else j + 1
            else:
                resolved.append(t)
                i += 1
        expr = [new_num(t, 0) if t.kind == TokenKind.IDENT else t
                for t in self.expand_all(resolved)]
        if not expr:
            self.diag.error(tok, "#if with no expression")
            return False
        for t in expr:  # the parser would take a string for an address, not a number
            if t.kind == TokenKind.STR:
                self.diag.error(t, f'token "{t.text}" is not valid in preprocessor expressions')
                return False
        eof = Token(TokenKind.EOF, "", tok.file, tok.line, expr[-1].col + len(expr[-1].text))
        return Parser([*expr, eof], self.diag).preprocessor_value() != 0
    # --8<-- [end:eval_if]

    def conditional_branch(self, tok: Token, name: str) -> None:
        """#elif, #else or #endif reached at the end of an included group."""
        self.read_line()  # an #elif's condition need not be evaluated: a group was taken
        if not self.cond_stack:
            self.diag.error(tok, f"#{name} without #if")
            return
        cond = self.cond_stack[-1]
        if name == "endif":
            self.cond_stack.pop()
            return
        if cond.seen_else:
            self.diag.error(tok, f"#{name} after #else")
        cond.seen_else = name == "else"
        self.skip_group()  # the group before was included, so this one and the rest are not

    def skip_group(self) -> None:
        """Skip tokens up to the #elif, #else or #endif that ends this group, and act on it."""
        cond = self.cond_stack[-1]
        depth = 0
        while True:
            tok = self.next()
            if tok.kind == TokenKind.EOF:
                self.push([tok])
                return
            if not (tok.text == "#" and tok.at_bol) or self.peek().at_bol:
                continue
            name = self.peek().text
            if name in ("if", "ifdef", "ifndef"):
                depth += 1
            elif name == "endif" and depth > 0:
                depth -= 1
            elif depth == 0 and name in ("elif", "else", "endif"):
                directive = self.next()
                line = self.read_line()
                if name == "endif":
                    self.cond_stack.pop()
                    return
                if cond.seen_else:
                    self.diag.error(directive, f"#{name} after #else")
                if name == "else":
                    cond.seen_else = True
                    if not cond.taken:
                        cond.taken = True
                        return
                elif not cond.taken and self.eval_if(directive, line):
                    cond.taken = True
                    return


# *** 3. the entry point ***


def join_adjacent_strings(tokens: list[Token]) -> list[Token]:
    """"ab" "cd" is one literal "abcd" (translation phase 6)."""
    out: list[Token] = []
    for tok in tokens:
        if tok.kind == TokenKind.STR and out and out[-1].kind == TokenKind.STR:
            prev = out[-1]
            data = prev.str_val[:-1] + tok.str_val
            out[-1] = copy_token(prev, str_val=data, ty=array_of(CHAR, len(data)))
        else:
            out.append(tok)
    return out


def translation_time() -> dict[str, str]:
    """__DATE__ ("Dec  5 2026") and __TIME__ ("18:30:00") of now, in local time; as gcc, the
    UTC time of $SOURCE_DATE_EPOCH instead where it is set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    now = time.gmtime(int(epoch)) if epoch.isdigit() else time.localtime()
    month = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[now.tm_mon - 1]
    return {"__DATE__": f"{month} {now.tm_mday:2d} {now.tm_year}",
            "__TIME__": time.strftime("%H:%M:%S", now)}


def preprocess(
    tokens: list[Token], diag: Diagnostics, include_paths=(), std: str = "c99"
) -> list[Token]:
    """Carry out the directives in `tokens`, expand macros, and mark the keywords."""
    pp = Preprocessor(diag, list(include_paths), std)
    pp.macros["__STDC__"] = Macro("__STDC__", [new_num(tokens[-1], 1)])
    pp.macros["__riscv"] = Macro("__riscv", [new_num(tokens[-1], 1)])
    for name, text in translation_time().items():  # C89 3.8.8: __DATE__ and __TIME__
        pp.macros[name] = Macro(name, [stringize(tokens[-1], [copy_token(tokens[-1], text=text)])])
    out = join_adjacent_strings(pp.run(tokens))
    convert_keywords(out, std)
    return out
