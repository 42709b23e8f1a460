"""float64 inverse hyperbolic functions, exp10, rsqrt, rcbrt and the inverse error
functions under the exact 64-bit policy, on both native backends
(kernelc/lib/float64_inverse.cu).

Rule: each function is one kernel (compiled once per backend) run on a dense grid over its
whole domain, its ends (1 for acosh, +-1 for atanh and erfinv, 0 and 2 for erfcinv),
subnormal arguments and results, and its special values; the error in ulp against mpmath
at 120 bits must stay within `BOUND` (docs/math-accuracy.md), and the special values must
match NumPy / SciPy (C99's and CUDA's values) bit for bit. `python -m
tests.runtime.test_exact64_inverse` prints the table.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.compiler.test_lib_float64 import same
from tests.runtime.helpers import (  # noqa: F401  (wgpy_backend: every test on every backend)
    print_accuracy,
    wgpy_backend,
)
from tests.runtime.test_exact64 import exact_policy, ulps  # noqa: F401  (the exact policy)

# Our bound (ulp) per function, and CUDA's (CUDA C Programming Guide, double precision).
BOUND = {
    "asinh": 2,
    "acosh": 2,
    "atanh": 2,
    "exp10": 1,
    "rsqrt": 1,
    "rcbrt": 1,
    "erfinv": 2,
    "erfcinv": 2,
    "normcdfinv": 2,
}
CUDA_ULP = {
    "asinh": 3,
    "acosh": 3,
    "atanh": 2,
    "exp10": 1,
    "rsqrt": 1,
    "rcbrt": 1,
    "erfinv": 5,
    "erfcinv": 6,
    "normcdfinv": 8,
}


def _mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 120
    return mpmath


def _erfc_root(m, q: float):
    """erfcinv(q) for 0 < q < 1/2: Newton steps on log erfc(x) = log q (erfinv(1 - q)
    would need 1 - q to more than 120 bits), from SciPy's value or, for tiny q, from
    x^2 = t - log(pi t) / 2, t = -log q."""
    import scipy.special as sc

    lq = m.log(m.mpf(q))
    x = m.sqrt(-lq - m.log(-m.pi * lq) / 2) if q < 1e-300 else m.mpf(float(sc.erfcinv(q)))
    for _ in range(20):
        c = m.erfc(x)
        step = (m.log(c) - lq) * m.sqrt(m.pi) * c / (2 * m.exp(-x * x))
        x += step
        if abs(step) < x * m.mpf(2) ** -118:
            break
    return x


def _erfcinv(m, q: float):
    """erfcinv(q) for 0 < q < 2 (the reflections 2 - q and 1 - q are exact in float64)."""
    if q > 1.5:
        return -_erfcinv(m, 2.0 - q)
    if q >= 0.5:
        return m.erfinv(1.0 - q)
    return _erfc_root(m, q)


def _erfinv(m, y: float):
    if abs(y) <= 0.5:
        return m.erfinv(y)
    return math.copysign(1, y) * _erfc_root(m, 1.0 - abs(y))


MPMATH = {
    "asinh": lambda m, x: m.asinh(x),
    "acosh": lambda m, x: m.acosh(x),
    "atanh": lambda m, x: m.atanh(x),
    "exp10": lambda m, x: m.power(10, x),
    "rsqrt": lambda m, x: 1 / m.sqrt(x),
    "rcbrt": lambda m, x: m.sign(x) / m.cbrt(abs(x)),
    "erfinv": lambda m, x: _erfinv(m, float(x)),
    "erfcinv": lambda m, x: _erfcinv(m, float(x)),
    "normcdfinv": lambda m, x: -m.sqrt(2) * _erfcinv(m, 2.0 * float(x)),
}


def _signed_powers(rng, lo, hi, n):
    return 10.0 ** rng.uniform(lo, hi, n) * rng.choice([-1.0, 1.0], n)


def _near(rng, centre: float, lo: float, hi: float, n: int) -> np.ndarray:
    """Points 10^lo .. 10^hi either side of `centre`."""
    return centre + _signed_powers(rng, lo, hi, n)


TINY = 5e-324
MAX = 1.7976931348623157e308
ONE_MINUS = 1.0 - 2.0**-53  # the double below 1
EXP10_MAX = 308.25471555991675  # log10(DBL_MAX), rounded down
# The ends of each range: the largest and smallest doubles, the last ones in the domain.
EDGES = {
    "asinh": [MAX, -MAX, TINY, 2.0**-28, 2.0**28, 2.0],
    "acosh": [MAX, 1.0 + 2.0**-52, 2.0, 2.0**28],
    "atanh": [ONE_MINUS, -ONE_MINUS, TINY, 0.5, 2.0**-28],
    "exp10": [EXP10_MAX, np.nextafter(EXP10_MAX, 0), -307.6526555685888, -323.3062153431158],
    "rsqrt": [MAX, TINY, 2.2250738585072014e-308, 2.0],
    "rcbrt": [MAX, -TINY, 2.2250738585072014e-308, 2.0, -3.0],
    "erfinv": [ONE_MINUS, -ONE_MINUS, TINY, -TINY, 2.0**-900, 0.5, 1e-30],
    "erfcinv": [TINY, 2.0 - 2.0**-52, ONE_MINUS, 1.0 + 2.0**-52, 1e-37, 0.08, 0.5, 1.5],
    "normcdfinv": [TINY, ONE_MINUS, 0.25, 0.75, 0.5 + 2.0**-53, 5e-38],
}


def grid(op: str) -> np.ndarray:
    """The measured points of `op` (finite, inside its domain)."""
    rng = np.random.default_rng(13)
    parts = [np.array(EDGES[op])]
    if op == "asinh":
        parts += [np.linspace(-6, 6, 1201), _signed_powers(rng, -320, 308, 800)]
        parts += [_near(rng, 2.0, -16, -1, 200), _near(rng, 2.0**28, -8, 6, 200)]
        parts.append(_signed_powers(rng, -10, 1, 400))
    elif op == "acosh":
        parts += [np.linspace(1, 12, 1201), 10.0 ** rng.uniform(0, 308, 800)]
        parts += [1.0 + 10.0 ** rng.uniform(-16, 0, 600), _near(rng, 2.0, -16, -1, 200)]
        parts.append(_near(rng, 2.0**28, -8, 6, 200))
    elif op == "atanh":
        parts += [np.linspace(-0.999, 0.999, 1201), _signed_powers(rng, -320, 0, 800)]
        parts += [1.0 - 10.0 ** rng.uniform(-16, -0.3, 400), _near(rng, 0.5, -16, -1, 200)]
        parts.append(-(1.0 - 10.0 ** rng.uniform(-16, -0.3, 200)))
    elif op == "exp10":
        parts += [np.linspace(-323.6, 308.25, 2001), _signed_powers(rng, -320, 2.3, 800)]
        parts += [np.arange(-22.0, 23.0), rng.uniform(-1, 1, 400)]
    elif op == "rsqrt":
        parts += [10.0 ** rng.uniform(-323.6, 308.25, 1600), rng.uniform(0.25, 4, 800)]
        parts.append(4.0 ** rng.integers(-537, 512, 100).astype(np.float64))
    elif op == "rcbrt":
        parts += [_signed_powers(rng, -323.6, 308.25, 1600), rng.uniform(-8, 8, 800)]
        parts.append(8.0 ** rng.integers(-358, 341, 100).astype(np.float64))
    elif op == "erfinv":
        parts += [np.linspace(-0.9999, 0.9999, 1601), _signed_powers(rng, -323.6, 0, 600)]
        parts += [1.0 - 10.0 ** rng.uniform(-16, -0.3, 600), _near(rng, 0.5, -16, -1, 200)]
        parts.append(-(1.0 - 10.0 ** rng.uniform(-16, -0.3, 200)))
    elif op == "erfcinv":
        parts += [np.linspace(1e-4, 2 - 1e-4, 1601), 10.0 ** rng.uniform(-323.6, -0.3, 1000)]
        parts += [2.0 - 10.0 ** rng.uniform(-16, -0.3, 300), _near(rng, 1.0, -16, -0.4, 300)]
        parts += [_near(rng, 0.5, -16, -1, 150), _near(rng, 0.0770998717435417, -16, -3, 150)]
    else:  # normcdfinv
        parts += [np.linspace(1e-4, 1 - 1e-4, 1601), 10.0 ** rng.uniform(-323.6, -0.4, 1000)]
        parts += [1.0 - 10.0 ** rng.uniform(-16, -0.4, 400), _near(rng, 0.5, -16, -1, 300)]
    x = np.concatenate(parts)
    return x[x != 0] if op in ("rsqrt", "rcbrt") else x


@functools.cache
def reference(op: str) -> tuple[np.ndarray, np.ndarray]:
    m = _mpmath()
    x = grid(op)
    return x, np.array([float(MPMATH[op](m, m.mpf(float(v)))) for v in x])


@functools.cache
def unary_kernel(op: str) -> wp.ElementwiseKernel:
    return wp.ElementwiseKernel("float64 x", "float64 y", f"y = {op}(x)", f"exact64_{op}")


def run_unary(op: str, x: np.ndarray) -> np.ndarray:
    return unary_kernel(op)(wp.asarray(x)).get()


def _rounded_cbrt(x: np.ndarray) -> np.ndarray:
    """cbrt rounded once (mpmath): the platform's may be an ulp off (glibc's cbrt(0.125)
    is 0.49999999999999994), and NumPy takes it for some arrays."""
    mpmath = _mpmath()
    out = np.cbrt(x)  # zeros, infinities and NaN
    for k in np.flatnonzero(np.isfinite(x) & (x != 0)):
        out[k] = math.copysign(float(mpmath.cbrt(abs(mpmath.mpf(float(x[k]))))), x[k])
    return out


def cpu(op: str, x: np.ndarray) -> np.ndarray:
    """The CPU's float64 function (NumPy / SciPy) on the same points."""
    import scipy.special as sc

    with np.errstate(all="ignore"):
        return {
            "asinh": np.arcsinh,
            "acosh": np.arccosh,
            "atanh": np.arctanh,
            "exp10": lambda v: np.power(10.0, v),
            "rsqrt": lambda v: 1.0 / np.sqrt(v),
            "rcbrt": lambda v: 1.0 / _rounded_cbrt(v),
            "erfinv": sc.erfinv,
            "erfcinv": sc.erfcinv,
            "normcdfinv": sc.ndtri,
        }[op](x)


def measure(op: str) -> dict[str, float]:
    """Largest errors in ulp: ours, and the CPU's on the same points."""
    x, want = reference(op)
    got = run_unary(op, x)
    return {
        "max": float(ulps(got, want).max()),
        "cpu": float(ulps(cpu(op, x), want).max()),
        "points": x.size,
    }


INF, NAN = math.inf, math.nan
# C99's, CUDA's and SciPy's values at the special points: (x, f(x)), compared bit for bit.
SPECIAL_VALUES = {
    "asinh": [(0.0, 0.0), (-0.0, -0.0), (INF, INF), (-INF, -INF), (NAN, NAN), (TINY, TINY)]
    + [(-TINY, -TINY)],
    "acosh": [(1.0, 0.0), (INF, INF), (-INF, NAN), (NAN, NAN), (0.0, NAN), (-1.0, NAN)]
    + [(1.0 - 2**-53, NAN)],
    "atanh": [(0.0, 0.0), (-0.0, -0.0), (1.0, INF), (-1.0, -INF), (NAN, NAN), (INF, NAN)]
    + [(-INF, NAN), (1.0 + 2**-52, NAN), (-2.0, NAN), (TINY, TINY), (-TINY, -TINY)],
    "exp10": [(0.0, 1.0), (-0.0, 1.0), (INF, INF), (-INF, 0.0), (NAN, NAN), (1.0, 10.0)]
    + [(2.0, 100.0), (-1.0, 0.1), (309.0, INF), (-324.0, 0.0), (TINY, 1.0)],
    "rsqrt": [(0.0, INF), (-0.0, -INF), (INF, 0.0), (-INF, NAN), (NAN, NAN), (-1.0, NAN)]
    + [(1.0, 1.0), (4.0, 0.5), (0.25, 2.0), (-TINY, NAN)],
    "rcbrt": [(0.0, INF), (-0.0, -INF), (INF, 0.0), (-INF, -0.0), (NAN, NAN), (1.0, 1.0)]
    + [(-8.0, -0.5), (0.125, 2.0), (-1.0, -1.0)],
    "erfinv": [(0.0, 0.0), (-0.0, -0.0), (1.0, INF), (-1.0, -INF), (NAN, NAN), (INF, NAN)]
    + [(-INF, NAN), (1.0 + 2**-52, NAN), (-1.5, NAN)],
    "erfcinv": [(0.0, INF), (2.0, -INF), (1.0, 0.0), (NAN, NAN), (-0.0, INF), (INF, NAN)]
    + [(-INF, NAN), (-TINY, NAN), (2.0 + 2**-51, NAN)],
    "normcdfinv": [(0.0, -INF), (-0.0, -INF), (1.0, INF), (0.5, 0.0), (NAN, NAN)]
    + [(INF, NAN), (-INF, NAN), (-TINY, NAN), (1.0 + 2**-52, NAN)],
}


@pytest.mark.parametrize("op", BOUND)
def test_within_bound_against_mpmath_and_special_values(op):
    x, want = reference(op)
    sx, swant = (np.array(v) for v in zip(*SPECIAL_VALUES[op]))
    both = run_unary(op, np.concatenate([x, sx]))  # one dispatch: one compilation
    got, sgot = both[: x.size], both[x.size :]
    assert same(sgot, swant).all(), (sx[~same(sgot, swant)], sgot[~same(sgot, swant)])
    err = ulps(got, want)
    assert err.max() <= BOUND[op], (x[np.argmax(err)], err.max())


# Where SciPy's zero has the other sign: erfinv(-0) is -0 in C's rule (an odd function
# keeps the zero's sign), and erfcinv(1) = +0 as normcdfinv(1/2).
NOT_SCIPY = {("erfinv", -0.0), ("erfcinv", 1.0)}


def test_special_values_are_numpy_and_scipy_values():
    """The table above is what NumPy / SciPy give (rsqrt and rcbrt: 1 / sqrt, 1 / cbrt),
    but for the signs of zero in `NOT_SCIPY`."""
    for op, pairs in SPECIAL_VALUES.items():
        x, want = (np.array(v) for v in zip(*pairs))
        got = cpu(op, x)
        for v, g, w in zip(x, got, want):
            assert same(np.array(g), np.array(w)) or (op, v) in NOT_SCIPY, (op, v)


if __name__ == "__main__":
    print_accuracy(BOUND, measure)
