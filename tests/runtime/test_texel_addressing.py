"""WebGL's texel addressing: element `p` of a texture `w` texels wide is texel
(p % w, p / w), found by a float reciprocal and one correction (kc_texel in
kernelc/emit_glsl/primitives.glsl). Every element at a row boundary must land exactly;
on WebGPU the same kernel reads a buffer, and must agree.
"""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import wgpy_backend  # noqa: F401
from wgpy_runtime.device.webgl import MAX_WIDTH

GATHER = wp.ElementwiseKernel("raw int32 table, int32 p", "int32 y", "y = table[p]", "gather")


def _boundaries(n: int, width: int) -> np.ndarray:
    """Every element either side of a row boundary, the first and the last."""
    starts = np.arange(0, n + width, width)
    near = (starts[:, None] + np.arange(-2, 3)).ravel()
    return np.unique(np.clip(near, 0, n - 1)).astype(np.int32)


@pytest.mark.parametrize(
    "n",
    [
        1,
        7,
        MAX_WIDTH - 1,  # one row, narrower than the widest
        MAX_WIDTH,
        MAX_WIDTH + 1,
        MAX_WIDTH * 1100 + 123,  # 1,101 rows: quotients past 1,024
    ],
)
def test_every_row_boundary_lands_exactly(n):
    table = wp.arange(n, dtype=np.int32)
    positions = _boundaries(n, min(n, MAX_WIDTH))
    rng = np.random.default_rng(n)
    positions = np.concatenate([positions, rng.integers(0, n, 4096, dtype=np.int32)])
    got = GATHER(table, wp.asarray(positions)).get()
    np.testing.assert_array_equal(got, positions)


def test_a_strided_view_reads_the_right_elements():
    n = MAX_WIDTH * 300 + 5
    table = wp.arange(n, dtype=np.int32)
    view = table[3::7]  # the element's position is computed from offset and stride
    np.testing.assert_array_equal((view + 0).get(), np.arange(n, dtype=np.int32)[3::7])
