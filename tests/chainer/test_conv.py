"""Chainer's patch kernels (chainer/utils/conv.py, conv_nd.py) run on both targets as
`im2col_gpu`/`col2im_gpu` and their N-d versions call them, against NumPy patch extraction.

Rule: arguments in Chainer's order (the image or patches as a raw 1-d `reduced_view`, the
sizes as Python ints, the output allocated by the caller); an output starts as NaN, so an
element the kernel forgets to write fails the test.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.chainer import refs
from tests.chainer.harness import run_elementwise

# (x shape, ksize, stride, pad, dilate, cover_all): convolutions as Chainer's tests use them
CONV2D = {
    "k3s1p1": ((2, 3, 8, 8), (3, 3), (1, 1), (1, 1), (1, 1), False),
    "k3s2p1": ((2, 3, 8, 8), (3, 3), (2, 2), (1, 1), (1, 1), False),
    "k3x2s2p0-cover_all": ((2, 3, 7, 8), (3, 2), (2, 2), (0, 0), (1, 1), True),
    "k3s1p2-dilate2": ((1, 4, 9, 7), (3, 3), (1, 1), (2, 2), (2, 2), False),
}
CONVND = {
    1: ((2, 3, 16), (3,), (2,), (1,), (1,)),
    2: ((2, 3, 8, 8), (3, 3), (1, 2), (1, 1), (1, 1)),
    3: ((2, 2, 5, 6, 4), (3, 3, 2), (2, 1, 1), (1, 1, 0), (1, 2, 1)),
}


def empty(shape) -> np.ndarray:
    return np.full(shape, np.nan, np.float32)


def outsizes(shape, ksize, stride, pad, dilate, cover_all=False) -> tuple[int, ...]:
    return tuple(
        refs.conv_outsize(*a, cover_all, d)
        for a, d in zip(zip(shape[2:], ksize, stride, pad), dilate)
    )


@pytest.mark.parametrize("conv", CONV2D.values(), ids=CONV2D.keys())
def test_im2col(target, conv):
    shape, (kh, kw), (sy, sx), (ph, pw), (dy, dx), cover_all = conv
    img = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    n, c, h, w = shape
    out_h, out_w = outsizes(shape, (kh, kw), (sy, sx), (ph, pw), (dy, dx), cover_all)
    col = empty((n, c, kh, kw, out_h, out_w))
    ran = run_elementwise(
        target, "im2col", img.reshape(-1), h, w, out_h, out_w, kh, kw, sy, sx, ph, pw, dy, dx, col
    )
    want = refs.im2col(img, (kh, kw), (sy, sx), (ph, pw), (dy, dx), cover_all)
    refs.expect(ran, want, target, rtol=0)


@pytest.mark.parametrize("conv", CONV2D.values(), ids=CONV2D.keys())
def test_col2im(target, conv):
    shape, (kh, kw), (sy, sx), (ph, pw), (dy, dx), cover_all = conv
    n, c, h, w = shape
    out_h, out_w = outsizes(shape, (kh, kw), (sy, sx), (ph, pw), (dy, dx), cover_all)
    col = np.random.default_rng(2).standard_normal((n, c, kh, kw, out_h, out_w))
    col = col.astype(np.float32)
    img = empty(shape)
    ran = run_elementwise(
        target, "col2im", col.reshape(-1), h, w, out_h, out_w, kh, kw, sy, sx, ph, pw, dx, dy, img
    )
    want = refs.col2im(col, (sy, sx), (ph, pw), (h, w), (dy, dx))
    refs.expect(ran, want, target, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ndim", CONVND)
def test_im2col_nd(target, ndim):
    shape, ksize, stride, pad, dilate = CONVND[ndim]
    img = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    outs = outsizes(shape, ksize, stride, pad, dilate)
    col = empty(shape[:2] + ksize + outs)
    ran = run_elementwise(
        target,
        f"im2col_{ndim}d",
        img.reshape(-1),
        *(shape[2:] + outs + ksize + stride + pad + dilate),
        col,
        params={"ndim": ndim},
    )
    refs.expect(ran, refs.im2col(img, ksize, stride, pad, dilate), target, rtol=0)


@pytest.mark.parametrize("ndim", CONVND)
def test_col2im_nd(target, ndim):
    shape, ksize, stride, pad, dilate = CONVND[ndim]
    outs = outsizes(shape, ksize, stride, pad, dilate)
    col = np.random.default_rng(4).standard_normal(shape[:2] + ksize + outs)
    col = col.astype(np.float32)
    img = empty(shape)
    ran = run_elementwise(
        target,
        f"col2im_{ndim}d",
        col.reshape(-1),
        *(shape[2:] + outs + ksize + stride + pad + dilate),
        img,
        params={"ndim": ndim},
    )
    want = refs.col2im(col, stride, pad, shape[2:], dilate)
    refs.expect(ran, want, target, rtol=1e-5, atol=1e-6)
