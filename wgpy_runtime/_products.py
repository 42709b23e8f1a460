"""How one matrix product `result = a @ b` is launched, for operands viewed as (batch...,
M, K) and (batch..., K, N) over `result`'s batch shape.

* A long K (at least `MIN_K`) with both operands contiguous along K, for few outputs (at
  most `DOT_OUTPUTS`) or a matrix-vector product: one dot-product reduction per output (a
  ReductionKernel over K). It spreads each output over many workgroups where a matrix
  product program would leave all but a few invocations idle, and reads a matrix once
  where a tile would compute 63 idle rows or columns for each useful one. (An operand
  strided along K would be read one element per cache line; those take the next rule.)
* float64 under the exact 64-bit policy, from `SPLIT_MULTIPLY_ADDS` multiply-adds per
  product on: exact float32 products of its slices (`_split_products`), where every
  emulated float64 multiply-add would cost a hundred integer operations. On an H100
  (docs/dtypes.md) the folded products of WGSL beat walking K from 1024^3 on, the
  float32 ones of GLSL from 4096^3.
* Otherwise kernelc's tiled matmul programs (`_matmul`) for float dtypes, or one simple
  kernel (each output element walks K) for integers, bool, smaller float64 products under
  the exact policy, and batch shapes the programs do not take.

Rule: no launch walks more than `MAX_K` of K in one invocation. Every program walks K
serially, and Mesa's software drivers stop an invocation's loops after 65,535 iterations
(docs/testing.md), so a longer K is split into chunks (`split_k`): the chunks are a new
leading batch axis of the operands' views, their partial products are summed by a
reduction. Products with few outputs are split further, so a real GPU has enough
invocations to keep busy. Reductions have no such limit (`kernelc.abi.reduction`).
"""

from __future__ import annotations

import functools

import numpy as np

from . import _dtypes, _matmul, _split_products
from .kernel import ElementwiseKernel, ReductionKernel
from .ndarray import ndarray
from .reductions import sum as sum_

# At most MAX_K of K per launch (GLSL walks K one RGBA texel of four at a time, WGSL 8 or
# 16 at a time: far below the cap); below TARGET_OUTPUTS outputs, split further while
# chunks keep at least MIN_K (a chunk's partial costs one store per output, against MIN_K
# multiply-adds). TARGET_OUTPUTS is 256 workgroups of 64x64 tiles, about two for each of
# an H100's 132 SMs: at batch 64 ResNet-18's third-stage weight gradients (256 x 2304
# outputs over a K of 4096) ran as 144 workgroups walking all of K, its last stage's
# forward products (1024 x 512 over 4608) as 128.
MAX_K = 65536
MIN_K = 2048
TARGET_OUTPUTS = 256 * 64 * 64
DOT_OUTPUTS = 256  # up to this many outputs (or a vector of them), a reduction over K
# Multiply-adds per float64 product from which it splits into float32 products (None:
# never), with the products folded into int32 (WGSL) and without (GLSL). On an H100
# (tools/profile_split_products.py, 2026-12-07) walking K ran at 0.18 TFLOP/s; the folded
# split at 0.31 at 1024^3, 0.66 at 2048^3 and 0.84 at 4096^3; unfolded at 0.11 at 1024^3
# and 0.27 at 4096^3.
SPLIT_MULTIPLY_ADDS: int | None = 1024**3
UNFOLDED_SPLIT_MULTIPLY_ADDS = 4096**3


def accumulator(dtype: np.dtype) -> str:
    """The C type products of `dtype` are accumulated in."""
    if dtype.itemsize == 8 and _dtypes.exact64():  # 64-bit products sum in 64 bits
        return _dtypes.ctype(dtype)
    if dtype.kind == "f":
        return "float"
    return "int" if dtype.kind in "bi" else "unsigned int"


@functools.cache
def _simple_kernel(dtype: np.dtype) -> ElementwiseKernel:
    ct, acc = _dtypes.ctype(dtype), accumulator(dtype)
    return ElementwiseKernel(
        f"raw {dtype.name} a, raw {dtype.name} b, int32 n, int32 k, int32 m",
        f"{dtype.name} y",
        f"int bi = (int)(i / (n * m));\nint r = (int)(i / m) % n;\nint c = (int)(i % m);\n"
        f"{acc} s = 0;\nfor (int t = 0; t < k; t++) {{\n"
        f"  s += ({acc})a[(bi * n + r) * k + t] * ({acc})b[(bi * k + t) * m + c];\n}}\n"
        f"y = ({ct})s;",
        "wp_matmul",
    )


@functools.cache
def _dot_kernel(dtype: np.dtype) -> ReductionKernel:
    acc = accumulator(dtype)
    return ReductionKernel(
        f"{dtype.name} a, {dtype.name} b",
        f"{dtype.name} y",
        f"({acc})a * ({acc})b",
        "a + b",
        f"y = ({_dtypes.ctype(dtype)})a",
        "0",
        "wp_dot",
        reduce_type=acc,
    )


def launch(a: ndarray, b: ndarray, result: ndarray) -> None:
    """result[...] = a @ b for a fresh C-contiguous `result` of the operands' dtype."""
    k = a.shape[-1]
    along_k = abs(a._strides[-1]) <= 1 and abs(b._strides[-2]) <= 1
    few = result.size <= DOT_OUTPUTS or 1 in result.shape[-2:]
    if k >= MIN_K and along_k and few:
        _dot(a, b, result)
    elif _splits(a, b, result):
        _split_products.matmul(a, b, result)
    else:
        split_k(a, b, result)


def _splits(a: ndarray, b: ndarray, result: ndarray) -> bool:
    """Whether the product runs as float32 products of float64 slices."""
    if SPLIT_MULTIPLY_ADDS is None or result.dtype != np.float64 or not _dtypes.exact64():
        return False
    least = SPLIT_MULTIPLY_ADDS
    if not _split_products.folds(result.device):
        least = max(least, UNFOLDED_SPLIT_MULTIPLY_ADDS)
    return a.shape[-2] * a.shape[-1] * b.shape[-1] >= least


def _dot(a: ndarray, b: ndarray, result: ndarray) -> None:
    """Each output reduces the products along K: `a` viewed as (batch..., M, 1, K), `b` as
    (batch..., 1, N, K)."""
    sa, sb = a._strides, b._strides
    rows = ndarray._view(a._buf, (*a.shape[:-1], 1, a.shape[-1]), (*sa[:-1], 0, sa[-1]), a._offset)
    cols = ndarray._view(
        b._buf,
        (*b.shape[:-2], 1, b.shape[-1], b.shape[-2]),
        (*sb[:-2], 0, sb[-1], sb[-2]),
        b._offset,
    )
    _dot_kernel(result.dtype)(rows, cols, out=result, axis=-1)


def _one_launch(a: ndarray, b: ndarray, out: ndarray) -> None:
    if not (_matmul.supported(out.dtype) and _matmul.tiled_matmul(a, b, out)):
        n, k, m = a.shape[-2], a.shape[-1], b.shape[-1]
        _simple_kernel(out.dtype)(a, b, n, k, m, out)


def k_splits(outputs: int, k: int) -> int:
    """Launches that share the K axis of a product with `outputs` output elements."""
    by_length = -(-k // MAX_K)
    by_parallelism = min(k // MIN_K, -(-TARGET_OUTPUTS // max(outputs, 1)))
    return max(1, by_length, by_parallelism)


def _k_chunks(v: ndarray, axis: int, chunk: int, count: int) -> ndarray:
    """`count` consecutive chunks of `chunk` along `axis` of `v` as a leading axis (a view)."""
    shape, strides = list(v.shape), list(v._strides)
    shape[axis] = chunk
    return ndarray._view(v._buf, [count, *shape], [chunk * strides[axis], *strides], v._offset)


def _k_tail(v: ndarray, axis: int, start: int) -> ndarray:
    """`v` from position `start` on along `axis` (a view)."""
    shape = list(v.shape)
    shape[axis] -= start
    return ndarray._view(v._buf, shape, v._strides, v._offset + start * v._strides[axis])


def split_k(a: ndarray, b: ndarray, result: ndarray) -> None:
    """result[...] = a @ b in `k_splits` launches over chunks of K, their partial products
    summed (one launch when K is short)."""
    k = a.shape[-1]
    splits = k_splits(result.size, k)
    if splits == 1:
        _one_launch(a, b, result)
        return
    chunk = -(-k // splits)
    full, tail = divmod(k, chunk)
    partial = ndarray((full + (tail > 0), *result.shape), result.dtype, device=result.device)
    _one_launch(_k_chunks(a, -1, chunk, full), _k_chunks(b, -2, chunk, full), partial[:full])
    if tail:
        _one_launch(_k_tail(a, -1, full * chunk), _k_tail(b, -2, full * chunk), partial[full])
    sum_(partial, axis=0, dtype=result.dtype, out=result)
