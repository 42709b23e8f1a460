"""Chainer's math kernels (chainer/functions/math) run on both targets and compared with
Chainer's CPU code path, or with the standard library for the special functions.

Most are gradients (`*_bwd`): they get the retained inputs and `gy`, with constants as
Chainer passes them (`x.dtype.type(value)` from `_preprocess_const`, Python ints for
sizes). The sparse matmul kernels take COO matrices padded with -1, as Chainer's
`CooMatrix` holds them, and write with atomics or at computed indices: WebGL can do
neither, so on GLSL the interpreter runs them.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from tests.chainer.cases import Case, check, normal, params, planted, uniform

FC = (8, 16)
CONV = (4, 3, 8, 8)
# sin, cos, exp, log, pow and rsqrt are not correctly rounded on either target (nor in
# CUDA): a few ulp, and an absolute floor where the result passes through zero.
TRANSCENDENTAL = {"rtol": 1e-5, "atol": 1e-6}
ATOMIC = {"rtol": 1e-5, "atol": 1e-6}  # atomics add in any order
SUMS = {"rtol": 1e-5, "atol": 1e-6}  # sums of products, added in another order than NumPy's


def _signed(r, shape, low=0.5, high=2.0):
    """Magnitudes in [low, high), either sign: divisors."""
    sign = np.where(r.random(shape) < 0.5, -1, 1).astype(np.float32)
    return uniform(r, shape, low, high) * sign


def _ties(r, shape):
    """Two arrays equal in about a quarter of their elements (maximum/minimum's ties)."""
    x1, x2 = normal(r, shape), normal(r, shape)
    tie = r.random(shape) < 0.25
    x2[tie] = x1[tie]
    return x1, x2


def _x_gy(r, shape=FC, scale=1.0):
    return normal(r, shape, scale), normal(r, shape)


# basic_math: |x|, x0 / x1 (x1 broadcast over the rows), c / x, x0 ** x1, x ** c, c ** x


def abs_bwd_args(r):
    return planted(normal(r, FC), 0.0, -0.0), normal(r, FC)


def abs_bwd(x, gy):
    return (np.sign(x) * gy).astype(x.dtype)


def div_bwd_args(r):
    return normal(r, FC), _signed(r, FC[1:]), normal(r, FC)


def div_bwd(x0, x1, gy):
    gx0 = gy / x1
    return gx0, -gx0 * x0 / x1


def div_from_const_bwd_args(r):
    return _signed(r, CONV), normal(r, CONV), np.float32(3.0)


def div_from_const_bwd(x, gy, value):
    return -value * gy / (x**2)


def pow_var_var_bwd_args(r):
    x0, x1 = uniform(r, FC, 0.5, 2.0), uniform(r, FC, -2.0, 2.0)
    return x0, x1, normal(r, FC), x0**x1


def pow_var_var_bwd(x0, x1, gy, y):
    one = x1.dtype.type(1)
    return x1 * (x0 ** (x1 - one)) * gy, np.log(x0) * y * gy


def square_bwd_args(r):
    """`x ** 2` on any x: CUDA's pow(x, 1) is exact for a negative x (integral exponent)."""
    return planted(normal(r, FC, 2.0), 0.5, -2.0), normal(r, FC), np.float32(2.0)


def sqrt_bwd_args(r):
    return uniform(r, FC, 0.1, 3.0), normal(r, FC), np.float32(0.5)


def pow_var_const_bwd(x, gy, value):
    return (value * (x ** (value - 1)) * gy).astype(x.dtype)


def pow_const_var_bwd_args(r):
    x, gy = _x_gy(r)
    return np.float32(2.0) ** x, gy, np.float32(2.0)


def pow_const_var_bwd(y, gy, value):
    return y.dtype.type(math.log(value)) * y * gy


# batch_l2_norm_squared: each sample's squared norm (x reshaped to (N, -1), reduced along
# axis 1); the gradient gets gy reshaped to (-1, 1, 1, 1), broadcast over a sample


def l2normsquared_args(r):
    x = normal(r, CONV)
    return (x.reshape(len(x), -1),)


def l2normsquared(x):
    return (x * x).sum(axis=1)


def l2normsquared_bwd_args(r):
    return normal(r, CONV), normal(r, (4,)).reshape(-1, 1, 1, 1)


def l2normsquared_bwd(x, gy):
    return 2 * x * gy


# clip: `cond` is the bool array `(x_min <= x) * (x <= x_max)`


def clip_bwd_args(r):
    x = planted(normal(r, CONV), -1.0, 1.0)
    return normal(r, CONV), (-1.0 <= x) * (x <= 1.0)


def clip_bwd(gy, cond):
    return (gy * cond).astype(gy.dtype)


# linear_interpolate: z = p x + (1 - p) y, p in [0, 1]


def linear_interpolate_args(r, with_gz=False):
    gz = (normal(r, FC),) if with_gz else ()
    return uniform(r, FC, 0, 1), normal(r, FC), normal(r, FC), *gz


def linear_interpolate(p, x, y):
    return p * x + (np.float32(1) - p) * y


def linear_interpolate_bwd(p, x, y, gz):
    pg = p * gz
    return (x - y) * gz, pg, gz - pg


# maximum/minimum: ties go to x1 (`x1 >= x2`, `x1 <= x2`); maximum's gradient gets the
# retained bool `cond`


def maximum_bwd_args(r):
    x1, x2 = _ties(r, FC)
    return x1 >= x2, normal(r, FC)


def maximum_bwd(cond, gy):
    zero = gy.dtype.type(0)
    return np.where(cond, gy, zero), np.where(cond, zero, gy)


def minimum_bwd_args(r):
    return *_ties(r, CONV), normal(r, CONV)


def minimum_bwd1(x1, x2, gy):
    return (gy * (x1 <= x2)).astype(gy.dtype)


def minimum_bwd2(x1, x2, gy):
    return (gy * (x1 > x2)).astype(gy.dtype)


# trigonometric


def arcsin_args(r):
    return uniform(r, FC, -0.95, 0.95), normal(r, FC)


def arcsin_bwd(x, gy):
    return np.reciprocal(np.sqrt(1 - np.square(x))) * gy


def arctan2_bwd_args(r):
    return normal(r, CONV), _signed(r, CONV), normal(r, CONV)


def arctan2_bwd(x1, x2, gy):
    sqnorm = x1**2 + x2**2
    return x2 / sqnorm * gy, -x1 / sqnorm * gy


ELEMENTARY = [
    Case("abs_bwd", abs_bwd_args, abs_bwd),
    Case("div_bwd", div_bwd_args, div_bwd),
    Case("div_from_const_bwd", div_from_const_bwd_args, div_from_const_bwd),
    Case("pow_var_var_bwd", pow_var_var_bwd_args, pow_var_var_bwd, **TRANSCENDENTAL),
    Case("pow_var_const_bwd", square_bwd_args, pow_var_const_bwd, tag="square", **TRANSCENDENTAL),
    Case("pow_var_const_bwd", sqrt_bwd_args, pow_var_const_bwd, tag="sqrt", **TRANSCENDENTAL),
    Case("pow_const_var_bwd", pow_const_var_bwd_args, pow_const_var_bwd, **TRANSCENDENTAL),
    Case("l2normsquared", l2normsquared_args, l2normsquared, reduction={"axis": 1}, **SUMS),
    Case("l2normsquared_bwd", l2normsquared_bwd_args, l2normsquared_bwd),
    Case("clip_bwd", clip_bwd_args, clip_bwd),
    Case("linear_interpolate_fwd", linear_interpolate_args, linear_interpolate, atol=1e-6),
    Case(
        "linear_interpolate_bwd",
        lambda r: linear_interpolate_args(r, with_gz=True),
        linear_interpolate_bwd,
        atol=1e-6,
    ),
    Case("maximum_bwd1", maximum_bwd_args, maximum_bwd),
    Case("minimum_bwd1", minimum_bwd_args, minimum_bwd1),
    Case("minimum_bwd2", minimum_bwd_args, minimum_bwd2),
    Case("sin_bwd", lambda r: _x_gy(r, scale=2.0), lambda x, gy: np.cos(x) * gy, **TRANSCENDENTAL),
    Case("cos_bwd", lambda r: _x_gy(r, scale=2.0), lambda x, gy: -np.sin(x) * gy, **TRANSCENDENTAL),
    Case("arcsin_bwd", arcsin_args, arcsin_bwd, **TRANSCENDENTAL),
    Case("arccos_bwd", arcsin_args, lambda x, gy: -arcsin_bwd(x, gy), **TRANSCENDENTAL),
    Case("arctan_bwd", lambda r: _x_gy(r, scale=3.0), lambda x, gy: gy / (np.square(x) + 1)),
    Case("arctan2_bwd", arctan2_bwd_args, arctan2_bwd),
]


# Special functions: float64 references from the standard library, rounded to float32.
# CUDA documents erff within 2 ulp, erfinvf 2, erfcxf 4, normcdfinvf 5.
_NORMAL = statistics.NormalDist()
_SQRT2 = math.sqrt(2.0)


def _rounded(fn):
    """`fn` of one float, applied to a float32 array in float64 and rounded back."""
    return lambda x: np.vectorize(fn, otypes=[np.float64])(x.astype(np.float64)).astype(x.dtype)


def erfinv(y: float) -> float:
    return _NORMAL.inv_cdf((1 + y) / 2) / _SQRT2


def erfcinv(z: float) -> float:
    return -_NORMAL.inv_cdf(z / 2) / _SQRT2


def erfcx(x: float) -> float:
    return math.exp(x * x) * math.erfc(x)


def log_ndtr(x: float) -> float:
    return math.log(0.5 * math.erfc(-x / _SQRT2))


def log_ndtr_args(r):
    """log_ndtr goes through erfcx below 0 so that the far left tail stays finite."""
    return (planted(normal(r, FC, 3.0), -10.0, -20.0),)


def _special(kernel, args, fn):
    return Case(kernel, args, _rounded(fn), **TRANSCENDENTAL)


SPECIAL = [
    _special("elementwise_erf", lambda r: (normal(r, FC, 1.5),), math.erf),
    _special("elementwise_erfc", lambda r: (normal(r, FC, 1.5),), math.erfc),
    _special("elementwise_erfinv", lambda r: (uniform(r, FC, -0.99, 0.99),), erfinv),
    _special("elementwise_erfcinv", lambda r: (uniform(r, FC, 0.01, 1.99),), erfcinv),
    _special("elementwise_erfcx", lambda r: (uniform(r, FC, -2.0, 8.0),), erfcx),
    _special("elementwise_ndtr", lambda r: (normal(r, FC, 2.0),), _NORMAL.cdf),
    _special("elementwise_ndtri", lambda r: (uniform(r, FC, 0.001, 0.999),), _NORMAL.inv_cdf),
    _special("elementwise_log_ndtr", log_ndtr_args, log_ndtr),
]


# sparse_matmul: A (M, K) sparse, B (K, N) dense, 2-D or batched (nb leading).
M, K, N, LDNZ = 6, 5, 7, 16


def _coo(r, nb: int):
    """A dense (nb, M, K) matrix with at most LDNZ non-zeros a batch, and its COO form in
    row-major order padded with -1, like `CooMatrix`."""
    dense = normal(r, (nb, M, K))
    data = np.zeros((nb, LDNZ), np.float32)
    row, col = np.full((2, nb, LDNZ), -1, np.int32)
    for b in range(nb):
        rows, cols = np.nonzero(r.random((M, K)) < 0.4)
        rows, cols = rows[:LDNZ], cols[:LDNZ]
        kept = np.zeros((M, K), bool)
        kept[rows, cols] = True
        dense[b][~kept] = 0
        n = len(rows)
        data[b, :n], row[b, :n], col[b, :n] = dense[b, rows, cols], rows, cols
    return dense, data, row, col


def coo_matmul_args(r, nb=None):
    """`_coo_matmul_gpu` with A_order 'C': `chunk = max(ldnz // m, 1)` entries a thread."""
    _, data, row, col = _coo(r, nb or 1)
    B = normal(r, (nb or 1, K, N))
    C = np.zeros((nb or 1, M, N), np.float32)
    chunk = max(LDNZ // M, 1)
    if nb is None:
        data, row, col, B, C = data[0], row[0], col[0], B[0], C[0]
    return nb or 1, M, N, K, LDNZ, chunk, data, row, col, B, C


def coo_matmul_size(args):
    nb, _, n, _, ldnz, chunk = args[:6]
    return (nb * ldnz + chunk - 1) // chunk * n


def coo_matmul(nb, m, n, k, ldnz, chunk, data, row, col, B, C):
    """Chainer's CPU `_coo_matmul_cpu`: A made dense from its COO entries, times B."""
    A = np.zeros((nb, m, k), np.float32)
    b = np.repeat(np.arange(nb), ldnz).reshape(row.shape)
    kept = row >= 0
    np.add.at(A, (b[kept], row[kept], col[kept]), data[kept])
    return np.matmul(A.reshape(C.shape[:-2] + (m, k)), B)


def coo_gradsp_args(r, nb=None):
    """`_coo_matmul_gradsp_gpu`: dense A times dense B, at C's sparsity pattern."""
    _, _, row, col = _coo(r, nb or 1)
    A, B = normal(r, (nb or 1, M, K)), normal(r, (nb or 1, K, N))
    C_data = np.zeros((nb or 1, LDNZ), np.float32)
    if nb is None:
        A, B, row, col, C_data = A[0], B[0], row[0], col[0], C_data[0]
    return nb or 1, M, N, K, LDNZ, A, B, row, col, C_data


def coo_gradsp(nb, m, n, k, ldnz, A, B, row, col, C_data):
    """Chainer's CPU `_coo_matmul_gradsp_cpu`: C = A B read at (row, col) where row >= 0."""
    C = np.matmul(A, B).reshape(nb, m, n)
    out = C_data.reshape(nb, ldnz)
    for b, (rb, cb) in enumerate(zip(row.reshape(nb, -1), col.reshape(nb, -1))):
        nnz = int((rb >= 0).sum())
        out[b, :nnz] = C[b, rb[:nnz], cb[:nnz]]
    return C_data


SPARSE = [
    Case(
        "coo_matmul",
        coo_matmul_args,
        coo_matmul,
        tag="2d",
        size=coo_matmul_size,
        glsl_fallback=True,
        **ATOMIC,
    ),
    Case(
        "coo_matmul",
        lambda r: coo_matmul_args(r, nb=3),
        coo_matmul,
        tag="batched",
        size=coo_matmul_size,
        glsl_fallback=True,
        **ATOMIC,
    ),
    Case(
        "coo_matmul_gradsp",
        coo_gradsp_args,
        coo_gradsp,
        tag="2d",
        size=lambda args: args[0] * args[4],  # nb * ldnz
        glsl_fallback=True,
        **SUMS,
    ),
    Case(
        "coo_matmul_gradsp",
        lambda r: coo_gradsp_args(r, nb=3),
        coo_gradsp,
        tag="batched",
        size=lambda args: args[0] * args[4],
        glsl_fallback=True,
        **SUMS,
    ),
]


@pytest.mark.parametrize("case", params(ELEMENTARY))
def test_math_kernel(case, target):
    check(target, case)


@pytest.mark.parametrize("case", params(SPECIAL))
def test_special_function(case, target):
    check(target, case)


@pytest.mark.parametrize("case", params(SPARSE))
def test_sparse_matmul(case, target):
    check(target, case)
