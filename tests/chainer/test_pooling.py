"""Chainer's pooling kernels (chainer/functions/pooling) run on both targets as the
functions' `forward_gpu`/`backward_gpu` call them, against NumPy: average and max pooling
(2-d and the generated N-d kernels, with and without the indexes), the ROI poolings and
aligns, and upsampling.

Rule: arguments in Chainer's order (images as a raw 1-d `reduced_view`, sizes as Python
ints, outputs allocated by the caller, NaN where Chainer uses `empty`); indexes come from
the reference forward, as Chainer feeds its forward's indexes to the backward. WebGL runs
the scatter and atomic kernels on the interpreter (docs/coverage.md).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tests.chainer import refs
from tests.chainer.harness import run_elementwise

# (x shape, ksize, stride, pad) per ndim
POOL = {
    1: ((2, 3, 11), (3,), (2,), (1,)),
    2: ((2, 3, 8, 7), (3, 3), (2, 2), (1, 1)),
    3: ((2, 2, 5, 6, 4), (2, 3, 2), (2, 2, 1), (0, 1, 1)),
}


def normal(rng, shape) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def empty(shape, dtype=np.float32) -> np.ndarray:
    return np.full(shape, np.nan if np.dtype(dtype).kind == "f" else -7, dtype)


def outsizes(shape, ksize, stride, pad, cover_all) -> tuple[int, ...]:
    return tuple(refs.conv_outsize(*a, cover_all) for a in zip(shape[2:], ksize, stride, pad))


def max_pool(x, ksize, stride, pad, cover_all=True):
    """(max, index of the max inside the window) per output, as MaxPoolingND's forward."""
    col = refs.im2col(x, ksize, stride, pad, cover_all=cover_all, pval=-np.inf)
    col = col.reshape(col.shape[:2] + (-1,) + col.shape[2 + len(ksize) :])
    return col.max(axis=2), col.argmax(axis=2).astype(np.int32)


def pick(x, indexes, ksize, stride, pad, cover_all=True):
    """x at each window's `indexes` (the forward's argmax)."""
    col = refs.im2col(x, ksize, stride, pad, cover_all=cover_all)
    col = col.reshape(col.shape[:2] + (-1,) + col.shape[2 + len(ksize) :])
    return np.take_along_axis(col, indexes[:, :, None], axis=2)[:, :, 0]


def scatter_to_windows(gy, indexes, ksize):
    """A patch array that holds gy at each window's index and 0 elsewhere."""
    k = math.prod(ksize)
    gcol = np.arange(k).reshape((1, 1, k) + (1,) * (gy.ndim - 2)) == indexes[:, :, None]
    gcol = gcol * gy[:, :, None].astype(np.float64)
    return gcol.reshape(gy.shape[:2] + tuple(ksize) + gy.shape[2:])


# ---------------------------------------------------------------- average pooling 2-d


def test_avg_pool_fwd(target):
    x = normal(np.random.default_rng(10), (2, 3, 8, 7))
    (kh, kw), (sy, sx), (ph, pw) = (3, 3), (2, 2), (1, 1)
    n, c, h, w = x.shape
    y_h, y_w = outsizes(x.shape, (kh, kw), (sy, sx), (ph, pw), False)
    y = empty((n, c, y_h, y_w))
    ran = run_elementwise(
        target,
        "avg_pool_fwd",
        x.reshape(-1),
        h,
        w,
        y_h,
        y_w,
        kh,
        kw,
        sy,
        sx,
        ph,
        pw,
        1.0 / (kh * kw),
        y,
    )
    want = refs.im2col(x.astype(np.float64), (kh, kw), (sy, sx), (ph, pw)).mean(axis=(2, 3))
    refs.expect(ran, want, target, atol=1e-6)


def test_avg_pool_bwd(target):
    (kh, kw), (sy, sx), (ph, pw) = (3, 3), (2, 2), (1, 1)
    n, c, h, w = in_shape = (2, 3, 8, 7)
    y_h, y_w = outsizes(in_shape, (kh, kw), (sy, sx), (ph, pw), False)
    gy = normal(np.random.default_rng(11), (n, c, y_h, y_w))
    gx = empty(in_shape)
    ran = run_elementwise(
        target,
        "avg_pool_bwd",
        gy.reshape(-1),
        h,
        w,
        y_h,
        y_w,
        kh,
        kw,
        sy,
        sx,
        ph,
        pw,
        1.0 / (kh * kw),
        gx,
    )
    gcol = np.broadcast_to(gy[:, :, None, None], (n, c, kh, kw, y_h, y_w))
    want = refs.col2im(gcol, (sy, sx), (ph, pw), (h, w)) / (kh * kw)
    refs.expect(ran, want, target, atol=1e-6)


# ---------------------------------------------------------------- average pooling N-d


@pytest.mark.parametrize("pad_value", [0, None], ids=["pad_value=0", "pad_value=None"])
@pytest.mark.parametrize("ndim", POOL)
def test_avg_pool_nd_fwd(target, ndim, pad_value):
    """pad_value=0 divides by the window size (a scalar coeff); None by the number of
    pixels inside the image (an array of coeffs, broadcast over batch and channel)."""
    shape, ksize, stride, pad = POOL[ndim]
    x = normal(np.random.default_rng(12 + ndim), shape)
    odims = outsizes(shape, ksize, stride, pad, False)
    ones = np.ones((1, 1) + shape[2:])
    width = refs.im2col(ones, ksize, stride, pad).sum(axis=tuple(range(2, 2 + ndim)))[0, 0]
    coeff = 1.0 / math.prod(ksize) if pad_value == 0 else (1 / width).astype(np.float32)
    y = empty(shape[:2] + odims)
    ran = run_elementwise(
        target,
        f"avg_pool_{ndim}d_fwd",
        x.reshape(-1),
        *(shape[2:] + odims + ksize + stride + pad),
        coeff,
        y,
        params={"ndim": ndim},
    )
    sums = refs.im2col(x.astype(np.float64), ksize, stride, pad).sum(axis=tuple(range(2, 2 + ndim)))
    refs.expect(ran, sums * coeff, target, atol=1e-6)


@pytest.mark.parametrize("ndim", POOL)
def test_avg_pool_nd_bwd(target, ndim):
    """The kernel sums gy over the windows of each pixel; Chainer divides afterwards."""
    shape, ksize, stride, pad = POOL[ndim]
    odims = outsizes(shape, ksize, stride, pad, False)
    gy = normal(np.random.default_rng(15 + ndim), shape[:2] + odims)
    gx = empty(shape)
    ran = run_elementwise(
        target,
        f"avg_pool_{ndim}d_bwd",
        gy.reshape(-1),
        *(shape[2:] + odims + ksize + stride + pad),
        gx,
        params={"ndim": ndim},
    )
    gcol = np.broadcast_to(gy.reshape(shape[:2] + (1,) * ndim + odims), shape[:2] + ksize + odims)
    refs.expect(ran, refs.col2im(gcol, stride, pad, shape[2:]), target, atol=1e-6)


# ---------------------------------------------------------------- max pooling N-d


@pytest.mark.parametrize("ndim", POOL)
def test_max_pool_nd_fwd(target, ndim):
    shape, ksize, stride, pad = POOL[ndim]
    x = normal(np.random.default_rng(20 + ndim), shape)
    ys = outsizes(shape, ksize, stride, pad, True)
    y, indexes = empty(shape[:2] + ys), empty(shape[:2] + ys, np.int32)
    ran = run_elementwise(
        target,
        f"max_pool_{ndim}d_fwd",
        x.reshape(-1),
        *(shape[2:] + ys + ksize + stride + pad),
        y,
        indexes,
        params={"ndim": ndim},
    )
    refs.expect(ran, max_pool(x, ksize, stride, pad), target, rtol=0)


@pytest.mark.parametrize("ndim", POOL)
def test_max_pool_nd_bwd(target, ndim):
    shape, ksize, stride, pad = POOL[ndim]
    rng = np.random.default_rng(23 + ndim)
    _, indexes = max_pool(normal(rng, shape), ksize, stride, pad)
    ys = indexes.shape[2:]
    gy = normal(rng, shape[:2] + ys)
    gx = empty(shape)
    ran = run_elementwise(
        target,
        f"max_pool_{ndim}d_bwd",
        gy.reshape(-1),
        indexes.reshape(-1),
        *(shape[2:] + ys + ksize + stride + pad),
        gx,
        params={"ndim": ndim},
    )
    want = refs.col2im(scatter_to_windows(gy, indexes, ksize), stride, pad, shape[2:])
    refs.expect(ran, want, target, atol=1e-6)


@pytest.mark.parametrize("ndim", POOL)
def test_max_index_pool_nd_fwd(target, ndim):
    """MaxPoolingNDWithIndexes (double backward): ggx at the forward's indexes."""
    shape, ksize, stride, pad = POOL[ndim]
    rng = np.random.default_rng(26 + ndim)
    _, indexes = max_pool(normal(rng, shape), ksize, stride, pad)
    ggx = normal(rng, shape)
    ys = indexes.shape[2:]
    y = empty(shape[:2] + ys)
    ran = run_elementwise(
        target,
        f"max_index_pool_{ndim}d_fwd",
        ggx.reshape(-1),
        *(shape[2:] + ys + ksize + stride + pad),
        indexes.reshape(-1),
        y,
        params={"ndim": ndim},
    )
    refs.expect(ran, pick(ggx, indexes, ksize, stride, pad), target, rtol=0)


@pytest.mark.parametrize("ndim", POOL)
def test_max_index1_pool_nd_fwd(target, ndim):
    """The cuDNN double backward: the argmax found again in x, ggx read there."""
    shape, ksize, stride, pad = POOL[ndim]
    rng = np.random.default_rng(29 + ndim)
    x, ggx = normal(rng, shape), normal(rng, shape)
    _, indexes = max_pool(x, ksize, stride, pad)
    ys = indexes.shape[2:]
    y = empty(shape[:2] + ys)
    ran = run_elementwise(
        target,
        f"max_index1_pool_{ndim}d_fwd",
        x.reshape(-1),
        *(shape[2:] + ys + ksize + stride + pad),
        ggx.reshape(-1),
        y,
        params={"ndim": ndim},
    )
    refs.expect(ran, pick(ggx, indexes, ksize, stride, pad), target, rtol=0)


# ---------------------------------------------------------------- upsampling 2-d


UPSAMPLE = {"ksize": (2, 2), "stride": (2, 2), "pad": (0, 0)}  # unpooling a 2x2 max pooling


def upsample_inputs(rng):
    """x and the indexes of a 2x2 max pooling of a (2, 3, 8, 6) image."""
    _, indexes = max_pool(normal(rng, (2, 3, 8, 6)), **UPSAMPLE)
    return normal(rng, indexes.shape), indexes


def test_upsampling_2d_fwd(target):
    """Each x goes to its index in a zeroed patch array (the im2col of the output),
    passed as a transposed view (n, c, oy, ox, kh, kw)."""
    x, indexes = upsample_inputs(np.random.default_rng(40))
    n, c, oy, ox = x.shape
    ky, kx = UPSAMPLE["ksize"]
    col = np.zeros((n, c, ky, kx, oy, ox), np.float32)
    up_y = col.transpose(0, 1, 4, 5, 2, 3)
    ran = run_elementwise(target, "upsampling_2d_fwd", indexes, x, n, c, oy, ox, ky, kx, up_y)
    want = scatter_to_windows(x, indexes, (ky, kx)).transpose(0, 1, 4, 5, 2, 3)
    refs.expect(ran, want, target, glsl_fallback=True, rtol=0)


def test_upsampling_2d_bwd(target):
    """gx = the patches of gy (im2col, made contiguous by the reshape) at the indexes."""
    x, indexes = upsample_inputs(np.random.default_rng(41))
    n, c, oy, ox = x.shape
    ky, kx = UPSAMPLE["ksize"]
    gy = normal(np.random.default_rng(42), (n, c, 8, 6))
    gcol = refs.im2col(gy, cover_all=True, **UPSAMPLE).transpose(0, 1, 4, 5, 2, 3)
    gcol = np.ascontiguousarray(gcol).reshape(n, c, oy, ox, ky * kx)
    gx = empty((n, c, oy, ox))
    ran = run_elementwise(target, "upsampling_2d_bwd", indexes, gcol, n, c, oy, ox, ky, kx, gx)
    want = np.take_along_axis(gcol, indexes[..., None], axis=-1)[..., 0]
    refs.expect(ran, want, target, glsl_fallback=True, rtol=0)


# ---------------------------------------------------------------- ROI pooling and align

# A (2, 3, 12, 10) feature map of a 24 x 20 image (spatial_scale 1/2). ROIs in image
# coordinates (y_min, x_min, y_max, x_max); 5 * 0.5 = 2.5 checks CUDA's round() (half away
# from zero); the last ROI leaves the map, so some of its bins are empty. Output sizes are
# powers of two so that bin edges are exact in float32.
SCALE = 0.5
ROIS = np.array(
    [[2, 3, 17, 15], [0, 0, 23, 19], [5, 6.5, 12, 19.5], [9, 1, 22, 5], [18, 14, 30, 26]],
    np.float32,
)
ROI_INDICES = np.array([0, 1, 1, 0, 1], np.int32)
OUT = (4, 4)


def feature_map(seed):
    return normal(np.random.default_rng(seed), (2, 3, 12, 10))


def c_round(v: float) -> int:
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def roi_bins(roi, size, extent_plus_one=False):
    """Per pooled row and column: the clipped [start, end) pixel ranges of one ROI, as the
    integer ROI kernels compute them (roi_pooling_2d counts the end pixel in the extent)."""
    start = [c_round(float(np.float32(v) * np.float32(SCALE))) for v in roi[:2]]
    end = [c_round(float(np.float32(v) * np.float32(SCALE))) for v in roi[2:]]
    ranges = []
    for s, e, pooled, limit in zip(start, end, OUT, size):
        extent = max(e - s + (1 if extent_plus_one else 0), 1)
        step = extent / pooled  # exact: pooled is a power of two
        ranges.append(
            [
                (
                    min(max(math.floor(p * step) + s, 0), limit),
                    min(max(math.ceil((p + 1) * step) + s, 0), limit),
                )
                for p in range(pooled)
            ]
        )
    return ranges


def roi_pool_ref(x, reduce, empty=0.0, extent_plus_one=False):
    """(pooled, argmax as h * W + w) of every ROI, bin and channel; an empty bin is
    `empty` with argmax -1."""
    c, height, width = x.shape[1:]
    out = np.full((len(ROIS), c) + OUT, empty)
    arg = np.full(out.shape, -1, np.int32)
    for r, (roi, b) in enumerate(zip(ROIS, ROI_INDICES)):
        rows, cols = roi_bins(roi, (height, width), extent_plus_one)
        for (ph, (h0, h1)), (pw, (w0, w1)) in itertools.product(enumerate(rows), enumerate(cols)):
            patch = x[b, :, h0:h1, w0:w1].reshape(c, -1).astype(np.float64)
            if patch.shape[1] == 0:
                continue
            out[r, :, ph, pw] = reduce(patch, axis=1)
            k = patch.argmax(axis=1)
            arg[r, :, ph, pw] = (h0 + k // (w1 - w0)) * width + w0 + k % (w1 - w0)
    return out, arg


def old_rois():
    """roi_pooling_2d's rois: (batch index, x_min, y_min, x_max, y_max)."""
    return np.concatenate([ROI_INDICES[:, None], ROIS[:, [1, 0, 3, 2]]], axis=1, dtype=np.float32)


def test_roi_pooling_2d_fwd(target):
    x = feature_map(50)
    c, h, w = x.shape[1:]
    top, argmax = empty((len(ROIS), c) + OUT), empty((len(ROIS), c) + OUT, np.int32)
    ran = run_elementwise(
        target, "roi_pooling_2d_fwd", x, SCALE, c, h, w, *OUT, old_rois(), top, argmax
    )
    refs.expect(ran, roi_pool_ref(x, np.max, extent_plus_one=True), target, rtol=0)


def test_roi_pooling_2d_bwd(target):
    """A gather: each pixel sums the gradients of the bins whose argmax it is."""
    x = feature_map(51)
    c, h, w = x.shape[1:]
    _, argmax = roi_pool_ref(x, np.max, extent_plus_one=True)
    gtop = normal(np.random.default_rng(52), argmax.shape)
    bottom_diff = np.zeros(x.shape, np.float32)
    ran = run_elementwise(
        target,
        "roi_pooling_2d_bwd",
        gtop,
        argmax,
        len(ROIS),
        SCALE,
        c,
        h,
        w,
        *OUT,
        old_rois(),
        bottom_diff,
    )
    refs.expect(ran, scatter_argmax(x.shape, gtop, argmax), target, atol=1e-6)


def scatter_argmax(shape, gtop, argmax):
    gx = np.zeros((shape[0], shape[1], shape[2] * shape[3]))
    r, ch, ph, pw = np.nonzero(argmax >= 0)
    np.add.at(gx, (ROI_INDICES[r], ch, argmax[r, ch, ph, pw]), gtop[r, ch, ph, pw])
    return gx.reshape(shape)


def test_roi_max_pooling_2d_fwd(target):
    x = feature_map(53)
    c, h, w = x.shape[1:]
    top, argmax = empty((len(ROIS), c) + OUT), empty((len(ROIS), c) + OUT, np.int32)
    ran = run_elementwise(
        target, "roi_max_pooling_2d_fwd", x, ROIS, ROI_INDICES, SCALE, c, h, w, *OUT, top, argmax
    )
    refs.expect(ran, roi_pool_ref(x, np.max, empty=-np.inf), target, rtol=0)


def test_roi_max_pooling_2d_bwd(target):
    x = feature_map(54)
    c, h, w = x.shape[1:]
    _, argmax = roi_pool_ref(x, np.max, empty=-np.inf)
    gy = normal(np.random.default_rng(55), argmax.shape)
    bottom_diff = np.zeros(x.shape, np.float32)
    ran = run_elementwise(
        target,
        "roi_max_pooling_2d_bwd",
        gy,
        argmax,
        ROIS,
        ROI_INDICES,
        len(ROIS),
        SCALE,
        c,
        h,
        w,
        *OUT,
        bottom_diff,
        size=gy.size,
    )
    refs.expect(ran, scatter_argmax(x.shape, gy, argmax), target, glsl_fallback=True, atol=1e-6)


def test_roi_average_pooling_2d_fwd(target):
    x = feature_map(56)
    c, h, w = x.shape[1:]
    top = empty((len(ROIS), c) + OUT)
    ran = run_elementwise(
        target, "roi_average_pooling_2d_fwd", x, ROIS, ROI_INDICES, SCALE, c, h, w, *OUT, top
    )
    want, _ = roi_pool_ref(x, np.mean)
    refs.expect(ran, want, target, atol=1e-6)


def test_roi_average_pooling_2d_bwd(target):
    c, h, w = 3, 12, 10
    gy = normal(np.random.default_rng(57), (len(ROIS), c) + OUT)
    bottom_diff = np.zeros((2, c, h, w), np.float32)
    ran = run_elementwise(
        target,
        "roi_average_pooling_2d_bwd",
        gy,
        ROIS,
        ROI_INDICES,
        SCALE,
        c,
        h,
        w,
        *OUT,
        bottom_diff,
        size=gy.size,
    )
    want = np.zeros(bottom_diff.shape)
    for r, (roi, b) in enumerate(zip(ROIS, ROI_INDICES)):
        rows, cols = roi_bins(roi, (h, w))
        for (ph, (h0, h1)), (pw, (w0, w1)) in itertools.product(enumerate(rows), enumerate(cols)):
            if h1 > h0 and w1 > w0:
                want[b, :, h0:h1, w0:w1] += gy[r, :, ph, pw, None, None] / ((h1 - h0) * (w1 - w0))
    refs.expect(ran, want, target, glsl_fallback=True, atol=1e-6)


def bilinear_taps(y: float, x: float, height: int, width: int):
    """(weight, row, col) of the pixels a sample point reads, as the align kernels'
    get_bounds and get_bilinear_interp_params decide them; None outside the map."""
    taps = []
    points = []
    for p, limit in ((y, height), (x, width)):
        if p < -1 or p > limit:
            return None
        low = math.floor(p) - (1 if math.floor(p) == limit else 0)
        p = 0.0 if low <= -1 else (limit - 1.0 if low + 1 >= limit else p)
        points.append((p, low, low + 1))
    (y, y0, y1), (x, x0, x1) = points
    for wy, row in ((y1 - y, y0), (y - y0, y1)):
        for wx, col in ((x1 - x, x0), (x - x0, x1)):
            if wy * wx > 0 and 0 <= row <= height - 1 and 0 <= col <= width - 1:
                taps.append((wy * wx, row, col))
    return taps


def align_samples(roi, ph: int, pw: int, ratio: int, height: int, width: int):
    """The sample points of bin (ph, pw) of a ROI, in grid order, each as its taps; and the
    number of grid points (the average's divisor)."""
    y0, x0, y1, x1 = (float(v) * SCALE for v in roi)
    roi_h, roi_w = max(y1 - y0, 1.0), max(x1 - x0, 1.0)
    bin_h, bin_w = roi_h / OUT[0], roi_w / OUT[1]
    grid_h = ratio or math.ceil(roi_h / OUT[0])
    grid_w = ratio or math.ceil(roi_w / OUT[1])
    samples = [
        bilinear_taps(
            y0 + ph * bin_h + (iy + 0.5) * bin_h / grid_h,
            x0 + pw * bin_w + (ix + 0.5) * bin_w / grid_w,
            height,
            width,
        )
        for iy in range(grid_h)
        for ix in range(grid_w)
    ]
    return samples, grid_h * grid_w


def each_bin(c: int):
    for r, (roi, b) in enumerate(zip(ROIS, ROI_INDICES)):
        for ch, ph, pw in np.ndindex(c, *OUT):
            yield r, roi, b, ch, ph, pw


ALIGN_RATIO = {"sampling_ratio=None": 0, "sampling_ratio=2": 2}  # None is passed as 0


@pytest.mark.parametrize("ratio", ALIGN_RATIO.values(), ids=ALIGN_RATIO.keys())
def test_roi_average_align_2d_fwd(target, ratio):
    x = feature_map(60)
    c, h, w = x.shape[1:]
    top = empty((len(ROIS), c) + OUT)
    ran = run_elementwise(
        target,
        "roi_average_align_2d_fwd",
        x,
        SCALE,
        c,
        h,
        w,
        *OUT,
        ratio,
        ratio,
        ROIS,
        ROI_INDICES,
        top,
    )
    want = np.zeros(top.shape)
    for r, roi, b, ch, ph, pw in each_bin(c):
        samples, count = align_samples(roi, ph, pw, ratio, h, w)
        taps = (t for s in samples if s is not None for t in s)
        want[r, ch, ph, pw] = sum(wt * x[b, ch, i, j] for wt, i, j in taps) / count
    refs.expect(ran, want, target, rtol=1e-4, atol=1e-5)  # float32 sample coordinates


@pytest.mark.parametrize("ratio", ALIGN_RATIO.values(), ids=ALIGN_RATIO.keys())
def test_roi_average_align_2d_bwd(target, ratio):
    c, h, w = 3, 12, 10
    gy = normal(np.random.default_rng(61), (len(ROIS), c) + OUT)
    bottom_diff = np.zeros((2, c, h, w), np.float32)
    ran = run_elementwise(
        target,
        "roi_average_align_2d_bwd",
        gy,
        len(ROIS),
        SCALE,
        c,
        h,
        w,
        *OUT,
        ratio,
        ratio,
        ROIS,
        ROI_INDICES,
        bottom_diff,
        size=gy.size,
    )
    want = np.zeros(bottom_diff.shape)
    for r, roi, b, ch, ph, pw in each_bin(c):
        samples, count = align_samples(roi, ph, pw, ratio, h, w)
        for wt, i, j in (t for s in samples if s is not None for t in s):
            want[b, ch, i, j] += gy[r, ch, ph, pw] * wt / count
    refs.expect(ran, want, target, glsl_fallback=True, rtol=1e-4, atol=1e-5)


def max_align_ref(x, ratio):
    """(max over the sample points, index of that point in the grid) per bin."""
    c, h, w = x.shape[1:]
    top = np.zeros((len(ROIS), c) + OUT)
    argmax = np.full(top.shape, -1, np.int32)
    for r, roi, b, ch, ph, pw in each_bin(c):
        samples, _ = align_samples(roi, ph, pw, ratio, h, w)
        values = [
            -np.inf if s is None else sum(wt * x[b, ch, i, j] for wt, i, j in s) for s in samples
        ]
        top[r, ch, ph, pw] = max(values)
        argmax[r, ch, ph, pw] = int(np.argmax(values)) if max(values) > -np.inf else -1
    return top, argmax


def test_roi_max_align_2d_fwd(target):
    x = feature_map(62)
    c, h, w = x.shape[1:]
    top, argmax = empty((len(ROIS), c) + OUT), empty((len(ROIS), c) + OUT, np.int32)
    ran = run_elementwise(
        target,
        "roi_max_align_2d_fwd",
        x,
        SCALE,
        c,
        h,
        w,
        *OUT,
        2,
        2,
        ROIS,
        ROI_INDICES,
        top,
        argmax,
    )
    refs.expect(ran, max_align_ref(x, 2), target, rtol=1e-4, atol=1e-5)


def test_roi_max_align_2d_bwd(target):
    """The gradient goes to the taps of the forward's argmax sample point; the argmax
    array is an output parameter that the kernel only reads."""
    x = feature_map(63)
    c, h, w = x.shape[1:]
    _, argmax = max_align_ref(x, 2)
    gy = normal(np.random.default_rng(64), argmax.shape)
    bottom_diff = np.zeros(x.shape, np.float32)
    ran = run_elementwise(
        target,
        "roi_max_align_2d_bwd",
        gy,
        SCALE,
        c,
        h,
        w,
        *OUT,
        2,
        2,
        ROIS,
        ROI_INDICES,
        bottom_diff,
        argmax.copy(),
        size=gy.size,
    )
    want = np.zeros(x.shape)
    for r, roi, b, ch, ph, pw in each_bin(c):
        samples, _ = align_samples(roi, ph, pw, 2, h, w)
        k = argmax[r, ch, ph, pw]
        for wt, i, j in samples[k] if k >= 0 else ():
            want[b, ch, i, j] += gy[r, ch, ph, pw] * wt
    refs.expect(ran, (want, argmax), target, glsl_fallback=True, rtol=1e-4, atol=1e-5)
