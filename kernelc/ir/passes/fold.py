"""Constant folding with C semantics, and removal of branches on constant conditions.

Rule: any expression whose operands are all constants becomes one `Const`. Targets need
this, not only for speed: WGSL evaluates constant expressions at shader creation and
rejects overflow, division by zero and inf/nan there, while C wraps or computes them.
"""

from __future__ import annotations

import math

from kernelc.ir import bessel, bits, cvalues, special
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import bool_, float32, float64
from kernelc.ir.visit import rewrite_kernel

B = ir.BinaryOp


def _safe(fn):
    def call(*args):
        try:
            return fn(*args)
        except (ValueError, ZeroDivisionError):
            return math.nan
        except OverflowError:
            return math.inf

    return call


def _log(x: float) -> float:
    if x == 0:
        return -math.inf
    return math.log(x) if x > 0 else math.nan


def _signed(rounding, x: float) -> float:
    return math.copysign(float(rounding(x)), x) if math.isfinite(x) else x


def _exp10(x: float) -> float:
    return 10.0**x


MATH_FOLD = {
    "exp": math.exp,
    "exp2": lambda x: 2.0**x,
    "exp10": _exp10,
    "log": _log,
    "log2": lambda x: _log(x) / math.log(2) if x > 0 else _log(x),
    "log10": lambda x: _log(x) / math.log(10) if x > 0 else _log(x),
    "sqrt": math.sqrt,
    "rsqrt": lambda x: 1 / math.sqrt(x) if x != 0 else math.copysign(math.inf, x),
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "sinh": lambda x: math.sinh(x) if abs(x) < 710 else math.copysign(math.inf, x),
    "cosh": math.cosh,
    "tanh": math.tanh,
    "asinh": math.asinh,
    "acosh": math.acosh,
    "atanh": lambda x: math.copysign(math.inf, x) if abs(x) == 1 else math.atanh(x),
    # rounding keeps the operand's sign, so a zero result is signed (C's ceil(-0.5) is -0.0)
    "floor": lambda x: _signed(math.floor, x),
    "ceil": lambda x: _signed(math.ceil, x),
    "trunc": lambda x: _signed(math.trunc, x),
    "round": lambda x: _signed(cvalues.round_half_away, x),
    "rint": lambda x: _signed(round, x),
    "fabs": abs,
    "log1p": lambda x: math.log1p(x) if x > -1 else (-math.inf if x == -1 else math.nan),
    "expm1": math.expm1,
    "cbrt": special.cbrt,
    "rcbrt": special.rcbrt,
    "erf": math.erf,
    "erfc": math.erfc,
    "erfinv": special.erfinv,
    "erfcinv": special.erfcinv,
    "erfcx": special.erfcx,
    "normcdf": special.normcdf,
    "normcdfinv": special.normcdfinv,
    "lgamma": special.lgamma,
    "tgamma": special.tgamma,
    "atan2": math.atan2,
    "pow": cvalues.c_pow,
    "fmod": cvalues.c_fmod,
    "fmin": cvalues.fmin,
    "fmax": cvalues.fmax,
    "copysign": math.copysign,
    "fdim": lambda x, y: math.nan if math.isnan(x) or math.isnan(y) else (x - y if x > y else 0.0),
    "remainder": special.remainder,
    "logb": special.logb,
    "hypot": math.hypot,
    "ldexp": special.ldexp,
    "fma": special.fma,
    "sinpi": special.sinpi,
    "cospi": special.cospi,
    "frexp": special.frexp,
    "modf": special.modf,
    "f16round": cvalues.f16,
    **{fn: getattr(bessel, fn) for fn in bessel.FUNCTIONS},
}
# The native approximations fold to the exact values they approximate.
MATH_FOLD.update({"native_" + fn: MATH_FOLD[fn] for fn in ("exp", "exp2", "log", "log2")})
MATH_FOLD.update(native_min=cvalues.fmin, native_max=cvalues.fmax)


def _fold_math(node: ir.Math):
    vals = [a.value for a in node.args]
    if node.fn == "frexp_exp":
        return special.frexp_exp(vals[0])
    if node.fn in bits.SIGNATURES:
        return bits.fold(node.fn, *vals)
    if node.fn == "remquo_quo":
        return special.remquo_quo(*vals)
    if node.fn == "fma" and node.dtype is float64:
        return special.fma64(*vals)
    if node.fn in ("isnan", "isinf", "isfinite", "signbit"):
        x = vals[0]
        return {
            "isnan": math.isnan,
            "isinf": math.isinf,
            "isfinite": math.isfinite,
            "signbit": lambda v: math.copysign(1, v) < 0,
        }[node.fn](x)
    if node.fn == "ilogb":
        return special.ilogb(vals[0])
    if node.fn == "nextafter":
        return cvalues.nextafter(*vals, node.dtype)
    if not node.dtype.is_float:  # abs/min/max on integers
        return {"abs": lambda a: cvalues.wrap(abs(a), node.dtype), "min": min, "max": max}[node.fn](
            *vals
        )
    fn = {"abs": abs, "min": cvalues.fmin, "max": cvalues.fmax}.get(node.fn) or MATH_FOLD[node.fn]
    # IEEE: hypot(inf, NaN) = inf, copysign takes a NaN's sign bit; jn and yn convert a NaN
    # order to int 0
    nan_passes = ("fmin", "fmax", "min", "max", "pow", "hypot", "copysign", "jn", "yn")
    if any(math.isnan(v) for v in vals) and node.fn not in nan_passes:
        return math.nan
    return cvalues.round_float(_safe(fn)(*vals), node.dtype)


def _fold_binary(op: B, a, b, dt):
    if op in ir.COMPARISONS:
        return {B.LT: a < b, B.LE: a <= b, B.GT: a > b, B.GE: a >= b, B.EQ: a == b, B.NE: a != b}[
            op
        ]
    if op is B.LAND:
        return bool(a and b)
    if op is B.LOR:
        return bool(a or b)
    if dt.is_float:
        return cvalues.round_float(_float_arith(op, a, b), dt)
    if op is B.DIV:
        return cvalues.int_div(a, b, dt)
    if op is B.REM:
        return cvalues.int_rem(a, b, dt)
    if op in ir.SHIFTS:
        return cvalues.shift(a, b, op is B.SHL, dt)
    ops = {B.ADD: a + b, B.SUB: a - b, B.MUL: a * b, B.AND: a & b, B.OR: a | b, B.XOR: a ^ b}
    return cvalues.wrap(ops[op], dt)


def _float_arith(op: B, a: float, b: float) -> float:
    if op is B.DIV:
        if b == 0:
            return (
                math.nan
                if a == 0 or math.isnan(a)
                else math.copysign(math.inf, a) * (math.copysign(1, b))
            )
        return a / b
    try:
        return {B.ADD: lambda: a + b, B.SUB: lambda: a - b, B.MUL: lambda: a * b}[op]()
    except OverflowError:
        return math.inf


def fold_expr(node):
    """Fold one node whose children are already folded; return it unchanged otherwise."""
    match node:
        case ir.Unary(op=op, operand=ir.Const(value=v), dtype=dt):
            if op is ir.UnaryOp.NOT:
                return ir.Const(not v, bool_)
            if op is ir.UnaryOp.BITNOT:
                return ir.Const(cvalues.wrap(~v, dt), dt)
            return ir.Const(-v if dt.is_float else cvalues.wrap(-v, dt), dt)
        case ir.Binary(op=op, lhs=ir.Const(value=a), rhs=ir.Const(value=b), dtype=dt):
            return ir.Const(_fold_binary(op, a, b, dt), dt)
        case ir.Binary(op=B.ADD | B.SUB | B.MUL, dtype=dt) if dt.is_int:
            return _int_identity(node)
        case ir.Binary(op=B.LAND | B.LOR, lhs=ir.Const(value=a), rhs=rhs):
            short = not a if node.op is B.LAND else bool(a)
            return ir.Const(node.op is not B.LAND, bool_) if short else rhs
        case ir.Cast(operand=ir.Const(value=v, dtype=src), dtype=dst):
            return ir.Const(cvalues.convert(v, src, dst), dst)
        case ir.Cast(operand=operand, dtype=dst) if operand.dtype is dst:
            return operand
        case ir.Bitcast(operand=ir.Const(value=v, dtype=src), dtype=dst) if src.itemsize == 4:
            bits = cvalues.f32_bits(v) if src is float32 else v & 0xFFFFFFFF
            value = cvalues.bits_f32(bits) if dst is float32 else cvalues.wrap(bits, dst)
            return ir.Const(value, dst)
        case ir.Select(cond=ir.Const(value=c), if_true=t, if_false=f):
            return t if c else f
        case ir.Math(args=args) if args and all(isinstance(a, ir.Const) for a in args):
            try:
                return ir.Const(_fold_math(node), node.dtype)
            except bessel.OrderTooLarge:  # beyond the reference: computed at run time
                return node
        case ir.If(cond=ir.Const(value=c), then=then, else_=else_):
            return then if c else else_
    return node


def _int_identity(node: ir.Binary):
    """x + 0, 0 + x, x - 0, x * 1, 1 * x -> x (integers only: exact, and index math is
    full of them)."""
    a, b = node.lhs, node.rhs
    neutral = 1 if node.op is B.MUL else 0
    if isinstance(b, ir.Const) and b.value == neutral:
        return a
    if isinstance(a, ir.Const) and a.value == neutral and node.op is not B.SUB:
        return b
    return node


def fold_constants(kernel: ir.Kernel) -> ir.Kernel:
    return rewrite_kernel(kernel, fold_expr)
