"""float64 matmul under the exact 64-bit policy as exact float32 products of slices
(`_split_products`) on both backends: the error bound of its docstring against exact
(rational) references for normal, uniform, integer-valued and row/column-scaled operands
(1e-150..1e150), K from 1 to 5000; NaN, Inf, zero rows, subnormal rows, overflow as
NumPy's; batches, broadcast batch axes, column blocks and complex128 through it.

Rule: every product here is small; the split is forced by lowering
`SPLIT_MULTIPLY_ADDS`, and each test checks the split ran.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import wgpy_backend  # noqa: F401  (runs every test on every backend)
from wgpy_runtime import _products, _split_products

U = 2.0**-53


@pytest.fixture
def split(monkeypatch):
    """Every float64 product splits; the list gathers each split's result shape."""
    calls = []
    monkeypatch.setattr(_products, "SPLIT_MULTIPLY_ADDS", 1)
    inner = _split_products.matmul
    monkeypatch.setattr(
        _split_products, "matmul", lambda a, b, r: (calls.append(r.shape), inner(a, b, r))
    )
    return calls


def _exact(a: np.ndarray, b: np.ndarray) -> list[list[Fraction]]:
    rows = [[Fraction(x) for x in r] for r in a]
    cols = [[Fraction(x) for x in c] for c in b.T]
    return [[sum((x * y for x, y in zip(r, c)), Fraction(0)) for c in cols] for r in rows]


def _bound(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The docstring's bound, a float64 dot product's: gamma(k + s) sum|a b| per chunk of
    K (split or walked), plus a rounding of 2^-1075 per operation where results are
    subnormal."""
    k = a.shape[1]
    chunk = _split_products._chunk_length(k)
    terms = k + sum(_split_products.plan(min(chunk, k - start))[1] for start in range(0, k, chunk))
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


@pytest.mark.parametrize("k", [7, 300])
def test_integer_values_are_exact(split, k):
    rng = np.random.default_rng(k)
    a = rng.integers(-1000, 1001, (5, k)).astype(np.float64)
    b = rng.integers(-1000, 1001, (k, 6)).astype(np.float64)
    np.testing.assert_array_equal(wp.matmul(wp.asarray(a), wp.asarray(b)).get(), a @ b)


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


def test_plan_keeps_slice_products_exact():
    for k in (1, 7, 64, 258, 1000, 4096):
        beta, s = _split_products.plan(k)
        assert k * (2**beta - 1) ** 2 <= 2**24 < k * (2 ** (beta + 1) - 1) ** 2
        assert (s + 1) * 2.0 ** (-beta * s) <= U < s * 2.0 ** (-beta * (s - 1))
    assert [_split_products.products(k) for k in (256, 512, 1024)] == [28, 56, 112]
    assert math.comb(_split_products.plan(258)[1] + 1, 2) == 28


def test_groups_of_diagonals_stay_exact_integers():
    """A group of diagonal sums gathered in int64 is below 2^53, so converting it to
    float64 is exact; a group one longer could pass that."""
    for k in range(1, _split_products.MAX_CHUNK + 1):
        beta, s = _split_products.plan(k)
        group = _split_products.group_size(k, beta, s)
        largest = s * k * (2**beta - 1) ** 2  # the largest |D_d|
        gathered = sum(largest * 2 ** (beta * j) for j in range(group))
        assert gathered < 2**53
        assert 2 * largest * 2 ** (beta * group) > 2**53
    assert _split_products.group_size(258, *_split_products.plan(258)) == 4
