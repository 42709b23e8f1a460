"""float64 matrix products under the exact 64-bit policy as exact float32 products (the
Ozaki scheme): `result = a @ b` for operands viewed as (batch..., M, K) and
(batch..., K, N), K at least 1.

Each row of `a` is scaled by 2^-E (E: the exponent of its largest |a|, so |a| 2^-E < 1)
and cut into `s` slices of `beta` bits each: slice t of x is the integer
trunc(x 2^(beta (t+1) - E)) - 2^beta trunc(x 2^(beta t - E)), |v| < 2^beta, with x's
sign, held exactly as a float32. Columns of `b` likewise (exponent F). Slice products
A_i @ B_j run as kernelc's tiled matmul for i + j < s only (s (s+1) / 2 products,
launched as s wider ones: A_i @ [B_0 ... B_{s-1-i}]), exact in one of two forms:

* float32 sums (GLSL): `beta` is the widest that keeps every float32 sum of a chunk of
  length k exact whatever the summation order, k (2^beta - 1)^2 <= 2^24, so K is cut
  into chunks of at most `MAX_CHUNK` = 258 (beta 8, s 7).
* folded sums (WGSL, `FOLDED_PRODUCTS`): the program adds its float32 sums into int32
  ones after at most `FOLD_RUN` products (`_matmul.folded_matmul`) and writes int32. A
  chunk of at most `MAX_CHUNK` keeps the plan above (its float32 sums are exact whole,
  so its results are the float32 form's bit for bit); a longer one takes beta 8, s 7:
  258 products sum to at most 258 * 255^2 = 16,776,450 <= 2^24 (the program folds every
  256, a whole number of its K steps), and the combining kernel's int32 diagonal of s
  products to at most s k 255^2 <= 2^31 - 1 for k up to `MAX_FOLDED_CHUNK` = 4717
  (7 * 4717 * 255^2 = 2,147,060,475; 4718 would exceed 2^31 - 1). So K up to 4717 is one chunk, a
  longer K equal chunks of at most 4717.

The chunks' results are summed in float64. Per chunk, one kernel sums each anti-diagonal
i + j = d exactly in int32, gathers neighbouring sums exactly in int64 (D_d 2^(beta (g -
d)) for the diagonals d <= g of a group, `group_size`), adds the groups' values in
float64 from the largest and scales by 2^(E + F - 2 beta).

Error, per output and chunk of length k (u = 2^-53, gamma(n) = n u / (1 - n u)): the
dropped products (i + j >= s) and the truncated slices leave s + 1 parts per term, each
below 2^(-beta s) in the scaled units, and the combination rounds g - 1 times (g groups:
for beta 8, s 7, 2 where k <= 589 and 3 up to 4717), so

    |error| <= gamma(g - 1) sum_k |a_ik b_kj| + (s + 1) 2^(-beta s) k 2^(E_i + F_j)

summed over the chunks, plus one rounding per further chunk and 2^-1075 per chunk
where the result is subnormal. Both forms give exact slice products, so only the
chunking differs between them (the folded one's fewer chunks round fewer times). `s` is
the least with (s + 1) 2^(-beta s) <= u, so the second term is at most u k 2^(E+F) <= 4
u k max_k |a_ik| max_k |b_kj|: a float64 dot product's worst-case bound with each |a_ik
b_kj| replaced by its row's and column's maxima. Operands whose magnitudes vary across
rows of `a` and columns of `b` keep the error within c 2^-52 sum_k |a_ik b_kj| with c
below 1 as observed (NumPy's dgemm: 0.5 to 1; the tests hold c to 2). Integer-valued
operands whose rows and columns span at most `beta s` bits give exact results.

Rule: an output takes the split only where that bound is a dot product's: its row of `a`
and column of `b` are finite, and T = sum_k |a_ik b_kj| 2^-(E_i + F_j) (a float32 product
of the scaled magnitudes, `MIN_SCALED_SUM` or more with float32's rounding allowed for)
is at least 1, so the second term is at most u k sum_k |a_ik b_kj| and the whole error,
over c chunks, at most gamma(K + c s) sum_k |a_ik b_kj|, the bound of a float64 dot
product of K + c s terms. Any other output (a NaN or an Inf, whose result is then
NumPy's; magnitudes that vary along K, as in A D @ D^-1 B, whose small terms the maxima
would hide; an all-zero row) walks K in float64 inside the same combining kernel. Zeros
are +0.0.
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
EXACT_I32 = (1 << 31) - 1  # int32's largest: a folded product's and a diagonal's sums
U = 53  # float64's precision: the truncation error is held below 2^-U of the scale
# The longest K a chunk of float32 sums takes (beta 8: 7 slices, 28 products); longer K
# pay more products per multiply-add (beta 7: 45), shorter ones no fewer (beta 9: 28) and
# more launches.
MAX_CHUNK = 258
# WGSL folds its float32 sums into int32 (False: float32 sums, as GLSL).
FOLDED_PRODUCTS = True
# The folded form's slices past MAX_CHUNK (plan(MAX_CHUNK)), the products whose float32
# sum stays exact with them (258), and the longest chunk whose diagonals of s products
# stay in int32 (4717).
FOLDED_BETA, FOLDED_SLICES = 8, 7
FOLD_RUN = EXACT_F32 // (2**FOLDED_BETA - 1) ** 2
MAX_FOLDED_CHUNK = EXACT_I32 // (FOLDED_SLICES * (2**FOLDED_BETA - 1) ** 2)
# The slice products of one column block hold at most this many elements (and no more than
# the device's largest buffer); wider products run in column blocks. A call makes the
# buffer once (`_products_buffer`) and its blocks share it.
MAX_PRODUCT_ELEMENTS = 1 << 27
# The least scaled sum of |a b| an output takes the split with: 1, doubled for the float32
# product that computes it (relative error below k 2^-24 < 2^-11 for chunks of
# MAX_FOLDED_CHUNK).
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


def chunk_plan(k: int, folded: bool) -> tuple[int, int]:
    """(beta, s) for a chunk of length `k`: `plan(k)`, or for a folded chunk past
    MAX_CHUNK the folded form's slices."""
    return (FOLDED_BETA, FOLDED_SLICES) if folded and k > MAX_CHUNK else plan(k)


def group_size(k: int, beta: int, s: int) -> int:
    """Diagonal sums the combining kernel gathers exactly in int64 before one float64
    conversion: |D_d| <= (d + 1) k (2^beta - 1)^2 <= B = s k (2^beta - 1)^2, so a group of
    j + 1 sums stays below B 2^(beta j + 1) <= 2^53, a float64's exact integers."""
    bound = s * k * (2**beta - 1) ** 2  # the largest |D_d|
    j = 0
    while 2 * bound * 2 ** (beta * (j + 1)) <= 2**53:
        j += 1
    return j + 1


def products(k: int, folded: bool = False) -> int:
    """How many slice products (i + j < s) a product with shared axis `k` runs."""
    chunk = chunk_length(k, folded)
    full, tail = divmod(k, chunk)
    counts = [chunk_plan(chunk, folded)[1]] * full
    counts += [chunk_plan(tail, folded)[1]] if tail else []
    return sum(s * (s + 1) // 2 for s in counts)


def chunk_length(k: int, folded: bool) -> int:
    """Chunks of at most `MAX_CHUNK` (folded: `MAX_FOLDED_CHUNK`), as equal as they can be."""
    longest = MAX_FOLDED_CHUNK if folded else MAX_CHUNK
    return -(-k // -(-k // longest))


def folds(device) -> bool:
    """Whether the device's slice products fold into int32 (WGSL's tile programs)."""
    return FOLDED_PRODUCTS and device.capabilities.workgroup_tiles


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
def _slicer(scatter: bool) -> ElementwiseKernel:
    """Slices of an operand scaled by its row's (or column's) maximum m (`_SLICE`).

    With `scatter` (a target whose invocations store anywhere), one pass over the
    elements writes each one's `s` slices, slice t at v[(i / inner) s inner + t inner +
    i % inner] (the slices side by side after every block of `inner` elements), and its
    scaled magnitude (`_MAGNITUDE`). Otherwise one invocation computes each slice, over
    the slices' own shape, slice t = (i / inner) % s, and `_magnitudes` the magnitudes."""
    if scatter:
        return ElementwiseKernel(
            "float64 x, float64 m, int32 inner, int32 s, int32 beta",
            "raw float32 v, float32 magnitude",
            "int e = 0;\nfrexp(m, &e);\nbool finite = isfinite(m);\n"
            "int at = (int)((i / inner) * s * inner + i % inner);\n"
            "for (int t = 0; t < s; t++) {\n"
            "    v[at + t * inner] = finite ? wp_slice(x, e, t, beta) : 0.0f;\n}\n"
            f"magnitude = {_MAGNITUDE};",
            "wp_split_slices",
            preamble=_SLICE,
        )
    return ElementwiseKernel(
        "float64 x, float64 m, int32 inner, int32 s, int32 beta",
        "float32 v",
        "int e = 0;\nfrexp(m, &e);\n"
        "v = isfinite(m) ? wp_slice(x, e, (int)((i / inner) % s), beta) : 0.0f;",
        "wp_split_slice",
        preamble=_SLICE,
    )


@functools.cache
def _magnitudes() -> ElementwiseKernel:
    return ElementwiseKernel(
        "float64 x, float64 m",
        "float32 magnitude",
        f"int e = 0;\nfrexp(m, &e);\nbool finite = isfinite(m);\nmagnitude = {_MAGNITUDE};",
        "wp_split_magnitudes",
    )


# |x| scaled by its row's (or column's) maximum m (e: m's exponent, as frexp gives it), as
# a float32 in [0, 1).
_MAGNITUDE = "finite ? (float)ldexp(fabs(x), -e) : 0.0f"

# Slice t of x scaled by 2^-e: trunc(x 2^(beta (t+1) - e)) - 2^beta trunc(x 2^(beta t - e)),
# `beta` bits of x's significand with x's sign (+0.0 for none), read from its bits with
# integer shifts (float64 arithmetic would be emulated). |x| = significand 2^(exponent -
# 1075) (subnormals: exponent 1 without the implicit bit), so bits [shift, shift + beta)
# of the significand are the slice; a negative shift reads zeros below its last bit.
_SLICE = """
__device__ float wp_slice(double x, int e, int t, int beta) {
    unsigned long long bits = (unsigned long long)__double_as_longlong(x);
    int exponent = (int)((bits >> 52) & 0x7ffULL);
    unsigned long long significand = bits & 0xfffffffffffffULL;
    if (exponent != 0) {
        significand |= 0x10000000000000ULL;
    } else {
        exponent = 1;
    }
    int shift = 1075 + e - exponent - beta * (t + 1);
    unsigned long long field = 0ULL;
    if (shift >= 0 && shift < 64) {
        field = significand >> shift;
    } else if (shift < 0 && shift > -64) {
        field = significand << -shift;
    }
    float slice = (float)(unsigned int)(field & ((1ULL << beta) - 1ULL));
    return slice != 0.0f && (bits >> 63) != 0ULL ? -slice : slice;
}
"""


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
def _combiner(products: str) -> ElementwiseKernel:
    """The combining kernel reading slice products of dtype `products` (int32 folded,
    float32 otherwise)."""
    return ElementwiseKernel(
        f"raw {products} p, float64 ra, float64 cb, float32 scaled, raw float64 a, raw float64 b, "
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
    folded = folds(result.device)
    chunk = chunk_length(k, folded)
    scratch: list[ndarray] = []  # one buffer of slice products for every block
    for start in range(0, k, chunk):
        end = start + chunk  # the last chunk's slice stops at K
        _chunk(a[..., start:end], b[..., start:end, :], result, start > 0, scratch, folded)


def _products_buffer(scratch: list, size: int, dtype, device) -> ndarray:
    """`size` elements of the call's one products buffer (made at the first block: the
    first chunk is the longest, so no later block needs more)."""
    if not scratch or scratch[0].size < size:
        scratch[:] = [ndarray((size,), dtype, device=device)]
    return scratch[0][:size]


def _chunk(
    a: ndarray, b: ndarray, result: ndarray, accumulate: bool, scratch: list, folded: bool
) -> None:
    beta, s = chunk_plan(a.shape[-1], folded)
    ra = _absmax()(a, axis=-1)[..., None]  # each row's maximum, beside the row
    sa, ma = _slices(a, ra, 0, s, beta)
    *batch, m, n = result.shape
    rows = math.prod(batch) * m
    limit = min(
        MAX_PRODUCT_ELEMENTS, _matmul.buffer_elements(result.device) or MAX_PRODUCT_ELEMENTS
    )
    block = max(1, min(n, limit // (rows * s * (s + 1) // 2)))
    dtype = np.int32 if folded else np.float32
    for start in range(0, n, block):
        end = start + block
        size = rows * min(block, n - start) * s * (s + 1) // 2
        p = _products_buffer(scratch, size, dtype, a.device)
        _block(a, sa, ma, ra, b[..., start:end], result[..., start:end], p, accumulate, beta, s)


def _slices(x: ndarray, m: ndarray, axis: int, s: int, beta: int):
    """(x's slices, x's scaled magnitudes) (`_slicer`): the slices as x's shape with an
    axis of extent `s` put in at `axis` (0 or x.ndim - 1)."""
    shape = (*x.shape[:axis], s, *x.shape[axis:])
    inner = math.prod(x.shape[axis:])
    v = ndarray(shape, np.float32, device=x.device)
    magnitudes = ndarray(x.shape, np.float32, device=x.device)
    if x.device.capabilities.can_scatter:
        _slicer(True)(x, m, inner, s, beta, v, magnitudes)
    else:  # x and m viewed with the slice axis, of extent 1, over the slices' shape
        at = (slice(None),) * axis + (None,)
        _slicer(False)(x[at], m[at], inner, s, beta, v)
        _magnitudes()(x, m, magnitudes)
    return v, magnitudes


def _block(a, sa, ma, ra, b, out, p, accumulate: bool, beta: int, s: int) -> None:
    """out[...] (+)= a @ b for one block of columns of `b`, `a` already sliced into `sa`,
    its scaled magnitudes in `ma` and its rows' maxima in `ra` (batch..., M, 1); `p`
    holds the slice products."""
    *batch, k, n = b.shape
    cb = _absmax()(b, axis=-2)[..., None, :]  # each column's maximum, above the column
    scaled = ndarray(out.shape, np.float32, device=out.device)
    # (batch..., K, s, N): the first s - i slices side by side are one (K, (s-i) N) view
    sb, mb = _slices(b, cb, b.ndim - 1, s, beta)
    if not _matmul.tiled_matmul(ma, mb, scaled):
        raise AssertionError("contiguous magnitudes always merge their batch axes")
    rows = math.prod(out.shape[:-1])
    for i in range(s):
        _slice_product(sa, sb, p, i, s, rows)
    m = a.shape[-2]
    prev = out if accumulate else 0.0
    _combiner(p.dtype.name)(
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
    if p.dtype == np.int32:
        # a chunk of at most MAX_CHUNK sums exactly whole; a longer one has beta 8, whose
        # float32 sums of FOLD_RUN products are exact
        launched = _matmul.folded_matmul(sa[i], bcat, out, FOLD_RUN)
    else:
        launched = _matmul.tiled_matmul(sa[i], bcat, out)
    if not launched:
        raise AssertionError("contiguous slice products always merge their batch axes")
