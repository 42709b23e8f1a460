"""`numpy.linalg`'s decompositions and solvers on the device: `cholesky qr det slogdet
inv solve eigh eigvalsh svd`, batched over leading axes as NumPy's.

| function | algorithm | launches per matrix batch |
| --- | --- | --- |
| cholesky | right-looking, one column per step | n |
| det, slogdet | LU with partial pivoting (LAPACK's pivot choice) | 2n |
| solve, inv | Gauss-Jordan with partial pivoting on [A, B] | 2n |
| eigh, eigvalsh | parallel cyclic Jacobi (round-robin pairs) | 2n per sweep, about 6-10 sweeps |
| svd | one-sided Jacobi (Hestenes) on the tall orientation | 2n per sweep |
| qr | Householder reflections, Q accumulated backwards | 3 min(m, n) + 2 per Q column |

Dtypes: float32 is computed in float32; float64, integers and bool in float64 (exact
64-bit policy: real binary64 arithmetic); float16 in float32, as CuPy. Results are
NumPy's: eigenvalues ascending, singular values descending, R's diagonal signed as
LAPACK's geqrf. Eigen- and singular vectors are NumPy's up to the sign of each vector.

Errors: NumPy's `LinAlgError` for fewer than 2 dimensions or non-square matrices, for
`cholesky` of a matrix that is not positive definite (a pivot <= 0 or NaN) and for
`inv`/`solve` of an exactly singular matrix (a zero pivot): each costs one read-back of
one flag per call. `det` and `slogdet` of a singular matrix are 0 and (0, -inf), as
NumPy's.

Rule: every step is one kernel of `_decomp_kernels` over the whole batch; the host only
counts the steps, plus one read-back per Jacobi sweep (its convergence test).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from . import _decomp_kernels as kernels
from . import _dtypes
from .creation import arange, asarray, ascontiguousarray, eye, zeros
from .elementwise import where
from .manipulation import broadcast_to, concatenate, diagonal
from .ndarray import ndarray
from .reductions import all as all_
from .reductions import any as any_
from .reductions import count_nonzero, prod
from .reductions import max as max_
from .reductions import sum as sum_
from .ufuncs import absolute, log, sign, sqrt

LinAlgError = np.linalg.LinAlgError
EighResult = namedtuple("EighResult", "eigenvalues eigenvectors")
SlogdetResult = namedtuple("SlogdetResult", "sign logabsdet")
SVDResult = namedtuple("SVDResult", "U S Vh")
QRResult = namedtuple("QRResult", "Q R")

MAX_SWEEPS = 40  # Jacobi converges quadratically: 6-10 sweeps are typical
# NumPy 2 solves for a vector only when b is 1-D; NumPy 1 (and CuPy) when b has one
# dimension fewer than a.
_SOLVE_VECTOR_IF_1D = int(np.__version__.split(".")[0]) >= 2


# ---------------------------------------------------------------------------- operands


def _float_dtype(*dtypes) -> np.dtype:
    """float32 when every operand is float16/float32, else float64 (NumPy's rule, with
    CuPy's float16 -> float32)."""
    for dtype in dtypes:
        if dtype.kind == "c":
            raise TypeError("wgpy_runtime has no complex dtypes (docs/dtypes.md)")
    if all(d in (np.float16, np.float32) for d in dtypes):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _check_matrices(a: ndarray, square: bool = True) -> None:
    if a.ndim < 2:
        raise LinAlgError(
            f"{a.ndim}-dimensional array given. Array must be at least two-dimensional"
        )
    if square and a.shape[-1] != a.shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")


def _batch(a: ndarray, dtype: np.dtype, batch: tuple) -> ndarray:
    """`a` broadcast to `batch`, as one C-contiguous (B, rows, cols) array of `dtype`."""
    a = a if a.dtype == dtype else a.astype(dtype)
    rows, cols = a.shape[-2:]
    a = broadcast_to(a, batch + (rows, cols)) if a.shape[:-2] != batch else a
    return ascontiguousarray(a).reshape(math.prod(batch), rows, cols)


def _matrices(a, square: bool = True) -> tuple[ndarray, tuple, np.dtype]:
    a = asarray(a)
    _check_matrices(a, square)
    dtype = _float_dtype(a.dtype)
    return _batch(a, dtype, a.shape[:-2]), a.shape[:-2], dtype


def _epsilon(dtype: np.dtype) -> float:
    """The machine epsilon of the arithmetic the device does for `dtype` (float32's for
    float64 under the fast 64-bit policy)."""
    return float(np.finfo(_dtypes.storage(dtype)).eps)


def _step(kernel, shape: tuple, *args) -> ndarray:
    """One launch of a gather kernel whose every input is raw: a new (B, rows, cols)."""
    return kernel(*args, size=math.prod(shape)).reshape(shape)


def _diagonal(w: ndarray, n: int) -> ndarray:
    return diagonal(w[:, :n, :n], axis1=1, axis2=2)


# ---------------------------------------------------------------------------- cholesky


def cholesky(a) -> ndarray:
    """The lower-triangular L with a = L L^T, from a's lower triangle."""
    w, batch, _ = _matrices(a)
    n = w.shape[-1]
    for j in range(n):
        w = _step(kernels.cholesky_step(), w.shape, w, j, n, n)
    if w.size and not bool(all_(_diagonal(w, n) > 0)):
        raise LinAlgError("Matrix is not positive definite")
    return w.reshape(batch + (n, n))


# ---------------------------------------------------------------------------- LU family


def _eliminate(w: ndarray, n: int, above: bool) -> tuple[ndarray, ndarray]:
    """Gaussian elimination with partial pivoting of the first n columns of w (B, n,
    cols); with `above` also above the pivots (Gauss-Jordan). Returns the eliminated
    array (pivots on its diagonal) and the pivot rows (B, n)."""
    piv = zeros((w.shape[0], n), np.int32, device=w.device)
    cols = w.shape[-1]
    for k in range(n):
        kernels.lu_pivot()(w, k, n, cols, piv)
        w = _step(kernels.lu_eliminate(), w.shape, w, piv, k, int(above), n, cols)
    return w, piv


def _permutation_sign(piv: ndarray, dtype: np.dtype) -> ndarray:
    n = piv.shape[-1]
    swaps = count_nonzero(piv != arange(n, dtype=np.int32, device=piv.device), axis=-1)
    return (1 - 2 * (swaps % 2)).astype(dtype)


def det(a) -> ndarray:
    w, batch, dtype = _matrices(a)
    n = w.shape[-1]
    w, piv = _eliminate(w, n, above=False)
    result = prod(_diagonal(w, n), axis=-1) * _permutation_sign(piv, dtype)
    return result.reshape(batch)


def slogdet(a) -> SlogdetResult:
    w, batch, dtype = _matrices(a)
    n = w.shape[-1]
    w, piv = _eliminate(w, n, above=False)
    pivots = _diagonal(w, n)
    signs = prod(sign(pivots), axis=-1) * _permutation_sign(piv, dtype)
    logabs = sum_(log(absolute(pivots)), axis=-1)
    return SlogdetResult(signs.reshape(batch), logabs.reshape(batch))


def _gauss_jordan(w: ndarray, n: int) -> ndarray:
    """X with A X = B, from w = [A | B] (B, n, n + k)."""
    w, _ = _eliminate(w, n, above=True)
    pivots = _diagonal(w, n)
    if w.size and bool(any_(pivots == 0)):
        raise LinAlgError("Singular matrix")
    return w[:, :, n:] / pivots[:, :, None]


def solve(a, b) -> ndarray:
    """x with a @ x = b; b is (..., n) or (..., n, k) as the installed NumPy reads it."""
    a, b = asarray(a), asarray(b)
    _check_matrices(a)
    vector = b.ndim == 1 if _SOLVE_VECTOR_IF_1D else b.ndim == a.ndim - 1
    b2 = b[..., None] if vector else b
    n = a.shape[-1]
    if b2.ndim < 2 or b2.shape[-2] != n:
        raise ValueError(
            f"solve: Input operand 1 has a mismatch in its core dimension 0 (size "
            f"{b2.shape[-2] if b2.ndim >= 2 else b2.shape} is different from {n})"
        )
    batch = np.broadcast_shapes(a.shape[:-2], b2.shape[:-2])
    dtype = _float_dtype(a.dtype, b.dtype)
    w = concatenate([_batch(a, dtype, batch), _batch(b2, dtype, batch)], axis=-1)
    x = _gauss_jordan(w, n).reshape(batch + b2.shape[-2:])
    return x[..., 0] if vector else x


def inv(a) -> ndarray:
    w, batch, dtype = _matrices(a)
    n = w.shape[-1]
    identity = broadcast_to(eye(n, dtype=dtype, device=w.device), w.shape)
    return _gauss_jordan(concatenate([w, identity], axis=-1), n).reshape(batch + (n, n))


# ---------------------------------------------------------------------------- Jacobi


def _sorted_order(values: ndarray, descending: bool) -> ndarray:
    """src (B, n): the index of each position once every row of `values` is sorted."""
    cols = values.shape[-1]
    rank = kernels.sort_rank()(values, int(descending), cols, size=values.size)
    return kernels.sort_source()(rank, cols, size=values.size).reshape(values.shape)


def _gather_columns(a: ndarray, src: ndarray, scale: ndarray | None = None) -> ndarray:
    """a[:, :, src] per batch, each column divided by its `scale` when given (a zero scale
    gives a zero column)."""
    _, rows, cols = a.shape
    divide = 0 if scale is None else 1
    return _step(
        kernels.gather_columns(),
        a.shape,
        a,
        src,
        a if scale is None else scale,
        divide,
        rows,
        cols,
    )


def _off_diagonal(w: ndarray, n: int) -> np.ndarray:
    """Per matrix, the sum of squares of A's off-diagonal elements (host values)."""
    squares = kernels.offdiagonal_squares()(w[:, :n, :], n, n)
    return sum_(squares, axis=(1, 2)).get()


def _jacobi(w: ndarray, n: int) -> ndarray:
    """Sweeps of parallel cyclic Jacobi on w = [A; V] until A is diagonal to the dtype's
    precision (relative to its Frobenius norm) or a sweep stops reducing it."""
    rows, m = w.shape[1], n + n % 2
    eps = _epsilon(w.dtype)
    total = sum_(w[:, :n, :] * w[:, :n, :], axis=(1, 2)).get()
    off = _off_diagonal(w, n)
    for _ in range(MAX_SWEEPS):
        if np.all(off <= eps * eps * total):
            break
        for rnd in range(m - 1):
            c, o, d = kernels.jacobi_rotations()(w, rnd, m, rows, n, size=w.shape[0] * n)
            w = _step(kernels.jacobi_round(), w.shape, w, c, o, d, rnd, m, rows, n)
        before, off = off, _off_diagonal(w, n)
        if not off.sum() < before.sum():  # stalled at rounding, or NaN (now spread)
            break
    return w


def _eigen(a, UPLO: str, vectors: bool):
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    a = asarray(a)
    _check_matrices(a)
    dtype = _float_dtype(a.dtype)
    a3 = _batch(a, dtype, a.shape[:-2])
    batch, n = a.shape[:-2], a.shape[-1]
    rows = 2 * n if vectors else n
    shape = (a3.shape[0], rows, n)
    w = _step(kernels.jacobi_start(), shape, a3, int(UPLO == "L"), rows, n)
    if w.size:
        w = _jacobi(w, n)
    count = w.shape[0]
    values = ascontiguousarray(_diagonal(w, n)).reshape(count, 1, n)
    src = _sorted_order(values.reshape(count, n), descending=False)
    values = _gather_columns(values, src).reshape(batch + (n,))
    if not vectors:
        return values
    vecs = _gather_columns(ascontiguousarray(w[:, n:, :]), src)
    return EighResult(values, vecs.reshape(batch + (n, n)))


def eigh(a, UPLO: str = "L") -> EighResult:
    return _eigen(a, UPLO, vectors=True)


def eigvalsh(a, UPLO: str = "L") -> ndarray:
    return _eigen(a, UPLO, vectors=False)


# ---------------------------------------------------------------------------- SVD


def _hestenes(w: ndarray, m_rows: int, n: int) -> ndarray:
    """Sweeps of one-sided Jacobi on w = [A; V] (A m_rows x n, m_rows >= n) until every
    pair of A's columns is orthogonal to sqrt(m) eps (LAPACK gesvj's tolerance)."""
    batch, rows = w.shape[0], w.shape[1]
    m = n + n % 2
    tol = math.sqrt(m_rows) * _epsilon(w.dtype)
    for _ in range(MAX_SWEEPS):
        worst = zeros((batch, n), w.dtype, device=w.device)
        for rnd in range(m - 1):
            c = ndarray((batch, n), w.dtype, device=w.device)
            o = ndarray((batch, n), w.dtype, device=w.device)
            kernels.hestenes_rotation()(w, rnd, m, m_rows, tol, rows, n, c, o, worst)
            w = _step(kernels.rotate_columns(), w.shape, w, c, o, rnd, m, rows, n)
        if not float(max_(worst)) > tol:  # NaN too
            break
    return w


def _completed(u: ndarray, full: bool) -> ndarray:
    """Orthonormal columns that continue u's (B, m, k): its zero columns (of zero singular
    values) replaced, and with `full` m - k more; u's other columns keep their sign."""
    q, r = qr(u, mode="complete" if full else "reduced")
    k = u.shape[-1]
    signs = where(_diagonal(r, k) < 0, -1, 1).astype(u.dtype)
    head = q[:, :, :k] * signs[:, None, :]
    return concatenate([head, q[:, :, k:]], axis=-1) if full else head


def svd(a, full_matrices: bool = True, compute_uv: bool = True):
    w, batch, dtype = _matrices(a, square=False)
    wide = w.shape[1] < w.shape[2]
    if wide:
        w = ascontiguousarray(w.transpose(0, 2, 1))
    count, m_rows, n = w.shape
    if compute_uv:
        identity = broadcast_to(eye(n, dtype=dtype, device=w.device), (count, n, n))
        w = concatenate([w, identity], axis=1)
    if w.size and n:
        w = _hestenes(w, m_rows, n)
    norms = sqrt(sum_(w[:, :m_rows, :] * w[:, :m_rows, :], axis=1))
    src = _sorted_order(norms, descending=True)
    s = _gather_columns(norms.reshape(count, 1, n), src).reshape(batch + (n,))
    if not compute_uv:
        return s
    u = _gather_columns(ascontiguousarray(w[:, :m_rows, :]), src, scale=norms)
    v = _gather_columns(ascontiguousarray(w[:, m_rows:, :]), src)
    full = full_matrices and m_rows > n
    if full or (u.size and bool(any_(norms == 0))):
        u = _completed(u, full)
    if wide:
        u, v = v, u
    vh = ascontiguousarray(v.transpose(0, 2, 1))
    return SVDResult(u.reshape(batch + u.shape[1:]), s, vh.reshape(batch + vh.shape[1:]))


# ---------------------------------------------------------------------------- QR


def qr(a, mode: str = "reduced"):
    """Householder QR: mode 'reduced' (Q m x k, R k x n), 'complete' (Q m x m, R m x n)
    or 'r' (R only, k x n), k = min(m, n)."""
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(
            f"Unrecognized mode '{mode}'"
            if mode != "raw"
            else "qr mode 'raw' (LAPACK's reflectors) is not supported"
        )
    w, batch, dtype = _matrices(a, square=False)
    count, m, n = w.shape
    k = min(m, n)
    reflectors = []
    for j in range(k):
        v = kernels.householder_vector()(w, j, m, n, size=count * m).reshape(count, m)
        g = kernels.householder_dots()(v, w, j, m, n, size=count * n)
        w = _step(kernels.householder_apply(), w.shape, w, v, g, j, m, n)
        reflectors.append(v)
    r = w if mode == "complete" else w[:, :k, :]
    r = ascontiguousarray(r).reshape(batch + r.shape[1:])
    if mode == "r":
        return r
    qcols = m if mode == "complete" else k
    q = ascontiguousarray(
        broadcast_to(eye(m, qcols, dtype=dtype, device=w.device), (count, m, qcols))
    )
    for j in reversed(range(k)):
        g = kernels.householder_dots()(reflectors[j], q, j, m, qcols, size=count * qcols)
        q = _step(kernels.householder_apply(), q.shape, q, reflectors[j], g, -1, m, qcols)
    return QRResult(q.reshape(batch + (m, qcols)), r)
