"""Built-ins at lengths past the test machines' loop cap, against NumPy on both backends.

Mesa's software drivers (lavapipe for WebGPU, llvmpipe for GLES) stop a shader
invocation's loops after 65,535 iterations in all (docs/testing.md). Scans, products and
reductions must stay correct at any length, so each is run here at about 70,000
elements along the axis it combines, in 1-D and along either axis of a 2-D array. Values
are small integers (also in float arrays), so results are exact whatever the order of
combination. `test_the_loop_cap` checks the cap itself, so this file's premise stays true.
"""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import (
    numpy_wgpy_array_equal,
    wgpy_backend,  # noqa: F401  (runs every test on every backend)
)
from wgpy_runtime import _products, _scan
from wgpy_runtime import device as devices

CAP = 65_535  # Mesa's LP_MAX_TGSI_LOOP_ITERATIONS
LONG = 70_000


def _software_renderer() -> bool:
    """Whether the current device is one of Mesa's software drivers."""
    device = devices.get_device()
    info = getattr(device, "adapter_info", None)
    name = info["device"] if info else device.ctx.info["GL_RENDERER"]
    return "llvmpipe" in name


def test_the_loop_cap():
    """A kernel looping 100,000 times: 65,535 on Mesa's software drivers (the cap every
    other test here goes past), 100,000 elsewhere."""
    count = wp.ElementwiseKernel(
        "int32 n",
        "int32 y",
        "int acc = 0;\nfor (int k = 0; k < n; ++k) { acc += 1; }\ny = acc;",
        "wp_count_loop",
    )
    got = int(count(100_000, wp.empty(1, np.int32)).get()[0])
    assert got == (CAP if _software_renderer() else 100_000)


# ---------------------------------------------------------------------------- scans


def _ints(shape, low: int, high: int, seed: int, dtype="int32") -> np.ndarray:
    """Reproducible integers in [low, high) as `dtype`."""
    return np.random.default_rng(seed).integers(low, high, shape).astype(dtype)


@pytest.mark.parametrize("length", [1, 31, 32, 33, 1024, 1025, LONG])
@numpy_wgpy_array_equal()
def test_cumsum_lengths(length, xp):
    """Block edges (`_scan.BLOCK` = 32) and a length past the cap."""
    assert _scan.BLOCK == 32
    return xp.cumsum(xp.asarray(_ints(length, -10, 10, seed=1)))


@pytest.mark.parametrize("dtype", ["int8", "uint8", "float32", "float16"])
@numpy_wgpy_array_equal()
def test_cumsum_dtypes_past_the_cap(dtype, xp):
    """Small integers widen to (u)int64; float sums of -1, 0 and 1 stay exact (float16
    accumulates in float32)."""
    low = 0 if dtype == "uint8" else -1
    return xp.cumsum(xp.asarray(_ints(LONG, low, 2, seed=2, dtype=dtype)))


@pytest.mark.parametrize("shape, axis", [((3, LONG), 1), ((LONG, 3), 0), ((2, LONG), None)])
@numpy_wgpy_array_equal()
def test_cumsum_along_an_axis_past_the_cap(shape, axis, xp):
    return xp.cumsum(xp.asarray(_ints(shape, -10, 10, seed=3)), axis=axis)


@pytest.mark.parametrize("shape, axis", [((LONG,), 0), ((2, LONG), 1), ((LONG, 2), 0)])
@numpy_wgpy_array_equal()
def test_cumprod_past_the_cap(shape, axis, xp):
    """Products of +-1 (exact at any length), with a 2 near the end of each row."""
    signs = 1 - 2 * _ints(shape, 0, 2, seed=4)
    signs[(slice(None),) * axis + (-5,)] = 2
    x = xp.asarray(signs)
    return xp.cumprod(x, axis=axis), x.cumprod()


# ---------------------------------------------------------------------------- products


@pytest.mark.parametrize("m, k, n", [(1, 1_100_000, 1), (3, 270_001, 2)])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
@numpy_wgpy_array_equal()
def test_dot_products_past_the_cap(m, k, n, dtype, xp):
    """Few outputs of a long K, `b` transposed as in `x @ W.T` (one reduction per output;
    a program walking K would pass the cap: WGSL tiles walk 16 of K per step, GLSL 4, the
    integer kernel 1)."""
    a = xp.asarray(_ints((m, k), -3, 3, seed=5, dtype=dtype))
    b = xp.asarray(_ints((n, k), -3, 3, seed=6, dtype=dtype))
    return a @ b.T


@pytest.mark.parametrize("dtype", ["float32", "int32"])
@numpy_wgpy_array_equal()
def test_products_split_along_k(dtype, xp):
    """More outputs than a dot-product reduction takes, and few outputs with `b` strided
    along K: K split over launches."""
    a = xp.asarray(_ints((17, LONG + 1), -3, 3, seed=5, dtype=dtype))
    b = xp.asarray(_ints((LONG + 1, 16), -3, 3, seed=6, dtype=dtype))
    return a @ b, a[:1] @ b[:, :2]


@numpy_wgpy_array_equal()
def test_dot_and_batches_past_the_cap(xp):
    """Vectors, a transposed batched view and a broadcast batch, K past the cap."""
    x = xp.asarray(_ints((2, LONG), -3, 3, seed=7, dtype="float32"))
    return xp.dot(x[0], x[1]), x[None] @ x.T, xp.matmul(x[:, None, :], x[1])


def test_k_splits_keep_launches_short():
    """No launch walks more than MAX_K of K; few outputs are split into chunks of at least
    MIN_K; many outputs are not split below MAX_K."""
    assert _products.MAX_K // 4 < CAP  # GLSL walks K four at a time, WGSL 8 or 16
    for outputs in (1, 6, 1000, 1 << 20):
        for k in (1, 100, 4095, 4096, LONG, 1 << 20):
            splits = _products.k_splits(outputs, k)
            assert -(-k // splits) <= _products.MAX_K
            assert splits == 1 or -(-k // splits) >= min(_products.MIN_K, _products.MAX_K)
    assert _products.k_splits(1 << 20, LONG) == 2 and _products.k_splits(1, 4096) == 2


# ---------------------------------------------------------------------------- reductions


@pytest.mark.parametrize("shape, axis", [((LONG,), None), ((3, LONG), 1), ((LONG, 3), 0)])
@numpy_wgpy_array_equal()
def test_reductions_past_the_cap(shape, axis, xp):
    x = xp.asarray(_ints(shape, -10, 10, seed=8))
    return x.sum(axis=axis), x.argmax(axis=axis), x.max(axis=axis), (x == 9).any(axis=axis)
