"""ReductionKernels over complex arrays on both native backends, compared with NumPy.

Rule: sums are compared to a few ulp of the summed magnitudes (the summation order is the
GPU's tree, not NumPy's pairwise one). complex128 under the exact policy accumulates in
float64 parts (four words): sums and products of Gaussian integers are exact in any
order, so there the GPU's results are compared bit for bit with NumPy's and the
interpreter's. Everything runs on the GPU of either backend (no PerformanceWarning of the
CPU fallback): complex outputs on WebGL one fragment per component.
"""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from kernelc.ir.interp import run_reduction
from kernelc.pipeline import lower_reduction_kernel
from tests.runtime.helpers import under_fast_64bit_policy, wgpy_backend  # noqa: F401
from tests.runtime.test_complex import C64, C128, values

pytestmark = pytest.mark.filterwarnings("error::wgpy_runtime._fallback.PerformanceWarning")
CSUM = wp.ReductionKernel("complex64 x", "complex64 y", "x", "a + b", "y = a", "0", "csum")
CNORM2 = wp.ReductionKernel("T x", "T y", "x * conj(x)", "a + b", "y = a", "0", "cnorm2")
CDOT = wp.ReductionKernel(
    "complex128 x, complex128 w",
    "complex128 y",
    "x * w",
    "a + b",
    "y = a",
    "complex<double>(0, 0)",
    "cdot",
)
ABS_OF_SUM = wp.ReductionKernel(
    "complex64 x",
    "float32 y",
    "x",
    "a + b",
    "y = abs(a)",
    "0",
    "cabs",
    reduce_type="complex<float>",
)
SUM_OF_ABS = wp.ReductionKernel("T x", "float32 y", "abs(x)", "a + b", "y = a", "0", "sabs")
CSUM128 = ("complex128 x", "complex128 y", "x", "a + b", "y = a", "0", "csum128")
CPROD128 = ("complex128 x", "complex128 y", "x", "a * b", "y = a", "1", "cprod128")
ABS_OF_SUM128 = ("complex128 x", "float64 y", "x", "a + b", "y = abs(a)", "0", "cabs128")


def near(got, want, scale) -> None:
    """Within 8 float32 ulp of `scale` (summed magnitudes times the number of terms)."""
    got = np.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.all(np.abs(got - want) <= 8 * np.finfo(np.float32).eps * scale)


def matrix(dtype, seed: int = 0) -> np.ndarray:
    return values(dtype, 40 * 150, seed=seed, spread=1).reshape(40, 150)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_sum_and_norm_complex64(axis):
    x = matrix(C64)
    n = x.size if axis in (None, (0, 1)) else x.shape[axis]
    scale = np.abs(x).sum(axis=axis) * n
    near(CSUM(wp.asarray(x), axis=axis).get(), x.sum(axis=axis), scale)
    norm = CNORM2(wp.asarray(x), axis=axis).get()
    near(norm, (x * x.conj()).sum(axis=axis), (np.abs(x) ** 2).sum(axis=axis) * n)


def test_real_outputs_of_complex_values():
    x = matrix(C64)
    scale = np.abs(x).sum(axis=1) * x.shape[1]
    got = ABS_OF_SUM(wp.asarray(x), axis=1).get()
    near(got, np.abs(x.sum(axis=1)).astype(np.float32), scale)
    near(SUM_OF_ABS(wp.asarray(x), axis=1).get(), np.abs(x).sum(axis=1), scale)


def test_given_output_and_strided_input():
    x = matrix(C64)
    out = wp.zeros(75, C64)
    CSUM(wp.asarray(x)[:, ::2], out, axis=0)
    near(out.get(), x[:, ::2].sum(axis=0), np.abs(x[:, ::2]).sum(axis=0) * 40)


@under_fast_64bit_policy
def test_complex128_under_the_fast_policy():
    x, w = matrix(C128), matrix(C128, seed=1)
    got = CDOT(wp.asarray(x), wp.asarray(w), axis=1).get()
    near(got, (x * w).sum(axis=1), (np.abs(x) * np.abs(w)).sum(axis=1) * 150)
    near(CNORM2(wp.asarray(x)).get(), (x * x.conj()).sum(), (np.abs(x) ** 2).sum() * x.size)


@pytest.fixture
def exact_policy():
    previous = wp.get_64bit_policy()
    wp.set_64bit_policy("exact")
    yield
    wp.set_64bit_policy(previous)


def gaussian_integers(shape, seed: int, high: int = 8) -> np.ndarray:
    """complex128 values with small integer parts: their sums and products (while below
    2^53) are exact whatever the order."""
    rng = np.random.default_rng(seed)
    parts = rng.integers(-high, high + 1, (2, *shape)).astype(np.float64)
    return parts[0] + 1j * parts[1]


def interpreted(strings, x, axis, out_dtype, reduce_type=None) -> np.ndarray:
    """The IR interpreter's result of a one-input kernel reducing `x` over `axis`."""
    kernel, _ = lower_reduction_kernel(
        *strings, reduce_type, ndim=x.ndim - 1, reduce_ndim=1, exact64=True
    )
    moved = np.moveaxis(x, axis, 0)
    out = np.zeros(moved.shape[1:], out_dtype)
    run_reduction(kernel, {"x": moved, "y": out}, out.shape, moved.shape[:1])
    return out


def bits(a) -> np.ndarray:
    return np.atleast_1d(np.asarray(a)).view(np.uint64)


@pytest.mark.usefixtures("exact_policy")
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_complex128_sums_under_the_exact_policy_are_float64(axis):
    x, w = gaussian_integers((40, 150), 0), gaussian_integers((40, 150), 1)
    csum = wp.ReductionKernel(*CSUM128)
    np.testing.assert_array_equal(bits(csum(wp.asarray(x), axis=axis).get()), bits(x.sum(axis)))
    got = CNORM2(wp.asarray(x), axis=axis).get()
    np.testing.assert_array_equal(bits(got), bits((x * x.conj()).sum(axis)))
    got = CDOT(wp.asarray(x), wp.asarray(w), axis=axis).get()
    np.testing.assert_array_equal(bits(got), bits((x * w).sum(axis)))
    # beyond float32: inexact sums to a few float64 ulp of the summed magnitudes
    x = matrix(C128) * (1 + 2**-40)
    n = x.size if axis is None else x.shape[axis]
    scale = np.abs(x).sum(axis=axis) * n
    got = csum(wp.asarray(x), axis=axis).get()
    assert np.all(np.abs(got - x.sum(axis=axis)) <= 8 * np.finfo(np.float64).eps * scale)


@pytest.mark.usefixtures("exact_policy")
def test_complex128_product_and_abs_under_the_exact_policy():
    x = gaussian_integers((60, 40), 2, high=1)
    x[x == 0] = 1j  # no zero factor: products of units and 1 ± i stay below 2^30
    cprod = wp.ReductionKernel(*CPROD128)
    got = cprod(wp.asarray(x), axis=0).get()
    # equal values: a zero part's sign follows the order of the products
    np.testing.assert_array_equal(got, x.prod(axis=0))
    np.testing.assert_array_equal(got, interpreted(CPROD128, x, 0, C128))
    y = gaussian_integers((40, 150), 3)
    abs_of_sum = wp.ReductionKernel(*ABS_OF_SUM128, reduce_type="complex<double>")
    got = abs_of_sum(wp.asarray(y), axis=1).get()
    assert got.dtype == np.float64
    want = interpreted(ABS_OF_SUM128, y, 1, np.float64, "complex<double>")
    np.testing.assert_array_equal(bits(got), bits(want))
    # NumPy's abs loop fuses an FMA on this machine's SIMD units: 2 ulp of it
    assert np.all(np.abs(got - np.abs(y.sum(axis=1))) <= 2 * np.spacing(got))


@pytest.mark.usefixtures("exact_policy")
@pytest.mark.parametrize("axis", [1, (0, 2)])
def test_complex_outputs_over_several_axes(axis):
    x = gaussian_integers((6, 50, 7), 4)
    got = wp.ReductionKernel(*CSUM128)(wp.asarray(x), axis=axis).get()
    np.testing.assert_array_equal(bits(got), bits(x.sum(axis)))
    y = x.astype(C64)
    near(CSUM(wp.asarray(y), axis=axis).get(), y.sum(axis), np.abs(y).sum(axis) * 350)
