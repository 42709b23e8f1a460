"""C semantics on Python numbers: 32-bit wraparound, truncating division, f32 rounding.

Rule: this is the one place that says what a constant operation evaluates to; constant
folding and the interpreter agree with CUDA because they both come here.
"""

from __future__ import annotations

import math
import struct

from kernelc.ir.dtypes import DType, bool_, float64


def f32(x: float) -> float:
    """Round a Python float to the nearest float32 (overflow gives +-inf)."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def f16(x: float) -> float:
    """Round to the nearest float16 (ties to even; past 65504 it overflows to +-inf, as a
    C conversion to CuPy's float16 does), returned as a Python float."""
    try:
        return struct.unpack("<e", struct.pack("<e", float(x)))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def wrap(value: int, dtype: DType) -> int:
    """Two's-complement wraparound into int32 / uint32 / int64 / uint64 (bool: 0 or 1)."""
    if dtype is bool_:
        return int(value != 0)
    bits = 8 * dtype.itemsize
    value &= (1 << bits) - 1
    if dtype.is_signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def round_float(x: float, dtype: DType) -> float:
    """`x` rounded to the float computation type `dtype` (float64 is Python's own)."""
    return float(x) if dtype is float64 else f32(x)


def f32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def bits_f32(b: int) -> float:
    return struct.unpack("<f", struct.pack("<I", b & 0xFFFFFFFF))[0]


def nextafter(x: float, y: float, dtype: DType) -> float:
    """The next value of the float type `dtype` after `x` toward `y` (C's nextafter[f])."""
    if dtype is float64 or math.isnan(x) or math.isnan(y):
        return math.nextafter(x, y)
    if x == y:
        return y
    if x == 0.0:
        return math.copysign(bits_f32(1), y)
    step = 1 if (x < y) == (x > 0.0) else -1
    return bits_f32(f32_bits(x) + step)


def convert(value, src: DType, dst: DType):
    """C's conversion of a constant `value` of type `src` to `dst` (computation types)."""
    if dst is bool_:
        return bool(value != 0) if not (isinstance(value, float) and math.isnan(value)) else True
    if dst.is_float:
        return round_float(float(value), dst) if not src.is_float or src is float64 else value
    if src.is_float:  # float -> int: truncate and saturate, NaN -> 0 (cvt.rzi)
        if math.isnan(value):
            return 0
        bits = 8 * dst.itemsize
        lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if dst.is_signed else (0, 2**bits - 1)
        if math.isinf(value):
            return hi if value > 0 else lo
        return max(lo, min(hi, math.trunc(value)))
    return wrap(int(value), dst)


def int_div(a: int, b: int, dtype: DType) -> int:
    """C integer division (toward zero). Division by zero gives -1 (all bits set), as
    NVIDIA hardware does; INT_MIN / -1 wraps."""
    if b == 0:
        return wrap(-1, dtype)
    q = abs(a) // abs(b)
    return wrap(q if (a < 0) == (b < 0) else -q, dtype)


def int_rem(a: int, b: int, dtype: DType) -> int:
    """C remainder: sign of the dividend. `x % 0` gives x."""
    if b == 0:
        return wrap(a, dtype)
    return wrap(a - int_div(a, b, dtype) * b, dtype) if b != -1 else 0


def shift(a: int, b: int, left: bool, dtype: DType) -> int:
    """Shifts with the count taken modulo the width (what both targets do)."""
    b &= 8 * dtype.itemsize - 1
    if left:
        return wrap(a << b, dtype)
    return wrap(a >> b, dtype)  # Python's >> is arithmetic on negatives, logical on uint


def fmin(a: float, b: float) -> float:
    if math.isnan(a):
        return b
    if math.isnan(b):
        return a
    return min(a, b)


def fmax(a: float, b: float) -> float:
    if math.isnan(a):
        return b
    if math.isnan(b):
        return a
    return max(a, b)


def round_half_away(x: float) -> float:
    if math.isinf(x) or math.isnan(x):
        return x
    t = math.trunc(x)
    return float(t + (math.copysign(1, x) if abs(x - t) >= 0.5 else 0))


def c_pow(x: float, y: float) -> float:
    """powf's special cases (C99 Annex F)."""
    if y == 0 or x == 1:
        return 1.0
    if math.isnan(x) or math.isnan(y):
        return math.nan
    if x == 0 and y < 0:
        odd = float(y).is_integer() and int(y) % 2 == 1
        return math.copysign(math.inf, x) if odd else math.inf
    if x < 0 and not float(y).is_integer() and not math.isinf(y):
        return math.nan
    try:
        return math.pow(x, y)
    except OverflowError:
        odd = float(y).is_integer() and int(y) % 2 == 1
        return -math.inf if x < 0 and odd else math.inf
    except ValueError:
        return math.nan


def c_fmod(x: float, y: float) -> float:
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or y == 0:
        return math.nan
    return math.fmod(x, y)
