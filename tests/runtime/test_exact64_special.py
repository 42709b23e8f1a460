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
from tests.runtime.helpers import wgpy_backend  # noqa: F401  (runs every test on every backend)
from tests.runtime.test_exact64 import exact_policy, ulps  # noqa: F401  (the exact policy)

# Our bound (ulp) per function, and CUDA's (CUDA C Programming Guide, double precision).
BOUND = {"pow": 2, "erf": 2, "erfc": 4, "erfcx": 4, "normcdf": 4, "lgamma": 4, "tgamma": 4}
CUDA_ULP = {"pow": 2, "erf": 2, "erfc": 5, "erfcx": 4, "normcdf": 5, "lgamma": 4, "tgamma": 10}
# lgamma for x < 0: the reflection cancels near its zeros (CUDA's bound leaves out
# -11.0001 < x < -2.2637, and every zero sits within 1/n! of -n); there the error is
# bounded in absolute terms.
LGAMMA_ZEROS_ATOL = 2e-15


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


@pytest.mark.parametrize("op", [op for op in BOUND if op != "pow"])
def test_within_bound_against_mpmath(op):
    x, want = reference(op)
    got = run_unary(op, x)
    err = ulps(got, want)
    if op != "lgamma":
        assert err.max() <= BOUND[op], x[np.argmax(err)]
        return
    regions = lgamma_regions(x)
    assert err[regions["positive"] | regions["negative"]].max() <= BOUND[op]
    zeros = regions["zeros"]
    assert (
        np.abs(got - want)[zeros] <= LGAMMA_ZEROS_ATOL * np.maximum(1, np.abs(want[zeros]))
    ).all()


def test_pow_within_bound_against_mpmath():
    x, y, want = pow_reference()
    err = ulps(run_binary("pow", x, y), want)
    assert err.max() <= BOUND["pow"], (x[np.argmax(err)], y[np.argmax(err)])


if __name__ == "__main__":
    wp.set_64bit_policy("exact")
    from wgpy_runtime import device as devices

    for backend in devices.BACKENDS:
        devices.set_device(backend)
        for op in BOUND:
            print(backend, op, measure(op), flush=True)
