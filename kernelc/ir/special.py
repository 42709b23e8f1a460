"""CUDA's special functions on Python floats (double precision), with CUDA's results at
the special values: the reference for constant folding and the interpreter.

Rule: pure Python (`math` only), every function total: special values return what CUDA
returns (inf, nan, signed zeros) and nothing raises. Accuracy is far beyond float32, which
is all the callers keep.
"""

from __future__ import annotations

import math
from fractions import Fraction

SQRT2 = math.sqrt(2.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _newton(f, fprime, target: float, x: float, steps: int = 60) -> float:
    """Solve f(x) = target from a close starting point."""
    for _ in range(steps):
        d = fprime(x)
        if d == 0:
            break
        step = (f(x) - target) / d
        x -= step
        if abs(step) <= 1e-17 * abs(x):
            break
    return x


def _erfc_guess(y: float) -> float:
    """A starting point for erfc(x) = y, y in (0, 1]: the tail asymptote, clamped."""
    w = -math.log(y)
    return math.sqrt(max(w - 0.5 * math.log(math.pi * max(w, 1.0)), 0.0))


def erfcinv(y: float) -> float:
    if math.isnan(y) or not 0.0 <= y <= 2.0:
        return math.nan
    if y == 0.0:
        return math.inf
    if y == 2.0:
        return -math.inf
    if y > 1.0:
        return -erfcinv(2.0 - y)
    if y > 0.5:
        return erfinv(1.0 - y)
    x = _erfc_guess(y)
    # On log(erfc) the Newton iteration stays well scaled however small y is.
    return _newton(
        lambda v: math.log(math.erfc(v)),
        lambda v: -_TWO_OVER_SQRT_PI * math.exp(-v * v) / math.erfc(v),
        math.log(y),
        x,
    )


def erfinv(y: float) -> float:
    if math.isnan(y) or abs(y) > 1.0:
        return math.nan
    if abs(y) == 1.0:
        return math.copysign(math.inf, y)
    if abs(y) > 0.5:
        return math.copysign(erfcinv(1.0 - abs(y)), y)
    return _newton(math.erf, lambda v: _TWO_OVER_SQRT_PI * math.exp(-v * v), y, y * 0.886)


def erfcx(x: float) -> float:
    """exp(x^2) erfc(x); past x = 12 the asymptotic series (its terms shrink to 1e-9)."""
    if math.isnan(x):
        return x
    if x < -26.7:
        return math.inf
    if x <= 12.0:
        return math.exp(x * x) * math.erfc(x)
    z = 1.0 / (2.0 * x * x)
    series = 1.0 - z * (1.0 - 3.0 * z * (1.0 - 5.0 * z * (1.0 - 7.0 * z * (1.0 - 9.0 * z))))
    return series / (x * math.sqrt(math.pi))


def normcdf(x: float) -> float:
    return 0.5 * math.erfc(-x / SQRT2)


def normcdfinv(p: float) -> float:
    if p >= 0.5:  # the same value, +0 at p = 1/2 as CUDA gives
        return SQRT2 * erfcinv(2.0 - 2.0 * p)
    return -SQRT2 * erfcinv(2.0 * p)


def _is_nonpositive_integer(x: float) -> bool:
    return x <= 0.0 and math.isfinite(x) and x == math.floor(x)


def lgamma(x: float) -> float:
    if math.isnan(x):
        return x
    if math.isinf(x) or _is_nonpositive_integer(x):
        return math.inf
    return math.lgamma(x)


def tgamma(x: float) -> float:
    if math.isnan(x) or x == math.inf:
        return x
    if x == 0.0:
        return math.copysign(math.inf, x)
    if x == -math.inf or _is_nonpositive_integer(x):
        return math.nan
    if x > 171.7:
        return math.inf
    if x < -190.0:
        return math.copysign(0.0, -1.0 if math.floor(x) % 2 else 1.0)
    return math.gamma(x)


def remainder(x: float, y: float) -> float:
    """IEEE remainder: x - n y for the integer n nearest x / y (ties to even), exact."""
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or y == 0.0:
        return math.nan
    return x if math.isinf(y) else math.remainder(x, y)


def ilogb(x: float) -> int:
    """The unbiased exponent; INT_MIN for 0 and NaN, INT_MAX for +-inf (CUDA's)."""
    if x == 0.0 or math.isnan(x):
        return -(2**31)
    if math.isinf(x):
        return 2**31 - 1
    return math.frexp(x)[1] - 1


def logb(x: float) -> float:
    if math.isnan(x) or math.isinf(x):
        return abs(x)
    return -math.inf if x == 0.0 else float(ilogb(x))


def rcbrt(x: float) -> float:
    if x == 0.0:
        return math.copysign(math.inf, x)
    if math.isinf(x):
        return math.copysign(0.0, x)
    return math.copysign(abs(x) ** (-1.0 / 3.0), x)


def cbrt(x: float) -> float:
    if x == 0.0 or not math.isfinite(x):
        return x
    r = abs(x) ** (1.0 / 3.0)
    r -= (r - abs(x) / (r * r)) / 3.0  # one Newton step: pow's result is a few ulp off
    return math.copysign(r, x)


def ldexp(x: float, n: float) -> float:
    """x * 2^n, n already an integer converted to float (CUDA's `ldexp(double, int)` and
    `ldexpf(float, int)`). n is clamped to +-4096, past which every finite nonzero
    float64 overflows or underflows (a subnormal times 2^2098 is still finite)."""
    if math.isnan(x) or math.isnan(n):
        return math.nan
    k = int(max(min(n, 4096.0), -4096.0))
    try:
        return math.ldexp(x, k)
    except OverflowError:
        return math.copysign(math.inf, x)


def fma(a: float, b: float, c: float, double: bool = False) -> float:
    """a * b + c rounded once, to the nearest float32 (or, with `double`, float64)."""
    if not all(map(math.isfinite, (a, b, c))):
        return a * b + c
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:  # IEEE's zero sums: -0 only for -0 + -0, +0 when nonzero ones cancel
        if a == 0 or b == 0:
            return math.copysign(0.0, a) * math.copysign(1.0, b) + c
        return 0.0
    if double:
        try:
            return float(exact)  # correctly rounded
        except OverflowError:
            return math.copysign(math.inf, exact)
    return round_f32(exact)


def fma64(a: float, b: float, c: float) -> float:
    return fma(a, b, c, double=True)


def sinpi(x: float) -> float:
    """sin(pi x) with x reduced exactly (C23's zeros: sinpi(n) has n's sign)."""
    if not math.isfinite(x):
        return math.nan
    m = math.fmod(abs(x), 2.0)  # exact
    n = round(2 * m)
    r = m - 0.5 * n
    v = (math.sin, math.cos)[n & 1](math.pi * r)
    v = v if n & 2 == 0 else 0.0 - v
    return -v if math.copysign(1.0, x) < 0 else v


def cospi(x: float) -> float:
    """cos(pi x) with x reduced exactly (+0 at the half-integers)."""
    if not math.isfinite(x):
        return math.nan
    m = math.fmod(abs(x), 2.0)  # exact
    n = round(2 * m)
    r = m - 0.5 * n
    v = (math.cos, math.sin)[n & 1](math.pi * r)
    return v if n in (0, 3, 4) else 0.0 - v


def frexp(x: float) -> float:
    return math.frexp(x)[0] if math.isfinite(x) else x


def frexp_exp(x: float) -> int:
    return math.frexp(x)[1] if math.isfinite(x) else 0


def modf(x: float) -> float:
    """modf's value: the fractional part, with x's sign (+-0 for +-Inf)."""
    if math.isinf(x):
        return math.copysign(0.0, x)
    return math.copysign(x - math.trunc(x), x) if math.isfinite(x) else x


def remquo_quo(x: float, y: float) -> int:
    """remquo's quotient: the sign of x / y and the low 3 bits of the magnitude of the
    integer n nearest x / y (ties to even) that remainder uses; 0 where there is none."""
    if not (math.isfinite(x) and math.isfinite(y)) or y == 0:
        return 0
    n = (Fraction(x) - Fraction(math.remainder(x, y))) / Fraction(y)
    bits = abs(int(n)) & 7
    return -bits if (math.copysign(1, x) < 0) != (math.copysign(1, y) < 0) else bits


def round_f32(v: Fraction) -> float:
    """An exact rational rounded to the nearest float32 (ties to even; overflow to inf)."""
    if v == 0:
        return 0.0
    sign = -1.0 if v < 0 else 1.0
    v = abs(v)
    e = max(math.floor(math.log2(v)), -126)
    while Fraction(2) ** e > v:
        e -= 1
    while Fraction(2) ** (e + 1) <= v:
        e += 1
    e = max(e, -126)
    scaled = v / Fraction(2) ** (e - 23)  # 24 significant bits above the point
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r > scaled.denominator or (2 * r == scaled.denominator and q % 2):
        q += 1
    result = q * 2.0 ** (e - 23) if e - 23 > -1000 else math.ldexp(q, e - 23)
    return sign * (math.inf if result > 3.4028234663852886e38 else result)
