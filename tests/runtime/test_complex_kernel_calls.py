"""User kernels over complex64/complex128 (`complex<T>` in kernel text) on both native
backends, compared with NumPy and with the runtime's own complex ufuncs.

Rule: complex128 runs under the exact 64-bit policy. Kernel text and the ufuncs compute
with the same routines (kernelc/lib/complex.cu), so /, *, sqrt and abs of complex128 are
compared bit for bit with the ufuncs, and with NumPy as tests/runtime/test_complex.py does
(bit for bit for /, to 4 ulp of |result| for * (NumPy fuses it into FMAs) and sqrt);
complex64 is compared to a few float32 ulp of |result|. Kernels are kept to the cheap
routines: complex128 exp/log/trig compile for tens of seconds under the emulation (the
compiler tests run them on the interpreter).
"""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from kernelc import UnsupportedFeatureError
from tests.runtime.helpers import wgpy_backend  # noqa: F401  (runs every test on every backend)
from tests.runtime.test_complex import (
    C64,
    C128,
    assert_same,
    close,
    exact_policy,  # noqa: F401  (the exact 64-bit policy for this module)
    specials,
    values,
)

MIXED = wp.ElementwiseKernel(
    "complex64 x, float32 s",
    "complex64 y",
    "y = x * s + conj(x) * complex<float>(0, 1);",
    "cx_mixed",
)
ARITH = wp.ElementwiseKernel(
    "T x, T w", "T q, T p, T r", "q = x / w;\np = x * w;\nr = sqrt(x);", "cx_arith"
)
REAL = wp.ElementwiseKernel(
    "T x", "R a, R re, R im", "a = abs(x);\nre = x.real();\nim = imag(-x);", "cx_real"
)


def test_mixed_operands_complex64():
    x = values(C64, 300)
    s = np.linspace(-3, 3, 300).astype(np.float32)
    got = MIXED(wp.asarray(x), wp.asarray(s)).get()
    close(got, x * s + np.conj(x) * np.complex64(1j), 4)


@pytest.mark.parametrize("dtype", [C64, C128], ids=str)
def test_arithmetic_matches_the_ufuncs(dtype):
    x = np.concatenate([values(dtype, 200), specials(dtype)])
    w = np.concatenate([values(dtype, 200, seed=1), specials(dtype)[::-1]])
    q, p, r = (a.get() for a in ARITH(wp.asarray(x), wp.asarray(w)))
    assert_same(q, wp.true_divide(wp.asarray(x), wp.asarray(w)).get())
    assert_same(p, wp.multiply(wp.asarray(x), wp.asarray(w)).get())
    assert_same(r, wp.sqrt(wp.asarray(x)).get())
    with np.errstate(all="ignore"):
        if dtype == C128:
            assert_same(q, x / w)
        finite = np.isfinite(x) & np.isfinite(w)
        close(p[finite], (x * w)[finite], 4)
        close(q[:200], (x / w)[:200], 4)
        close(r[:200], np.sqrt(x)[:200], 4)


@pytest.mark.parametrize("dtype", [C64, C128], ids=str)
def test_real_outputs(dtype):
    x = np.concatenate([values(dtype, 100), specials(dtype)])
    part = x.real.dtype
    outs = [wp.empty(x.shape, part) for _ in range(3)]
    a, re, im = (v.get() for v in REAL(wp.asarray(x), *outs))
    np.testing.assert_array_equal(re, x.real)
    np.testing.assert_array_equal(im, -x.imag)
    np.testing.assert_array_equal(a, wp.absolute(wp.asarray(x)).get())


def test_scalars_views_broadcasting_and_given_outputs():
    k = wp.ElementwiseKernel(
        "complex64 x, complex64 s, float32 v", "complex64 y", "y = x * s - v;", "cx_scalar"
    )
    x = values(C64, 48).reshape(6, 8)
    v = np.arange(8, dtype=np.float32)
    out = wp.zeros((6, 8), C64)
    view = out[:, ::2]
    k(wp.asarray(x)[:, 1::2], 1.5 - 2j, wp.asarray(v)[::2], view)
    want = np.zeros((6, 8), C64)
    want[:, ::2] = x[:, 1::2] * np.complex64(1.5 - 2j) - v[::2]
    close(out.get(), want, 4)
    y = k(wp.asarray(x), 2.0, wp.asarray(v)).get()  # a real scalar joins as (2, 0)
    close(y, x * np.complex64(2) - v, 4)


def test_raw_complex_input_and_thrust_locals():
    k = wp.ElementwiseKernel(
        "raw complex64 t",
        "complex64 y",
        "thrust::complex<float> w = t[_ind.size() - 1 - i];\nw += 1;\nw *= t[i];\ny = w == t[i] ? w : -w;",
        "cx_raw",
    )
    x = values(C64, 50)
    got = k(wp.asarray(x), size=50).get()
    w = (x[::-1] + 1) * x
    close(got, np.where(w == x, w, -w), 4)


@pytest.mark.filterwarnings("ignore::wgpy_runtime._fallback.PerformanceWarning")
def test_real_and_complex_outputs_together():
    """WebGL writes complex outputs one component per fragment, so a kernel that also has a
    real output runs on the CPU fallback there; the result is the same."""
    k = wp.ElementwiseKernel(
        "complex64 x", "complex64 y, float32 n", "y = conj(x); n = norm(x);", "cx_both"
    )
    x = values(C64, 40, spread=1)
    y, n = k(wp.asarray(x))
    np.testing.assert_array_equal(y.get(), np.conj(x))
    close(n.get(), (x.real**2 + x.imag**2), 4)


PREAMBLE = """
template <typename T> __device__ complex<T> sq(const complex<T> &z) { return z * z; }
template <typename T> __device__ void split(complex<T> z, T &re, T &im) {
    re = z.real();
    im = z.imag();
}
__device__ complex<float> rot(complex<float> z, float t) { return z * complex<float>(cos(t), sin(t)); }
"""


@pytest.mark.parametrize("dtype", [C64, C128], ids=str)
def test_preamble_functions_of_complex_values(dtype):
    part = "float" if dtype == C64 else "double"
    k = wp.ElementwiseKernel(
        "T x, T w",
        "T y",
        f"{part} re, im;\nsplit(conj(x) * w, re, im);\ny = sq(complex<{part}>(im, re)) / w;",
        "cx_functions",
        preamble=PREAMBLE,
    )
    x, w = values(dtype, 200, spread=1), values(dtype, 200, seed=1, spread=1)
    v = (np.conj(x) * w).astype(C128)
    close(
        k(wp.asarray(x), wp.asarray(w)).get(), ((v.imag + 1j * v.real) ** 2 / w).astype(dtype), 16
    )


def test_complex_result_of_a_preamble_function_complex64():
    k = wp.ElementwiseKernel(
        "complex64 x, float32 t", "complex64 y", "y = rot(x, t);", "cx_rot", preamble=PREAMBLE
    )
    x, t = values(C64, 200, spread=1), np.linspace(-3, 3, 200).astype(np.float32)
    close(k(wp.asarray(x), wp.asarray(t)).get(), (x * np.exp(1j * t.astype(C128))).astype(C64), 16)
