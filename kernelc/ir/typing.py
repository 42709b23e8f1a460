"""Typing helpers for lowering: C type names to DTypes, conversions, literals.

Rule: every implicit C conversion in lowering goes through `convert` (value to a declared
C type: sub-32-bit integers wrap, float16 rounds) or `cast` (between computation types),
so the IR is fully explicit and every stored value fits its object's C type.
"""

from __future__ import annotations

from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import DType, bool_, computation_type, float16, float32, int32, uint32
from kernelc.ir.passes.fold import fold_expr

B = ir.BinaryOp


def cast(expr: ir.Expr, dtype: DType) -> ir.Expr:
    """Convert between computation types (C semantics), folding constants."""
    if expr.dtype is dtype:
        return expr
    return fold_expr(ir.Cast(expr, dtype))


def to_bool(expr: ir.Expr) -> ir.Expr:
    return cast(expr, bool_)


def wrap_narrow(expr: ir.Expr, ctype: DType) -> ir.Expr:
    """int8/uint8/int16/uint16 values are held in int32: wrap like a C store does."""
    if not ctype.is_int or ctype.itemsize >= 4:
        return expr
    bits = 8 * ctype.itemsize
    if ctype.is_signed:
        shift = ir.Const(32 - bits, int32)
        up = fold_expr(ir.Binary(B.SHL, expr, shift, int32))
        return fold_expr(ir.Binary(B.SHR, up, shift, int32))
    return fold_expr(ir.Binary(B.AND, expr, ir.Const((1 << bits) - 1, int32), int32))


def round_half(expr: ir.Expr) -> ir.Expr:
    """A float32 value converted to float16 (CuPy's half: round to nearest even, overflow
    to Inf) and held in float32 again."""
    if isinstance(expr, ir.Math) and expr.fn == "f16round":
        return expr
    return fold_expr(ir.Math("f16round", (expr,), float32))


def convert(expr: ir.Expr, ctype: DType) -> ir.Expr:
    """The value of `expr` stored into a C object of type `ctype`."""
    value = cast(expr, computation_type(ctype))
    return round_half(value) if ctype is float16 else wrap_narrow(value, ctype)


def int_literal_type(value: int, suffix: str, is_hex: bool) -> DType:
    """C's type for an integer literal, mapped to a computation type (see lowering for the
    64-bit warning): decimal int -> long long; hex/octal may be unsigned int."""
    unsigned = "u" in suffix
    if not unsigned and value < 2**31 and "l" not in suffix:
        return int32
    if value < 2**32 and (unsigned or is_hex) and "ll" not in suffix:
        return uint32
    return int32 if not unsigned else uint32


def literal_needs_64bit(value: int, suffix: str, is_hex: bool) -> bool:
    if "l" in suffix:
        return True
    unsigned = "u" in suffix
    limit = 2**32 if unsigned or is_hex else 2**31
    return value >= limit


def arith_operand(expr: ir.Expr) -> ir.Expr:
    """Integer promotion of one operand (bool -> int)."""
    return cast(expr, int32) if expr.dtype is bool_ else expr
