"""A ReductionKernel's complex accumulator: its two float32 parts as one `words64` value.

Rule: the reduction shells (workgroup trees, passes, scratch buffers) carry one value per
accumulator, and `words64` is a value they carry already (a 64-bit accumulator's words);
a complex accumulator holds the bits of its real part in the low word and of its imaginary
part in the high one, packed where the map and the combine produce it and unpacked where
the combine and the post-map read it. complex<double> fits only under the fast 64-bit
policy (float32 parts): exact, its parts are 64 bits each, four words the shells lack.
"""

from __future__ import annotations

from kernelc.errors import UnsupportedFeatureError
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import (
    DType,
    complex64,
    complex128,
    computation_type,
    float32,
    part_type,
    uint32,
    words64,
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
    return words64 if is_complex_type(ctype) else computation_type(ctype)


def require_packable(low, ctype: DType, span) -> None:
    if is_complex_type(ctype) and part_type(ctype) is not float32:
        low.fail(
            UnsupportedFeatureError,
            f"a ReductionKernel accumulating '{ctype.c_name}' under the exact 64-bit policy "
            "is not supported: the accumulator would be four 32-bit words, and a reduction "
            "carries at most two",
            span,
            notes=(
                "reduce complex<float> values, or the real and imaginary parts separately",
                "the fast 64-bit policy computes complex<double> in float32 parts",
            ),
        )


def pack(z: CExpr) -> ir.Expr:
    return ir.Words(ir.Bitcast(z.im, uint32), ir.Bitcast(z.re, uint32))


def unpack_into(name: str, words: ir.Expr) -> tuple[ir.Stmt, ...]:
    """Declare the parts of complex local `name` from packed `words`."""
    return tuple(
        ir.Declare(name + part, float32, ir.Bitcast(ir.WordOf(words, k), float32))
        for k, part in enumerate(PARTS)
    )


def accumulated(low, value, ctype: DType, span) -> ir.Expr:
    """`value` converted to the accumulator's C type `ctype`, packed if complex."""
    value = low.convert_value(value, ctype, span)
    return pack(value) if isinstance(value, CExpr) else value
