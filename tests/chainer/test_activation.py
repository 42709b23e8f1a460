"""Chainer's activation kernels (chainer/functions/activation) run on both targets and
compared with Chainer's CPU code path.

Each row is one `cuda.elementwise` call as Chainer makes it: forward kernels get `x` and
the function's Python-float parameters (`self.cap`, `self.alpha`, ...); backward kernels
get the retained input or output and `gy`. Inputs are float32 batches, (8, 16) for
fully-connected layers and (4, 3, 8, 8) for convolutional ones, with each kernel's branch
points (0, the cap, ±2.5) planted in them; a few rows repeat in float16. Every row runs
natively on both targets.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.chainer.cases import Case, check, normal, params, planted, uniform

FC = (8, 16)
CONV = (4, 3, 8, 8)
# exp, expm1, log1p and tanh are not correctly rounded on either target (nor in CUDA):
# a few ulp, and an absolute floor where the result passes through zero.
TRANSCENDENTAL = {"rtol": 1e-5, "atol": 1e-6}
F16 = {"rtol": 2e-3, "atol": 1e-3}  # one float16 ulp is 2**-10 relative
# swish's gb = gy y (x - y) cancels where sigmoid(beta x) is near 1 (y near x): its error is
# an ulp of y (of tanh) times gy x, not relative to gb
CANCELLING = {"rtol": 1e-5, "atol": 1e-4}


def _per_channel(r, x, low, high):
    """A parameter of one value per channel, reshaped like prelu's and swish's
    `_get_extended_shape` to (1, C, 1, 1)."""
    return uniform(r, (x.shape[1],), low, high).reshape((1, -1) + (1,) * (x.ndim - 2))


# clipped_relu: y = min(max(x, 0), cap) and its gradient; cap = 6 (ReLU6), a Python float


def clipped_relu_args(r, dtype=np.float32):
    return planted(normal(r, CONV, 4.0, dtype), 0.0, 6.0, -0.0, 7.0, 5.9999), 6.0


def clipped_relu_bwd_args(r):
    x, cap = clipped_relu_args(r)
    return x, normal(r, CONV), cap


def clipped_relu(x, cap):
    return np.minimum(np.maximum(0, x), cap).astype(x.dtype)


def clipped_relu_bwd(x, gy, z):
    return (gy * (0 < x) * (x < z)).astype(x.dtype)


# elu: y = x for x > 0, alpha expm1(x) below; its gradient is given `cond`, which is y for
# alpha >= 0 and x for alpha < 0


def elu(x, alpha):
    y = x.copy()
    y[y <= 0] = alpha * np.expm1(y[y <= 0])
    return y


def elu_args(r):
    return planted(normal(r, FC, 2.0), 0.0, 1e-4, -1e-4), 1.0


def elu_bwd_args(r, alpha=1.0):
    x = planted(normal(r, CONV), 0.0)
    y = elu(x, alpha)
    return y, alpha, (y if alpha >= 0 else x)


def elu_bwd(y, alpha, cond):
    return np.where(cond > 0, 1, y + y.dtype.type(alpha)).astype(y.dtype)


# hard_sigmoid: clip(0.2 x + 0.5, 0, 1), flat outside |x| < 2.5


def hard_sigmoid_args(r):
    return (planted(normal(r, FC, 3.0), 2.5, -2.5, 0.0),)


def hard_sigmoid_bwd_args(r):
    return planted(normal(r, FC, 3.0), 2.5, -2.5), normal(r, FC)


def hard_sigmoid(x):
    return np.clip(x * 0.2 + 0.5, 0.0, 1.0).astype(x.dtype)


def hard_sigmoid_bwd(x, gy):
    return (((-2.5 < x) & (x < 2.5)) * gy * 0.2).astype(x.dtype)


# leaky_relu: forward `_get_kern()(x, x, slope)`, backward `(cond, gy, slope)`


def lrelu_args(r, dtype=np.float32):
    x = planted(normal(r, CONV, dtype=dtype), 0.0)
    return x, x, 0.2


def lrelu_grad_args(r):
    return planted(normal(r, FC), 0.0), normal(r, FC), 0.2


def lrelu(cond, x, slope):  # Chainer's `y[cond <= 0] *= slope`, in float32
    y = x.astype(np.float32)
    y[cond <= 0] *= slope
    return y.astype(x.dtype)


# prelu: W holds one slope per channel; its gradient runs the forward kernel on gy, with
# prelu_masked's output buffer as the output


def prelu_args(r):
    x = planted(normal(r, CONV), 0.0)
    return x, x, _per_channel(r, x, 0.1, 0.3)


def prelu_grad_args(r):
    cond = planted(normal(r, CONV), 0.0)
    return normal(r, CONV), cond, _per_channel(r, cond, 0.1, 0.3), np.empty_like(cond)


def prelu_masked_args(r):
    x = normal(r, CONV)
    return x, x, normal(r, CONV)


def prelu(x, cond, W, out=None):
    return np.where(cond >= 0, x, x * W).astype(x.dtype)


def prelu_masked(x, cond, gy):
    return np.where(cond >= 0, 0, x * gy).astype(x.dtype)


# relu: only the gradient is a kernel of Chainer's (the forward is cupy.maximum)


def relu_bwd_args(r, dtype=np.float32):
    x = planted(normal(r, CONV, dtype=dtype), 0.0)
    return np.maximum(x, 0, dtype=dtype), normal(r, CONV, dtype=dtype)


def relu_bwd(y, gy):
    return (gy * (y > 0)).astype(gy.dtype)


# rrelu: a random slope per element, r ~ U(1/8, 1/3)


def rrelu_args(r):
    x = normal(r, CONV)
    return x, x, uniform(r, CONV, 1 / 8, 1 / 3)


def rrelu(cond, x, slope):
    return np.where(cond >= 0, x, x * slope)


# sigmoid, through tanh as Chainer computes it; tanh's gradient


def sigmoid(x):
    half = x.dtype.type(0.5)
    return np.tanh(x * half) * half + half


def sigmoid_args(r, dtype=np.float32):
    return (normal(r, FC, 4.0, dtype),)


def sigmoid_bwd_args(r):
    return sigmoid(normal(r, FC, 4.0)), normal(r, FC)


def sigmoid_f16(x):
    return sigmoid(x.astype(np.float32)).astype(x.dtype)


def sigmoid_bwd(y, gy):
    return gy * y * (np.float32(1) - y)


def tanh_bwd_args(r):
    return np.tanh(normal(r, FC, 2.0)), normal(r, FC)


def tanh_bwd(y, gy):
    return gy * (np.float32(1) - y * y)


# softplus: log(1 + exp(beta x)) / beta; beta = 1 (default) and beta = 2


def softplus_args(r, beta=1.0):
    return normal(r, FC, 5.0), beta, 1.0 / beta


def softplus_bwd_args(r):
    return normal(r, FC, 5.0), normal(r, FC), 2.0


def softplus(x, beta, beta_inv):
    bx = beta * x
    return ((np.fmax(bx, 0) + np.log1p(np.exp(-np.fabs(bx)))) * beta_inv).astype(x.dtype)


def softplus_bwd(x, gy, beta):
    return ((1 - 1 / (1 + np.exp(beta * x))) * gy).astype(x.dtype)


# swish: y = x sigmoid(beta x), beta per channel; Chainer sums the gradient's gb over the
# batch afterwards, the kernel returns it per element


def swish_args(r):
    x = normal(r, CONV, 3.0)
    return x, _per_channel(r, x, 0.5, 2.0)


def swish_bwd_args(r):
    return *swish_args(r), normal(r, CONV)


def swish(x, beta):
    return x * sigmoid(beta * x)


def swish_bwd(x, beta, gy):
    sig = sigmoid(beta * x)
    y = x * sig
    by = beta * y
    return gy * (by + sig * (1 - by)), gy * y * (x - y)


CASES = [
    Case("clipped_relu_fwd", clipped_relu_args, clipped_relu),
    Case("clipped_relu_bwd", clipped_relu_bwd_args, clipped_relu_bwd),
    Case("elu_fwd", elu_args, elu, **TRANSCENDENTAL),
    Case("elu_bwd", elu_bwd_args, elu_bwd),
    Case("elu_bwd", lambda r: elu_bwd_args(r, alpha=-0.5), elu_bwd, tag="alpha<0"),
    Case("hard_sigmoid_fwd", hard_sigmoid_args, hard_sigmoid, rtol=1e-6),
    Case("hard_sigmoid_bwd", hard_sigmoid_bwd_args, hard_sigmoid_bwd, rtol=1e-6),
    Case("lrelu", lrelu_args, lrelu),
    Case("lrelu", lrelu_grad_args, lrelu, tag="grad"),
    Case("prelu", prelu_args, prelu),
    Case("prelu", prelu_grad_args, prelu, tag="grad"),
    Case("prelu_masked", prelu_masked_args, prelu_masked),
    Case("relu_bwd", relu_bwd_args, relu_bwd),
    Case("rrelu", rrelu_args, rrelu),
    Case("sigmoid_fwd", sigmoid_args, sigmoid, **TRANSCENDENTAL),
    Case("sigmoid_bwd", sigmoid_bwd_args, sigmoid_bwd),
    Case("softplus_fwd", softplus_args, softplus, **TRANSCENDENTAL),
    Case("softplus_fwd", lambda r: softplus_args(r, 2.0), softplus, tag="beta2", **TRANSCENDENTAL),
    Case("softplus_bwd", softplus_bwd_args, softplus_bwd, **TRANSCENDENTAL),
    Case("swish_fwd", swish_args, swish, **TRANSCENDENTAL),
    Case("swish_bwd", swish_bwd_args, swish_bwd, **CANCELLING),
    Case("tanh_bwd", tanh_bwd_args, tanh_bwd),
]

# float16 models: Chainer passes float16 arrays and the same Python floats (bound to half)
HALF = [
    Case("clipped_relu_fwd", lambda r: clipped_relu_args(r, np.float16), clipped_relu, tag="f16"),
    Case("lrelu", lambda r: lrelu_args(r, np.float16), lrelu, tag="f16", **F16),
    Case("relu_bwd", lambda r: relu_bwd_args(r, np.float16), relu_bwd, tag="f16"),
    Case("sigmoid_fwd", lambda r: sigmoid_args(r, np.float16), sigmoid_f16, tag="f16", **F16),
]


@pytest.mark.parametrize("case", params(CASES + HALF))
def test_activation_kernel(case, target):
    check(target, case)
