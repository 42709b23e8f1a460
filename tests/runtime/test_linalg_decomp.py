"""`wgpy_runtime.linalg`'s decompositions and solvers against NumPy's on both backends:
cholesky, det, slogdet, inv, solve, eigh, eigvalsh, svd, qr and norm, batched, 1x1 and
empty, float32 and float64 (exact policy), and NumPy's errors.

Rule: float32 within rtol 1e-4 of NumPy, float64 within 1e-10; eigen- and singular
vectors compared up to each vector's sign where the values are distinct, else through
A V = V diag(w) and orthonormality. No kernel may fall back to the interpreter.
"""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import (
    under_fast_64bit_policy,
    wgpy_backend,  # noqa: F401  (runs every test on every backend)
)

pytestmark = pytest.mark.filterwarnings("error::wgpy_runtime._fallback.PerformanceWarning")

FLOATS = ("float32", "float64")
TOL = {"float32": {"rtol": 1e-4, "atol": 1e-5}, "float64": {"rtol": 1e-10, "atol": 1e-12}}


def _random(shape, dtype, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _well_conditioned(shape, dtype, seed=0) -> np.ndarray:
    """Random matrices with a dominant diagonal in a shuffled row order (so the
    elimination must pivot)."""
    n = shape[-1]
    a = _random(shape, "float64", seed) + 3 * n**0.5 * np.eye(n)
    order = np.random.default_rng(seed + 1).permutation(n)
    return a[..., order, :].astype(dtype)


def _spd(shape, dtype, seed=0) -> np.ndarray:
    a = _random(shape, "float64", seed)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _symmetric(shape, dtype, seed=0) -> np.ndarray:
    a = _random(shape, "float64", seed)
    return ((a + np.swapaxes(a, -1, -2)) / 2).astype(dtype)


def _close(actual, expected, dtype=None, scale=1.0) -> None:
    actual = actual.get() if isinstance(actual, wp.ndarray) else np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    tol = TOL[np.dtype(dtype or expected.dtype).name]
    np.testing.assert_allclose(actual, expected, rtol=tol["rtol"], atol=tol["atol"] * scale)


def _same_vectors_up_to_sign(actual: np.ndarray, expected: np.ndarray, dtype: str) -> None:
    """Columns equal up to each column's sign."""
    flip = np.sign(np.sum(actual * expected, axis=-2, keepdims=True))
    _close(actual * flip, expected, dtype)


def _orthonormal_columns(q: np.ndarray, dtype: str) -> None:
    k = q.shape[-1]
    gram = np.swapaxes(q, -1, -2) @ q
    _close(gram, np.broadcast_to(np.eye(k, dtype=q.dtype), gram.shape), dtype, scale=10)


# ---------------------------------------------------------------------------- cholesky


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(1, 1), (5, 5), (2, 3, 4, 4)])
def test_cholesky(dtype, shape):
    a = _spd(shape, dtype)
    upper_ignored = a + np.triu(np.full(shape[-2:], 7, dtype), 1)  # NumPy reads the lower half
    _close(wp.linalg.cholesky(wp.asarray(upper_ignored)), np.linalg.cholesky(a))


def test_cholesky_integers_are_float64():
    a = np.array([[4, 2], [2, 3]], np.int32)
    _close(wp.linalg.cholesky(wp.asarray(a)), np.linalg.cholesky(a))


@pytest.mark.parametrize("shape", [(0, 0), (0, 3, 3), (2, 0, 0)])
def test_cholesky_empty(shape):
    result = wp.linalg.cholesky(wp.zeros(shape, dtype=wp.float32))
    assert result.shape == shape and result.dtype == np.float32


@pytest.mark.parametrize("dtype", FLOATS)
def test_cholesky_not_positive_definite(dtype):
    a = _spd((3, 4, 4), dtype)
    a[1, 2, 2] = -50  # one matrix of the batch
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        np.linalg.cholesky(a)
    with pytest.raises(wp.linalg.LinAlgError, match="not positive definite"):
        wp.linalg.cholesky(wp.asarray(a))


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_shape_errors(shape):
    a = wp.ones(shape, dtype=wp.float32)
    for function in (
        wp.linalg.cholesky,
        wp.linalg.det,
        wp.linalg.inv,
        wp.linalg.eigh,
        wp.linalg.slogdet,
    ):
        with pytest.raises(np.linalg.LinAlgError):
            function(a)
    with pytest.raises(np.linalg.LinAlgError):
        wp.linalg.svd(wp.ones((3,), dtype=wp.float32))


# ---------------------------------------------------------------------------- det, inv, solve


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(1, 1), (6, 6), (2, 3, 5, 5)])
def test_det_and_slogdet(dtype, shape):
    a = _random(shape, dtype, seed=3)
    _close(wp.linalg.det(wp.asarray(a)), np.linalg.det(a))
    sign, logabs = wp.linalg.slogdet(wp.asarray(a))
    expected_sign, expected_logabs = np.linalg.slogdet(a)
    _close(sign, expected_sign)
    _close(logabs, expected_logabs)


def test_det_of_a_permutation_needs_the_pivot_sign():
    a = np.eye(4)[[2, 0, 3, 1]] * np.array([1.0, -2.0, 3.0, 0.5])
    _close(wp.linalg.det(wp.asarray(a)), np.linalg.det(a))


@pytest.mark.parametrize("dtype", FLOATS)
def test_det_of_singular_matrices(dtype):
    a = np.stack([np.zeros((3, 3)), [[1, 2, 3], [2, 4, 6], [0, 1, 1]], np.eye(3)]).astype(dtype)
    _close(wp.linalg.det(wp.asarray(a)), np.linalg.det(a))
    sign, logabs = wp.linalg.slogdet(wp.asarray(a))
    expected_sign, expected_logabs = np.linalg.slogdet(a)
    _close(sign, expected_sign)
    np.testing.assert_array_equal(logabs.get()[[0, 1]], [-np.inf, -np.inf])
    _close(logabs.get()[2:], expected_logabs[2:])


def test_det_empty_and_integers():
    _close(wp.linalg.det(wp.zeros((0, 0))), np.linalg.det(np.zeros((0, 0))))
    assert wp.linalg.det(wp.zeros((0, 2, 2), dtype=wp.float32)).shape == (0,)
    a = np.array([[2, 1], [7, 4]], np.int64)
    _close(wp.linalg.det(wp.asarray(a)), np.linalg.det(a))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(1, 1), (7, 7), (2, 3, 4, 4)])
def test_inv(dtype, shape):
    a = _well_conditioned(shape, dtype)
    _close(wp.linalg.inv(wp.asarray(a)), np.linalg.inv(a))


@pytest.mark.parametrize("dtype", FLOATS)
def test_inv_singular_raises(dtype):
    a = np.stack([np.eye(3), [[1, 2, 3], [2, 4, 6], [0, 0, 0]]]).astype(dtype)
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        np.linalg.inv(a)
    with pytest.raises(wp.linalg.LinAlgError, match="Singular matrix"):
        wp.linalg.inv(wp.asarray(a))
    with pytest.raises(wp.linalg.LinAlgError, match="Singular matrix"):
        wp.linalg.solve(wp.asarray(a), wp.ones((2, 3, 1), dtype=a.dtype))


def test_inv_empty():
    assert wp.linalg.inv(wp.zeros((2, 0, 0))).shape == (2, 0, 0)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((5, 5), (5,)), ((5, 5), (5, 3)), ((2, 4, 4), (2, 4, 2)), ((2, 1, 3, 3), (4, 3, 2))],
)
def test_solve(dtype, a_shape, b_shape):
    a, b = _well_conditioned(a_shape, dtype, seed=5), _random(b_shape, dtype, seed=6)
    _close(wp.linalg.solve(wp.asarray(a), wp.asarray(b)), np.linalg.solve(a, b))


def test_solve_promotes_to_float64():
    a, b = _well_conditioned((3, 3), "float32"), _random((3,), "float64")
    _close(wp.linalg.solve(wp.asarray(a), wp.asarray(b)), np.linalg.solve(a, b))


def test_solve_shape_mismatch():
    with pytest.raises(ValueError):
        np.linalg.solve(np.eye(3), np.ones(4))
    with pytest.raises(ValueError):
        wp.linalg.solve(wp.eye(3), wp.ones(4))


# ---------------------------------------------------------------------------- eigh


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (7, 7), (2, 3, 6, 6)])
def test_eigh(dtype, shape):
    a = _symmetric(shape, dtype, seed=7)
    w, v = wp.linalg.eigh(wp.asarray(a))
    expected_w, expected_v = np.linalg.eigh(a)
    _close(w, expected_w)
    _same_vectors_up_to_sign(v.get(), expected_v, dtype)
    _close(wp.linalg.eigvalsh(wp.asarray(a)), np.linalg.eigvalsh(a))


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_reads_one_triangle(uplo):
    a = _symmetric((5, 5), "float64", seed=8)
    other = np.triu(np.full((5, 5), 9.0), 1) if uplo == "L" else np.tril(np.full((5, 5), 9.0), -1)
    w, v = wp.linalg.eigh(wp.asarray(a + other), UPLO=uplo)
    expected_w, expected_v = np.linalg.eigh(a + other, UPLO=uplo)
    _close(w, expected_w)
    _same_vectors_up_to_sign(v.get(), expected_v, "float64")


@pytest.mark.parametrize("dtype", FLOATS)
def test_eigh_repeated_eigenvalues(dtype):
    q, _ = np.linalg.qr(_random((6, 6), "float64", seed=9))
    a = ((q * np.array([2.0, 2.0, 2.0, -1.0, 5.0, 5.0])) @ q.T).astype(dtype)
    w, v = wp.linalg.eigh(wp.asarray(a))
    w, v = w.get(), v.get()
    _close(w, np.linalg.eigh(a)[0])
    _orthonormal_columns(v, dtype)
    _close(a @ v, v * w, dtype, scale=10)


def test_eigh_empty_and_diagonal():
    w, v = wp.linalg.eigh(wp.zeros((3, 0, 0), dtype=wp.float32))
    assert w.shape == (3, 0) and v.shape == (3, 0, 0)
    a = np.diag([3.0, -1.0, 2.0])
    w, v = wp.linalg.eigh(wp.asarray(a))
    _close(w, [-1.0, 2.0, 3.0])
    _close(np.abs(v.get()), np.abs(np.linalg.eigh(a)[1]))


# ---------------------------------------------------------------------------- svd


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(1, 1), (6, 4), (4, 6), (5, 5), (2, 3, 5, 3)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd(dtype, shape, full_matrices):
    a = _random(shape, dtype, seed=10)
    u, s, vh = (x.get() for x in wp.linalg.svd(wp.asarray(a), full_matrices=full_matrices))
    expected_u, expected_s, expected_vh = np.linalg.svd(a, full_matrices=full_matrices)
    _close(s, expected_s)
    assert u.shape == expected_u.shape and vh.shape == expected_vh.shape
    k = min(shape[-2:])
    _same_vectors_up_to_sign(u[..., :k], expected_u[..., :k], dtype)
    _same_vectors_up_to_sign(
        np.swapaxes(vh, -1, -2)[..., :k], np.swapaxes(expected_vh, -1, -2)[..., :k], dtype
    )
    _orthonormal_columns(u, dtype)
    _orthonormal_columns(np.swapaxes(vh, -1, -2), dtype)
    _close(wp.linalg.svd(wp.asarray(a), compute_uv=False), expected_s)


@pytest.mark.parametrize("dtype", FLOATS)
def test_svd_rank_deficient(dtype):
    a = np.outer(_random((5,), "float64", 11), _random((3,), "float64", 12)).astype(dtype)
    a = np.concatenate([a, np.zeros((5, 1), dtype)], axis=1)  # rank 1, a zero column
    u, s, vh = (x.get() for x in wp.linalg.svd(wp.asarray(a), full_matrices=False))
    _close(s, np.linalg.svd(a, compute_uv=False), dtype, scale=10)
    _orthonormal_columns(u, dtype)
    _orthonormal_columns(np.swapaxes(vh, -1, -2), dtype)
    _close((u * s[None, :]) @ vh, a, dtype, scale=10)


def test_svd_empty():
    u, s, vh = wp.linalg.svd(wp.zeros((2, 0, 3), dtype=wp.float32), full_matrices=False)
    assert (u.shape, s.shape, vh.shape) == ((2, 0, 0), (2, 0), (2, 0, 3))


# ---------------------------------------------------------------------------- qr


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(1, 1), (6, 4), (4, 6), (2, 5, 5)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr(dtype, shape, mode):
    a = _random(shape, dtype, seed=13)
    result = wp.linalg.qr(wp.asarray(a), mode=mode)
    expected = np.linalg.qr(a, mode=mode)
    if mode == "r":
        _close(result, expected)
        return
    _close(result[0], expected[0])
    _close(result[1], expected[1])


def test_qr_column_already_reduced_keeps_its_sign():
    a = np.array([[2.0, 1.0], [0.0, 3.0], [0.0, 4.0]])  # LAPACK does not reflect column 0
    q, r = wp.linalg.qr(wp.asarray(a))
    expected_q, expected_r = np.linalg.qr(a)
    _close(q, expected_q)
    _close(r, expected_r)


# ---------------------------------------------------------------------------- norm


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("ord", [None, 0, 1, 2, 3, 0.5, np.inf, -np.inf])
def test_vector_norm(dtype, ord):
    x = _random((3, 7), dtype, seed=14)
    _close(wp.linalg.norm(wp.asarray(x), ord, axis=-1), np.linalg.norm(x, ord, axis=-1))
    _close(
        wp.linalg.norm(wp.asarray(x), ord, axis=0, keepdims=True),
        np.linalg.norm(x, ord, axis=0, keepdims=True),
    )


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norm(ord):
    x = _random((3, 4, 5), "float64", seed=15)
    _close(wp.linalg.norm(wp.asarray(x), ord, axis=(1, 2)), np.linalg.norm(x, ord, axis=(1, 2)))
    _close(wp.linalg.norm(wp.asarray(x), ord, axis=(2, 0)), np.linalg.norm(x, ord, axis=(2, 0)))
    _close(wp.linalg.norm(wp.asarray(x[0]), ord), np.linalg.norm(x[0], ord))


def test_norm_defaults_and_errors():
    x = np.arange(12).reshape(3, 4)
    _close(wp.linalg.norm(wp.asarray(x)), np.linalg.norm(x))
    _close(wp.linalg.norm(wp.asarray(x), keepdims=True), np.linalg.norm(x, keepdims=True))
    for bad in ({"ord": "fro", "axis": 0}, {"ord": 3, "axis": (0, 1)}, {"axis": (0, 0)}):
        with pytest.raises(ValueError):
            np.linalg.norm(x, **bad)
        with pytest.raises(ValueError):
            wp.linalg.norm(wp.asarray(x), **bad)


# ---------------------------------------------------------------------------- the shim


def test_cupy_linalg_is_wgpy_runtime_linalg():
    from wgpy_runtime.cupy_shim import namespace

    module = namespace.build()["cupy.linalg"]
    for name in ("cholesky", "det", "slogdet", "inv", "solve", "eigh", "eigvalsh", "svd", "qr"):
        assert getattr(module, name) is getattr(wp.linalg, name)
    assert module.norm is wp.linalg.norm and module.LinAlgError is np.linalg.LinAlgError
    with pytest.raises(AttributeError, match="does not implement"):
        module.lstsq  # noqa: B018


def test_float16_is_computed_in_float32_as_cupy():
    a = _well_conditioned((3, 3), "float16")
    result = wp.linalg.det(wp.asarray(a))
    _close(result, np.linalg.det(a.astype(np.float32)))


@under_fast_64bit_policy
def test_fast_policy_float64_converges_to_float32_precision():
    a = _symmetric((2, 6, 6), "float64", seed=16)
    w, v = wp.linalg.eigh(wp.asarray(a))
    expected_w, expected_v = np.linalg.eigh(a)
    np.testing.assert_allclose(w.get(), expected_w, rtol=1e-4, atol=1e-5)
    s = wp.linalg.svd(wp.asarray(a), compute_uv=False)
    np.testing.assert_allclose(s.get(), np.linalg.svd(a, compute_uv=False), rtol=1e-4, atol=1e-5)


def test_nan_stops_the_jacobi_sweeps():
    a = np.eye(4)
    a[1, 2] = a[2, 1] = np.nan
    assert np.isnan(wp.linalg.eigvalsh(wp.asarray(a)).get()).any()
    assert np.isnan(wp.linalg.svd(wp.asarray(a), compute_uv=False).get()).any()
