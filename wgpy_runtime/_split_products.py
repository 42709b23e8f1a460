"""float64 matrix products under the exact 64-bit policy as exact float32 products (the
Ozaki scheme): `result = a @ b` for operands viewed as (batch..., M, K) and
(batch..., K, N), K at least 1.

Each row of `a` is scaled by 2^-E (E: the exponent of its largest |a|, so |a| 2^-E < 1)
and cut into `s` slices of `beta` bits each: slice t of x is the integer
trunc(x 2^(beta (t+1) - E)) - 2^beta trunc(x 2^(beta t - E)), |v| < 2^beta, with x's
sign, held exactly as a float32. Columns of `b` likewise (exponent F). `beta` is the
widest that keeps every float32 product of two slices exact whatever the summation
order: K (2^beta - 1)^2 <= 2^24; a longer K is cut into chunks (`MAX_CHUNK`) whose
results are summed. Slice products A_i @ B_j run as kernelc's float32 tiled matmul
for i + j < s only (s (s+1) / 2 products, launched as s wider ones: A_i @ [B_0 ...
B_{s-1-i}]); one kernel sums each anti-diagonal i + j = d exactly in int32, gathers
neighbouring sums exactly in int64 (D_d 2^(beta (g - d)) for the diagonals d <= g of a
group, `group_size`), adds the groups' values in float64 from the largest and scales by
2^(E + F - 2 beta).

Error, per output and chunk of length k (u = 2^-53, gamma(n) = n u / (1 - n u)): the
dropped products (i + j >= s) and the truncated slices leave s + 1 parts per term, each
below 2^(-beta s) in the scaled units, and the combination rounds g - 1 times (g groups:
2 for beta 8, s 7), so

    |error| <= gamma(g - 1) sum_k |a_ik b_kj| + (s + 1) 2^(-beta s) k 2^(E_i + F_j)

summed over the chunks, plus one rounding per further chunk and 2^-1075 per chunk
where the result is subnormal. `s` is the least with (s + 1) 2^(-beta s) <= u, so the
second term is at most u k 2^(E+F) <= 4 u k max_k |a_ik| max_k |b_kj|: a float64 dot
product's worst-case bound with each |a_ik b_kj| replaced by its row's and column's
maxima. Operands whose magnitudes vary across rows of `a` and columns of `b` keep the
error within c 2^-52 sum_k |a_ik b_kj| with c below 1 as observed (NumPy's dgemm: 0.5 to
1; the tests hold c to 2). Integer-valued operands whose rows and columns span at most
`beta s` bits give exact results.

Rule: an output takes the split only where that bound is a dot product's: its row of `a`
and column of `b` are finite, and T = sum_k |a_ik b_kj| 2^-(E_i + F_j) (a float32 product
of the scaled magnitudes, `MIN_SCALED_SUM` or more with float32's rounding allowed for)
is at least 1, so the second term is at most u k sum_k |a_ik b_kj| and the whole error
at most gamma(k + s) sum_k |a_ik b_kj|, the bound of a float64 dot product. Any other
output (a NaN or an Inf, whose result is then NumPy's; magnitudes that vary along K, as
in A D @ D^-1 B, whose small terms the maxima would hide; an all-zero row) walks K in
float64 inside the same combining kernel. Zeros are +0.0.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _matmul
from .kernel import ElementwiseKernel, ReductionKernel
from .ndarray import ndarray

# float32 holds integers exactly up to 2^24: every partial sum of a slice product stays there.
EXACT_F32 = 1 << 24
U = 53  # float64's precision: the truncation error is held below 2^-U of the scale
# The longest K a chunk takes (beta 8: 7 slices, 28 products); longer K pay more products
# per multiply-add (beta 7: 45), shorter ones no fewer (beta 9: 28) and more launches.
MAX_CHUNK = 258
# The slice products of one column block hold at most this many float32 (and no more than
# the device's largest buffer); wider products run in column blocks. A call makes the
# buffer once (`_products_buffer`) and its blocks share it.
MAX_PRODUCT_ELEMENTS = 1 << 27
# The least scaled sum of |a b| an output takes the split with: 1, doubled for the float32
# product that computes it (relative error below k 2^-24 for chunks of MAX_CHUNK).
MIN_SCALED_SUM = 2.0


@functools.cache
def plan(k: int) -> tuple[int, int]:
    """(beta, s) for a chunk of length `k`: the widest exact slices, and the fewest of
    them that hold the truncation error below 2^-U."""
    beta = 1
    while k * (2 ** (beta + 1) - 1) ** 2 <= EXACT_F32:
        beta += 1
    s = 1
    while (s + 1) * 2.0 ** (-beta * s) > 2.0**-U:
        s += 1
    return beta, s


def group_size(k: int, beta: int, s: int) -> int:
    """Diagonal sums the combining kernel gathers exactly in int64 before one float64
    conversion: |D_d| <= (d + 1) k (2^beta - 1)^2 <= s 2^24, so a group of j + 1 sums stays
    below s 2^24 2^(beta j + 1) <= 2^53, a float64's exact integers."""
    bound = s * k * (2**beta - 1) ** 2  # the largest |D_d|
    j = 0
    while 2 * bound * 2 ** (beta * (j + 1)) <= 2**53:
        j += 1
    return j + 1


def products(k: int) -> int:
    """How many float32 slice products (i + j < s) a product with shared axis `k` runs."""
    chunk = _chunk_length(k)
    full, tail = divmod(k, chunk)
    counts = [plan(chunk)[1]] * full + ([plan(tail)[1]] if tail else [])
    return sum(s * (s + 1) // 2 for s in counts)


def _chunk_length(k: int) -> int:
    """Chunks of at most `MAX_CHUNK`, as equal as they can be."""
    return -(-k // -(-k // MAX_CHUNK))


@functools.cache
def _absmax() -> ReductionKernel:
    # a NaN wins whichever side it is on, so a row holding one is not finite
    return ReductionKernel(
        "float64 x",
        "float64 y",
        "fabs(x)",
        "(a != a || a > b) ? a : b",
        "y = a",
        "0",
        "wp_split_absmax",
    )


@functools.cache
def _slicer() -> ElementwiseKernel:
    """Slice t = (i / inner) % s of x scaled by its row's (or column's) maximum m."""
    return ElementwiseKernel(
        "float64 x, float64 m, int32 inner, int32 s, int32 beta",
        "float32 v",
        "int e = 0;\nfrexp(m, &e);\nint t = (int)((i / inner) % s);\n"
        "double y = trunc(ldexp(x, beta * (t + 1) - e));\n"
        "double high = ldexp(trunc(ldexp(y, -beta)), beta);\n"
        "v = isfinite(m) ? (float)(y - high) : 0.0f;",
        "wp_split_slices",
    )


@functools.cache
def _magnitudes() -> ElementwiseKernel:
    """|x| scaled by its row's (or column's) maximum m, as a float32 in [0, 1)."""
    return ElementwiseKernel(
        "float64 x, float64 m",
        "float32 v",
        "int e = 0;\nfrexp(m, &e);\nv = isfinite(m) ? (float)ldexp(fabs(x), -e) : 0.0f;",
        "wp_split_magnitudes",
    )


# Pair (u, d - u) of a row of outputs lies at launch u's offset `rows * n * (u s - u (u-1)/2)`
# in `p`, row-major over (rows, s - u, n).
_COMBINE = """
int row = (int)(i / n);
int col = (int)(i % n);
double total = 0.0;
if (isfinite(ra) && isfinite(cb) && scaled >= min_scaled) {
  long long gathered = 0;
  for (int d = 0; d < s; d++) {
    int diagonal = 0;
    for (int u = 0; u <= d; u++) {
      int at = rows * n * (u * s - u * (u - 1) / 2) + (row * (s - u) + d - u) * n + col;
      diagonal += (int)p[at];
    }
    gathered = gathered * (1 << beta) + diagonal;
    if (d % group == group - 1 || d == s - 1) {
      total += ldexp((double)gathered, -beta * d);
      gathered = 0;
    }
  }
  int ea = 0;
  int eb = 0;
  frexp(ra, &ea);
  frexp(cb, &eb);
  total = ldexp(total, ea + eb - 2 * beta);
} else {
  int bi = row / m;
  int r = row % m;
  for (int t = 0; t < k; t++) {
    total += a[(bi * m + r) * k + t] * b[(bi * k + t) * n + col];
  }
}
y = prev + total;
"""


@functools.cache
def _combiner() -> ElementwiseKernel:
    return ElementwiseKernel(
        "raw float32 p, float64 ra, float64 cb, float32 scaled, raw float64 a, raw float64 b, "
        "float64 prev, float32 min_scaled, int32 s, int32 beta, int32 group, int32 rows, "
        "int32 m, int32 k, int32 n",
        "float64 y",
        _COMBINE,
        "wp_split_combine",
    )


def matmul(a: ndarray, b: ndarray, result: ndarray) -> None:
    """result[...] = a @ b (float64, K >= 1) chunk by chunk of K, each chunk's product
    added to the previous ones' by its combining kernel."""
    k = a.shape[-1]
    chunk = _chunk_length(k)
    scratch: list[ndarray] = []  # one buffer of slice products for every block
    for start in range(0, k, chunk):
        end = start + chunk  # the last chunk's slice stops at K
        _chunk(a[..., start:end], b[..., start:end, :], result, start > 0, scratch)


def _products_buffer(scratch: list, size: int, device) -> ndarray:
    """`size` float32 of the call's one products buffer (made at the first block: the
    first chunk is the longest, so no later block needs more)."""
    if not scratch or scratch[0].size < size:
        scratch[:] = [ndarray((size,), np.float32, device=device)]
    return scratch[0][:size]


def _chunk(a: ndarray, b: ndarray, result: ndarray, accumulate: bool, scratch: list) -> None:
    beta, s = plan(a.shape[-1])
    ra = _absmax()(a, axis=-1)[..., None]  # each row's maximum, beside the row
    sa = _slices(a, ra, (s, *a.shape), a.size, s, beta)
    ma = _scaled_magnitudes(a, ra)
    *batch, m, n = result.shape
    rows = math.prod(batch) * m
    limit = min(
        MAX_PRODUCT_ELEMENTS, _matmul.buffer_elements(result.device) or MAX_PRODUCT_ELEMENTS
    )
    block = max(1, min(n, limit // (rows * s * (s + 1) // 2)))
    for start in range(0, n, block):
        end = start + block
        p = _products_buffer(scratch, rows * min(block, n - start) * s * (s + 1) // 2, a.device)
        _block(a, sa, ma, ra, b[..., start:end], result[..., start:end], p, accumulate, beta, s)


def _slices(x: ndarray, m: ndarray, shape, inner: int, s: int, beta: int) -> ndarray:
    v = ndarray(shape, np.float32, device=x.device)
    _slicer()(x, m, inner, s, beta, v)
    return v


def _scaled_magnitudes(x: ndarray, m: ndarray) -> ndarray:
    v = ndarray(x.shape, np.float32, device=x.device)
    _magnitudes()(x, m, v)
    return v


def _block(a, sa, ma, ra, b, out, p, accumulate: bool, beta: int, s: int) -> None:
    """out[...] (+)= a @ b for one block of columns of `b`, `a` already sliced into `sa`,
    its scaled magnitudes in `ma` and its rows' maxima in `ra` (batch..., M, 1); `p`
    holds the slice products."""
    *batch, k, n = b.shape
    cb = _absmax()(b, axis=-2)[..., None, :]  # each column's maximum, above the column
    scaled = ndarray(out.shape, np.float32, device=out.device)
    mb = _scaled_magnitudes(b, cb)
    if not _matmul.tiled_matmul(ma, mb, scaled):
        raise AssertionError("contiguous magnitudes always merge their batch axes")
    # (batch..., K, s, N): the first s - i slices side by side are one (K, (s-i) N) view
    sb = _slices(b[..., None, :], cb.reshape(*batch, 1, 1, n), (*batch, k, s, n), n, s, beta)
    rows = math.prod(out.shape[:-1])
    for i in range(s):
        _slice_product(sa, sb, p, i, s, rows)
    m = a.shape[-2]
    prev = out if accumulate else 0.0
    _combiner()(
        p,
        ra,
        cb,
        scaled,
        a,
        b,
        prev,
        MIN_SCALED_SUM,
        s,
        beta,
        group_size(k, beta, s),
        rows,
        m,
        k,
        n,
        out,
    )


def _slice_product(sa: ndarray, sb: ndarray, p: ndarray, i: int, s: int, rows: int) -> None:
    """A_i @ [B_0 ... B_{s-1-i}] into its place in `p`."""
    *batch, k, _, n = sb.shape
    width = (s - i) * n
    bcat = ndarray._view(sb._buf, (*batch, k, width), sb._strides[:-3] + (s * n, 1), sb._offset)
    m = sa.shape[-2]
    offset = rows * n * (i * s - i * (i - 1) // 2)
    strides = tuple(math.prod((*batch, m, width)[d + 1 :]) for d in range(len(batch) + 2))
    out = ndarray._view(p._buf, (*batch, m, width), strides, p._offset + offset)
    if not _matmul.tiled_matmul(sa[i], bcat, out):
        raise AssertionError("contiguous slice products always merge their batch axes")
