"""The expression half of the parser: token primitives, types and C expressions.

Rule: one `_parse_<rule>` method per grammar rule, its rule in a `# grammar:` comment
above it; binary operators go through one precedence-climbing loop over
`BINARY_PRECEDENCE`. C's type/expression ambiguities (`(T)x`, `T(x)`, `f<T>(x)`) are
decided by the names the parser is told are types (`type_names`: placeholders, template
parameters; plus the typedefs it meets), never by guessing from spelling.

Decisions lowering relies on:
* `T(x)` with a known type `T` (a C type keyword, a placeholder, `size_t`...) and one
  argument is `Cast(style='functional')`; with 0 or 2+ arguments it is `Construct`.
  `f(x)` with any other name is a `Call`.
* `f<float>(x)` is a `Call` with `template_args` when `f` is a known template function,
  or when every argument is a type and `(` follows (it cannot be a comparison then).
* `std::min` is `Ident('min', scope='std')`; `x.size()` is `Call(Member(x, 'size'), ())`.
* `ns::name<...>` in a type position is a `TypeSpec` with `template_args` ('std::' is
  dropped from type names: `std::size_t` is 'size_t').
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from kernelc.errors import (
    KernelCompileError,
    KernelSyntaxError,
    Span,
    UnsupportedFeatureError,
)
from kernelc.frontend import ast
from kernelc.frontend.lexer import Token

MAX_DEPTH = 64  # nesting of expressions, statements and braces

BINARY_PRECEDENCE = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6,
    "!=": 6,
    "<": 7,
    ">": 7,
    "<=": 7,
    ">=": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
}
ASSIGN_OPS = frozenset("= += -= *= /= %= <<= >>= &= ^= |=".split())
PREFIX_OPS = frozenset("- + ! ~ & *".split())
SCALAR_WORDS = frozenset("void bool char short int long float double signed unsigned".split())
QUALIFIERS = frozenset(
    """const volatile static register extern inline constexpr __inline__ __forceinline__
    __noinline__ __device__ __host__ __global__ __constant__ __shared__ __restrict__
    __restrict""".split()
)  # `restrict` is C's, not C++'s: a name in CUDA C++
_VECTOR_BASES = "char uchar short ushort int uint long ulong longlong ulonglong float double"
BUILTIN_TYPE_NAMES = frozenset(
    """size_t ssize_t ptrdiff_t intptr_t uintptr_t int8_t int16_t int32_t int64_t uint8_t
    uint16_t uint32_t uint64_t float16 half __half __nv_bfloat16""".split()
    + [f"{base}{n}" for base in _VECTOR_BASES.split() for n in range(1, 5)]
)
# Type names that are also common variable names (`const T half = 0.5;`): a type only
# where nothing else fits — before a declarator or `(`, or alone in cast parentheses.
SOFT_TYPE_NAMES = frozenset({"half"})
TYPE_TEMPLATES = frozenset({"complex"})  # `complex<float>`, `thrust::complex<T>`
CXX_CASTS = {"static_cast", "reinterpret_cast", "const_cast", "dynamic_cast"}
UNSUPPORTED_KEYWORDS = frozenset("struct class union enum namespace template operator".split())
_NOT_IN_EXPRESSIONS = frozenset("new delete this throw try catch typeid operator".split())


class ExprParser:
    """Holds the token list and the type/template names; `pos` indexes the next token."""

    def __init__(
        self,
        tokens: list[Token],
        type_names: Iterable[str],
        template_names: Iterable[str],
        typedefs: dict[str, str] | None,
    ) -> None:
        self.tokens = tokens
        self.pos = 0
        self.type_names = set(type_names)
        self.template_names = set(template_names)
        self.typedefs = {} if typedefs is None else typedefs
        self.implicit_semicolon = False
        self._depth = 0
        self._undo: list[tuple[int, Token]] = []  # split `>>` tokens, for `_reset`

    def run(self, rule: Callable[[], ast.Node]):
        """Apply `rule`; Python's own recursion limit becomes a syntax error too."""
        try:
            return rule()
        except RecursionError:
            raise KernelSyntaxError("expression nested too deeply", self._peek().span) from None

    # ------------------------------------------------------------------ token primitives

    def _peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.pos + k, len(self.tokens) - 1)]

    def _advance(self) -> Token:
        tok = self._peek()
        if tok.kind != "EOF":
            self.pos += 1
        return tok

    def _at(self, text: str, k: int = 0) -> bool:
        tok = self._peek(k)
        return tok.text == text and tok.kind in ("OP", "KEYWORD")

    def _accept(self, text: str) -> Token | None:
        return self._advance() if self._at(text) else None

    def _expect(self, text: str, context: str) -> Token:
        if self._at(text):
            return self._advance()
        raise self._expected(f"'{text}'", context)

    def _expect_name(self, what: str, context: str) -> Token:
        if self._peek().kind == "NAME":
            return self._advance()
        raise self._expected(what, context)

    def _expect_semicolon(self, context: str) -> None:
        if self._accept(";") is None and not self._at_implicit_semicolon():
            raise self._expected("';'", context)

    def _at_implicit_semicolon(self) -> bool:
        """At the end of a section whose final `;` CuPy supplies."""
        return self.implicit_semicolon and self._peek().kind == "EOF"

    def _expected(self, what: str, context: str) -> KernelSyntaxError:
        tok = self._peek()
        suffix = f" for {context}" if context else ""
        if tok.kind == "EOF":
            message = f"unexpected end of input, expected {what}{suffix}"
            return KernelSyntaxError(message, self._after_previous())
        if what == "';'":
            return KernelSyntaxError(f"expected ';'{suffix}", self._after_previous())
        if what == "expression":
            return KernelSyntaxError(f"expected expression, found '{tok.text}'", tok.span)
        return KernelSyntaxError(f"expected {what}{suffix}", tok.span)

    def _after_previous(self) -> Span:
        """An empty span just after the last consumed token (where a ';' is missing)."""
        if self.pos == 0:
            return self._peek().span
        prev = self.tokens[self.pos - 1].span
        return Span(prev.source, prev.end, prev.end)

    def _span(self, start: Token) -> Span:
        """From `start` to the end of the last consumed token."""
        if self.pos == 0:
            return start.span
        return start.span.to(self.tokens[self.pos - 1].span)

    def _mark(self) -> tuple[int, int]:
        return self.pos, len(self._undo)

    def _reset(self, mark: tuple[int, int]) -> None:
        self.pos, undo_len = mark
        while len(self._undo) > undo_len:
            index, original = self._undo.pop()
            self.tokens[index : index + 2] = [original]

    def _enter(self, what: str = "expression") -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            limit = f"the limit is {MAX_DEPTH} levels of nesting"
            raise KernelSyntaxError(f"{what} nested too deeply ({limit})", self._peek().span)

    def _nesting(self) -> str:
        """What an expression starting here is nested in, for the depth error."""
        before = self.tokens[self.pos - 1].text if self.pos else ""
        if before in ("(", ","):
            return "parentheses"
        if before in ("?", ":"):
            return "conditional operators '?:'"
        if before in ASSIGN_OPS:
            return "assignments"
        return "expressions"

    def _leave(self) -> None:
        self._depth -= 1

    # ------------------------------------------------------------------ types

    # grammar: decl_specifiers : qualifier* type_spec qualifier*
    def _parse_decl_specifiers(self, any_name: bool = False) -> tuple[ast.TypeSpec, tuple]:
        quals, const1 = self._parse_qualifiers()
        tok = self._peek()
        if tok.kind == "KEYWORD" and tok.text in UNSUPPORTED_KEYWORDS:
            raise UnsupportedFeatureError(f"`{tok.text}` is not supported in kernels", tok.span)
        named = any_name and tok.kind == "NAME"
        if not (named or tok.is_keyword("auto") or self._is_type_start()):
            raise self._expected("type", "declaration")
        type_ = self._parse_type_spec()
        more, const2 = self._parse_qualifiers()
        return dataclasses.replace(type_, is_const=const1 or const2), quals + more

    def _parse_qualifiers(self) -> tuple[tuple[str, ...], bool]:
        quals: list[str] = []
        is_const = False
        while (tok := self._peek()).kind == "KEYWORD" and tok.text in QUALIFIERS:
            self._advance()
            if tok.text == "const":
                is_const = True
            elif tok.text not in quals:
                quals.append(tok.text)
        return tuple(quals), is_const

    # grammar: type_spec : SCALAR_WORD+ | 'auto' | qualified_name template_args?
    def _parse_type_spec(self) -> ast.TypeSpec:
        start = self._peek()
        if start.kind == "KEYWORD" and start.text in SCALAR_WORDS:
            words = []
            while (tok := self._peek()).kind == "KEYWORD" and tok.text in SCALAR_WORDS:
                words.append(self._advance().text)
            name = scalar_type_name(words)
            if name is None:
                raise KernelSyntaxError(f"invalid type '{' '.join(words)}'", self._span(start))
            return ast.TypeSpec(self._span(start), name)
        if self._accept("auto"):
            return ast.TypeSpec(self._span(start), "auto")
        scope, name = self._parse_qualified_name()
        if not scope and name in self.typedefs:
            return ast.TypeSpec(self._span(start), self.typedefs[name])
        args: tuple[ast.TypeSpec, ...] = ()
        if self._at("<"):  # after a type name, '<' opens template arguments
            args = self._parse_template_args()
        full = name if scope in ("", "std") else f"{scope}::{name}"
        return ast.TypeSpec(self._span(start), full, template_args=args)

    # grammar: type_name : decl_specifiers abstract_declarator
    def _parse_type_name(self, any_name: bool = False) -> ast.TypeSpec:
        type_, _ = self._parse_decl_specifiers(any_name)
        return self._parse_abstract_declarator(type_)

    # grammar: abstract_declarator : ('*' 'const'?)? '&'?
    def _parse_abstract_declarator(self, type_: ast.TypeSpec) -> ast.TypeSpec:
        if self._accept("*"):
            self._parse_qualifiers()
            if self._at("*"):
                raise UnsupportedFeatureError(
                    "pointers to pointers are not supported", self._peek().span
                )
            type_ = dataclasses.replace(type_, is_pointer=True)
        if self._at("&&"):
            raise UnsupportedFeatureError("rvalue references are not supported", self._peek().span)
        if self._accept("&"):
            type_ = dataclasses.replace(type_, is_ref=True)
        return type_

    # grammar: template_args : '<' type_name (',' type_name)* '>'
    def _parse_template_args(self) -> tuple[ast.TypeSpec, ...]:
        self._enter("template argument lists")
        self._advance()
        args = [self._parse_template_arg()]
        while self._accept(","):
            args.append(self._parse_template_arg())
        self._expect_close_angle("template argument list")
        self._leave()
        return tuple(args)

    def _parse_template_arg(self) -> ast.TypeSpec:
        if not self._is_type_start():
            raise self._expected("type", "template argument list")
        return self._parse_type_name()

    def _expect_close_angle(self, context: str) -> None:
        """Consume one '>', splitting `>>` (or `>=`, `>>=`) as C++11 does."""
        tok = self._peek()
        if tok.is_op(">"):
            self._advance()
            return
        if tok.kind != "OP" or tok.text not in (">>", ">=", ">>="):
            raise self._expected("'>'", context)
        src, start = tok.span.source, tok.span.start
        first = Token("OP", ">", Span(src, start, start + 1), hide=tok.hide)
        rest = Token("OP", tok.text[1:], Span(src, start + 1, tok.span.end), hide=tok.hide)
        self._undo.append((self.pos, tok))
        self.tokens[self.pos : self.pos + 1] = [first, rest]
        self._advance()

    # grammar: qualified_name : '::'? NAME ('::' NAME)*
    def _parse_qualified_name(self) -> tuple[str, str]:
        """(scope, name): `std::min` -> ('std', 'min'); `::min` -> ('', 'min')."""
        self._accept("::")
        parts = [self._expect_name("name", "").text]
        while self._at("::") and self._peek(1).kind == "NAME":
            self._advance()
            parts.append(self._advance().text)
        return "::".join(parts[:-1]), parts[-1]

    def _scan_qualified_name(self, k: int) -> tuple[str, str, int] | None:
        """Lookahead `_parse_qualified_name` at offset k: (scope, name, offset after)."""
        if self._at("::", k):
            k += 1
        if self._peek(k).kind != "NAME":
            return None
        parts = [self._peek(k).text]
        while self._at("::", k + 1) and self._peek(k + 2).kind == "NAME":
            parts.append(self._peek(k + 2).text)
            k += 2
        return "::".join(parts[:-1]), parts[-1], k + 1

    def _is_type_start(self, k: int = 0) -> bool:
        """Does a type begin at offset k? (Decides casts, declarations, functional casts.)"""
        tok = self._peek(k)
        if tok.kind == "KEYWORD":
            return tok.text in SCALAR_WORDS or tok.text in ("const", "volatile")
        scanned = self._scan_qualified_name(k)
        if scanned is None:
            return False
        scope, name, after = scanned
        if self._at("<", after):
            return name in TYPE_TEMPLATES or self._speculate(self._declarator_follows, after)
        if scope:
            return name in BUILTIN_TYPE_NAMES
        if name in SOFT_TYPE_NAMES and name not in self.type_names:
            return self._soft_type_here(k, after)
        return name in self.type_names or name in self.typedefs or name in BUILTIN_TYPE_NAMES

    def _soft_type_here(self, k: int, after: int) -> bool:
        nxt = self._peek(after)
        if nxt.kind == "NAME" or nxt.text == "(":
            return True
        if nxt.text in ("&", "*") and self._peek(after + 1).kind == "NAME":
            return True
        # `(half)x` is a cast; `f(half)` passes a variable
        at = self.pos + k
        if nxt.text != ")" or at < 1 or self.tokens[at - 1].text != "(":
            return False
        before = self.tokens[at - 2] if at >= 2 else None
        return before is None or not (before.kind == "NAME" or before.text in (")", "]"))

    def _type_then(self, text: str) -> bool:
        """Is the type starting here directly followed by `text`?"""
        return self._speculate(lambda: self._parse_type_spec() and self._at(text))

    def _declarator_follows(self) -> bool:
        """At '<': `vec<float> v` / `ns::pair<int, int> &p` is a template type."""
        self._parse_template_args()
        tok = self._peek()
        return tok.kind == "NAME" or (tok.text in ("&", "*") and self._peek(1).kind == "NAME")

    def _template_call_follows(self) -> bool:
        """At '<': `f<float>(x)` is a call even when `f` is not a known template, since
        `f < float > (x)` can never be a comparison."""
        self._parse_template_args()
        return self._at("(")

    def _speculate(self, probe: Callable[[], bool], offset: int = 0) -> bool:
        """Run `probe` `offset` tokens ahead and rewind; a syntax error means no.

        Probes nest (`a<b<c<...`) but stay cheap: an inner `_declarator_follows` only
        succeeds when a name follows its `>`, which fails the enclosing argument list.
        """
        mark, depth = self._mark(), self._depth
        self.pos = min(self.pos + offset, len(self.tokens) - 1)
        try:
            return bool(probe())
        except KernelCompileError:
            return False
        finally:
            self._reset(mark)
            self._depth = depth

    # grammar: initializer : init_list | assignment
    def _parse_initializer(self) -> ast.Expr:
        return self._parse_init_list() if self._at("{") else self._parse_assignment()

    # grammar: init_list : '{' (initializer (',' initializer)* ','?)? '}'
    def _parse_init_list(self) -> ast.InitList:
        self._enter("initialiser lists '{...}'")
        start = self._advance()
        items: list[ast.Expr] = []
        while not self._at("}"):
            items.append(self._parse_initializer())
            if not self._accept(","):
                break
        self._expect("}", "initializer list")
        self._leave()
        return ast.InitList(self._span(start), tuple(items))

    # ------------------------------------------------------------------ expressions

    def _parse_expression_only(self) -> ast.Expr:
        expr = self._parse_expression()
        if self._peek().kind != "EOF":
            raise KernelSyntaxError(f"unexpected '{self._peek().text}'", self._peek().span)
        return expr

    # grammar: expression : assignment (',' assignment)*
    def _parse_expression(self) -> ast.Expr:
        start = self._peek()
        expr = self._parse_assignment()
        while self._accept(","):
            rhs = self._parse_assignment()
            expr = ast.Binary(self._span(start), ",", expr, rhs)
        return expr

    # grammar: assignment : conditional (ASSIGN_OP assignment)?
    def _parse_assignment(self) -> ast.Expr:
        self._enter(self._nesting())
        start = self._peek()
        target = self._parse_conditional()
        op = self._peek()
        if op.kind == "OP" and op.text in ASSIGN_OPS:
            self._advance()
            value = self._parse_assignment()
            target = ast.Assign(self._span(start), op.text, target, value)
        self._leave()
        return target

    # grammar: conditional : binary(1) ('?' expression ':' assignment)?
    def _parse_conditional(self) -> ast.Expr:
        start = self._peek()
        cond = self._parse_binary(1)
        if not self._accept("?"):
            return cond
        if_true = self._parse_expression()
        self._expect(":", "conditional expression")
        if_false = self._parse_assignment()
        return ast.Conditional(self._span(start), cond, if_true, if_false)

    # grammar: binary(p) : cast (BINARY_OP binary(prec(BINARY_OP) + 1))*  where prec >= p
    def _parse_binary(self, min_prec: int) -> ast.Expr:
        start = self._peek()
        lhs = self._parse_cast()
        while (op := self._peek()).kind == "OP":
            prec = BINARY_PRECEDENCE.get(op.text, 0)
            if prec < min_prec:
                break
            self._advance()
            rhs = self._parse_binary(prec + 1)
            lhs = ast.Binary(self._span(start), op.text, lhs, rhs)
        return lhs

    # grammar: cast : '(' type_name ')' cast | unary
    def _parse_cast(self) -> ast.Expr:
        start = self._peek()
        if not (start.is_op("(") and self._is_type_start(1)):
            return self._parse_unary()
        mark = self._mark()
        self._advance()
        type_ = self._parse_type_name()
        if not self._accept(")"):
            self._reset(mark)  # `(T(x) + 1)`: a parenthesised expression
            return self._parse_unary()
        self._enter("casts")
        operand = self._parse_cast()
        self._leave()
        return ast.Cast(self._span(start), type_, operand, "c")

    # grammar: unary : ('++' | '--') unary | PREFIX_OP cast | 'sizeof' '(' type_name ')'
    #                | postfix
    def _parse_unary(self) -> ast.Expr:
        start = self._peek()
        if start.kind != "OP" or start.text not in PREFIX_OPS | {"++", "--"}:
            if start.is_keyword("sizeof"):
                return self._parse_sizeof()
            return self._parse_postfix()
        self._advance()
        self._enter("unary operators")
        operand = self._parse_unary() if start.text in ("++", "--") else self._parse_cast()
        self._leave()
        return ast.Unary(self._span(start), start.text, operand)

    def _parse_sizeof(self) -> ast.SizeOf:
        start = self._advance()
        if not (self._at("(") and self._is_type_start(1)):
            raise UnsupportedFeatureError(
                "sizeof of an expression is not supported: use sizeof(type)", start.span
            )
        self._advance()
        type_ = self._parse_type_name()
        self._expect(")", "sizeof")
        return ast.SizeOf(self._span(start), type_)

    # grammar: postfix : primary ('[' expression ']' | arguments | ('.' | '->') NAME
    #                            | '++' | '--')*
    def _parse_postfix(self) -> ast.Expr:
        start = self._peek()
        expr = self._parse_primary()
        while (tok := self._peek()).kind == "OP":
            if tok.text == "[":
                self._advance()
                index = self._parse_expression()
                self._expect("]", "index expression")
                expr = ast.Index(self._span(start), expr, index)
            elif tok.text == "(":
                args = self._parse_arguments("function call")
                expr = ast.Call(self._span(start), expr, args)
            elif tok.text in (".", "->"):
                self._advance()
                name = self._expect_name("member name", "member access")
                expr = ast.Member(self._span(start), expr, name.text, tok.text == "->")
            elif tok.text in ("++", "--"):
                self._advance()
                expr = ast.Postfix(self._span(start), tok.text, expr)
            else:
                break
        return expr

    # grammar: arguments : '(' (assignment (',' assignment)*)? ')'
    def _parse_arguments(self, context: str) -> tuple[ast.Expr, ...]:
        self._expect("(", context)
        args: list[ast.Expr] = []
        if not self._at(")"):
            args.append(self._parse_assignment())
            while self._accept(","):
                args.append(self._parse_assignment())
        self._expect(")", context)
        return tuple(args)

    # grammar: primary : INT | FLOAT | CHAR | 'true' | 'false' | '(' expression ')'
    #                  | init_list | cxx_cast | functional_cast | template_call
    #                  | qualified_name
    def _parse_primary(self) -> ast.Expr:
        tok = self._peek()
        if tok.kind in ("INT", "FLOAT", "CHAR") or tok.text in ("true", "false"):
            return self._parse_literal()
        if tok.is_op("("):
            self._advance()
            expr = self._parse_expression()
            self._expect(")", "parenthesized expression")
            return expr
        if tok.is_op("{"):
            return self._parse_init_list()
        if tok.kind == "KEYWORD" and tok.text in CXX_CASTS:
            return self._parse_cxx_cast()
        if self._is_type_start() and tok.text not in ("const", "volatile"):
            return self._parse_functional_cast()
        if tok.kind == "NAME" or tok.is_op("::"):
            return self._parse_name()
        if tok.kind == "KEYWORD" and tok.text in _NOT_IN_EXPRESSIONS:
            raise UnsupportedFeatureError(f"`{tok.text}` is not supported in kernels", tok.span)
        if tok.kind == "STRING":
            raise UnsupportedFeatureError("string literals are not supported in kernels", tok.span)
        raise self._expected("expression", "")

    def _parse_literal(self) -> ast.Expr:
        tok = self._advance()
        if tok.kind == "INT":
            return ast.IntLit(tok.span, tok.value, tok.suffix, tok.is_hex)
        if tok.kind == "CHAR":
            return ast.IntLit(tok.span, tok.value)
        if tok.kind == "FLOAT":
            return ast.FloatLit(tok.span, tok.value, tok.suffix == "f", tok.text)
        return ast.BoolLit(tok.span, tok.text == "true")

    # grammar: cxx_cast : CXX_CAST '<' type_name '>' '(' expression ')'
    def _parse_cxx_cast(self) -> ast.Cast:
        start = self._advance()
        self._expect("<", start.text)
        type_ = self._parse_template_arg()
        self._expect_close_angle(start.text)
        self._expect("(", start.text)
        operand = self._parse_expression()
        self._expect(")", start.text)
        style = start.text.removesuffix("_cast")
        return ast.Cast(self._span(start), type_, operand, style)

    # grammar: functional_cast : type_spec arguments
    def _parse_functional_cast(self) -> ast.Expr:
        start = self._peek()
        type_ = self._parse_type_spec()
        if not self._at("("):
            raise self._expected("'('", f"functional cast to '{type_.name}'")
        args = self._parse_arguments("functional cast")
        if len(args) == 1:
            return ast.Cast(self._span(start), type_, args[0], "functional")
        return ast.Construct(self._span(start), type_, args)

    # grammar: template_call : NAME template_args arguments
    # grammar: name : qualified_name
    def _parse_name(self) -> ast.Expr:
        start = self._peek()
        scope, name = self._parse_qualified_name()
        if self._at("<") and (
            name in self.template_names or self._speculate(self._template_call_follows)
        ):
            targs = self._parse_template_args()
            func = ast.Ident(self._span(start), name, scope)
            args = self._parse_arguments("function call")
            return ast.Call(self._span(start), func, args, targs)
        return ast.Ident(self._span(start), name, scope)


def scalar_type_name(words: list[str]) -> str | None:
    """C's scalar spellings -> one canonical name ('unsigned' -> 'unsigned int',
    'long long int' -> 'long long'); None for a combination C rejects."""
    count = {w: words.count(w) for w in set(words)}
    signs = count.get("signed", 0) + count.get("unsigned", 0)
    longs, shorts, ints = count.get("long", 0), count.get("short", 0), count.get("int", 0)
    base = [w for w in words if w not in ("signed", "unsigned", "long", "short", "int")]
    if signs > 1 or len(base) > 1 or ints > 1 or longs > 2 or shorts > 1 or (shorts and longs):
        return None
    unsigned = "unsigned " if "unsigned" in count else ""
    if base == ["char"] and not (longs or shorts or ints):
        return "signed char" if "signed" in count else unsigned + "char"
    if base == ["double"] and words.count("long") == 1 and not (signs or shorts or ints):
        return "long double"
    if base:
        return base[0] if not (signs or longs or shorts or ints) else None
    if shorts:
        return unsigned + "short"
    return unsigned + ("long long" if longs == 2 else "long" if longs else "int")
