"""Chainer's normalization kernels (chainer/functions/normalization) run on both targets as
the functions' GPU paths call them, against their CPU paths in float64: batch
normalization (also float16 inputs with float32 statistics), batch renormalization, group
normalization (with its ReductionKernel) and local response normalization.

Rule: the statistics are computed on the host as Chainer computes them before the kernel
(mean, var, inv_std, the gradient sums) and passed with the shapes of Chainer's
`expander` views; scalars as Chainer passes them (Python floats, NumPy `inv_m`).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.chainer import refs
from tests.chainer.harness import run_elementwise, run_reduction

X_SHAPE = (4, 6, 5, 5)  # (batch, channels, h, w): statistics per channel over (0, 2, 3)
AXIS = (0, 2, 3)
EXPANDER = (None, slice(None), None, None)
EPS = 2e-5


def batch(seed: int, dtype=np.float32):
    """x and per-channel gamma, beta (float32), the channel statistics in float64, and
    inv_std as Chainer's `rsqrt(var + eps)`."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(X_SHAPE) * 2 + 0.5).astype(dtype)
    gamma = rng.uniform(0.5, 1.5, X_SHAPE[1]).astype(np.float32)
    beta = rng.standard_normal(X_SHAPE[1]).astype(np.float32)
    mean, var = x.mean(axis=AXIS, dtype=np.float64), x.var(axis=AXIS, dtype=np.float64)
    return rng, x, gamma, beta, mean, var, 1 / np.sqrt(var + EPS)


f32 = np.float32


# ---------------------------------------------------------------- batch normalization


@pytest.mark.parametrize("dtype", [np.float32, np.float16], ids=["float32", "float16"])
def test_bn_fwd(target, dtype):
    """T x (the input's dtype), U mean/inv_std/gamma/beta (the promoted dtype, float32)."""
    _, x, gamma, beta, mean, _, inv_std = batch(1, dtype)
    e = EXPANDER
    ran = run_elementwise(target, "bn_fwd", x, f32(mean)[e], f32(inv_std)[e], gamma[e], beta[e])
    want = gamma[e] * (x.astype(np.float64) - mean[e]) * inv_std[e] + beta[e]
    refs.expect(ran, want, target, rtol=1e-5 if dtype == np.float32 else 1e-3, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float16], ids=["float32", "float16"])
def test_update_mean_var(target, dtype):
    """Running statistics (the input's dtype) from this batch's float32 mean and var."""
    rng, x, _, _, mean, var, _ = batch(2, dtype)
    running_mean = rng.standard_normal(X_SHAPE[1]).astype(dtype)
    running_var = rng.uniform(0.5, 2, X_SHAPE[1]).astype(dtype)
    m = x.size // X_SHAPE[1]
    decay, adjust = 0.9, m / max(m - 1.0, 1.0)
    want = (
        running_mean * decay + (1 - decay) * mean,
        running_var * decay + (1 - decay) * adjust * var,
    )
    ran = run_elementwise(
        target, "update_mean_var", f32(mean), f32(var), decay, adjust, running_mean, running_var
    )
    assert ran.outputs[0] is running_mean
    refs.expect(ran, want, target, rtol=1e-5 if dtype == np.float32 else 1e-3)


def test_bn_bwd(target):
    rng, x, gamma, _, mean, _, inv_std = batch(3)
    e = EXPANDER
    x_hat = f32((x - mean[e]) * inv_std[e])
    gy = rng.standard_normal(X_SHAPE).astype(np.float32)
    gbeta, ggamma = gy.sum(axis=AXIS), (gy * x_hat).sum(axis=AXIS)
    inv_m = gamma.dtype.type(1.0 / (x.size // gamma.size))
    ran = run_elementwise(
        target, "bn_bwd", gy, x_hat, gamma[e], f32(inv_std)[e], ggamma[e], gbeta[e], inv_m
    )
    want = (gamma * inv_std)[e] * (gy - (x_hat * ggamma[e] + gbeta[e]) * float(inv_m))
    refs.expect(ran, want, target, rtol=1e-4, atol=1e-5)  # a difference of similar sums


# ---------------------------------------------------------------- batch renormalization

R_MAX, D_MAX = 1.5, 0.5
BRN_EXPANDER = (None, Ellipsis, None, None)


def renorm(seed: int):
    """The forward's statistics, with running statistics that clip some channels' r, d."""
    rng, x, gamma, beta, mean, var, _ = batch(seed)
    std = np.sqrt(var + EPS)
    running_mean = mean + rng.normal(0, 1, mean.shape)
    running_sigma = np.sqrt(rng.uniform(0.5, 6, var.shape) + EPS)
    r = np.clip(std / running_sigma, 1 / R_MAX, R_MAX)
    d = np.clip((mean - running_mean) / running_sigma, -D_MAX, D_MAX)
    return rng, x, gamma, beta, mean, std, r, d


def test_brn_fwd(target):
    _, x, gamma, beta, mean, std, r, d = renorm(4)
    e = BRN_EXPANDER
    ran = run_elementwise(
        target, "brn_fwd", x, f32(mean)[e], f32(std)[e], gamma[e], beta[e], f32(r)[e], f32(d)[e]
    )
    x_hat = (x - mean[e]) / std[e]
    x_hat_renorm = x_hat * r[e] + d[e]
    want = (x_hat, x_hat_renorm, gamma[e] * x_hat_renorm + beta[e])
    refs.expect(ran, want, target, rtol=1e-5, atol=1e-6)


def test_brn_bwd(target):
    rng, x, gamma, _, mean, std, r, _ = renorm(5)
    e = BRN_EXPANDER
    x_hat = f32((x - mean[e]) / std[e])
    gy = rng.standard_normal(X_SHAPE).astype(np.float32)
    gbeta, gsigma_batch = gy.sum(axis=AXIS), (gy * x_hat).sum(axis=AXIS)
    m = gamma.dtype.type(x.size // gamma.size)
    inv_m = np.float32(1) / m
    ran = run_elementwise(
        target,
        "brn_bwd",
        gy,
        x_hat,
        gamma[e],
        f32(std)[e],
        gsigma_batch[e],
        gbeta[e],
        inv_m,
        f32(r)[e],
    )
    want = (r * gamma / std)[e] * (gy - (x_hat * gsigma_batch[e] + gbeta[e]) / float(m))
    refs.expect(ran, want, target, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- group normalization

GROUPS = 3


def groups(seed: int):
    """x, gamma, beta, and the per-(sample, group) mean and inv_std of x reshaped to
    (batch * groups, -1) as GroupNormalization reshapes it."""
    rng, x, gamma, beta, *_ = batch(seed)
    xg = x.reshape(X_SHAPE[0] * GROUPS, -1).astype(np.float64)
    mean = xg.mean(axis=1)
    return rng, x, gamma, beta, mean, 1 / np.sqrt(xg.var(axis=1) + 1e-5)


def test_groupnorm_x_hat(target):
    _, x, _, _, mean, inv_std = groups(6)
    xg = x.reshape(X_SHAPE[0] * GROUPS, -1)
    ran = run_elementwise(target, "groupnorm_x_hat", xg, f32(mean)[:, None], f32(inv_std)[:, None])
    refs.expect(ran, (xg - mean[:, None]) * inv_std[:, None], target, rtol=1e-5, atol=1e-6)


def test_groupnorm_y(target):
    """The cuDNN path's scale and shift, in place on x_hat seen as (batch, channels, -1)."""
    _, x, gamma, beta, mean, inv_std = groups(7)
    x_hat = f32((x.reshape(X_SHAPE[0] * GROUPS, -1) - mean[:, None]) * inv_std[:, None])
    y = x_hat.reshape(X_SHAPE[0], X_SHAPE[1], -1)
    want = y * gamma[:, None].astype(np.float64) + beta[:, None]
    ran = run_elementwise(target, "groupnorm_y", gamma[:, None], beta[:, None], y)
    assert ran.outputs is y
    refs.expect(ran, want, target, rtol=1e-5, atol=1e-6)


def test_groupnorm_ggamma(target):
    """_ScaleShiftGrad: ggamma = sum of gy * x_hat over batch and pixels (a reduction)."""
    rng, x, *_ = groups(8)
    shape = (X_SHAPE[0], X_SHAPE[1], -1)
    x_hat = x.reshape(shape)
    gy = rng.standard_normal(X_SHAPE).astype(np.float32).reshape(shape)
    ran = run_reduction(target, "groupnorm_ggamma", gy, x_hat, axis=(0, 2))
    want = (gy.astype(np.float64) * x_hat).sum(axis=(0, 2))
    refs.expect(ran, want, target, rtol=1e-4, atol=1e-5)  # summation order


# ---------------------------------------------------------------- local response normalization

N, K, ALPHA, BETA = 5, 2, 1e-4, 0.75  # LocalResponseNormalization's defaults
LRN_SHAPE = (2, 7, 4, 3)


def window_sum(a):
    """Sum over the channels c - N//2 .. c + N//2 (clipped), per channel c."""
    padded = np.pad(a, [(0, 0), (N // 2, N // 2), (0, 0), (0, 0)])
    return sum(padded[:, j : j + a.shape[1]] for j in range(N))


def lrn_state(seed: int):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(LRN_SHAPE) * 10).astype(np.float32)  # activations, not unit
    unit_scale = K + ALPHA * window_sum(x.astype(np.float64) ** 2)
    return rng, x, unit_scale


def conv_sum(target, x):
    """_cu_conv_sum(y, x, n): the window sum by a scan along the channels, one work item
    per (batch, pixel), into a raw y."""
    rdim = x.size // (x.shape[0] * x.shape[1])
    y = np.full_like(x, np.nan)
    return run_elementwise(
        target, "lrn_conv_sum", x, rdim, x.shape[1], N, y, size=x.shape[0] * rdim
    )


def test_lrn_conv_sum(target):
    x2 = np.square(lrn_state(9)[1])
    refs.expect(
        conv_sum(target, x2),
        window_sum(x2.astype(np.float64)),
        target,
        glsl_fallback=True,
        rtol=1e-5,
    )


def test_lrn_fwd(target):
    """y (passed holding x ** 2) = x * scale ** -beta; scale (holding the window sums)
    becomes k + alpha * sums."""
    _, x, unit_scale = lrn_state(10)
    y = np.square(x)
    scale = f32(window_sum(y.astype(np.float64)))
    ran = run_elementwise(target, "lrn_fwd", x, K, ALPHA, BETA, y, scale)
    refs.expect(ran, (x * unit_scale**-BETA, unit_scale), target, rtol=1e-5)


def test_lrn_bwd_summand(target):
    rng, x, unit_scale = lrn_state(11)
    y = f32(x * unit_scale**-BETA)
    gy = rng.standard_normal(LRN_SHAPE).astype(np.float32)
    ran = run_elementwise(target, "lrn_bwd_summand", f32(unit_scale), y, gy)
    refs.expect(ran, y.astype(np.float64) * gy / unit_scale, target, rtol=1e-5)


def test_lrn_bwd(target):
    """gx (passed holding the window sums of the summands) = gy * scale ** -beta
    - 2 alpha beta x sums."""
    rng, x, unit_scale = lrn_state(12)
    y = x * unit_scale**-BETA
    gy = rng.standard_normal(LRN_SHAPE).astype(np.float32)
    sums = window_sum(y * gy / unit_scale)
    gx = f32(sums)
    ran = run_elementwise(target, "lrn_bwd", x, gy, f32(unit_scale), BETA, 2 * ALPHA * BETA, gx)
    want = gy * unit_scale**-BETA - 2 * ALPHA * BETA * x * sums
    refs.expect(ran, want, target, rtol=1e-5, atol=1e-7)
