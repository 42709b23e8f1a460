"""numpy.fft's complex transforms against NumPy on both backends: power-of-two lengths
(radix 2) and others (the direct sum), `n` padding and truncation, axes, every `norm`,
the n-dimensional forms, NumPy 2's result dtypes, and NumPy's errors.

Rule: pocketfft rounds in another order, so values are compared relative to the largest
magnitude of the result (a transform's error is spread over its outputs); dtypes and
shapes exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import (
    numpy_wgpy_raises,
    wgpy_backend,  # noqa: F401  (runs every test on every backend)
)


def _complex(shape, dtype=np.complex64, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def _check(got, want, tol):
    got = got.get()
    assert got.dtype == want.dtype and got.shape == want.shape
    scale = max(np.abs(want).max(), 1e-30)
    assert np.abs(got - want).max() <= tol * scale


@pytest.mark.parametrize("n", [1, 2, 16, 256, 3, 12, 100])
@pytest.mark.parametrize("name", ["fft", "ifft"])
def test_lengths(name, n):
    x = _complex((3, n))
    _check(getattr(wp.fft, name)(wp.asarray(x)), getattr(np.fft, name)(x), 2e-6)


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_norms_axes_and_sizes(norm):
    x = _complex((6, 5, 4), seed=1)
    a = wp.asarray(x)
    _check(wp.fft.fft(a, axis=1, norm=norm), np.fft.fft(x, axis=1, norm=norm), 2e-6)
    _check(wp.fft.ifft(a, n=8, axis=0, norm=norm), np.fft.ifft(x, n=8, axis=0, norm=norm), 2e-6)
    _check(wp.fft.fft(a, n=3, norm=norm), np.fft.fft(x, n=3, norm=norm), 2e-6)
    _check(wp.fft.fft2(a, norm=norm), np.fft.fft2(x, norm=norm), 4e-6)
    _check(wp.fft.ifftn(a, norm=norm), np.fft.ifftn(x, norm=norm), 4e-6)
    _check(wp.fft.fftn(a, s=(4, 6), axes=(0, 2)), np.fft.fftn(x, s=(4, 6), axes=(0, 2)), 4e-6)


@pytest.mark.parametrize("dtype", ["float16", "float32", "int32", "bool"])
def test_real_inputs_and_dtypes(dtype):
    # (a power of two: complex128 results share test_complex128_round_trip's kernels,
    # whose emulated float64 takes llvmpipe most of a minute to compile)
    x = (np.random.default_rng(2).standard_normal((4, 8)) * 3).astype(dtype)
    _check(wp.fft.fft(wp.asarray(x)), np.fft.fft(x), 2e-6 if dtype != "float16" else 1e-3)


def test_complex128_round_trip():
    """float64 twiddles (exact 64-bit policy: the emulated float64 library)."""
    x = _complex((2, 8), np.complex128, seed=3)
    y = wp.fft.fft(wp.asarray(x))
    _check(y, np.fft.fft(x), 1e-13)
    _check(wp.fft.ifft(y), x, 1e-13)


def test_chainer_shape_through_the_shim():
    """chainer.functions.fft: x = real + 1j * imag, then xp.fft.fft, float32 parts; the
    shim's `cupy.fft` is this module's transforms."""
    from wgpy_runtime.cupy_shim import namespace

    fft = namespace.build()["cupy.fft"]
    rng = np.random.default_rng(4)
    r, i = (rng.standard_normal((2, 3, 8)).astype(np.float32) for _ in "ri")
    y = fft.fft(wp.asarray(r) + 1j * wp.asarray(i))
    _check(y, np.fft.fft(r + 1j * i), 2e-6)
    with pytest.raises(AttributeError, match="cupy.fft"):
        fft.rfft  # noqa: B018


@pytest.mark.parametrize("call", ["n0", "norm", "axis"])
@numpy_wgpy_raises()
def test_errors(call, xp):
    a = xp.asarray(_complex(4))
    return {
        "n0": lambda: xp.fft.fft(a, n=0),
        "norm": lambda: xp.fft.fft(a, norm="both"),
        "axis": lambda: xp.fft.fft(a, axis=2),
    }[call]()
