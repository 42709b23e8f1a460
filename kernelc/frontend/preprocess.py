"""The C preprocessor, over token lists: `#define`/`#undef`, conditionals, macro expansion.

Rule: one `Preprocessor` (its macro table) is carried through a kernel's sections in
order, so a macro defined in the preamble applies in `operation`. Every token a macro
produces takes the span of the macro's use site, so errors point into the user's code;
argument tokens keep their own spans. A token never re-expands a macro it came out of
(each token carries a hide set, as in Prosser's algorithm).

Supported: object-like and function-like macros (variadic, `##` pasting), `#undef`,
`#if/#ifdef/#ifndef/#elif/#else/#endif` with integer expressions and `defined`;
`#pragma`, `#include`, `#line` and `#warning` are ignored; `#error` raises; `#x`
(stringizing) is rejected, since kernels have no strings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kernelc.errors import KernelSyntaxError, SourceText, Span, UnsupportedFeatureError
from kernelc.frontend.exprparser import BINARY_PRECEDENCE  # C's, for #if as for kernels
from kernelc.frontend.lexer import Token, lex_text, tokenize

MAX_EXPANSION_TOKENS = 200_000  # total tokens produced by macros in one section
MAX_NESTING = 64  # macro calls nested in macro arguments, parentheses in `#if`
PREDEFINED = {"__CUDACC__": "1"}
_IGNORED = frozenset({"pragma", "include", "line", "warning", "ident"})
_CONDITIONALS = frozenset({"if", "ifdef", "ifndef", "elif", "else", "endif"})


@dataclass(frozen=True, slots=True)
class Macro:
    """`params` is None for an object-like macro; a variadic one ends in `__VA_ARGS__`."""

    name: str
    params: tuple[str, ...] | None
    body: tuple[Token, ...]
    span: Span
    variadic: bool = False


@dataclass(slots=True)
class _Conditional:
    """One open `#if` group: `active` is this branch's state including its parents'."""

    directive: Token
    parent_active: bool
    active: bool
    taken: bool
    seen_else: bool = False


class Preprocessor:
    """A macro table and the directive interpreter; reuse one across a kernel's sections."""

    def __init__(self, macros: dict[str, Macro] | None = None) -> None:
        self.macros: dict[str, Macro] = {}
        for name, body in PREDEFINED.items():
            self.define(name, body)
        self.macros.update(macros or {})

    def define(self, name: str, body: str = "") -> None:
        """Define an object-like macro from text, as `-DNAME=body` would."""
        source = SourceText("<built-in>", body)
        tokens = tuple(tokenize(source)[:-1])
        self.macros[name] = Macro(name, None, tokens, Span(source, 0, len(body)))

    def process(self, tokens: list[Token]) -> list[Token]:
        """Run directives and expand macros; `tokens` ends in EOF and so does the result."""
        out: list[Token] = []
        run: list[Token] = []
        stack: list[_Conditional] = []
        for tok in tokens:
            if tok.kind == "EOF":
                break
            if tok.kind != "DIRECTIVE":
                if not stack or stack[-1].active:
                    run.append(tok)
                continue
            out += self.expand(run)
            run = []
            self._directive(tok, stack)
        if stack:
            head = stack[-1].directive
            name = head.value[0].text if head.value else "if"
            raise KernelSyntaxError(f"unterminated '#{name}'", head.span)
        out += self.expand(run)
        out.append(tokens[-1])
        return out

    def expand(self, tokens: list[Token]) -> list[Token]:
        """Macro-expand a directive-free token list."""
        return _Expander(self.macros).run(tokens)

    # ------------------------------------------------------------------ directives

    def _directive(self, tok: Token, stack: list[_Conditional]) -> None:
        words: tuple[Token, ...] = tok.value
        if not words:
            return  # the null directive `#`
        head, rest = words[0], list(words[1:])
        name = head.text if head.is_word else ""
        if name in _CONDITIONALS:
            self._conditional(name, tok, rest, stack)
        elif stack and not stack[-1].active:
            return
        elif name == "define":
            self._define(head, _checked(rest))
        elif name == "undef":
            self._undef(head, _checked(rest))
        elif name == "error":
            text = tok.text[head.span.end - tok.span.start :].strip()
            raise KernelSyntaxError(f"#error {text}".rstrip(), tok.span)
        elif name not in _IGNORED:
            raise KernelSyntaxError(f"unknown preprocessor directive '#{head.text}'", head.span)

    def _conditional(self, name: str, tok: Token, rest: list[Token], stack) -> None:
        if name in ("if", "ifdef", "ifndef"):
            parent = not stack or stack[-1].active
            value = parent and self._condition(name, tok.value[0], rest)
            stack.append(_Conditional(tok, parent, value, value))
            return
        if not stack:
            raise KernelSyntaxError(f"#{name} without #if", tok.span)
        top = stack[-1]
        if name == "endif":
            stack.pop()
        elif top.seen_else:
            raise KernelSyntaxError(f"#{name} after #else", tok.span)
        elif name == "else":
            top.active, top.taken, top.seen_else = top.parent_active and not top.taken, True, True
        else:  # elif: its condition is evaluated only when it can be taken
            can_take = top.parent_active and not top.taken
            value = can_take and self._condition(name, tok.value[0], rest)
            top.active, top.taken = value, top.taken or value

    def _condition(self, name: str, head: Token, rest: list[Token]) -> bool:
        rest = _checked(rest)
        if name in ("ifdef", "ifndef"):
            if not rest or not rest[0].is_word:
                raise KernelSyntaxError(f"macro name missing after #{name}", head.span)
            return (rest[0].text in self.macros) == (name == "ifdef")
        if not rest:
            raise KernelSyntaxError(f"#{name} with no expression", head.span)
        tokens = self.expand(self._replace_defined(rest))
        return _ConditionEvaluator(tokens, head.span).evaluate() != 0

    def _replace_defined(self, tokens: list[Token]) -> list[Token]:
        """`defined X` / `defined(X)` -> 1 or 0, before expansion (as C says)."""
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if not (tok.kind == "NAME" and tok.text == "defined"):
                out.append(tok)
                i += 1
                continue
            paren = i + 1 < len(tokens) and tokens[i + 1].is_op("(")
            j = i + 2 if paren else i + 1
            if j >= len(tokens) or not tokens[j].is_word:
                raise KernelSyntaxError("macro name missing after 'defined'", tok.span)
            if paren and (j + 1 >= len(tokens) or not tokens[j + 1].is_op(")")):
                raise KernelSyntaxError("expected ')' after 'defined(NAME'", tokens[j].span)
            value = int(tokens[j].text in self.macros)
            out.append(Token("INT", str(value), tok.span.to(tokens[j].span), value=value))
            i = j + 2 if paren else j + 1
        return out

    def _define(self, head: Token, rest: list[Token]) -> None:
        if not rest:
            raise KernelSyntaxError("macro name missing after #define", head.span)
        name = rest[0]
        if not name.is_word:
            raise KernelSyntaxError("macro names must be identifiers", name.span)
        if name.text == "defined":
            raise KernelSyntaxError("'defined' cannot be used as a macro name", name.span)
        body = rest[1:]
        params, variadic = None, False
        if body and body[0].is_op("(") and body[0].span.start == name.span.end:
            params, variadic, body = _macro_params(name, body)
        _check_body(body, params)
        self.macros[name.text] = Macro(name.text, params, tuple(body), name.span, variadic)

    def _undef(self, head: Token, rest: list[Token]) -> None:
        if not rest or not rest[0].is_word:
            raise KernelSyntaxError("macro name missing after #undef", head.span)
        self.macros.pop(rest[0].text, None)


def _checked(tokens: list[Token]) -> list[Token]:
    """The directive's tokens, raising the lexing error the lexer deferred, if any."""
    for tok in tokens:
        if tok.kind == "ERROR":
            raise tok.value
    return tokens


# grammar: macro_params : '(' ')' | '(' '...' ')' | '(' NAME (',' NAME)* (',' '...')? ')'
def _macro_params(name: Token, tokens: list[Token]) -> tuple[tuple[str, ...], bool, list]:
    params: list[str] = []
    i = 1
    while True:
        if i >= len(tokens):
            raise KernelSyntaxError("missing ')' in macro parameter list", name.span)
        tok = tokens[i]
        if tok.is_op(")") and (not params or tokens[i - 1].is_op("(")):
            return tuple(params), False, tokens[i + 1 :]
        if tok.is_op("..."):
            if i + 1 >= len(tokens) or not tokens[i + 1].is_op(")"):
                raise KernelSyntaxError("missing ')' in macro parameter list", tok.span)
            return (*params, "__VA_ARGS__"), True, tokens[i + 2 :]
        if not tok.is_word:
            raise KernelSyntaxError("expected parameter name in macro parameter list", tok.span)
        if tok.text in params:
            raise KernelSyntaxError(f"duplicate macro parameter '{tok.text}'", tok.span)
        params.append(tok.text)
        sep = tokens[i + 1] if i + 1 < len(tokens) else None
        if sep is not None and sep.is_op(")"):
            return tuple(params), False, tokens[i + 2 :]
        if sep is None or not sep.is_op(","):
            raise KernelSyntaxError("expected ',' or ')' in macro parameter list", tok.span)
        i += 2


def _check_body(body: list[Token], params: tuple[str, ...] | None) -> None:
    for end in (body[:1], body[-1:]):
        if end and end[0].is_op("##"):
            raise KernelSyntaxError(
                "'##' cannot appear at either end of a macro expansion", end[0].span
            )
    if params is None or not body:  # an empty function-like macro body
        return
    for tok, nxt in zip(body, [*body[1:], None], strict=True):
        if tok.is_op("#"):
            if nxt is None or nxt.text not in params:
                raise KernelSyntaxError("'#' is not followed by a macro parameter", tok.span)
            raise UnsupportedFeatureError(
                "the '#' stringizing operator is not supported: kernels have no strings",
                tok.span,
            )


class _Expander:
    """One expansion pass; its budget and depth bound what a hostile macro can produce."""

    def __init__(self, macros: dict[str, Macro]) -> None:
        self.macros = macros
        self.budget = MAX_EXPANSION_TOKENS
        self.depth = 0

    def run(self, tokens: list[Token]) -> list[Token]:
        out: list[Token] = []
        pending = tokens[::-1]  # a stack: the next token is pending[-1]
        while pending:
            tok = pending.pop()
            macro = self.macros.get(tok.text) if tok.is_word else None
            if macro is None or macro.name in tok.hide:
                out.append(tok)
                continue
            if macro.params is None:
                body = self._substitute(macro, {}, tok.span, tok.hide)
            elif pending and pending[-1].is_op("("):
                args, close = self._collect_args(tok, pending)
                bound = self._bind(macro, args, tok)
                body = self._substitute(macro, bound, tok.span.to(close.span), tok.hide)
            else:
                out.append(tok)  # a function-like macro's name without '(' is a name
                continue
            self.budget -= len(body) + 1
            if self.budget < 0:
                raise KernelSyntaxError("macro expansion is too large", tok.span)
            pending.extend(reversed(body))
        return out

    # grammar: macro_args : '(' (balanced_tokens (',' balanced_tokens)*)? ')'
    def _collect_args(self, name: Token, pending: list[Token]) -> tuple[list, Token]:
        pending.pop()  # '('
        args: list[list[Token]] = [[]]
        depth = 0
        while pending:
            tok = pending.pop()
            if tok.is_op(")") and depth == 0:
                return args, tok
            if tok.is_op(",") and depth == 0:
                args.append([])
                continue
            depth += tok.is_op("(") - tok.is_op(")")
            args[-1].append(tok)
        raise KernelSyntaxError(
            f"unterminated argument list invoking macro '{name.text}'", name.span
        )

    def _bind(self, macro: Macro, args: list[list[Token]], use: Token) -> dict:
        params = macro.params or ()
        if not params and args == [[]]:
            return {}
        fixed = len(params) - macro.variadic
        if len(args) < fixed or (len(args) > fixed and not macro.variadic):
            raise KernelSyntaxError(
                f"macro '{macro.name}' takes {fixed} argument{'s' * (fixed != 1)},"
                f" but {len(args)} given",
                use.span,
            )
        bound = dict(zip(params[:fixed], args, strict=False))  # extra args go to __VA_ARGS__
        if macro.variadic:
            rest = args[fixed:]
            joined = list(rest[0]) if rest else []
            for arg in rest[1:]:
                joined += [Token("OP", ",", use.span), *arg]
            bound["__VA_ARGS__"] = joined
        return bound

    def _substitute(self, macro: Macro, args: dict, site: Span, hide: frozenset) -> list[Token]:
        hide = hide | {macro.name}
        body = macro.body
        out: list[Token] = []
        paste = False
        for i, tok in enumerate(body):
            if tok.is_op("##"):
                paste = True
                continue
            if tok.is_word and tok.text in args:
                raw = paste or (i + 1 < len(body) and body[i + 1].is_op("##"))
                piece = list(args[tok.text]) if raw else self._expand_arg(args[tok.text], site)
            else:
                piece = [dataclasses.replace(tok, span=site)]
            if paste and out and piece:
                out[-1] = _paste(out[-1], piece.pop(0), site)
            paste = False
            out += piece
        return [dataclasses.replace(t, hide=t.hide | hide) for t in out]

    def _expand_arg(self, arg: list[Token], site: Span) -> list[Token]:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise KernelSyntaxError("macro expansion nested too deeply", site)
        try:
            return self.run(arg)
        finally:
            self.depth -= 1


def _paste(left: Token, right: Token, site: Span) -> Token:
    text = left.text + right.text
    try:
        tokens = lex_text(SourceText(site.source.section, text), 0, len(text))
    except KernelSyntaxError:
        tokens = []
    if len(tokens) != 1:
        raise KernelSyntaxError(
            f"pasting '{left.text}' and '{right.text}' does not give a valid token", site
        )
    return dataclasses.replace(tokens[0], span=site, hide=left.hide | right.hide)


class _ConditionEvaluator:
    """Evaluates an expanded `#if` expression over 64-bit integers; names are 0."""

    def __init__(self, tokens: list[Token], span: Span) -> None:
        self.tokens = tokens
        self.pos = 0
        self.span = span
        self.depth = 0

    def evaluate(self) -> int:
        value = self._ternary()
        if self.pos < len(self.tokens):
            self._fail(f"unexpected '{self.tokens[self.pos].text}' in #if expression")
        return value

    def _peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _fail(self, message: str) -> None:
        tok = self._peek()
        raise KernelSyntaxError(message, tok.span if tok else self.span)

    # grammar: pp_ternary : pp_binary ('?' pp_ternary ':' pp_ternary)?
    def _ternary(self) -> int:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self._fail("#if expression nested too deeply")
        cond = self._binary(1)
        if (tok := self._peek()) is not None and tok.is_op("?"):
            self.pos += 1
            if_true = self._ternary()
            if (tok := self._peek()) is None or not tok.is_op(":"):
                self._fail("expected ':' in #if expression")
            self.pos += 1
            if_false = self._ternary()
            cond = if_true if cond else if_false
        self.depth -= 1
        return cond

    # grammar: pp_binary(p) : pp_unary (OP pp_binary(prec(OP) + 1))*   for prec(OP) >= p
    def _binary(self, min_prec: int) -> int:
        lhs = self._unary()
        while (tok := self._peek()) is not None and tok.kind == "OP":
            prec = BINARY_PRECEDENCE.get(tok.text, 0)
            if prec < min_prec:
                break
            self.pos += 1
            lhs = self._apply(tok, lhs, self._binary(prec + 1))
        return lhs

    def _apply(self, tok: Token, a: int, b: int) -> int:
        op = tok.text
        if op in ("/", "%") and b == 0:
            raise KernelSyntaxError("division by zero in #if expression", tok.span)
        if op in ("<<", ">>"):
            b &= 63
        result = {
            "||": lambda: int(bool(a) or bool(b)),
            "&&": lambda: int(bool(a) and bool(b)),
            "|": lambda: a | b,
            "^": lambda: a ^ b,
            "&": lambda: a & b,
            "==": lambda: int(a == b),
            "!=": lambda: int(a != b),
            "<": lambda: int(a < b),
            ">": lambda: int(a > b),
            "<=": lambda: int(a <= b),
            ">=": lambda: int(a >= b),
            "<<": lambda: a << b,
            ">>": lambda: a >> b,
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: _c_div(a, b),
            "%": lambda: a - b * _c_div(a, b),
        }[op]()
        return (result + 2**63) % 2**64 - 2**63

    # grammar: pp_unary : ('!' | '~' | '-' | '+') pp_unary | '(' pp_ternary ')' | INT | CHAR | NAME
    def _unary(self) -> int:
        tok = self._peek()
        if tok is None:
            self._fail("expected value in #if expression")
        self.pos += 1
        if tok.kind == "OP" and tok.text in "!~-+" and len(tok.text) == 1:
            self.depth += 1
            if self.depth > MAX_NESTING:
                self._fail("#if expression nested too deeply")
            value = self._unary()
            self.depth -= 1
            value = {"!": int(not value), "~": ~value, "-": -value, "+": value}[tok.text]
            return (value + 2**63) % 2**64 - 2**63
        if tok.is_op("("):
            value = self._ternary()
            if (close := self._peek()) is None or not close.is_op(")"):
                self._fail("expected ')' in #if expression")
            self.pos += 1
            return value
        if tok.kind in ("INT", "CHAR"):
            return tok.value
        if tok.is_word:
            return int(tok.text == "true")
        raise KernelSyntaxError(f"unexpected '{tok.text}' in #if expression", tok.span)


def _c_div(a: int, b: int) -> int:
    """C division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q
