"""float64 pow, the error and gamma functions and C99's exact helpers under the exact 64-bit
policy, on both native backends (kernelc/lib/float64_special.cu).

Rule: each function is one kernel (compiled once per backend) run on a dense grid over its
whole finite range, tails, subnormal arguments and results, and its special values; the
error in ulp against mpmath at 120 bits must stay within `BOUND` (docs/math-accuracy.md),
and special values, pow's C99 table and the exact functions must match NumPy (or C's
definition) bit for bit. `python -m tests.runtime.test_exact64_special` prints the table.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.compiler.test_lib_float64 import SPECIAL, same
from tests.runtime.helpers import (  # noqa: F401  (wgpy_backend: every test on every backend)
    print_accuracy,
    wgpy_backend,
)
from tests.runtime.test_exact64 import (  # noqa: F401  (exact_policy: the exact policy)
    exact_policy,
    float_operands,
    ulps,
)

# Our bound (ulp) per function, and CUDA's (CUDA C Programming Guide, double precision).
BOUND = {"pow": 2, "erf": 2, "erfc": 4, "erfcx": 4, "normcdf": 4, "lgamma": 4, "tgamma": 4}
CUDA_ULP = {"pow": 2, "erf": 2, "erfc": 5, "erfcx": 4, "normcdf": 5, "lgamma": 4, "tgamma": 10}
# lgamma for x < 0: the reflection log(pi / |x sin(pi x)|) - lgamma(-x) cancels near its
# zeros (CUDA's bound leaves out -11.0001 < x < -2.2637, and every zero beyond sits within
# 1/n! of -n); there the error is bounded in absolute terms, by this many ulp of the
# larger of 1, the result and lgamma(-x) (the terms that cancel).
LGAMMA_ZEROS_ULP = 4


def _mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 120
    return mpmath


def _lgamma(m, x):
    return m.log(abs(m.gamma(x))) if x < 0 else m.loggamma(x)


def _normcdf(m, x):
    return m.erfc(-x / m.sqrt(2)) / 2


def _erfcx(m, x):
    if x > 1e7:  # the asymptotic series (mpmath's erfc gives up far out)
        s = 1 / (2 * x * x)
        return (1 - s + 3 * s * s - 15 * s**3) / (x * m.sqrt(m.pi))
    return m.exp(x * x) * m.erfc(x)


MPMATH = {
    "erf": lambda m, x: m.erf(x),
    "erfc": lambda m, x: m.erfc(x),
    "erfcx": _erfcx,
    "normcdf": _normcdf,
    "lgamma": _lgamma,
    "tgamma": lambda m, x: m.gamma(x),
}


def _signed_powers(rng, lo, hi, n):
    return 10.0 ** rng.uniform(lo, hi, n) * rng.choice([-1.0, 1.0], n)


def near_gamma_zeros(rng) -> np.ndarray:
    """Points near 1 and 2, lgamma's positive zeros, and near its minimum at 1.4616."""
    d = 10.0 ** rng.uniform(-16, -1, 600) * rng.choice([-1.0, 1.0], 600)
    return np.concatenate([1.0 + d[:200], 2.0 + d[200:400], 1.4616321449683622 + d[400:]])


def near_integers(rng, n: np.ndarray) -> np.ndarray:
    """Points within 10^-14 .. 10^-1 of the negative integers -n (the poles)."""
    k = rng.integers(0, n.size, 600)
    d = 10.0 ** rng.uniform(-14, -1, 600) * rng.choice([-1.0, 1.0], 600)
    return -n[k] + d


def grid(op: str) -> np.ndarray:
    """The measured points of a one-argument function (finite, away from poles)."""
    rng = np.random.default_rng(11)
    if op == "erf":
        parts = [np.linspace(-6.5, 6.5, 2601), _signed_powers(rng, -320, 0.8, 800)]
    elif op == "erfc":
        parts = [np.linspace(-6.5, 27.3, 3001), _signed_powers(rng, -320, 1.44, 800)]
    elif op == "erfcx":
        parts = [np.linspace(-26.6, 40, 2601), 10.0 ** rng.uniform(-320, 308, 800)]
        parts.append(-(10.0 ** rng.uniform(-320, 1.42, 300)))
    elif op == "normcdf":
        parts = [np.linspace(-38.4, 9, 3001), _signed_powers(rng, -320, 0.9, 600)]
    elif op == "lgamma":
        parts = [np.linspace(1e-3, 12, 2401), 10.0 ** rng.uniform(-320, 305, 800)]
        parts += [rng.uniform(0.5, 2.5, 400), -rng.uniform(0, 180, 800), near_gamma_zeros(rng)]
        parts.append(-(10.0 ** rng.uniform(-320, 0, 200)))
        parts.append(near_integers(rng, np.arange(1.0, 170.0)))
    else:  # tgamma
        parts = [np.linspace(-19.97, 171.6, 3001), -rng.uniform(20, 185, 600)]
        parts += [_signed_powers(rng, -320, 0, 400), rng.uniform(0.5, 3, 300)]
        parts += [near_gamma_zeros(rng), near_integers(rng, np.arange(1.0, 185.0))]
    x = np.concatenate(parts)
    if op in ("lgamma", "tgamma"):
        x = x[(x > 0) | (x != np.round(x))]
    return x


@functools.cache
def reference(op: str) -> tuple[np.ndarray, np.ndarray]:
    m = _mpmath()
    x = grid(op)
    return x, np.array([float(MPMATH[op](m, m.mpf(float(v)))) for v in x])


def pow_points() -> tuple[np.ndarray, np.ndarray]:
    """x over the whole range with y keeping x^y finite or just past the range; x near 1
    with huge y; negative x with integral y; subnormal results."""
    rng = np.random.default_rng(12)
    n = 1500
    x = 10.0 ** rng.uniform(-320, 308, n)
    target = rng.uniform(-1090, 1030, n) * math.log(2)  # log of the result
    y = target / np.log(x)
    near_one = 1.0 + rng.uniform(-1, 1, 300) * 2.0 ** rng.uniform(-52, -18, 300)
    with np.errstate(divide="ignore"):
        y_near = rng.uniform(-700, 700, 300) / np.log(near_one)
    neg = -(10.0 ** rng.uniform(-5, 5, 300))
    y_neg = np.round(rng.uniform(-60, 60, 300))
    small = rng.uniform(0.1, 10, 400)
    y_small = rng.uniform(-30, 30, 400)
    ints = np.round(rng.uniform(1, 30, 200))
    y_ints = np.round(rng.uniform(0, 12, 200))
    xs = np.concatenate([x, near_one, neg, small, ints])
    ys = np.concatenate([y, y_near, y_neg, y_small, y_ints])
    keep = np.isfinite(ys)
    return xs[keep], ys[keep]


@functools.cache
def pow_reference() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = _mpmath()
    x, y = pow_points()
    want = [float(m.power(m.mpf(float(a)), m.mpf(float(b)))) for a, b in zip(x, y)]
    return x, y, np.array(want)


@functools.cache
def unary_kernel(op: str) -> wp.ElementwiseKernel:
    return wp.ElementwiseKernel("float64 x", "float64 y", f"y = {op}(x)", f"exact64_{op}")


@functools.cache
def binary_kernel(op: str) -> wp.ElementwiseKernel:
    return wp.ElementwiseKernel(
        "float64 x, float64 z", "float64 y", f"y = {op}(x, z)", f"exact64_{op}"
    )


def run_unary(op: str, x: np.ndarray) -> np.ndarray:
    return unary_kernel(op)(wp.asarray(x)).get()


def run_binary(op: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return binary_kernel(op)(wp.asarray(x), wp.asarray(y)).get()


def lgamma_regions(x: np.ndarray) -> dict[str, np.ndarray]:
    """lgamma's points by region: positive; negative where CUDA states its bound (outside
    -11.0001 < x < -2.2637, and here also away from the poles, within 1e-6 of which the
    zeros of x < -11 lie); and the rest of the negatives."""
    inside = (x > -11.0001) & (x < -2.2637)
    near = (x < 0) & (np.abs(x - np.round(x)) < 1e-6)
    negative = (x < 0) & ~inside & ~near
    return {"positive": x > 0, "negative": negative, "zeros": (x < 0) & ~negative}


def measure(op: str) -> dict[str, float]:
    """Largest errors in ulp: ours, and the CPU's (SciPy / NumPy) on the same points."""
    import scipy.special as sc

    if op == "pow":
        x, y, want = pow_reference()
        with np.errstate(over="ignore"):
            got, cpu = run_binary("pow", x, y), np.power(x, y)
    else:
        x, want = reference(op)
        got = run_unary(op, x)
        cpu_fn = {
            "erf": sc.erf,
            "erfc": sc.erfc,
            "erfcx": sc.erfcx,
            "normcdf": sc.ndtr,
            "lgamma": sc.gammaln,
            "tgamma": sc.gamma,
        }[op]
        cpu = cpu_fn(x)
    regions = lgamma_regions(x) if op == "lgamma" else {"all": np.ones(x.shape, bool)}
    result = {}
    for name, keep in regions.items():
        result[name] = float(ulps(got[keep], want[keep]).max())
        result[name + " (cpu)"] = float(ulps(cpu[keep], want[keep]).max())
    if op == "lgamma":
        zeros = regions["zeros"]
        result["zeros abs"] = float(np.abs(got - want)[zeros].max())
    return result


INF, NAN = math.inf, math.nan
TINY = 5e-324
# C99's and CUDA's values at the special points: (x, f(x)), compared bit for bit.
SPECIAL_VALUES = {
    "erf": [(0.0, 0.0), (-0.0, -0.0), (INF, 1.0), (-INF, -1.0), (NAN, NAN), (7.0, 1.0)],
    "erfc": [(INF, 0.0), (-INF, 2.0), (NAN, NAN), (0.0, 1.0), (-0.0, 1.0), (28.0, 0.0)],
    "erfcx": [(INF, 0.0), (-INF, INF), (NAN, NAN), (0.0, 1.0), (-0.0, 1.0), (-27.0, INF)],
    "normcdf": [(INF, 1.0), (-INF, 0.0), (NAN, NAN), (0.0, 0.5), (-0.0, 0.5), (-40.0, 0.0)],
    "lgamma": [(0.0, INF), (-0.0, INF), (INF, INF), (-INF, INF), (NAN, NAN), (1.0, 0.0)]
    + [(2.0, 0.0), (-1.0, INF), (-2.0, INF), (-(2.0**60), INF), (TINY, 744.4400719213812)],
    "tgamma": [(0.0, INF), (-0.0, -INF), (INF, INF), (-INF, NAN), (NAN, NAN), (-1.0, NAN)]
    + [(-2.0, NAN), (-1e300, NAN), (172.0, INF), (TINY, INF), (-TINY, -INF), (-190.5, -0.0)]
    + [(-191.5, 0.0), (1.0, 1.0), (2.0, 1.0), (3.0, 2.0), (11.0, 3628800.0)]
    + [(23.0, float(math.factorial(22)))],
}


@pytest.mark.parametrize("op", [op for op in BOUND if op != "pow"])
def test_within_bound_against_mpmath_and_special_values(op):
    x, want = reference(op)
    sx, swant = (np.array(v) for v in zip(*SPECIAL_VALUES[op]))
    both = run_unary(op, np.concatenate([x, sx]))  # one dispatch: one compilation
    got, sgot = both[: x.size], both[x.size :]
    assert same(sgot, swant).all(), sx[~same(sgot, swant)]
    err = ulps(got, want)
    if op != "lgamma":
        assert err.max() <= BOUND[op], x[np.argmax(err)]
        return
    regions = lgamma_regions(x)
    assert err[regions["positive"] | regions["negative"]].max() <= BOUND[op]
    zeros = regions["zeros"]
    a = np.abs(x[zeros])
    scale = np.maximum.reduce([np.ones(a.size), np.abs(want[zeros]), a * np.log(a) - a])
    bound = LGAMMA_ZEROS_ULP * 2.0**-52 * scale
    assert (np.abs(got[zeros] - want[zeros]) <= bound).all()


# pow's operands: signed zeros and infinities, NaN, +-1, odd and even integers, halves,
# huge, tiny and subnormal values.
POW_X = [0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, -3.0, 4.0, 1e300, 1e-300]
POW_X += [TINY, -TINY, 1.7976931348623157e308, -1.7976931348623157e308, 1.0 + 2**-52]
POW_Y = [0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5, 2.5, -2.5]
POW_Y += [1e10, -1e10, 2.0**53, 2.0**53 + 2, -(2.0**53) - 2, 1e300, 1075.0, -1075.0, 2.0**31 + 1]


def test_pow_within_bound_and_c99_special_cases():
    """mpmath's points within pow's bound; of every pairing of POW_X and POW_Y, a result
    NumPy gives as NaN, +-Inf, +-0 or +-1, and any result for a special operand, bit for
    bit, the others (2^0.5, ...) within the bound of NumPy's. One dispatch for all."""
    px, py, pwant = pow_reference()
    x, y = (v.ravel() for v in np.meshgrid(np.array(POW_X), np.array(POW_Y)))
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    both = run_binary("pow", np.concatenate([px, x]), np.concatenate([py, y]))
    err = ulps(both[: px.size], pwant)
    assert err.max() <= BOUND["pow"], (px[np.argmax(err)], py[np.argmax(err)])
    got = both[px.size :]
    special = ~np.isfinite(want) | (want == 0) | (np.abs(want) == 1)
    special |= ~np.isfinite(x) | ~np.isfinite(y) | (x == 0) | (y == 0)
    assert same(got[special], want[special]).all(), (x[special], y[special])
    assert ulps(got[~special], want[~special]).max() <= BOUND["pow"]


def _c_remainder(x: float, y: float) -> float:
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or y == 0:
        return NAN
    return x if math.isinf(y) else math.remainder(x, y)


def _ilogb(x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        e = np.frexp(np.where(np.isfinite(x), x, 1.0))[1] - 1
    e = np.where(np.isinf(x), 2**31 - 1, e)
    return np.where((x == 0) | np.isnan(x), -(2**31), e).astype(np.int32)


def _logb(x: np.ndarray) -> np.ndarray:
    e = _ilogb(x).astype(np.float64)
    return np.where(np.isnan(x), x, np.where(np.isinf(x), INF, np.where(x == 0, -INF, e)))


EXACT_BINARY = {
    "remainder": np.vectorize(_c_remainder, otypes=[np.float64]),
    "nextafter": np.nextafter,
    "fdim": lambda x, y: np.where(np.isnan(x) | np.isnan(y), NAN, np.where(x > y, x - y, 0.0)),
}


@pytest.mark.parametrize("op", EXACT_BINARY)
def test_exact_binary_functions(op):
    x, y = float_operands()
    with np.errstate(all="ignore"):
        want = EXACT_BINARY[op](x, y)
    assert same(run_binary(op, x, y), want).all()


def test_logb_and_ilogb_are_exact():
    x, _ = float_operands()
    assert same(run_unary("logb", x), _logb(x)).all()
    kernel = wp.ElementwiseKernel("float64 x", "int32 n", "n = ilogb(x)", "exact64_ilogb")
    assert (kernel(wp.asarray(x)).get() == _ilogb(x)).all()


if __name__ == "__main__":
    print_accuracy(BOUND, measure)
