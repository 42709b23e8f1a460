"""Bessel functions j0, j1, y0, y1, jn, yn, cyl_bessel_i0, cyl_bessel_i1 in float32
(kernelc/lib/bessel.cu) and float64 under the exact 64-bit policy
(kernelc/lib/float64_bessel.cu), on the native backends.

Rule: few kernels, each compiled once: float32, one for all eight functions on every
backend; float64, three (jn, whose orders 0 and 1 are j0 and j1; yn likewise; i0 with i1),
each about 30 s to compile on Mesa with an empty shader cache, so when both backends run
each compiles on one of them (`FLOAT64_BACKEND`; `python -m tests.runtime.test_bessel`
runs everything on every backend). The points: a grid over |x| < 8, log-uniform
magnitudes up to 1e30 (1e300 for float64), the zeros of J0, J1, Y0, Y1 below 8 and the
special values; jn and yn take orders 2 to 128. Errors are measured against mpmath and
must stay within `BOUND` (docs/math-accuracy.md), measured as CUDA states its bounds:
absolute error below 8 (for jn everywhere, for yn where x >= n), ulp of the result for yn
where x < n and for I0, I1, and for x >= 8 ulp of the larger of |f(x)| and the envelope
sqrt(2 / (pi x)) (near a zero of the oscillation no implementation has a relative bound).
Special values are compared bit for bit. `python -m tests.runtime.test_bessel` prints the
table.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.compiler.test_bessel_reference import SPECIAL_ARGUMENTS as SPECIAL
from tests.compiler.test_lib_float64 import same
from tests.runtime.helpers import (
    BACKENDS,
    wgpy_backend,  # noqa: F401  (runs every test on every backend)
)

FUNCTIONS = ("j0", "j1", "y0", "y1", "jn", "yn", "cyl_bessel_i0", "cyl_bessel_i1")
# (function, measure) -> our bound, per precision; CUDA's (CUDA C Programming Guide).
# Measures: "abs<8" absolute error for |x| < 8, "env>=8" ulp of max(|f|, envelope) for
# |x| >= 8, "abs" absolute error, "ulp" ulp of the result; for yn "ulp x<n", its ratio to
# CUDA's ceil(2 + 2.5n) at each point ("of CUDA x<n") and "abs x>=n". "abs<8" is relative
# where |f| > 1 (Y near 0).
BOUND = {
    "float32": {
        ("j0", "abs<8"): 2.2e-6,
        ("j0", "env>=8"): 9,
        ("j1", "abs<8"): 2.2e-6,
        ("j1", "env>=8"): 9,
        ("y0", "abs<8"): 2.2e-6,
        ("y0", "env>=8"): 9,
        ("y1", "abs<8"): 2.2e-6,
        ("y1", "env>=8"): 9,
        ("jn", "abs"): 2.2e-6,
        ("yn", "ulp x<n"): 322,
        ("yn", "of CUDA x<n"): 1,
        ("yn", "abs x>=n"): 2.2e-6,
        ("cyl_bessel_i0", "ulp"): 6,
        ("cyl_bessel_i1", "ulp"): 6,
    },
    "float64": {
        ("j0", "abs<8"): 1e-15,
        ("j0", "env>=8"): 7,
        ("j1", "abs<8"): 1e-15,
        ("j1", "env>=8"): 7,
        ("y0", "abs<8"): 1e-15,
        ("y0", "env>=8"): 7,
        ("y1", "abs<8"): 1e-15,
        ("y1", "env>=8"): 7,
        ("jn", "abs"): 7e-10,
        ("yn", "ulp x<n"): 322,
        ("yn", "of CUDA x<n"): 1,
        ("yn", "abs x>=n"): 5e-12,
        ("cyl_bessel_i0", "ulp"): 6,
        ("cyl_bessel_i1", "ulp"): 6,
    },
}
CUDA = {
    "float32": {
        ("j0", "abs<8"): "2.2e-6",
        ("j0", "env>=8"): "9 ulp",
        ("j1", "abs<8"): "2.2e-6",
        ("j1", "env>=8"): "9 ulp",
        ("y0", "abs<8"): "2.2e-6",
        ("y0", "env>=8"): "9 ulp",
        ("y1", "abs<8"): "2.2e-6",
        ("y1", "env>=8"): "9 ulp",
        ("jn", "abs"): "2.2e-6 (n = 128)",
        ("yn", "ulp x<n"): "ceil(2 + 2.5n) ulp (322 at n = 128)",
        ("yn", "of CUDA x<n"): "1",
        ("yn", "abs x>=n"): "2.2e-6",
        ("cyl_bessel_i0", "ulp"): "6 ulp",
        ("cyl_bessel_i1", "ulp"): "6 ulp",
    },
    "float64": {
        ("j0", "abs<8"): "7 ulp",
        ("j0", "env>=8"): "5e-12 abs",
        ("j1", "abs<8"): "7 ulp",
        ("j1", "env>=8"): "5e-12 abs",
        ("y0", "abs<8"): "7 ulp",
        ("y0", "env>=8"): "5e-12 abs",
        ("y1", "abs<8"): "7 ulp",
        ("y1", "env>=8"): "5e-12 abs",
        ("jn", "abs"): "7e-10 (n = 128)",
        ("yn", "ulp x<n"): "ceil(2 + 2.5n) ulp (322 at n = 128)",
        ("yn", "of CUDA x<n"): "1",
        ("yn", "abs x>=n"): "ceil(2 + 2.5n) ulp",
        ("cyl_bessel_i0", "ulp"): "6 ulp",
        ("cyl_bessel_i1", "ulp"): "6 ulp",
    },
}
# float64 kernels (the built-ins each calls) and the backend each compiles on when both
# run: jn's and i0/i1's on webgl (llvmpipe: 29 s and 5 s cold), yn's on webgpu (lavapipe:
# 30 s; i0/i1 take 25 s there).
FLOAT64_BACKEND = {
    ("jn",): "webgl",
    ("yn",): "webgpu",
    ("cyl_bessel_i0", "cyl_bessel_i1"): "webgl",
}
ORDERS = np.array([2, 3, 5, 12, 40, 128], np.int32)
INF, NAN = math.inf, math.nan


def _mpmath(dtype: str):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 64 if dtype == "float32" else 120
    return mpmath


def grid(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """The measured points (finite) and the order used by jn and yn at each."""
    import scipy.special as sc

    rng = np.random.default_rng(7)
    top = 30 if dtype == "float32" else 300
    mags = 10.0 ** rng.uniform(np.log10(8), top, 300)
    zeros = np.concatenate([sc.jn_zeros(0, 3), sc.jn_zeros(1, 3), sc.yn_zeros(0, 3)])
    zeros = np.concatenate([zeros, sc.yn_zeros(1, 3)])
    near = zeros[:, None] * (1 + rng.uniform(-1e-6, 1e-6, (1, 8)))
    parts = [
        np.linspace(-8, 8, 641),
        rng.uniform(8, 60, 200) * rng.choice([-1.0, 1.0], 200),
        mags * rng.choice([-1.0, 1.0], 300),
        zeros,
        near.ravel(),
        10.0 ** rng.uniform(-30, 0.9, 100),
        [8.0, np.nextafter(8.0, 0), 700.0, 713.9, 85.0, 88.0, 89.4],
    ]
    x = np.concatenate(parts).astype(dtype)
    x = x[x != 0]
    n = ORDERS[rng.integers(0, ORDERS.size, x.size)]
    return x, n


def _mp_values(m, name: str, x: float, n: int) -> float:
    v = m.mpf(x)
    if name in ("y0", "y1", "yn") and x <= 0:
        return NAN
    f = {
        "j0": lambda: m.besselj(0, v),
        "j1": lambda: m.besselj(1, v),
        "y0": lambda: m.bessely(0, v),
        "y1": lambda: m.bessely(1, v),
        "jn": lambda: m.besselj(n, v),
        "yn": lambda: m.bessely(n, v),
        "cyl_bessel_i0": lambda: m.besseli(0, v),
        "cyl_bessel_i1": lambda: m.besseli(1, v),
    }[name]
    try:
        return float(f())
    except OverflowError:
        return math.copysign(INF, float(f()))


@functools.cache
def reference(dtype: str) -> dict[str, np.ndarray]:
    m = _mpmath(dtype)
    x, n = grid(dtype)
    out = {}
    for name in FUNCTIONS:
        vals = []
        for v, k in zip(x.astype(np.float64), n):
            r = _mp_values(m, name, float(v), int(k))
            vals.append(r)
        out[name] = np.array(vals)
    return out


@functools.cache
def kernel(dtype: str, names: tuple[str, ...]) -> wp.ElementwiseKernel:
    f = "f" if dtype == "float32" else ""
    outs = ", ".join(f"{dtype} o_{k}" for k in range(len(names)))
    body = " ".join(
        f"o_{k} = {fn}{f}(n, x);" if fn in ("jn", "yn") else f"o_{k} = {fn}{f}(x);"
        for k, fn in enumerate(names)
    )
    return wp.ElementwiseKernel(f"{dtype} x, int32 n", outs, body, f"bessel_{dtype}_{len(names)}")


def _launch(dtype: str, names: tuple[str, ...], x: np.ndarray, n: np.ndarray) -> list:
    outs = kernel(dtype, names)(wp.asarray(x.astype(dtype)), wp.asarray(n.astype(np.int32)))
    outs = outs if len(names) > 1 else (outs,)  # one output comes alone, as in CuPy
    return [o.get().astype(np.float64) for o in outs]


def run(dtype: str, names: tuple[str, ...], x: np.ndarray, n: np.ndarray) -> dict:
    """The functions `names` at x (jn, yn at orders n) by one kernel. float64 jn and yn
    also give j0, j1 (y0, y1): the kernel at orders 0 and 1 (the library's j0 is jn's code
    at n = 0)."""
    if dtype == "float32" or not {"jn", "yn"} & set(names):
        return dict(zip(names, _launch(dtype, names, x, n)))
    k = x.size
    orders = np.concatenate([np.zeros(k), np.ones(k), n])
    out = {}
    for fn, v in zip(names, _launch(dtype, names, np.tile(x, 3), orders)):
        out.update({fn[0] + "0": v[:k], fn[0] + "1": v[k : 2 * k], fn: v[2 * k :]})
    return out


def _ulp(v: np.ndarray, dtype: str) -> np.ndarray:
    v = np.abs(v).astype(dtype)
    tiny = np.finfo(dtype).smallest_subnormal
    return np.maximum(np.spacing(v).astype(np.float64), tiny)


def errors(dtype: str, got: dict[str, np.ndarray]) -> dict[tuple[str, str], float]:
    """The largest error per (function, measure) on the grid."""
    x, n = grid(dtype)
    ref = reference(dtype)
    ax = np.abs(x.astype(np.float64))
    env = np.sqrt(2 / (np.pi * ax))
    out = {}
    with np.errstate(all="ignore"):
        for fn in got:
            want, have = ref[fn].astype(dtype).astype(np.float64), got[fn]
            ok = np.isfinite(want)
            err = np.where(ok, np.abs(have - want), 0.0)
            err = np.where(np.isnan(err), np.inf, err)
            if fn in ("j0", "j1", "y0", "y1"):  # relative where |Y| > 1 (x near 0)
                small = (ax < 8) & ok
                out[fn, "abs<8"] = float((err / np.maximum(np.abs(want), 1.0))[small].max())
                scale = _ulp(np.maximum(np.abs(want), env), dtype)
                out[fn, "env>=8"] = float((err / scale)[(ax >= 8) & ok].max())
            elif fn == "jn":
                out[fn, "abs"] = float(err.max())
            elif fn == "yn":
                below = (ax < n) & ok
                in_ulp = (err / _ulp(want, dtype))[below]
                out[fn, "ulp x<n"] = float(in_ulp.max())
                out[fn, "of CUDA x<n"] = float((in_ulp / np.ceil(2 + 2.5 * n[below])).max())
                out[fn, "abs x>=n"] = float(err[(ax >= n) & ok].max())
            else:
                out[fn, "ulp"] = float((err / _ulp(want, dtype))[ok].max())
    return out


def special_mismatches(dtype: str, got: dict[str, np.ndarray]) -> list:
    bad = []
    for k, (x, n, values) in enumerate(SPECIAL):
        for fn, want in zip(FUNCTIONS, values):
            if want is None or fn not in got:
                continue
            g = np.array(got[fn][k], np.float64)
            if not same(g, np.array(want, np.float64)):
                bad.append((fn, x, n, float(g), want))
    return bad


def check(dtype: str, names: tuple[str, ...]) -> dict[tuple[str, str], float]:
    x, n = grid(dtype)
    sx = np.array([s[0] for s in SPECIAL], dtype)
    sn = np.array([s[1] for s in SPECIAL], np.int32)
    both = run(dtype, names, np.concatenate([sx, x]), np.concatenate([sn, n]))  # one dispatch
    got = {fn: v[len(SPECIAL) :] for fn, v in both.items()}
    assert not special_mismatches(dtype, both), special_mismatches(dtype, both)
    return errors(dtype, got)


def test_float32_within_bounds():
    measured = check("float32", FUNCTIONS)
    over = {k: v for k, v in measured.items() if v > BOUND["float32"][k]}
    assert not over, over


@pytest.mark.parametrize("names", FLOAT64_BACKEND, ids="+".join)
def test_float64_within_bounds(names, wgpy_backend):
    if len(BACKENDS) > 1 and wgpy_backend != FLOAT64_BACKEND[names]:
        pytest.skip(f"compiled on {FLOAT64_BACKEND[names]} (the other backend runs too)")
    previous = wp.get_64bit_policy()
    wp.set_64bit_policy("exact")
    try:
        measured = check("float64", names)
    finally:
        wp.set_64bit_policy(previous)
    over = {k: v for k, v in measured.items() if v > BOUND["float64"][k]}
    assert not over, over


if __name__ == "__main__":
    import time

    from wgpy_runtime import device as devices

    wp.set_64bit_policy("exact")
    for dtype in ("float32", "float64"):
        for backend in devices.BACKENDS:
            devices.set_device(backend)
            t = time.time()
            measured = {}
            for names in [FUNCTIONS] if dtype == "float32" else FLOAT64_BACKEND:
                measured.update(check(dtype, names))
            print(f"{dtype} {backend} ({time.time() - t:.1f} s)")
            for fn, measure in BOUND[dtype]:
                v = measured[fn, measure]
                print(
                    f"  {fn:14} {measure:11} {v:10.3g}  bound {BOUND[dtype][fn, measure]:g}", end=""
                )
                print(f"  CUDA {CUDA[dtype][fn, measure]}", flush=True)
