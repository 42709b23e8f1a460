"""Bessel functions of integer order on Python floats, to double precision: J0, J1, Jn and
Y0, Y1, Yn (first and second kind), I0, I1 (modified, first kind), with CUDA's results at
the special values: the reference for constant folding and the interpreter (the shader
library's are kernelc/lib/bessel.cu and float64_bessel.cu).

Rule: pure Python (`math` and `decimal`, so kernelc still loads in Pyodide), every value
computed in decimal arithmetic carrying 45 digits beyond what its method cancels, so the
result is the true value rounded to double: the power series below x = 50, Hankel's
asymptotic expansions beyond (x reduced mod 2 pi on 420 digits of pi, so for every finite
x), three-term recurrences in n where Hankel's terms do not fall below 10^-40. The one
exception to totality is `OrderTooLarge`: an order and an argument both past `MAX_ORDER`.
"""

from __future__ import annotations

import functools
import math
from decimal import Context, Decimal, getcontext, localcontext

from kernelc.ir import cvalues
from kernelc.ir.dtypes import float64, int32

# C's names (kernelc.ir.builtins.MATH), each a function of this module.
FUNCTIONS = ("j0", "j1", "y0", "y1", "jn", "yn", "cyl_bessel_i0", "cyl_bessel_i1")
GUARD = 45  # digits carried beyond a method's cancellation
SERIES_BELOW = 50.0  # the power series below, Hankel's expansions from here
MAX_ORDER = 100_000  # recurrence steps the reference takes at most (about 0.05 s)
_EULER_GAMMA = "0.57721566490153286060651209008240243104215933593992359880576723488"
_LOG_HALF_SUBNORMAL = -746.0  # below e^-746 a double rounds to 0 (2^-1075 = e^-745.13)


class OrderTooLarge(ArithmeticError):
    """jn or yn where order and argument both exceed MAX_ORDER and Hankel's expansion does
    not converge: the recurrences would take more than MAX_ORDER steps."""


def _context(digits: int) -> Context:
    return Context(prec=digits, Emax=10**7, Emin=-(10**7))


@functools.cache
def _pi_integer(digits: int = 420) -> int:
    """floor(pi 10^digits), by Machin's formula on integers."""
    scale = 10 ** (digits + 10)

    def arctan_inv(m: int) -> int:
        total = term = scale // m
        k, m2 = 1, m * m
        while term:
            term //= m2
            total += (-1) ** k * (term // (2 * k + 1))
            k += 1
        return total

    return (16 * arctan_inv(5) - 4 * arctan_inv(239)) // 10**10


def _pi() -> Decimal:
    """pi to the current context's precision (at most 420 digits)."""
    return +Decimal(_pi_integer()).scaleb(-420)


def _order(n: float) -> int:
    """C's conversion of the order operand to int (truncating, saturating, NaN -> 0)."""
    return cvalues.convert(n, float64, int32)


def _sin_cos(t: Decimal) -> tuple[Decimal, Decimal]:
    """sin t and cos t for |t| <= pi, by their Taylor series, in the current context."""
    eps = Decimal(10) ** -(getcontext().prec + 2)
    sin, cos, term, k = Decimal(0), Decimal(1), Decimal(1), 1
    while abs(term) > eps:
        term = term * t / k
        if k % 2:
            sin += term if k % 4 == 1 else -term
        else:
            cos += term if k % 4 == 0 else -term
        k += 1
    return sin, cos


def _hankel_sums(n: int, x: Decimal, sign: int) -> tuple[Decimal, Decimal] | None:
    """Hankel's P and Q for order n (sign -1: the single sum of I's expansion, in P), or
    None unless every term is smaller than the one before until they fall below 10^-40.
    For x >= 50 and n <= 1 they always do (the least term is about e^-2x); they may not
    once 4n^2 exceeds about 8x."""
    mu, eight_x = 4 * n * n, 8 * x
    p, q, term, k = Decimal(1), Decimal(0), Decimal(1), 1
    tiny = Decimal(10) ** -40
    while abs(term) >= tiny:
        nxt = term * (mu - (2 * k - 1) ** 2) / (k * eight_x)
        if abs(nxt) >= abs(term):
            return None
        term = nxt
        if sign < 0:
            p += -term if k % 2 else term
        elif k % 2:
            q += term if k % 4 == 1 else -term
        else:
            p += term if k % 4 == 0 else -term
        k += 1
    return p, q


def _hankel(n: int, a: float) -> tuple[Decimal, Decimal] | None:
    """(J_n(a), Y_n(a)) for finite a >= 50 by Hankel's expansion, or None."""
    x = Decimal(a)
    with localcontext(_context(max(x.adjusted(), 0) + GUARD + 10)):
        two_pi = 2 * _pi()
        chi = x.remainder_near(two_pi) - (2 * (n % 4) + 1) * _pi() / 4
        chi = chi.remainder_near(two_pi)
    with localcontext(_context(GUARD)):
        sums = _hankel_sums(n, x, 1)
        if sums is None:
            return None
        p, q = sums
        sin, cos = _sin_cos(+chi)
        amp = (2 / (_pi() * x)).sqrt()
        return amp * (p * cos - q * sin), amp * (p * sin + q * cos)


def _series_digits(a: float) -> int:
    # The series' terms reach about e^a times the larger of the result and its envelope
    # (e^(5a/4) where n > a and the result decays): 0.6 a digits cover both.
    return GUARD + math.ceil(0.6 * a)


def _series(n: int, a: float, sign: int, digits: int) -> tuple[Decimal, Decimal]:
    """(x/2)^n / n! and sum_k t_k, t_k = (sign x^2/4)^k n! / (k! (n + k)!), for x = a > 0:
    J_n (sign -1) or I_n (sign 1) is their product."""
    x = Decimal(a)
    with localcontext(_context(digits)):
        z = sign * x * x / 4
        eps = Decimal(10) ** -digits
        s, t, k = Decimal(1), Decimal(1), 1
        while abs(t) > eps or k * k < abs(z):
            t = t * z / (k * (n + k))
            s += t
            k += 1
        return (x / 2) ** n / math.factorial(n), s


def _series_y(n: int, a: float) -> Decimal:
    """Y_n(a), 0 < a < 50: (2/pi) (log(a/2) + gamma) J_n(a) - (1/pi) sum_{k<n} (n-k-1)!/k!
    (a/2)^(2k-n) - (1/pi) (a/2)^n sum_k (H_k + H_(n+k)) (-a^2/4)^k / (k! (n+k)!)."""
    x = Decimal(a)
    digits = _series_digits(a)
    with localcontext(_context(digits)):
        z = x * x / 4
        eps = Decimal(10) ** -digits
        h_k, h_nk = Decimal(0), sum((Decimal(1) / j for j in range(1, n + 1)), Decimal(0))
        s_j, s_h, t, k = Decimal(1), h_nk, Decimal(1), 0
        while abs(t) > eps or k * k < z:
            k += 1
            h_k += Decimal(1) / k
            h_nk += Decimal(1) / (n + k)
            t = -t * z / (k * (n + k))
            s_j += t
            s_h += (h_k + h_nk) * t
        lead = (x / 2) ** n / math.factorial(n)
        finite = sum(
            (math.factorial(n - k - 1) / Decimal(math.factorial(k)) * (x / 2) ** (2 * k - n))
            for k in range(n)
        )
        log_term = (x / 2).ln() + Decimal(_EULER_GAMMA)
        return (2 * log_term * lead * s_j - finite - lead * s_h) / _pi()


def _j_underflows(n: int, a: float) -> bool:
    """|J_n(a)| <= (a/2)^n / n! (n >= 0) is below half the least subnormal."""
    return n * math.log(a / 2) - math.lgamma(n + 1) < _LOG_HALF_SUBNORMAL


def _j(n: int, a: float) -> Decimal:
    """J_n(a) for n >= 0 and finite a > 0."""
    if n >= 2 and _j_underflows(n, a):
        return Decimal(0)
    if a >= SERIES_BELOW:
        both = _hankel(n, a)
        if both is not None:
            return both[0]
    if a < 1000.0:
        lead, s = _series(n, a, -1, _series_digits(a))
        with localcontext(_context(GUARD)):
            return lead * s
    if n > MAX_ORDER:
        raise OrderTooLarge(f"J_{n}({a!r})")
    return _forward(n, a, False) if n < a else _miller(n, a)


def _y(n: int, a: float) -> Decimal:
    """Y_n(a) for n >= 0 and finite a > 0."""
    if a >= SERIES_BELOW:
        both = _hankel(n, a)
        if both is not None:
            return both[1]
    if n <= 1:
        return _series_y(n, a)
    return _forward(n, a, True)


def _forward(n: int, a: float, second: bool) -> Decimal:
    """J_n(a) (n < a) or Y_n(a) (`second`) by the forward recurrence from orders 0 and 1
    (stable for Y, and for J below n = a); Y stops once, past n = a, it exceeds every
    double, from where it only grows."""
    x = Decimal(a)
    b0, b1 = (_y(0, a), _y(1, a)) if second else (_j(0, a), _j(1, a))
    with localcontext(_context(GUARD)):
        huge = Decimal(10) ** 330
        for k in range(1, n):
            if k > MAX_ORDER:
                raise OrderTooLarge(f"{'Y' if second else 'J'}_{n}({a!r})")
            if k > a and abs(b1) > huge:
                break
            b0, b1 = b1, 2 * k / x * b1 - b0
        return +b1


def _miller(n: int, a: float) -> Decimal:
    """J_n(a) for n >= a by Miller's backward recurrence from far enough above n (J falls
    by e^-110 there), normalised by J0 + 2 (J2 + J4 + ...) = 1."""
    x = Decimal(a)
    top = n + 30 + math.isqrt(400 * n)
    with localcontext(_context(GUARD)):
        above, here, even_sum, at_n = Decimal(0), Decimal(1), Decimal(0), Decimal(0)
        for k in range(top, 0, -1):  # from (J_(k+1), J_k) to (J_k, J_(k-1)), unnormalised
            above, here = here, 2 * k / x * here - above
            if k - 1 == n:
                at_n = here
            if k > 1 and k % 2 == 1:
                even_sum += here
        return at_n / (2 * even_sum + here)


def _i(n: int, a: float) -> float:
    """I_n(a), n = 0 or 1, for a >= 0 (I1 not at 0)."""
    if a == 0 or a > 720.0:  # past 720 I overflows (I0 at 713.99)
        return 1.0 if a == 0 else math.inf
    x = Decimal(a)
    with localcontext(_context(GUARD)):
        if a >= SERIES_BELOW:
            sums = _hankel_sums(n, x, -1)
            if sums is not None:
                return float(x.exp() / (2 * _pi() * x).sqrt() * sums[0])
        lead, s = _series(n, a, 1, GUARD)
        return float(lead * s)


# ---------------------------------------------------------------- C's functions


def _odd(value: float, negative: bool) -> float:
    return -value if negative else value


def j0(x: float) -> float:
    if math.isnan(x):
        return x
    return 0.0 if math.isinf(x) else (1.0 if x == 0 else float(_j(0, abs(x))))


def j1(x: float) -> float:
    return jn(1.0, x)


def y0(x: float) -> float:
    return yn(0.0, x)


def y1(x: float) -> float:
    return yn(1.0, x)


def jn(n: float, x: float) -> float:
    """J_n(x), n C's int conversion of the float operand: J_-n = (-1)^n J_n and J_n(-x) =
    (-1)^n J_n(x), signed zeros included (0 at +-inf)."""
    k = _order(n)
    negative, k = k < 0 and k % 2 == 1, abs(k)
    if k == 0:
        return j0(x)
    if math.isnan(x):
        return x
    negative ^= math.copysign(1.0, x) < 0 and k % 2 == 1
    a = abs(x)
    return _odd(0.0 if math.isinf(a) or a == 0 else float(_j(k, a)), negative)


def yn(n: float, x: float) -> float:
    """Y_n(x), n C's int conversion of the float operand: Y_-n = (-1)^n Y_n; NaN below 0,
    -inf at +-0, +0 at +inf."""
    k = _order(n)
    negative, k = k < 0 and k % 2 == 1, abs(k)
    if math.isnan(x) or x < 0:
        return math.nan
    if x == 0 or math.isinf(x):
        return _odd(-math.inf if x == 0 else 0.0, negative)
    return _odd(float(_y(k, x)), negative)


def cyl_bessel_i0(x: float) -> float:
    return x if math.isnan(x) else _i(0, abs(x))


def cyl_bessel_i1(x: float) -> float:
    if math.isnan(x) or x == 0:
        return x
    return _odd(_i(1, abs(x)), x < 0)
