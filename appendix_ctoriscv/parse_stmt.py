"""The parser's statements: blocks, if, loops, switch, jumps and labels.

`StatementParser` is a part of parse.py's `Parser`; after a syntax error it skips to the end of
the statement (synchronize) and goes on.
"""

from __future__ import annotations

from appendix_ctoriscv.const_expr import wrap
from appendix_ctoriscv.defs import Node, NodeKind, Token, TokenKind, TypeKind
from appendix_ctoriscv.errors import ParseError
from appendix_ctoriscv.type import (
    INT,
    check_conversion,
    integer_promote,
    is_integer,
    is_scalar,
    new_cast,
    pointer_to,
    type_name,
)


class StatementParser:
    """Statements (a part of parse.py's Parser)."""

    # *** 5. statements ***

    # compound-stmt = (declaration | stmt)* "}"
    def compound_stmt(self, open_tok: Token, new_scope: bool = True) -> Node:
        """A block; a function's body opens no scope of its own, as its parameters are in it."""
        node = Node(NodeKind.BLOCK, open_tok)
        if new_scope:
            self.scopes.append({})
        seen_stmt = False
        while not self.equal("}") and self.tok.kind != TokenKind.EOF:
            start = self.pos
            try:
                if self.is_typename():
                    if seen_stmt and self.std == "c89":
                        self.diag.error(self.tok, "ISO C90 forbids mixed declarations and code")
                    node.body.append(self.declaration())
                else:
                    node.body.append(self.stmt())
                    seen_stmt = True
            except ParseError:
                self.synchronize(start)
        if new_scope:
            self.scopes.pop()
        self.skip("}")
        return node

    # --8<-- [start:synchronize]
    def synchronize(self, start: int) -> None:
        """After a syntax error, skip to just past the next `;` or to the `}` that closes the
        block (at the same nesting depth), so parsing resumes at the next statement."""
        depth = 0
        if self.pos == start:
            self.advance()
            if self.tokens[self.pos - 1].text in (";", "}"):
                return
        while self.tok.kind != TokenKind.EOF:
            if self.equal("{"):
                depth += 1
            elif self.equal("}"):
                if depth == 0:
                    return
                depth -= 1
                if depth == 0:
                    self.advance()
                    return
            elif self.equal(";") and depth == 0:
                self.advance()
                return
            self.advance()
    # --8<-- [end:synchronize]

    # --8<-- [start:stmt_loops]
    # stmt = "return" expr? ";"
    #      | "if" "(" expr ")" stmt ("else" stmt)?
    #      | "switch" "(" expr ")" stmt
    #      | "case" const-expr ":" stmt
    #      | "default" ":" stmt
    #      | "for" "(" (declaration | expr? ";") expr? ";" expr? ")" stmt
    #      | "while" "(" expr ")" stmt
    #      | "do" stmt "while" "(" expr ")" ";"
    #      | "goto" ident ";"
    #      | "break" ";"
    #      | "continue" ";"
    #      | ident ":" stmt
    #      | "{" compound-stmt
    #      | expr? ";"
    def stmt(self) -> Node:
        tok = self.tok
        if self.consume("return"):
            return self.return_stmt(tok)
        if self.consume("if"):
            node = Node(NodeKind.IF, tok, cond=self.condition())
            node.then = self.stmt()
            if self.consume("else"):
                node.els = self.stmt()
            return node
        if self.consume("switch"):
            return self.switch_stmt(tok)
        if self.consume("case") or self.consume("default"):
            return self.case_stmt(tok)
        if self.consume("for"):
            return self.for_stmt(tok)
        if self.consume("while"):
            node = Node(NodeKind.FOR, tok, cond=self.condition())
            node.then = self.loop_body(node)
            return node
        if self.consume("do"):
            node = Node(NodeKind.DO, tok)
            node.then = self.loop_body(node)
            self.skip("while")
            node.cond = self.condition()
            self.skip(";")
            return node
        # --8<-- [end:stmt_loops]
        # --8<-- [start:stmt_jumps]
        if self.consume("goto"):
            if self.tok.kind != TokenKind.IDENT:
                self.fail(self.tok, "expected identifier" + self.before())
            node = Node(NodeKind.GOTO, tok, label=self.advance().text)
            self.gotos.append(node)
            self.skip(";")
            return node
        if self.consume("break"):  # a jump to the innermost loop's or switch's end
            if not self.brk_labels:
                self.diag.error(tok, "break statement not within loop or switch")
            self.skip(";")
            label = self.brk_labels[-1] if self.brk_labels else ""  # "": reported just above
            return Node(NodeKind.GOTO, tok, unique_label=label)
        if self.consume("continue"):  # a jump to the innermost loop's next round
            if not self.cont_labels:
                self.diag.error(tok, "continue statement not within a loop")
            self.skip(";")
            label = self.cont_labels[-1] if self.cont_labels else ""
            return Node(NodeKind.GOTO, tok, unique_label=label)
        if tok.kind == TokenKind.IDENT and self.equal(":", 1):
            self.pos += 2
            if tok.text in self.labels:
                first = (self.labels[tok.text].tok, f"previous definition of '{tok.text}' was here")
                self.diag.error(tok, f"duplicate label '{tok.text}'", [first])
            node = Node(NodeKind.LABEL, tok, label=tok.text, unique_label=self.new_label("label"))
            self.labels[tok.text] = node
            node.lhs = self.stmt()
            return node
        if self.consume("{"):
            return self.compound_stmt(tok)
        if self.consume(";"):
            return Node(NodeKind.NULL_STMT, tok)
        node = Node(NodeKind.EXPR_STMT, tok, lhs=self.expr())
        self.skip(";")
        return node
    # --8<-- [end:stmt_jumps]

    def condition(self, truth_value: bool = True) -> Node:
        """`( expr )` of if, while and do, or (not a truth value, but an integer) of switch."""
        self.skip("(")
        start = self.tok
        cond = self.expr()
        if truth_value and cond.kind == NodeKind.ASSIGN and start.text != "(":
            self.diag.warning(cond.tok, "suggest parentheses around assignment used as truth value")
        if truth_value and not is_scalar(cond.ty):
            self.diag.error(cond.tok, "used a value where a scalar is required")
        self.skip(")")
        return cond

    def loop_body(self, node: Node) -> Node:
        """The body of a loop, with `break` and `continue` bound to the loop `node`."""
        node.brk_label, node.cont_label = self.new_label("break"), self.new_label("continue")
        self.brk_labels.append(node.brk_label)
        self.cont_labels.append(node.cont_label)
        try:
            return self.stmt()
        finally:
            self.brk_labels.pop()
            self.cont_labels.pop()

    def return_stmt(self, tok: Token) -> Node:
        node = Node(NodeKind.RETURN, tok)
        ret_ty = self.fn.ty.return_ty
        if self.consume(";"):
            if ret_ty.kind != TypeKind.VOID:
                self.diag.warning(tok, "'return' with no value, in function returning non-void")
            return node
        expr = self.expr()
        self.skip(";")
        if ret_ty.kind == TypeKind.VOID:
            if expr.ty.kind != TypeKind.VOID:
                self.diag.error(tok, "'return' with a value, in function returning void")
            node.lhs = expr
            return node
        frm = pointer_to(expr.ty) if expr.ty.kind == TypeKind.FUNC else expr.ty  # decays
        action = f"returning '{type_name(frm)}' from a function with return type "
        action += f"'{type_name(ret_ty)}'"
        check_conversion(ret_ty, expr, self.diag, expr.tok, action)
        node.lhs = new_cast(expr, ret_ty)
        return node

    def switch_stmt(self, tok: Token) -> Node:
        node = Node(NodeKind.SWITCH, tok, cond=self.condition(truth_value=False))
        if not is_integer(node.cond.ty):
            self.diag.error(node.cond.tok, "switch quantity not an integer")
        else:
            node.cond = new_cast(node.cond, integer_promote(node.cond.ty))
        outer, self.switch = self.switch, node
        outer_values, self.case_values = self.case_values, {}
        node.brk_label = self.new_label("break")
        self.brk_labels.append(node.brk_label)
        try:
            node.then = self.stmt()
        finally:
            self.brk_labels.pop()
            self.switch, self.case_values = outer, outer_values
        return node

    def case_stmt(self, tok: Token) -> Node:
        node = Node(NodeKind.CASE, tok, unique_label=self.new_label("case"))
        if tok.text == "case":
            node.val = self.const_expr_value()
        self.skip(":")
        if self.switch is None:
            where = "case label" if tok.text == "case" else "'default' label"
            self.diag.error(tok, f"{where} not within a switch statement")
        elif tok.text == "default":
            if self.switch.default_case is not None:
                first = (self.switch.default_case.tok, "this is the first default label")
                self.diag.error(tok, "multiple default labels in one switch", [first])
            self.switch.default_case = node
        else:
            ty = self.switch.cond.ty  # not an integer (already reported): say int
            node.val = wrap(node.val, ty if ty is not None and is_integer(ty) else INT)
            earlier = self.case_values.get(node.val)
            if earlier is not None:
                first = (earlier.tok, "previously used here")
                self.diag.error(tok, "duplicate case value", [first])
            else:
                self.case_values[node.val] = node
            self.switch.cases.append(node)
        node.lhs = self.stmt()
        return node

    def for_stmt(self, tok: Token) -> Node:
        node = Node(NodeKind.FOR, tok)
        self.skip("(")
        self.scopes.append({})
        try:
            if self.is_typename():
                if self.std == "c89":
                    self.diag.error(self.tok, "'for' loop initial declarations are only allowed "
                                    "in C99 mode")
                node.init = self.declaration(in_for=True)
            else:
                if not self.equal(";"):
                    node.init = Node(NodeKind.EXPR_STMT, self.tok, lhs=self.expr())
                self.skip(";")
            if not self.equal(";"):
                node.cond = self.expr()
            self.skip(";")
            if not self.equal(")"):
                node.inc = self.expr()
            self.skip(")")
            node.then = self.loop_body(node)
        finally:
            self.scopes.pop()
        return node


def jumps_to(node: Node | None, label: str) -> bool:
    """Whether a `goto`, `break` or `continue` inside `node` jumps to `label`."""
    if node is None:
        return False
    if node.kind == NodeKind.GOTO:
        return node.unique_label == label
    children = (node.then, node.els, node.lhs, *node.body)
    return any(jumps_to(child, label) for child in children if child is not None)


def falls_through(node: Node) -> bool:
    """Whether control may run off the end of statement `node` (a cautious approximation)."""
    k = node.kind
    if k in (NodeKind.RETURN, NodeKind.GOTO):
        return False
    if k == NodeKind.BLOCK:
        return not node.body or falls_through(node.body[-1])
    if k == NodeKind.IF:
        return node.els is None or falls_through(node.then) or falls_through(node.els)
    if k in (NodeKind.LABEL, NodeKind.CASE):
        return falls_through(node.lhs)
    if k == NodeKind.FOR:  # `for (;;)` and `while (1)` end only by `break`
        endless = node.cond is None or (node.cond.kind == NodeKind.NUM and node.cond.val)
        return not endless or jumps_to(node.then, node.brk_label)
    if k == NodeKind.SWITCH:
        if node.default_case is None or jumps_to(node.then, node.brk_label):
            return True
        return falls_through(node.then)
    if k == NodeKind.EXPR_STMT and node.lhs.kind == NodeKind.FUNCALL:
        return node.lhs.func_name not in ("exit", "abort", "_exit")
    return True
