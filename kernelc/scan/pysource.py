"""Parsing Python sources that hold kernels, without the parser's recursion limits.

Rule: the text is parsed with `ast` after one position-preserving rewrite: a `+` between
two string literals of the same kind becomes a space, so a long concatenation of kernel
lines (`"a" + "b" + ...`, thousands of terms) is one implicitly concatenated literal, not
a thousands-deep `BinOp`. A source still too deep for Python raises a located
`SyntaxError`, never a `RecursionError`.
"""

from __future__ import annotations

import ast
import io
import token
import tokenize

# Tokens that may stand right before a concatenation chain / right after it without binding
# tighter than `+` to its first or last literal.
_OPEN_BEFORE = {
    "(",
    "[",
    "{",
    ",",
    "=",
    ":",
    "+",
    "return",
    "lambda",
    "in",
    "else",
    "and",
    "or",
    "not",
    "if",
    "yield",
    "+=",
    "==",
}
_CLOSE_AFTER = {")", "]", "}", ",", ":", ";", "+", "if", "else", "for", "and", "or", "=="}
_LAYOUT = {token.NEWLINE, token.NL, token.INDENT, token.DEDENT, token.ENDMARKER, token.COMMENT}


def parse_python(text: str, path: str) -> ast.Module:
    """`ast.parse(text)`, with literal `+` chains joined first (same positions)."""
    joined = _join_literal_chains(text)
    try:
        return ast.parse(joined, filename=path)
    except RecursionError:
        line = _busiest_line(text)
        raise SyntaxError(
            "expression nested too deeply for Python's parser",
            (path, line, 1, text.splitlines()[line - 1] if text else ""),
        ) from None


def _significant(text: str) -> list[tokenize.TokenInfo]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []  # ast.parse reports the error itself
    return [t for t in tokens if t.type not in (token.NL, token.COMMENT)]


def _literal_kind(tok: tokenize.TokenInfo) -> str | None:
    if tok.type != token.STRING:
        return None
    prefix = tok.string[: len(tok.string) - len(tok.string.lstrip("rRbBuUfF"))].lower()
    return "bytes" if "b" in prefix else "str"


def _opens(tok: tokenize.TokenInfo | None) -> bool:
    return tok is None or tok.type in _LAYOUT or tok.string in _OPEN_BEFORE


def _closes(tok: tokenize.TokenInfo | None) -> bool:
    return tok is None or tok.type in _LAYOUT or tok.string in _CLOSE_AFTER


def _join_literal_chains(text: str) -> str:
    tokens = _significant(text)
    plus_at: list[tuple[int, int]] = []
    k = 0
    while k < len(tokens):
        kind = _literal_kind(tokens[k])
        if kind is None or not _opens(tokens[k - 1] if k else None):
            k += 1
            continue
        end = k  # extend the chain STRING (+ STRING)* of one kind
        while (
            end + 2 < len(tokens)
            and tokens[end + 1].string == "+"
            and _literal_kind(tokens[end + 2]) == kind
        ):
            end += 2
        while end > k and not _closes(tokens[end + 1] if end + 1 < len(tokens) else None):
            end -= 2  # the last literal binds tighter to what follows: leave it out
        plus_at += [tokens[j].start for j in range(k + 1, end, 2)]
        k = end + 1
    if not plus_at:
        return text
    lines = text.splitlines(keepends=True)
    for row, col in plus_at:
        line = lines[row - 1]
        lines[row - 1] = line[:col] + " " + line[col + 1 :]
    return "".join(lines)


def _busiest_line(text: str) -> int:
    """The line with the most operators and brackets: where the nesting most likely is."""
    counts: dict[int, int] = {}
    for tok in _significant(text):
        if tok.type == token.OP:
            counts[tok.start[0]] = counts.get(tok.start[0], 0) + 1
    return max(counts, key=counts.get) if counts else 1
