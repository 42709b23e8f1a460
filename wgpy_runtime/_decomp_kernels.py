"""The kernels of the matrix decompositions (`linalg_decomp`), as CUDA C for kernelc.

Every kernel works on a batch of C-contiguous matrices held as one array `(B, rows,
cols)` and computes each element of its output from the previous step's array read
`raw` (a gather: it never writes another element, so WebGL draws it as well). `T` is the
float dtype (float32, or float64 computed exactly under the exact 64-bit policy); flat
positions are `int`, so a batch holds fewer than 2^31 elements.

Rule: one kernel is one step of one algorithm; the host sequences the steps
(`linalg_decomp`) and never reads matrix elements between them.
"""

from __future__ import annotations

import functools

from .kernel import ElementwiseKernel

# The element (b, r, c) of a (B, rows, cols) loop, from `i`.
_ELEMENT = "int c = i % cols; int r = (i / cols) % rows; int b = i / (cols * rows);\n"

# Round-robin pairing of m (even) indices: m - 1 rounds pair every index with every
# other once (the circle method, index m - 1 fixed). An index paired with one >= n (the
# padding of an odd n) rests that round.
_PARTNER = """
__device__ int jacobi_partner(int x, int round, int m) {
    if (x == m - 1) return (round * (m / 2)) % (m - 1);
    int y = (round - x + m - 1) % (m - 1);
    return y == x ? m - 1 : y;
}
"""

# The rotation J = [[c, s], [-s, c]] on (p, q) that makes J^T [[app, apq], [apq, aqq]] J
# diagonal: t = tan(theta) is the root of t^2 + 2 tau t - 1 = 0 of smaller magnitude.
_ROTATION = """
template <typename T>
__device__ void jacobi_rotation(T app, T aqq, T apq, T &c, T &s, T &t) {
    if (apq == (T)0) { c = 1; s = 0; t = 0; return; }
    T tau = (aqq - app) / (apq + apq);
    T at = fabs(tau);
    T root = at > (T)1 ? at * sqrt((T)1 + ((T)1 / at) * ((T)1 / at)) : sqrt((T)1 + at * at);
    t = (tau >= (T)0 ? (T)1 : (T)-1) / (at + root);
    c = (T)1 / sqrt((T)1 + t * t);
    s = t * c;
}
"""


@functools.cache
def cholesky_step() -> ElementwiseKernel:
    """Right-looking Cholesky, column j: L[:, j] from the updated lower triangle, the
    trailing part updated by its outer product; the upper triangle is zeroed."""
    return ElementwiseKernel(
        "raw T a, int32 j, int32 rows, int32 cols",
        "T y",
        _ELEMENT
        + """
        int base = b * rows * cols;
        if (c > r) { y = (T)0; }
        else if (c < j) { y = a[i]; }
        else {
            T d = sqrt(a[base + j * cols + j]);
            if (c == j) { y = r == j ? d : a[i] / d; }
            else { y = a[i] - (a[base + r * cols + j] / d) * (a[base + c * cols + j] / d); }
        }
        """,
        "wp_linalg_cholesky_step",
    )


@functools.cache
def lu_pivot() -> ElementwiseKernel:
    """piv[b, k] = the row (k or below) of the largest |w[b, :, k]|, first of equals
    (LAPACK's choice); the other entries of `piv` are kept."""
    return ElementwiseKernel(
        "raw T w, int32 k, int32 rows, int32 cols",
        "int32 piv",
        """
        int b = i / rows;
        if (i % rows == k) {
            int base = b * rows * cols + k;
            int best = k;
            T big = fabs(w[base + k * cols]);
            for (int r = k + 1; r < rows; r++) {
                T v = fabs(w[base + r * cols]);
                if (v > big) { big = v; best = r; }
            }
            piv = best;
        }
        """,
        "wp_linalg_lu_pivot",
    )


@functools.cache
def lu_eliminate() -> ElementwiseKernel:
    """Step k of Gaussian elimination with partial pivoting on w = [A | B]: rows k and
    piv[b, k] swapped, column k eliminated below the pivot (and above it too when `above`:
    Gauss-Jordan, for solve and inv). A zero pivot eliminates nothing (LAPACK's getf2)."""
    return ElementwiseKernel(
        "raw T w, raw int32 piv, int32 k, int32 above, int32 rows, int32 cols",
        "T y",
        _ELEMENT
        + """
        int base = b * rows * cols;
        int p = piv[b * rows + k];
        int src = r == k ? p : (r == p ? k : r);
        T x = w[base + src * cols + c];
        if (r == k || (r < k && above == 0)) { y = x; }
        else if (c == k) { y = (T)0; }
        else {
            T pivot = w[base + p * cols + k];
            T f = pivot == (T)0 ? (T)0 : w[base + src * cols + k] / pivot;
            y = x - f * w[base + p * cols + c];
        }
        """,
        "wp_linalg_lu_eliminate",
    )


@functools.cache
def jacobi_start() -> ElementwiseKernel:
    """w = [A; I] (rows 2n) or A (rows n) for Jacobi, A the symmetric matrix of a's lower
    triangle (`lower`) or upper one; the other triangle of a is never read."""
    return ElementwiseKernel(
        "raw T a, int32 lower, int32 rows, int32 cols",
        "T y",
        _ELEMENT
        + """
        int n = cols;
        if (r >= n) { y = r - n == c ? (T)1 : (T)0; }
        else {
            bool here = lower != 0 ? r >= c : r <= c;
            y = a[b * n * n + (here ? r * n + c : c * n + r)];
        }
        """,
        "wp_linalg_jacobi_start",
    )


@functools.cache
def jacobi_rotations() -> ElementwiseKernel:
    """For each index x of one round of parallel cyclic Jacobi on w = [A; V] (A
    symmetric, n x n): column x of the round's rotation J as J[x, x] = c, J[partner, x] =
    o, and d, the new A[x, x]. An index without a partner this round gets J's identity
    column."""
    return ElementwiseKernel(
        "raw T w, int32 round, int32 m, int32 rows, int32 cols",
        "T c, T o, T d",
        """
        int n = cols;
        int b = i / n, x = i % n;
        int base = b * rows * n;
        int px = jacobi_partner(x, round, m);
        c = (T)1; o = (T)0; d = w[base + x * n + x];
        if (px < n) {
            int p = min(x, px), q = max(x, px);
            T app = w[base + p * n + p], aqq = w[base + q * n + q], apq = w[base + p * n + q];
            T s, t;
            jacobi_rotation(app, aqq, apq, c, s, t);
            o = x == p ? -s : s;
            d = x == p ? app - t * apq : aqq + t * apq;
        }
        """,
        "wp_linalg_jacobi_rotations",
        preamble=_PARTNER + _ROTATION,
    )


@functools.cache
def jacobi_round() -> ElementwiseKernel:
    """One round of parallel cyclic Jacobi on w = [A; V] (rows n or 2n, cols n) with
    `jacobi_rotations`' columns of J: every pair of the round rotated at once, A <- J^T A
    J, V <- V J. The rotated pair's off-diagonal element becomes exactly 0, and A stays
    exactly symmetric (both of a symmetric pair of elements evaluate one expression)."""
    return ElementwiseKernel(
        "raw T w, raw T cs, raw T os, raw T ds, int32 round, int32 m, int32 rows, int32 cols",
        "T y",
        _ELEMENT
        + """
        int base = b * rows * cols;
        int n = cols, rot = b * cols;
        int x = r < n ? min(r, c) : r - n;
        int z = r < n ? max(r, c) : c;
        int pz = jacobi_partner(z, round, m);
        pz = pz < n ? pz : z;
        T cz = cs[rot + z], oz = os[rot + z];
        if (r >= n) {
            y = cz * w[base + r * n + z] + oz * w[base + r * n + pz];
        } else {
            int px = jacobi_partner(x, round, m);
            px = px < n ? px : x;
            T cx = cs[rot + x], ox = os[rot + x];
            if (x == z) { y = ds[rot + x]; }
            else if (pz == x) { y = (T)0; }
            else {
                y = cx * (cz * w[base + x * n + z] + oz * w[base + x * n + pz])
                    + ox * (cz * w[base + px * n + z] + oz * w[base + px * n + pz]);
            }
        }
        """,
        "wp_linalg_jacobi_round",
        preamble=_PARTNER,
    )


@functools.cache
def hestenes_rotation() -> ElementwiseKernel:
    """One-sided Jacobi (Hestenes), one round: for column x of w = [A; V] and its partner,
    the rotation that makes the two columns of A orthogonal, as x' = c x + o partner.
    Pairs already orthogonal to `tol` (|a_p . a_q| <= tol |a_p| |a_q|) are not rotated;
    `worst` keeps the largest such ratio seen (the sweep's convergence test)."""
    return ElementwiseKernel(
        "raw T w, int32 round, int32 m, int32 arows, T tol, int32 rows, int32 cols",
        "T c, T o, T worst",
        """
        int n = cols;
        int b = i / n, x = i % n;
        int px = jacobi_partner(x, round, m);
        c = (T)1; o = (T)0;
        if (px < n) {
            int p = min(x, px), q = max(x, px);
            int base = b * rows * n;
            T alpha = (T)0, beta = (T)0, gamma = (T)0;
            for (int r = 0; r < arows; r++) {
                T u = w[base + r * n + p], v = w[base + r * n + q];
                alpha += u * u; beta += v * v; gamma += u * v;
            }
            T scale = sqrt(alpha) * sqrt(beta);
            T ratio = scale > (T)0 ? fabs(gamma) / scale : (T)0;
            worst = max(worst, ratio);
            if (ratio > tol) {
                T s, t;
                jacobi_rotation(alpha, beta, gamma, c, s, t);
                o = x == p ? -s : s;
            }
        }
        """,
        "wp_linalg_hestenes_rotation",
        preamble=_PARTNER + _ROTATION,
    )


@functools.cache
def rotate_columns() -> ElementwiseKernel:
    """w'[:, x] = c[x] w[:, x] + o[x] w[:, partner(x)], with `hestenes_rotation`'s c, o."""
    return ElementwiseKernel(
        "raw T w, raw T cs, raw T os, int32 round, int32 m, int32 rows, int32 cols",
        "T y",
        _ELEMENT
        + """
        int pc = jacobi_partner(c, round, m);
        T k = cs[b * cols + c], o = os[b * cols + c];
        y = pc < cols ? k * w[i] + o * w[i - c + pc] : w[i];
        """,
        "wp_linalg_rotate_columns",
        preamble=_PARTNER,
    )


@functools.cache
def offdiagonal_squares() -> ElementwiseKernel:
    """a[b, r, c]^2 off the diagonal, 0 on it (Jacobi's convergence measure)."""
    return ElementwiseKernel(
        "T a, int32 rows, int32 cols",
        "T y",
        _ELEMENT + "y = r == c ? (T)0 : a * a;",
        "wp_linalg_offdiagonal_squares",
    )


@functools.cache
def sort_rank() -> ElementwiseKernel:
    """rank[b, x] = the position of v[b, x] once row b is sorted (ascending, or
    descending when `descending`), equal values in index order, NaN last."""
    return ElementwiseKernel(
        "raw T v, int32 descending, int32 cols",
        "int32 rank",
        """
        int b = i / cols, x = i % cols;
        T vx = v[i];
        int k = 0;
        for (int j = 0; j < cols; j++) {
            T vj = v[b * cols + j];
            bool before = isnan(vx) ? !isnan(vj) || j < x
                        : !isnan(vj) && (descending != 0 ? vj > vx : vj < vx);
            if (before || (vj == vx && j < x)) k++;
        }
        rank = k;
        """,
        "wp_linalg_sort_rank",
    )


@functools.cache
def sort_source() -> ElementwiseKernel:
    """src[b, t] = the index whose rank is t (the inverse permutation)."""
    return ElementwiseKernel(
        "raw int32 rank, int32 cols",
        "int32 src",
        """
        int b = i / cols, t = i % cols;
        int found = t;
        for (int j = 0; j < cols; j++) { if (rank[b * cols + j] == t) found = j; }
        src = found;
        """,
        "wp_linalg_sort_source",
    )


@functools.cache
def gather_columns() -> ElementwiseKernel:
    """y[b, r, t] = a[b, r, src[b, t]] / (scale[b, src[b, t]] when `divide`, 0 when that
    scale is 0): eigenvectors and singular vectors in sorted order, normalised."""
    return ElementwiseKernel(
        "raw T a, raw int32 src, raw T scale, int32 divide, int32 rows, int32 cols",
        "T y",
        _ELEMENT
        + """
        int s = src[b * cols + c];
        T v = a[(b * rows + r) * cols + s];
        if (divide != 0) {
            T d = scale[b * cols + s];
            v = d == (T)0 ? (T)0 : v / d;
        }
        y = v;
        """,
        "wp_linalg_gather_columns",
    )


@functools.cache
def householder_vector() -> ElementwiseKernel:
    """v[b, :] of the reflector H = I - v v^T (|v|^2 = 2) that maps column j of w to
    (.., alpha, 0, ..) at row j, alpha = -sign(w_jj) |w[j:, j]|; v = 0 (H = I) when the
    column is already zero below row j, as LAPACK's geqrf."""
    return ElementwiseKernel(
        "raw T w, int32 j, int32 arows, int32 cols",
        "T v",
        """
        int b = i / arows, r = i % arows;
        int base = b * arows * cols + j;
        T tail = (T)0;
        for (int t = j + 1; t < arows; t++) { T e = w[base + t * cols]; tail += e * e; }
        if (r < j || tail == (T)0) { v = (T)0; }
        else {
            T x0 = w[base + j * cols];
            T norm = sqrt(x0 * x0 + tail);
            T lead = x0 >= (T)0 ? x0 + norm : x0 - norm;
            v = (r == j ? lead : w[base + r * cols]) / sqrt(norm * (norm + fabs(x0)));
        }
        """,
        "wp_linalg_householder_vector",
    )


@functools.cache
def householder_dots() -> ElementwiseKernel:
    """g[b, c] = v[b, j:] . w[b, j:, c]."""
    return ElementwiseKernel(
        "raw T v, raw T w, int32 j, int32 arows, int32 cols",
        "T g",
        """
        int b = i / cols, c = i % cols;
        T s = (T)0;
        for (int r = j; r < arows; r++) s += v[b * arows + r] * w[(b * arows + r) * cols + c];
        g = s;
        """,
        "wp_linalg_householder_dots",
    )


@functools.cache
def householder_apply() -> ElementwiseKernel:
    """w' = w - v g^T (= H w), with column `clean` set exactly to 0 below row `clean`
    (the eliminated column of R; -1 for none)."""
    return ElementwiseKernel(
        "raw T w, raw T v, raw T g, int32 clean, int32 rows, int32 cols",
        "T y",
        _ELEMENT
        + "y = (c == clean && r > clean) ? (T)0\n"
        + "    : w[i] - v[b * rows + r] * g[b * cols + c];",
        "wp_linalg_householder_apply",
    )
