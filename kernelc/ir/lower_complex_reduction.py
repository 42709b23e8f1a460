"""A ReductionKernel's complex accumulator: its parts' words as one words value.

Rule: the reduction shells (workgroup trees, passes, scratch buffers) carry one value per
accumulator, a words value among them (`words64`, `words128`: two or four u32 words). A
complex accumulator holds its real part's words below its imaginary part's, packed where
the map and the combine produce it and unpacked where the combine and the post-map read
it: complex<float> (and complex<double> under the fast policy) as two float32 parts
bitcast, complex<double> under the exact policy as two float64 parts, four words that the
wide64 pass spells out.
"""

from __future__ import annotations

from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import (
    DType,
    complex64,
    complex128,
    computation_type,
    float32,
    part_type,
    uint32,
    word_count,
    words_type,
)
from kernelc.ir.lower_complex import PARTS, CExpr, is_complex_type

# reduce_type spellings of the complex types (besides the NumPy names and placeholders).
COMPLEX_C_TYPES = {
    f"{ns}complex<{part}>": dtype
    for ns in ("", "thrust::")
    for part, dtype in (("float", complex64), ("double", complex128))
}


def accumulator_type(ctype: DType) -> DType:
    """The type the shells hold an accumulator of C type `ctype` in (before wide64)."""
    if not is_complex_type(ctype):
        return computation_type(ctype)
    return words_type(2 * word_count(part_type(ctype)))


def pack(z: CExpr) -> ir.Expr:
    parts = (z.re, z.im)
    if part_type(z.dtype) is float32:
        parts = tuple(ir.Bitcast(p, uint32) for p in parts)
    return ir.Words(parts, accumulator_type(z.dtype))


def unpack_into(name: str, words: ir.Expr, ctype: DType) -> tuple[ir.Stmt, ...]:
    """Declare the parts of complex local `name` (of C type `ctype`) from packed `words`."""
    part = part_type(ctype)
    n = word_count(part)
    decls = []
    for k, suffix in enumerate(PARTS):
        own = tuple(ir.WordOf(words, n * k + w) for w in range(n))
        value = own[0] if n == 1 else ir.Words(own, words_type(n))
        decls.append(ir.Declare(name + suffix, part, ir.Bitcast(value, part)))
    return tuple(decls)


def accumulated(low, value, ctype: DType, span) -> ir.Expr:
    """`value` converted to the accumulator's C type `ctype`, packed if complex."""
    value = low.convert_value(value, ctype, span)
    return pack(value) if isinstance(value, CExpr) else value
