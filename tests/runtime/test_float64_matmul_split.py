"""float64 matmul under the exact 64-bit policy as exact float32 products of slices
(`_split_products`) on both backends: the error bound of its docstring against exact
(rational) references for normal, uniform, integer-valued and row/column-scaled operands
(1e-150..1e150), K from 1 to 5000; NaN, Inf, zero rows, subnormal rows, overflow as
NumPy's; batches, broadcast batch axes, column blocks and complex128 through it. On
WGSL the slice products fold into int32 (K up to 4717 in one chunk): exact where float32
sums alone would round, and the float32 form's results bit for bit for K up to 258.

Rule: every product here is small; the split is forced by lowering
`SPLIT_MULTIPLY_ADDS`, and each test checks the split ran.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

import wgpy_runtime as wp
from kernelc.abi.matmul import TILES
from tests.runtime.helpers import wgpy_backend  # noqa: F401  (runs every test on every backend)
from wgpy_runtime import _fastpath, _matmul, _products, _split_products
from wgpy_runtime import device as devices

U = 2.0**-53


@pytest.fixture
def split(monkeypatch):
    """Every float64 product splits; the list gathers each split's result shape. Replays
    are dropped before and after (a product recorded under another rule, or this one's
    afterwards, would replay that rule's launches)."""
    calls = []
    monkeypatch.setattr(_products, "SPLIT_MULTIPLY_ADDS", 1)
    monkeypatch.setattr(_products, "UNFOLDED_SPLIT_MULTIPLY_ADDS", 1)
    inner = _split_products.matmul
    monkeypatch.setattr(
        _split_products, "matmul", lambda a, b, r: (calls.append(r.shape), inner(a, b, r))
    )
    _fastpath.clear()
    yield calls
    _fastpath.clear()


def _exact(a: np.ndarray, b: np.ndarray) -> list[list[Fraction]]:
    rows = [[Fraction(x) for x in r] for r in a]
    cols = [[Fraction(x) for x in c] for c in b.T]
    return [[sum((x * y for x, y in zip(r, c)), Fraction(0)) for c in cols] for r in rows]


def _folds() -> bool:
    return _split_products.folds(devices.current_device())


def _bound(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The docstring's bound, a float64 dot product's: gamma(K + c s) sum|a b| over c chunks
    of K (split or walked), plus a rounding of 2^-1075 per operation where results are
    subnormal."""
    k, folded = a.shape[1], _folds()
    chunk = _split_products.chunk_length(k, folded)
    slices = [
        _split_products.chunk_plan(min(chunk, k - start), folded)[1] for start in range(0, k, chunk)
    ]
    terms = k + sum(slices)
    return terms * U * (np.abs(a) @ np.abs(b)) * 1.01 + terms * 2.0**-1074


def _check_bound(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    got = wp.matmul(wp.asarray(a), wp.asarray(b)).get()
    exact = _exact(a, b)
    error = np.array([[abs(Fraction(g) - e) for g, e in zip(gr, er)] for gr, er in zip(got, exact)])
    assert np.all(error.astype(float) <= _bound(a, b))
    return error.astype(float) / (U * (np.abs(a) @ np.abs(b)))


def _operands(kind: str, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    m, n = 3, 4
    if kind == "normal":
        return rng.standard_normal((m, k)), rng.standard_normal((k, n))
    if kind == "uniform":
        return rng.uniform(0, 1, (m, k)), rng.uniform(-1, 1, (k, n))
    rows, cols = 10.0 ** rng.uniform(-150, 150, m), 10.0 ** rng.uniform(-150, 150, n)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    return a * rows[:, None], b * cols[None, :]


@pytest.mark.parametrize(
    "kind, k",
    [("normal", 1), ("normal", 7), ("normal", 1000), ("normal", 5000)]
    + [("uniform", 1000), ("scaled", 7), ("scaled", 1000)],
)
def test_error_bound(split, kind, k):
    relative = _check_bound(*_operands(kind, k))
    assert split
    # observed, not promised: within 2^-52 sum|a b| as a float64 dot product (NumPy's
    # dgemm gives 0.5 to 1 on these)
    assert relative.max() <= 2


def test_magnitudes_along_k_keep_a_dot_products_bound(split):
    """a D and D^-1 b: the small terms would fall below the slices of the rows' maxima, so
    those outputs walk K; [1e20, 1] @ [0, 1] is 1, as NumPy's."""
    rng = np.random.default_rng(3)
    d = 10.0 ** rng.uniform(-20, 20, 50)
    a, b = rng.standard_normal((3, 50)) * d, rng.standard_normal((50, 4)) / d[:, None]
    assert _check_bound(a, b).max() <= 2
    a = np.array([[1e20, 1.0] * 20, [3.0, 5.0] * 20])
    b = np.array([[0.0, 1.0], [1.0, 1.0]] * 20)
    np.testing.assert_array_equal(wp.matmul(wp.asarray(a), wp.asarray(b)).get(), a @ b)
    assert split


@pytest.mark.parametrize("k", [7, 300, 1000])
def test_integer_values_are_exact(split, k):
    rng = np.random.default_rng(k)
    a = rng.integers(-1000, 1001, (5, k)).astype(np.float64)
    b = rng.integers(-1000, 1001, (k, 6)).astype(np.float64)
    np.testing.assert_array_equal(wp.matmul(wp.asarray(a), wp.asarray(b)).get(), a @ b)


@pytest.mark.parametrize("k", [1000, 4100])
def test_full_slices_over_a_long_k_are_exact(split, k):
    """Entries of 2^20 - 1 (and their negatives) fill the first slices with 255: a
    slice product's float32 sum of K terms passes 2^24 after 258 of them, so it stays
    exact only by folding into int32 (or by chunks of K); a @ b (below 2^53) is exact."""
    rng = np.random.default_rng(k)
    full = float(2**20 - 1)
    a = np.full((3, k), full)
    b = full * rng.choice([1.0, 1.0, 1.0, -1.0], (k, 4))
    a[1, ::3] = -full
    got = wp.matmul(wp.asarray(a), wp.asarray(b)).get()
    np.testing.assert_array_equal(got, a @ b)
    # the first slices' product, sum of +-255^2 over K, passes 2^24
    assert np.abs(a @ b).max() / full**2 * 255**2 > 2**24


@pytest.fixture
def chunks(split, monkeypatch):
    """Each chunk's length as the split runs it."""
    lengths = []
    inner = _split_products._chunk
    monkeypatch.setattr(
        _split_products,
        "_chunk",
        lambda a, *args: (lengths.append(a.shape[-1]), inner(a, *args)),
    )
    return lengths


@pytest.mark.parametrize("k, folded", [(1000, [1000]), (4100, [4100]), (5000, [2500, 2500])])
def test_folded_products_take_k_in_one_chunk(chunks, k, folded):
    """WGSL: K up to 4717 in one chunk, past it in equal chunks (the float32 form: of at
    most 258)."""
    rng = np.random.default_rng(k)
    a, b = rng.standard_normal((2, k)), rng.standard_normal((k, 3))
    np.testing.assert_allclose(wp.matmul(wp.asarray(a), wp.asarray(b)).get(), a @ b, rtol=1e-12)
    if _folds():
        assert chunks == folded
    else:
        longest = _split_products.MAX_CHUNK
        assert sum(chunks) == k and max(chunks) <= longest and len(chunks) == -(-k // longest)


@pytest.mark.parametrize("k", [7, 100, 258])
def test_folded_and_float32_forms_agree_bit_for_bit(split, monkeypatch, k):
    """Up to MAX_CHUNK both forms slice alike and their products are exact: the same
    diagonal sums, the same results."""
    rng = np.random.default_rng(k)
    a = rng.standard_normal((6, k)) * 10.0 ** rng.uniform(-5, 5, (6, 1))
    b = rng.standard_normal((k, 5))
    x, y = wp.asarray(a), wp.asarray(b)
    folded = wp.matmul(x, y).get()
    monkeypatch.setattr(_split_products, "FOLDED_PRODUCTS", False)
    np.testing.assert_array_equal(wp.matmul(x, y).get(), folded)


@pytest.mark.parametrize("tiles", ["small", "tall", "wide", "large", "huge"])
def test_folded_matmul_is_exact_on_every_preset(monkeypatch, tiles):
    """The folded program alone, on float32 integers of at most 255: sums past 2^24 over
    K = 600 (folds at 256 and 512, one after the loop) come out exact in int32; `huge`
    (double-buffered, which the runtime does not fold) too. Edges: M, N not whole tiles.
    WebGL has no tile programs: asking for one is an error."""
    monkeypatch.setattr(_matmul, "preferred_tiles", lambda *shape: tiles)
    monkeypatch.setattr(_matmul, "_folded_tiles", lambda preset: preset)
    rng = np.random.default_rng(1)
    k = 600
    a = rng.choice([255.0, 253.0], (70, k)).astype(np.float32)
    a[1] = -a[1]
    b = rng.choice([255.0, 251.0, -1.0], (k, 133)).astype(np.float32)
    c = wp.empty((70, 133), dtype=np.int32)
    args = (wp.asarray(a), wp.asarray(b), c, _split_products.FOLD_RUN)
    if not devices.current_device().capabilities.workgroup_tiles:
        with pytest.raises(ValueError, match="WGSL tile programs"):
            _matmul.folded_matmul(*args)
        return
    assert _matmul.folded_matmul(*args)
    expected = a.astype(np.int64) @ b.astype(np.int64)
    assert np.abs(expected).max() > 2**24
    np.testing.assert_array_equal(c.get(), expected)


def test_folded_products_run_on_wgsl_only(split, monkeypatch):
    launches = []
    inner = _matmul.folded_matmul
    monkeypatch.setattr(
        _matmul, "folded_matmul", lambda *args: (launches.append(args[3]), inner(*args))[1]
    )
    a = wp.asarray(np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(wp.matmul(a, a.T).get(), a.get() @ a.get().T)
    wgsl = devices.current_device().capabilities.workgroup_tiles
    s = _split_products.plan(4)[1]  # one launch per slice of `a`
    assert launches == ([_split_products.FOLD_RUN] * s if wgsl else [])


def _specials() -> tuple[np.ndarray, np.ndarray]:
    a = np.arange(1.0, 1.0 + 6 * 5).reshape(6, 5) / 7
    b = np.arange(1.0, 1.0 + 5 * 7).reshape(5, 7) / 3
    a[0, 2] = np.nan
    a[1, 3] = np.inf  # b's column 3 holds a zero: inf * 0 is NaN there
    a[2] = 0.0
    a[3] = [5e-324, -3e-320, 0.0, 1e-310, 2.5e-315]  # subnormal row
    a[4, 0] = 1e300  # overflows to inf against b's large column
    b[1, 3] = 0.0
    b[2, 5] = -np.inf
    b[:, 6] = [4e-320, 1e-312, -7e-318, 0.0, 5e-324]  # subnormal column
    b[0, 4] = 1e10
    return a, b


def test_non_finite_zero_and_subnormal_rows_as_numpy(split):
    a, b = _specials()
    with np.errstate(all="ignore"):
        expected, bound = a @ b, _bound(a, b)
    got = wp.matmul(wp.asarray(a), wp.asarray(b)).get()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(got[np.isinf(expected)], expected[np.isinf(expected)])
    # finite entries within the bound (b's column 4 spans 1e10 to 4: not NumPy's digits)
    for i, j in np.argwhere(np.isfinite(expected)):
        exact = sum(Fraction(x) * Fraction(y) for x, y in zip(a[i], b[:, j]))
        assert abs(Fraction(got[i, j]) - exact) <= bound[i, j]
    assert split


def test_zero_rows_give_positive_zeros(split):
    a = np.zeros((3, 4))
    a[1] = -1.0
    b = np.zeros((4, 2))
    got = wp.matmul(wp.asarray(a), wp.asarray(b)).get()
    np.testing.assert_array_equal(got, np.zeros((3, 2)))
    assert not np.signbit(got).any()


def test_batches_and_broadcast_batch_axes(split):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((2, 1, 6, 40))
    b = rng.standard_normal((3, 40, 5)) * 1e-200
    got = wp.matmul(wp.asarray(a), wp.asarray(b)).get()
    np.testing.assert_allclose(got, a @ b, rtol=1e-14, atol=0)
    assert split == [(2, 3, 6, 5)]


def test_transposed_operand_and_column_blocks(split, monkeypatch):
    monkeypatch.setattr(_split_products, "MAX_PRODUCT_ELEMENTS", 100)  # column blocks of 1
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((4, 30)), rng.standard_normal((5, 30))
    got = wp.matmul(wp.asarray(a), wp.asarray(b).T).get()
    np.testing.assert_allclose(got, a @ b.T, rtol=1e-14, atol=1e-15)


def test_complex128_splits(split):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 20)) + 1j * rng.standard_normal((3, 20))
    b = rng.standard_normal((20, 4)) - 1j * rng.standard_normal((20, 4))
    got = wp.matmul(wp.asarray(a), wp.asarray(b)).get()
    np.testing.assert_allclose(got, a @ b, rtol=1e-14, atol=1e-15)
    assert len(split) == 4


@pytest.mark.parametrize("threshold", [None, 64**3])
def test_products_below_the_threshold_walk_k(monkeypatch, threshold):
    """By default (None) no product splits; with a threshold, none below it does."""
    calls = []
    monkeypatch.setattr(_products, "SPLIT_MULTIPLY_ADDS", threshold)
    monkeypatch.setattr(_split_products, "matmul", lambda *args: calls.append(args))
    a = wp.asarray(np.ones((40, 40)))
    np.testing.assert_array_equal(wp.matmul(a, a).get(), np.full((40, 40), 40.0))
    assert not calls


def test_the_unfolded_split_starts_later(monkeypatch):
    """Folded products (WGSL) split from SPLIT_MULTIPLY_ADDS on, float32 ones (GLSL) from
    UNFOLDED_SPLIT_MULTIPLY_ADDS."""
    calls = []
    monkeypatch.setattr(_products, "SPLIT_MULTIPLY_ADDS", 32**3)
    monkeypatch.setattr(_products, "UNFOLDED_SPLIT_MULTIPLY_ADDS", 64**3)
    monkeypatch.setattr(_split_products, "matmul", lambda *args: calls.append(args))
    a = wp.asarray(np.ones((40, 40)))
    wp.matmul(a, a)
    folds = _split_products.folds(devices.current_device())
    assert len(calls) == int(folds)


def test_plan_keeps_slice_products_exact():
    for k in (1, 7, 64, 258, 1000, 4096):
        beta, s = _split_products.plan(k)
        assert k * (2**beta - 1) ** 2 <= 2**24 < k * (2 ** (beta + 1) - 1) ** 2
        assert (s + 1) * 2.0 ** (-beta * s) <= U < s * 2.0 ** (-beta * (s - 1))
    assert [_split_products.products(k) for k in (256, 512, 1024)] == [28, 56, 112]
    assert math.comb(_split_products.plan(258)[1] + 1, 2) == 28
    folded = [_split_products.products(k, folded=True) for k in (256, 1024, 4096, 4717, 4718)]
    assert folded == [28, 28, 28, 28, 56]


def test_fold_constants_keep_sums_exact():
    """The folded form's bounds: float32 sums of FOLD_RUN products of beta-8 slices stay
    below 2^24 (one more could pass it) and every tile preset folds within that; a
    diagonal of s products over MAX_FOLDED_CHUNK stays in int32 (one more K could pass
    it), and so do the shorter chunks' own slices."""
    sp = _split_products
    beta, s = sp.FOLDED_BETA, sp.FOLDED_SLICES
    assert (beta, s) == sp.plan(sp.MAX_CHUNK)  # past MAX_CHUNK the slices stay
    square = (2**beta - 1) ** 2
    assert sp.FOLD_RUN == 258 and sp.FOLD_RUN * square <= 2**24 < (sp.FOLD_RUN + 1) * square
    for preset, tiles in TILES.items():
        period = _matmul.fold_period(preset, sp.FOLD_RUN)
        assert period % tiles.k == 0 and sp.FOLD_RUN - tiles.k < period <= sp.FOLD_RUN
    assert sp.MAX_FOLDED_CHUNK == 4717
    assert s * sp.MAX_FOLDED_CHUNK * square <= 2**31 - 1 < s * (sp.MAX_FOLDED_CHUNK + 1) * square
    for k in range(1, sp.MAX_CHUNK + 1):
        beta_k, s_k = sp.chunk_plan(k, folded=True)
        assert s_k * k * (2**beta_k - 1) ** 2 <= 2**31 - 1
        assert k * (2**beta_k - 1) ** 2 <= 2**24  # its float32 sums are exact whole
    for k in (sp.MAX_CHUNK + 1, 1000, sp.MAX_FOLDED_CHUNK):
        assert sp.chunk_plan(k, folded=True) == (beta, s)


def test_groups_of_diagonals_stay_exact_integers():
    """A group of diagonal sums gathered in int64 is below 2^53, so converting it to
    float64 is exact; a group one longer could pass that."""
    folded = range(_split_products.MAX_CHUNK + 1, _split_products.MAX_FOLDED_CHUNK + 1, 37)
    for k in [*range(1, _split_products.MAX_CHUNK + 1), *folded, 4717]:
        beta, s = _split_products.chunk_plan(k, folded=True)
        group = _split_products.group_size(k, beta, s)
        largest = s * k * (2**beta - 1) ** 2  # the largest |D_d|
        gathered = sum(largest * 2 ** (beta * j) for j in range(group))
        assert gathered < 2**53
        assert 2 * largest * 2 ** (beta * group) > 2**53
    assert _split_products.group_size(258, *_split_products.plan(258)) == 4
    assert [_split_products.group_size(k, 8, 7) for k in (589, 590, 4717)] == [4, 3, 3]


@pytest.mark.parametrize("scatter", [True, False])
def test_slices_are_the_significand_bits_numpy_cuts(scatter):
    """The slicer reads slices from the bits; NumPy's float64 arithmetic (exact here: a
    truncation of a power-of-two scaling) gives the same float32 bits, for every width,
    for zeros of both signs, subnormals, rows spanning 2^1000 and non-finite rows; the
    scaled magnitudes beside them are NumPy's too. Both forms run on each backend (WebGL:
    the one-pass form's scatter on the interpreter)."""
    rng = np.random.default_rng(5)
    rows, cols = 8, 40
    x = rng.standard_normal((rows, cols)) * 10.0 ** rng.uniform(-300, 300, (rows, 1))
    x *= 10.0 ** rng.uniform(-20, 0, (rows, cols))
    x[0] = 0.0
    x[1, :4] = [-0.0, 5e-324, -5e-324, -1e-310]
    x[2] = 2.0**-1074 * rng.integers(1, 2**40, cols)
    x[3] = rng.integers(-(2**53), 2**53, cols)
    x[4, 0], x[5, 0] = np.inf, np.nan
    m = np.abs(x).max(axis=1, keepdims=True)
    _, e = np.frexp(m)
    with np.errstate(invalid="ignore"):
        scaled = np.where(np.isfinite(m), np.ldexp(np.abs(x), -e), 0).astype(np.float32)
    for beta, s in [(8, 7), (9, 6), (12, 5)]:
        got = wp.empty((rows, s, cols), np.float32)
        magnitudes = wp.empty((rows, cols), np.float32)
        xs, ms = wp.asarray(x), wp.asarray(m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wp.PerformanceWarning)  # WebGL's scatter
            if scatter:
                _split_products._slicer(True)(xs, ms, cols, s, beta, got, magnitudes)
            else:
                _split_products._slicer(False)(xs[:, None], ms[:, None], cols, s, beta, got)
                _split_products._magnitudes()(xs, ms, magnitudes)
        t = np.arange(s)[None, :, None]
        with np.errstate(invalid="ignore"):
            y = np.trunc(np.ldexp(x[:, None, :], beta * (t + 1) - e[:, :, None]))
            high = np.ldexp(np.trunc(np.ldexp(y, -beta)), beta)
            want = np.where(np.isfinite(m)[:, :, None], (y - high).astype(np.float32), 0)
        want = want.astype(np.float32) + np.float32(0)  # -0.0 as +0.0, as the slicer gives
        np.testing.assert_array_equal(got.get().view(np.uint32), want.view(np.uint32))
        np.testing.assert_array_equal(magnitudes.get().view(np.uint32), scaled.view(np.uint32))
