"""NumPy references shared by the Chainer kernel tests (patch extraction and its adjoint for
convolution and pooling, output sizes), and `expect`, the comparison of a `Ran` with one.

Rule: a reference is written from what the kernel computes (Chainer's CPU path where it
has one), in float64 where precision matters, never copied from Chainer; `expect` also
checks where the call ran: natively, or on the interpreter only where the target rejects
the kernel (WebGL: atomics, scatter, more than 4 outputs).
"""

from __future__ import annotations

import itertools

import numpy as np

from tests.chainer.harness import Ran


def expect(
    ran: Ran,
    want,
    target: str,
    *,
    glsl_fallback: bool = False,
    rtol: float = 1e-5,
    atol: float = 0.0,
) -> None:
    """`ran` ran where it should and its outputs match `want` (one array or a tuple):
    same dtype and shape; floats within tolerance, everything else exactly."""
    assert ran.fallback == (target == "glsl" and glsl_fallback), f"fallback={ran.fallback}"
    got = ran.outputs if isinstance(ran.outputs, tuple) else (ran.outputs,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        w = np.asarray(w)
        assert g.shape == w.shape, f"output {k}: shape {g.shape}, expected {w.shape}"
        if g.dtype.kind == "f":
            np.testing.assert_allclose(
                g, w.astype(g.dtype), rtol=rtol, atol=atol, err_msg=f"output {k}"
            )
        else:
            assert g.dtype == w.dtype, f"output {k}: dtype {g.dtype}, expected {w.dtype}"
            np.testing.assert_array_equal(g, w, err_msg=f"output {k}")


def conv_outsize(size: int, k: int, s: int, p: int, cover_all: bool = False, d: int = 1) -> int:
    """Output length of a window `k` (dilated by `d`) sliding by `s` over `size` padded by
    `p` on both sides; `cover_all` adds a last, partial window."""
    span = (k - 1) * d + 1
    return (size + 2 * p - span + (s - 1 if cover_all else 0)) // s + 1


def im2col(
    x: np.ndarray, ksize, stride, pad, dilate=None, cover_all: bool = False, pval: float = 0.0
) -> np.ndarray:
    """Patches of `x` (n, c, *dims): (n, c, *ksize, *outs), `pval` where a window leaves
    the image."""
    nd = x.ndim - 2
    dilate = dilate or (1,) * nd
    dims = x.shape[2:]
    outs = [
        conv_outsize(d, k, s, p, cover_all, di)
        for d, k, s, p, di in zip(dims, ksize, stride, pad, dilate)
    ]
    # enough padding after the image for the last window of every axis
    after = [
        max(p, (k - 1) * di + s * (o - 1) + 1 - d - p)
        for d, k, s, p, di, o in zip(dims, ksize, stride, pad, dilate, outs)
    ]
    xp = np.pad(x, [(0, 0), (0, 0)] + list(zip(pad, after)), constant_values=pval)
    col = np.empty(x.shape[:2] + tuple(ksize) + tuple(outs), x.dtype)
    for ks in itertools.product(*(range(k) for k in ksize)):
        window = tuple(
            slice(kk * di, kk * di + s * o, s) for kk, di, s, o in zip(ks, dilate, stride, outs)
        )
        col[(slice(None), slice(None)) + ks] = xp[(slice(None), slice(None)) + window]
    return col


def col2im(col: np.ndarray, stride, pad, dims, dilate=None) -> np.ndarray:
    """The adjoint of `im2col`: every patch entry added back to its image position."""
    nd = len(dims)
    dilate = dilate or (1,) * nd
    ksize, outs = col.shape[2 : 2 + nd], col.shape[2 + nd :]
    size = [
        max(d + 2 * p, (k - 1) * di + s * (o - 1) + 1)
        for d, p, k, di, s, o in zip(dims, pad, ksize, dilate, stride, outs)
    ]
    img = np.zeros(col.shape[:2] + tuple(size), np.float64)
    for ks in itertools.product(*(range(k) for k in ksize)):
        window = tuple(
            slice(kk * di, kk * di + s * o, s) for kk, di, s, o in zip(ks, dilate, stride, outs)
        )
        img[(slice(None), slice(None)) + window] += col[(slice(None), slice(None)) + ks]
    crop = tuple(slice(p, p + d) for p, d in zip(pad, dims))
    return img[(slice(None), slice(None)) + crop]
