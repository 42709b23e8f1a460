"""`kernelc.ir.bessel`, the Bessel functions that constant folding and the interpreter
compute: the true values rounded to double (judged by mpmath at 200 bits), C's and CUDA's
special values, and the one place the reference stops (an order and an argument both past
`MAX_ORDER`), which folding leaves to run time and the interpreter reports.

Rule: pure Python and NumPy, no GPU; the shader library's own accuracy is
tests/runtime/test_bessel.py's.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import kernelc
from kernelc.ir import bessel
from kernelc.ir.interp import InterpreterError, run_elementwise
from kernelc.pipeline import lower_kernel

INF, NAN = math.inf, math.nan


def _points(rng: random.Random, count: int) -> list[float]:
    """Below 8, between 8 and 60 (the series and Hankel's expansion meet at 40), far out
    (log-uniform to 1e300), tiny, and doubles next to zeros of J0, J1, Y0, Y1."""
    zeros = [2.404825557695773, 3.8317059702075125, 0.8935769662791675, 2.197141326031017]
    return [
        *(rng.uniform(0, 8) for _ in range(count)),
        *(rng.uniform(8, 60) for _ in range(count)),
        *(10 ** rng.uniform(1, 300) for _ in range(count)),
        *(10 ** rng.uniform(-300, 0) for _ in range(count // 2)),
        *zeros,
        *(math.nextafter(z, INF) for z in zeros),
    ]


def _ulp_error(got: float, want) -> float:
    """|got - want| in ulp of the double nearest want (want an mpmath number)."""
    nearest = float(want)
    if math.isinf(nearest):
        return 0.0 if got == nearest else INF
    return float(abs(want - got)) / math.ulp(nearest) if nearest else abs(got) / 5e-324


def test_values_are_correctly_rounded():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 200
    rng = random.Random(11)
    xs = _points(rng, 24)
    cases = [
        *((bessel.j0, mpmath.besselj, 0, x) for x in xs),
        *((bessel.j1, mpmath.besselj, 1, x) for x in xs),
        *((bessel.y0, mpmath.bessely, 0, x) for x in xs),
        *((bessel.y1, mpmath.bessely, 1, x) for x in xs),
        *((bessel.cyl_bessel_i0, mpmath.besseli, 0, rng.uniform(0, 713)) for _ in range(40)),
        *((bessel.cyl_bessel_i1, mpmath.besseli, 1, rng.uniform(0, 713)) for _ in range(40)),
    ]
    for _ in range(60):  # jn, yn at C's orders (the first operand, a float) past 1
        n, x = rng.choice([2, 3, 5, 12, 40, 128, 300]), rng.choice(xs[: 3 * 24])
        cases += [(bessel.jn, mpmath.besselj, n, x), (bessel.yn, mpmath.bessely, n, x)]
    for fn, ref, n, x in cases:
        got = fn(float(n), x) if fn in (bessel.jn, bessel.yn) else fn(x)
        assert _ulp_error(got, ref(n, x)) <= 0.5001, (fn.__name__, n, x, got, float(ref(n, x)))
    assert {fn.__name__ for fn, *_ in cases} == set(bessel.FUNCTIONS)


# (x, n) and C's / CUDA's values of j0, j1, y0, y1, jn, yn, i0, i1 (as the library's);
# the shader library is held to the first ones too (tests/runtime/test_bessel.py)
SPECIAL_ARGUMENTS = [
    (0.0, 2, (1.0, 0.0, -INF, -INF, 0.0, -INF, 1.0, 0.0)),
    (-0.0, 3, (1.0, -0.0, -INF, -INF, -0.0, -INF, 1.0, -0.0)),
    (INF, 2, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, INF, INF)),
    (-INF, 3, (0.0, -0.0, NAN, NAN, -0.0, NAN, INF, -INF)),
    (NAN, 2, (NAN,) * 8),
    (-1.0, 2, (None, None, NAN, NAN, None, NAN, None, None)),
]
SPECIAL = SPECIAL_ARGUMENTS + [  # orders the reference converts as C does
    (-0.0, -3, (None, None, None, None, 0.0, INF, None, None)),  # (-1)^n twice; Y_-3 = -Y3
    (2.0, NAN, (None, None, None, None, bessel.j0(2.0), bessel.y0(2.0), None, None)),
    (2.0, INF, (None, None, None, None, 0.0, -INF, None, None)),  # INT_MAX: under/overflow
    (1e4, 1e9, (None, None, None, None, 0.0, -INF, None, None)),
    (800.0, 0, (None, None, None, None, None, None, INF, INF)),
    (-800.0, 0, (None, None, None, None, None, None, INF, -INF)),
]


@pytest.mark.parametrize("x, n, values", SPECIAL)
def test_special_values(x, n, values):
    functions = [getattr(bessel, fn) for fn in bessel.FUNCTIONS]
    for fn, want in zip(functions, values):
        if want is None:
            continue
        got = fn(float(n), x) if fn in (bessel.jn, bessel.yn) else fn(x)
        assert (math.isnan(got) and math.isnan(want)) or (
            got == want and math.copysign(1, got) == math.copysign(1, want)
        ), (fn.__name__, x, n, got, want)


def test_negative_orders_and_arguments():
    for n in (2, 3, 7):
        for x in (0.5, 3.0, 30.0, 400.0):
            sign = (-1) ** n
            assert bessel.jn(-n, x) == sign * bessel.jn(n, x)
            assert bessel.jn(n, -x) == sign * bessel.jn(n, x)
            assert bessel.yn(-n, x) == sign * bessel.yn(n, x)


def test_orders_past_max_order_are_left_to_run_time():
    """J_n(x) with n and x past MAX_ORDER (outside Hankel's range, where x > n^2) would
    take more recurrence steps than MAX_ORDER: folding keeps the call, the interpreter
    says it cannot finish."""
    with pytest.raises(bessel.OrderTooLarge):
        bessel.jn(2.0 * bessel.MAX_ORDER, 3.0 * bessel.MAX_ORDER)
    assert np.isfinite(bessel.jn(2.0 * bessel.MAX_ORDER, 1e30))  # Hankel's expansion
    params = ("float32 x", "float32 y", "y = x + jnf(200000, 300000.0f);", "k")
    code = kernelc.translate_elementwise(*params, target="wgsl").code
    assert "fn kc_jn(" in code
    kernel, _ = lower_kernel(*params)
    args = {"x": np.zeros(2, np.float32), "y": np.zeros(2, np.float32)}
    with pytest.raises(InterpreterError, match="jn"):
        run_elementwise(kernel, args, (2,))
