"""What the exact 64-bit policy changes in lowering: literal types, float math types.

Rule: under the exact policy (`dtypes.exact64(True)`) C's 64-bit types are IR types, so a
double literal is a float64 constant and `sqrt(double)` is a float64 call; a float32
operand meeting a double *literal* keeps float32 (CUDA would widen, but a float32 kernel
must not pay for emulated doubles because it wrote `0.5`; the fast policy does the same).
Float64 math without an exact library implementation (`F64_EXACT`) is computed in float32
with a warning. Under the fast policy every helper gives what lowering always gave.
"""

from __future__ import annotations

from kernelc.ir import nodes as ir
from kernelc.ir.cvalues import f32
from kernelc.ir.dtypes import DType, float32, float64, int64, is_exact64, uint64
from kernelc.ir.passes.wide64 import F64_LIBRARY, F64_WORDS

# float64 built-ins the wide64 pass computes (bit for bit IEEE / CUDA, or for the library's
# transcendentals within the bounds of docs/math-accuracy.md).
F64_EXACT = F64_WORDS | F64_LIBRARY
# CUDA's 64-bit reinterpretations (exact policy only).
BITCASTS = {"__double_as_longlong": (float64, int64), "__longlong_as_double": (int64, float64)}
F64_INEXACT_WARNING = "float64 {fn} is computed in float32 (no exact float64 {fn} yet)"


def float_literal(value: float) -> ir.Const:
    """A double literal (or double constant such as M_PI)."""
    if is_exact64():
        return ir.Const(float(value), float64)
    return ir.Const(f32(value), float32)


def int_literal(value: int, suffix: str, is_hex: bool) -> ir.Const | None:
    """C's type for an integer literal that needs 64 bits (exact policy), else None."""
    if not is_exact64():
        return None
    unsigned = "u" in suffix
    wide = "l" in suffix or value >= (2**32 if unsigned or is_hex else 2**31)
    if not wide:
        return None
    if unsigned or (is_hex and value >= 2**63) or value >= 2**63:
        return ir.Const(value & (2**64 - 1), uint64)
    return ir.Const(value, int64)


def demote_literal(lhs: ir.Expr, rhs: ir.Expr) -> tuple[ir.Expr, ir.Expr]:
    """float32 op double-constant: the constant becomes float32 (see the module rule)."""
    if lhs.dtype is float32 and isinstance(rhs, ir.Const) and rhs.dtype is float64:
        return lhs, ir.Const(f32(rhs.value), float32)
    if rhs.dtype is float32 and isinstance(lhs, ir.Const) and lhs.dtype is float64:
        return ir.Const(f32(lhs.value), float32), rhs
    return lhs, rhs


def math_type(c_name: str, fn: str, args: list[ir.Expr]) -> DType:
    """The float type of a float built-in call: float64 for the double spelling (`sqrt`,
    not `sqrtf`) of a 64-bit argument under the exact policy."""
    if is_exact64() and c_name == fn and any(a.dtype.itemsize == 8 for a in args):
        return float64
    return float32


def is_wide(d: DType) -> bool:
    return d.itemsize == 8
