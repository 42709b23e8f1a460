"""ReductionKernels over complex arrays on both native backends, compared with NumPy.

Rule: sums are compared to a few float32 ulp of the summed magnitudes (the summation
order is the GPU's tree, not NumPy's pairwise one). Complex outputs on WebGL run on the
CPU interpreter (a fragment writes one component; the compiler refuses with
UnsupportedOnTarget), real outputs of a complex accumulator on the GPU of either backend.
complex128 accumulators need the fast 64-bit policy (float32 parts).
"""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from kernelc import UnsupportedFeatureError
from tests.runtime.helpers import under_fast_64bit_policy, wgpy_backend  # noqa: F401
from tests.runtime.test_complex import C64, C128, values

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


def test_complex128_under_the_exact_policy_says_why():
    previous = wp.get_64bit_policy()
    wp.set_64bit_policy("exact")
    try:
        with pytest.raises(UnsupportedFeatureError, match="four 32-bit words"):
            CDOT(wp.asarray(matrix(C128)), wp.asarray(matrix(C128)))
    finally:
        wp.set_64bit_policy(previous)
