"""The tokenizer for the CUDA C/C++ subset that kernels are written in.

Rule: `tokenize` turns any string into tokens or raises `KernelSyntaxError` at the
offending character; every token carries the `Span` of its text. A preprocessor line
(`#...` to the end of the line, `\\`-continued) is one `DIRECTIVE` token whose `value` is
the tuple of tokens on that line, lexed the same way.

Token kinds: NAME, KEYWORD, INT, FLOAT, CHAR, STRING, OP, DIRECTIVE, EOF, and ERROR (only
inside a directive line that does not lex: the error waits until the line is read). Numbers are
matched first as C preprocessing numbers (`[.]digit (alnum | . | e+ ...)*`) and then
classified, so `1f` or `08` is one bad literal with a precise message, never two tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernelc.errors import KernelSyntaxError, SourceText, Span

KEYWORDS = frozenset(
    """
    auto bool break case char class const const_cast constexpr continue default delete do
    double dynamic_cast else enum extern false float for goto if inline int long namespace
    new operator register reinterpret_cast return short signed sizeof static
    static_cast struct switch template this throw true try typedef typename union unsigned
    using void volatile while asm __asm__ __restrict__ __restrict __device__ __host__
    __global__ __forceinline__ __inline__ __noinline__ __constant__ __shared__
    """.split()
)

# Longest first, so that the alternation takes `<<=` before `<<` before `<`.
OPERATORS = sorted(
    """
    ... <<= >>= -> ++ -- << >> <= >= == != && || += -= *= /= %= &= ^= |= :: ##
    + - * / % < > = ! ~ & | ^ ? : ; , . ( ) [ ] { } #
    """.split(),
    key=len,
    reverse=True,
)

_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+|\\\r?\n)
  | (?P<newline>\n)
  | (?P<comment>//[^\n]*|/\*)
  | (?P<number>\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<char>')
  | (?P<string>")
  | (?P<op>"""
    + "|".join(re.escape(op) for op in OPERATORS)
    + r""")
    """,
    re.VERBOSE | re.ASCII,
)

_DEC_FLOAT_RE = re.compile(
    r"(?:(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)([A-Za-z_]*)",
    re.ASCII,
)
_HEX_FLOAT_RE = re.compile(
    r"0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+([A-Za-z_]*)", re.ASCII
)
_INT_RE = re.compile(r"(0[xX][0-9a-fA-F]+|[0-9]+)([A-Za-z_]*)", re.ASCII)
_DIRECTIVE_NAME_RE = re.compile(r"[ \t]*[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_ESCAPES = {"n": 10, "t": 9, "r": 13, "0": 0, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92}
_ESCAPES.update({"'": 39, '"': 34, "?": 63})
_MAX_UINT64 = 2**64 - 1


@dataclass(frozen=True, slots=True)
class Token:
    """One token. `value`: int for INT/CHAR, float for FLOAT, the line's tokens for a
    DIRECTIVE. `suffix` is a literal's lower-cased suffix ('u', 'ull', 'f'); `hide` holds
    the macros this token came out of (the preprocessor's recursion guard)."""

    kind: str
    text: str
    span: Span
    value: object = None
    suffix: str = ""
    is_hex: bool = False
    hide: frozenset[str] = frozenset()

    def is_op(self, text: str) -> bool:
        return self.kind == "OP" and self.text == text

    def is_keyword(self, text: str) -> bool:
        return self.kind == "KEYWORD" and self.text == text

    @property
    def is_word(self) -> bool:
        """A name or a keyword: what a macro may be named."""
        return self.kind in ("NAME", "KEYWORD")


def tokenize(source: SourceText) -> list[Token]:
    """All tokens of `source`, directives folded into DIRECTIVE tokens, then one EOF."""
    lexer = _Lexer(source)
    tokens = lexer.run(0, len(source.text), allow_directives=True)
    end = len(source.text)
    tokens.append(Token("EOF", "", Span(source, end, end)))
    return tokens


def lex_text(source: SourceText, start: int, end: int) -> list[Token]:
    """Tokens of `source.text[start:end]` with no directive handling (for `##` pasting)."""
    return _Lexer(source).run(start, end, allow_directives=False)


class _Lexer:
    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.text = source.text

    def run(self, pos: int, end: int, allow_directives: bool) -> list[Token]:
        tokens: list[Token] = []
        line_start = True  # only whitespace so far on this line
        while pos < end:
            m = _TOKEN_RE.match(self.text, pos, end)
            if m is None:
                raise self._error(pos, f"unexpected character {self.text[pos]!r}")
            group = m.lastgroup
            if group == "op" and m.group() == "#" and line_start and allow_directives:
                token, pos = self._directive(pos, end)
                tokens.append(token)
                continue
            if group == "newline":
                line_start = True
            elif group not in ("space", "comment"):
                line_start = False
            token, pos = self._token(group, m, end)
            if token is not None:
                tokens.append(token)
        return tokens

    def _token(self, group: str, m: re.Match, end: int) -> tuple[Token | None, int]:
        start = m.start()
        if group in ("space", "newline"):
            return None, m.end()
        if group == "comment":
            if m.group() == "/*":
                close = self.text.find("*/", start + 2, end)
                if close < 0:
                    raise self._error(start, "unterminated comment", start + 2)
                return None, close + 2
            return None, m.end()
        if group == "number":
            return self._number(start, m.end()), m.end()
        if group == "name":
            kind = "KEYWORD" if m.group() in KEYWORDS else "NAME"
            return Token(kind, m.group(), self._span(start, m.end())), m.end()
        if group == "char":
            return self._char(start, end)
        if group == "string":
            return self._string(start, end)
        return Token("OP", m.group(), self._span(start, m.end())), m.end()

    # ------------------------------------------------------------------ pieces

    def _directive(self, start: int, end: int) -> tuple[Token, int]:
        stop = self._logical_line_end(start, end)
        try:
            inner = self.run(start + 1, stop, allow_directives=False)
        except KernelSyntaxError as err:
            # `#error don't` must not fail unless its text is needed: keep the name and
            # an ERROR token that the preprocessor raises when it reads past the name.
            name = _DIRECTIVE_NAME_RE.match(self.text, start + 1, stop)
            inner = self.run(start + 1, name.end(), allow_directives=False) if name else []
            inner.append(Token("ERROR", "", err.span or self._span(start, stop), value=err))
        text = self.text[start:stop]
        return Token("DIRECTIVE", text, self._span(start, stop), value=tuple(inner)), stop

    def _logical_line_end(self, pos: int, end: int) -> int:
        """End of a `\\`-continued line; a `/* */` comment may also carry it on."""
        while pos < end:
            ch = self.text[pos]
            if ch == "\n" and not self.text.endswith(("\\", "\\\r"), 0, pos):
                return pos
            if self.text.startswith("/*", pos):
                close = self.text.find("*/", pos + 2, end)
                pos = end if close < 0 else close + 2
                continue
            if self.text.startswith("//", pos):
                newline = self.text.find("\n", pos, end)
                return end if newline < 0 else newline
            pos += 1
        return end

    def _number(self, start: int, stop: int) -> Token:
        text = self.text[start:stop]
        span = self._span(start, stop)
        for regex in (_DEC_FLOAT_RE, _HEX_FLOAT_RE):
            m = regex.fullmatch(text)
            if m:
                return self._float(text, m.group(1), span, hex_=regex is _HEX_FLOAT_RE)
        m = _INT_RE.fullmatch(text)
        if m is None:
            raise KernelSyntaxError(f"invalid numeric literal '{text}'", span)
        return self._int(m.group(1), m.group(2), span)

    def _float(self, text: str, suffix: str, span: Span, hex_: bool) -> Token:
        if suffix.lower() not in ("", "f", "l"):
            raise KernelSyntaxError(f"invalid suffix '{suffix}' on floating constant", span)
        digits = text[: len(text) - len(suffix)]
        try:
            value = float.fromhex(digits) if hex_ else float(digits)
        except OverflowError:
            value = float("inf")
        return Token("FLOAT", text, span, value=value, suffix=suffix.lower())

    def _int(self, digits: str, suffix: str, span: Span) -> Token:
        canonical = _int_suffix(suffix)
        if canonical is None:
            raise KernelSyntaxError(f"invalid suffix '{suffix}' on integer constant", span)
        if digits[:2] in ("0x", "0X"):
            value, is_hex = int(digits, 16), True
        elif len(digits) > 1 and digits[0] == "0":
            bad = next((c for c in digits if c in "89"), None)
            if bad is not None:
                raise KernelSyntaxError(f"invalid digit '{bad}' in octal constant", span)
            value, is_hex = int(digits, 8), True
        else:
            value, is_hex = int(digits), False
        if value > _MAX_UINT64:
            raise KernelSyntaxError("integer literal is too large", span)
        return Token("INT", digits + suffix, span, value=value, suffix=canonical, is_hex=is_hex)

    def _char(self, start: int, end: int) -> tuple[Token, int]:
        close, body = self._quoted(start, end, "'", "character constant")
        span = self._span(start, close)
        values = _unescape(body, span)
        if len(values) != 1:
            what = "empty" if not values else "multi-character"
            raise KernelSyntaxError(f"{what} character constant", span)
        return Token("CHAR", self.text[start:close], span, value=values[0]), close

    def _string(self, start: int, end: int) -> tuple[Token, int]:
        close, body = self._quoted(start, end, '"', "string literal")
        return Token("STRING", self.text[start:close], self._span(start, close), value=body), close

    def _quoted(self, start: int, end: int, quote: str, what: str) -> tuple[int, str]:
        pos = start + 1
        while pos < end and self.text[pos] not in (quote, "\n"):
            pos += 2 if self.text[pos] == "\\" else 1
        if pos >= end or self.text[pos] != quote:
            raise self._error(start, f"missing terminating {quote} in {what}", min(pos, end))
        return pos + 1, self.text[start + 1 : pos]

    def _span(self, start: int, end: int) -> Span:
        return Span(self.source, start, end)

    def _error(self, pos: int, message: str, end: int | None = None) -> KernelSyntaxError:
        return KernelSyntaxError(message, self._span(pos, pos + 1 if end is None else end))


def _int_suffix(suffix: str) -> str | None:
    """'uLL' -> 'ull'; None for anything C does not allow ('lL', 'uu', 'f')."""
    lower = suffix.lower()
    longs = lower.replace("u", "")
    if lower.count("u") > 1 or longs not in ("", "l", "ll") or len(set(suffix) - set("uU")) > 1:
        return None
    if lower not in ("", "u", "l", "ll", "ul", "lu", "ull", "llu"):
        return None
    return ("u" if "u" in lower else "") + longs


def _unescape(body: str, span: Span) -> list[int]:
    """Code points of a character constant's body, escapes decoded."""
    values: list[int] = []
    pos = 0
    while pos < len(body):
        if body[pos] != "\\":
            values.append(ord(body[pos]))
            pos += 1
            continue
        m = re.match(r"x[0-9a-fA-F]+|[0-7]{1,3}|.", body[pos + 1 :], re.ASCII | re.DOTALL)
        esc = m.group() if m else ""
        if esc[:1] == "x":
            values.append(int(esc[1:], 16) & 0xFF)
        elif esc[:1].isdigit() and esc[:1] not in "89":
            values.append(int(esc, 8) & 0xFF)
        elif esc in _ESCAPES:
            values.append(_ESCAPES[esc])
        else:
            raise KernelSyntaxError(f"unknown escape sequence '\\{esc}'", span)
        pos += 1 + len(esc)
    return values
