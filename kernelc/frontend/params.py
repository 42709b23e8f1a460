"""CuPy parameter strings (`'T x, raw T y'`), parsed as CuPy's `ParameterInfo` parses them.

Rule: accept exactly what CuPy v13/v14.0 accepts (`_kernel.pyx`, `ParameterInfo`): split on
',', each item on whitespace; the last two words are `type name`, the words before them
keywords (`raw`, `_non_const`). A one-character type is a placeholder, anything else a
canonical NumPy dtype name. Every error points at the offending word of the string.
"""

from __future__ import annotations

import re

from kernelc.errors import KernelNameError, KernelSyntaxError, KernelTypeError, SourceText, Span
from kernelc.frontend.ast import KernelParam
from kernelc.frontend.lexer import KEYWORDS

CANONICAL_DTYPES = (
    "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64"
    " float16 float32 float64 complex64 complex128"
).split()

# What NumPy's dtype() accepts (NumPy 2, 64-bit Linux) but CuPy rejects as non-canonical.
DTYPE_ALIASES = {
    "bool_": "bool",
    "bool8": "bool",
    "b1": "bool",
    "byte": "int8",
    "short": "int16",
    "intc": "int32",
    "int": "int64",
    "int_": "int64",
    "long": "int64",
    "longlong": "int64",
    "intp": "int64",
    "i1": "int8",
    "i2": "int16",
    "i4": "int32",
    "i8": "int64",
    "ubyte": "uint8",
    "ushort": "uint16",
    "uintc": "uint32",
    "uint": "uint64",
    "ulong": "uint64",
    "ulonglong": "uint64",
    "uintp": "uint64",
    "u1": "uint8",
    "u2": "uint16",
    "u4": "uint32",
    "u8": "uint64",
    "half": "float16",
    "single": "float32",
    "float": "float64",
    "double": "float64",
    "float_": "float64",
    "f2": "float16",
    "f4": "float32",
    "f8": "float64",
    "csingle": "complex64",
    "singlecomplex": "complex64",
    "cdouble": "complex128",
    "cfloat": "complex128",
    "complex": "complex128",
    "complex_": "complex128",
    "c8": "complex64",
    "c16": "complex128",
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_WORD = re.compile(r"\S+")


def parse_params(
    text: str, is_output: bool, source: SourceText | None = None
) -> tuple[KernelParam, ...]:
    """`in_params` or `out_params` -> KernelParams; an empty or blank string has none."""
    if source is None:
        source = SourceText("out_params" if is_output else "in_params", text)
    if not text.strip():
        return ()
    params: list[KernelParam] = []
    offset = 0
    for item in text.split(","):
        params.append(_parse_param(source, item, offset, is_output))
        offset += len(item) + 1
    return tuple(params)


def check_params(in_params: tuple[KernelParam, ...], out_params: tuple[KernelParam, ...]):
    """The checks across both lists: no name twice (inputs and outputs share one scope)."""
    seen: set[str] = set()
    for param in (*in_params, *out_params):
        if param.name in seen:
            raise KernelNameError(f"duplicate parameter name '{param.name}'", name_span(param))
        seen.add(param.name)


def name_span(param: KernelParam) -> Span:
    """The span of the parameter's name: the item's last word."""
    return Span(param.span.source, param.span.end - len(param.name), param.span.end)


def _parse_param(source: SourceText, item: str, offset: int, is_output: bool) -> KernelParam:
    words = [
        (m.group(), Span(source, offset + m.start(), offset + m.end()))
        for m in _WORD.finditer(item)
    ]
    if len(words) < 2:
        span = words[0][1] if words else Span(source, offset, offset + len(item))
        what = f"'{item.strip()}'" if words else "an empty parameter"
        raise KernelSyntaxError(
            f"syntax error: expected 'TYPE NAME', found {what}",
            span,
            notes=("a parameter is `[raw] TYPE NAME`, e.g. `T x` or `raw float32 y`",),
        )
    *keywords, (type_, type_span), (name, span) = words
    _check_type(type_, type_span)
    is_raw = False
    for word, word_span in keywords:
        if word == "raw":
            is_raw = True
        elif word != "_non_const":  # CuPy-internal: drops `const`; nothing to do here
            raise KernelSyntaxError(f'unknown keyword "{word}"', word_span)
    _check_name(name, span)
    return KernelParam(words[0][1].to(span), name, type_, is_raw, is_output, type_span)


def _check_type(type_: str, span: Span) -> None:
    if len(type_) == 1:
        if not _IDENTIFIER.fullmatch(type_):
            raise KernelTypeError(
                f"invalid type placeholder '{type_}'",
                span,
                notes=("a type placeholder is a single letter, like T",),
            )
        return
    if type_ in CANONICAL_DTYPES:
        return
    canonical = DTYPE_ALIASES.get(type_.lstrip("<=|"))
    if canonical is not None:
        note = f"CuPy accepts only canonical NumPy dtype names; did you mean '{canonical}'?"
    else:
        note = "a parameter type is a one-letter placeholder (T, U, ...) or one of " + ", ".join(
            CANONICAL_DTYPES
        )
    raise KernelTypeError(f"unknown type '{type_}'", span, notes=(note,))


def _check_name(name: str, span: Span) -> None:
    if not _IDENTIFIER.fullmatch(name):
        raise KernelNameError(f"invalid parameter name '{name}'", span)
    if name in KEYWORDS:
        raise KernelNameError(f"'{name}' is a C++ keyword and cannot be a parameter name", span)
    if name == "i":
        raise KernelNameError(
            "can not use 'i' as a parameter name",
            span,
            notes=("`i` is the loop index CuPy defines in every ElementwiseKernel",),
        )
