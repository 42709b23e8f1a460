"""complex64 and complex128 arrays on both native backends, compared with NumPy.

Rule: complex128 runs under the exact 64-bit policy (set for this module, the previous
one restored afterwards) and is compared bit for bit wherever the runtime computes NumPy's
own formula in IEEE binary64 (`same` on the components: a NaN only needs to be a NaN);
multiply and abs, which NumPy fuses into an FMA on this machine's SIMD loops, are compared
bit for bit with the unfused formula and to 2 ulp with NumPy; routines that reach float64
sin/cos/atan2 (exp, log, angle, power with a non-integer exponent) are compared to float32
precision, the float64 library's fallback. complex64 is compared to a few float32 ulp of
|result| (`close`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.compiler.test_lib_float64 import same
from tests.runtime.helpers import wgpy_backend  # noqa: F401  (runs every test on every backend)

C64, C128 = np.dtype("complex64"), np.dtype("complex128")
SPECIALS = [0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan, 1e-300, 1e300]


@pytest.fixture(autouse=True, scope="module")
def exact_policy():
    previous = wp.get_64bit_policy()
    wp.set_64bit_policy("exact")
    yield
    wp.set_64bit_policy(previous)


def values(dtype, n: int = 400, seed: int = 0, spread: float = 3.0) -> np.ndarray:
    """Random complex values whose parts span 10^-spread .. 10^spread, with signs."""
    rng = np.random.default_rng(seed)
    parts = rng.standard_normal((2, n)) * 10.0 ** rng.uniform(-spread, spread, (2, n))
    return (parts[0] + 1j * parts[1]).astype(dtype)


def specials(dtype) -> np.ndarray:
    """Every pairing of special parts (zeros of both signs, infinities, NaN, extremes)."""
    s = np.array(SPECIALS)
    re, im = (x.ravel() for x in np.meshgrid(s, s))
    z = np.empty(re.size, dtype)
    with np.errstate(over="ignore"):
        z.real, z.imag = re, im
    return z


def same_complex(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Per element: both components have the same bits (or are both NaN)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    return same(got.real.astype(np.float64), want.real.astype(np.float64)) & same(
        got.imag.astype(np.float64), want.imag.astype(np.float64)
    )


def assert_same(got, want) -> None:
    ok = same_complex(np.asarray(got), np.asarray(want))
    assert ok.all(), f"{(~ok).sum()} differ, first: got {got[~ok][:3]}, want {want[~ok][:3]}"


def close(got, want, ulps: float) -> None:
    """|got - want| within `ulps` units of |want| (normwise, the usual measure of complex
    rounding), NaN where NumPy has NaN, equal infinities."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    eps = np.finfo(want.real.dtype).eps
    finite = np.isfinite(want)
    assert (np.isnan(got) == np.isnan(want)).all()
    assert (got[~finite & ~np.isnan(want)] == want[~finite & ~np.isnan(want)]).all()
    g, w = got[finite].astype(C128), want[finite].astype(C128)
    bound = ulps * eps * np.abs(w) + np.finfo(want.real.dtype).tiny
    assert (np.abs(g - w) <= bound).all(), np.max(np.abs(g - w) / (np.abs(w) * eps + 1e-300))


def unfused_multiply(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(ar br - ai bi) + i (ar bi + ai br), each operation rounded: the formula NumPy
    states (its SIMD loops contract it into an FMA where the CPU has one)."""
    ar, ai, br, bi = x.real, x.imag, y.real, y.imag
    out = np.empty(np.broadcast_shapes(x.shape, y.shape), x.dtype)
    out.real, out.imag = ar * br - ai * bi, ar * bi + ai * br
    return out


# ---------------------------------------------------------------------------- arrays


@pytest.mark.parametrize("dtype", [C64, C128])
def test_round_trip_and_creation(dtype):
    x = np.concatenate([values(dtype), specials(dtype)])
    assert_same(wp.asarray(x).get(), x)
    assert_same(wp.asarray(x.reshape(13, 37)).T.get(), x.reshape(13, 37).T)
    for make in ("zeros", "ones"):
        got = getattr(wp, make)((3, 4), dtype).get()
        assert_same(got, getattr(np, make)((3, 4), dtype))
    assert wp.empty((2, 3), dtype).shape == (2, 3)
    assert_same(wp.full((5,), 2 - 3j, dtype).get(), np.full((5,), 2 - 3j, dtype))
    assert_same(wp.full((2, 2), 1.5j).get(), np.full((2, 2), 1.5j))
    assert_same(wp.full_like(wp.asarray(x), -1j).get(), np.full_like(x, -1j))
    assert_same(wp.eye(3, 4, 1, dtype=dtype).get(), np.eye(3, 4, 1, dtype=dtype))
    assert wp.asarray([1 + 1j, 2]).dtype == C128
    assert complex(wp.asarray(x[:1])) == complex(x[0])


def test_astype_between_complex_and_real():
    x = np.concatenate([values(C128, spread=40), specials(C128)])
    a = wp.asarray(x)
    with np.errstate(all="ignore"):
        assert_same(a.astype(C64).get(), x.astype(C64))
        assert_same(a.astype(C64).astype(C128).get(), x.astype(C64).astype(C128))
    assert (a.astype(bool).get() == x.astype(bool)).all()
    with pytest.warns(np.exceptions.ComplexWarning):
        got = a.astype(np.float32).get()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        assert same(got.astype(np.float64), x.astype(np.float32).astype(np.float64)).all()
    r = np.array([0.5, -0.0, np.inf, np.nan, 3e300])
    assert_same(wp.asarray(r).astype(C128).get(), r.astype(C128))
    i = np.array([3, -7, 2**40], np.int64)
    assert_same(wp.asarray(i).astype(C128).get(), i.astype(C128))
    assert_same(wp.asarray(r[:2].astype(np.float32)).astype(C64).get(), r[:2].astype(C64))


def test_real_and_imag_are_assignable_views():
    x = values(C64, 12).reshape(3, 4)
    a = wp.asarray(x)
    assert a.real.dtype == np.float32 and a.real.shape == (3, 4)
    assert same(a.real.get().astype(np.float64), x.real.astype(np.float64)).all()
    assert same(wp.imag(a).get().astype(np.float64), x.imag.astype(np.float64)).all()
    a.real[1] = 7
    a.imag[:, 2] = wp.arange(3, dtype=np.float32)
    x.real[1] = 7
    x.imag[:, 2] = np.arange(3)
    assert_same(a.get(), x)
    a.imag = 0.5
    x.imag = 0.5
    assert_same(a.get(), x)
    a.T.real[...] = a.T.imag  # overlapping views of one buffer
    x.T.real[...] = x.T.imag.copy()
    assert_same(a.get(), x)
    r = wp.arange(4, dtype=np.float32)
    assert (r.real.get() == np.arange(4)).all() and (r.imag.get() == 0).all()
    with pytest.raises(TypeError):
        r.imag = 1


@pytest.mark.parametrize("dtype", [C64, C128])
def test_views_indexing_and_copies(dtype):
    x = values(dtype, 120, seed=1).reshape(4, 5, 6)
    a = wp.asarray(x)
    assert_same(a[1:, ::2, -1].get(), x[1:, ::2, -1])
    assert_same(a.transpose(2, 0, 1).reshape(6, -1).get(), x.transpose(2, 0, 1).reshape(6, -1))
    assert_same(a[::-1].copy().get(), x[::-1].copy())
    assert_same(a[[0, 3, 3], :, [1, 2, 5]].get(), x[[0, 3, 3], :, [1, 2, 5]])
    mask = x.real > 0
    assert_same(a[wp.asarray(mask)].get(), x[mask])
    assert_same(a[:, [4, 0]].get(), x[:, [4, 0]])
    assert_same(wp.take(a, [5, 1], axis=2).get(), np.take(x, [5, 1], axis=2))
    b, y = a.copy(), x.copy()
    b[[1, 2], 0] = 1 - 2j
    y[[1, 2], 0] = 1 - 2j
    b[wp.asarray(mask)] = 3j
    y[mask] = 3j
    b[0, :, [0, 1]] = a[1, :, 4:].T  # separated advanced indices: their axis first
    y[0, :, [0, 1]] = x[1, :, 4:].T
    b[..., 3] = x[..., 2]  # from the host
    y[..., 3] = x[..., 2]
    assert_same(b.get(), y)
    assert_same(wp.concatenate([a, a[:1]]).get(), np.concatenate([x, x[:1]]))
    m = wp.asarray(mask)
    assert_same(wp.where(m, a, 1j).get(), np.where(mask, x, 1j).astype(dtype))
    f = np.arange(6, dtype=np.float32)
    assert_same(wp.where(m, wp.asarray(f), a).get(), np.where(mask, f, x))
    assert_same(wp.stack([a[0], a[1]], axis=1).get(), np.stack([x[0], x[1]], axis=1))


# ---------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize("op", ["add", "subtract", "true_divide"])
def test_complex128_arithmetic_is_bit_for_bit(op):
    x = np.concatenate([values(C128, spread=200), np.repeat(specials(C128), 9)])
    y = np.concatenate([values(C128, seed=5, spread=200), np.tile(specials(C128), 9)])
    with np.errstate(all="ignore"):
        want = getattr(np, op)(x, y)
    assert_same(getattr(wp, op)(wp.asarray(x), wp.asarray(y)).get(), want)


def test_complex128_multiply_is_the_unfused_formula():
    x = np.concatenate([values(C128, spread=100), np.repeat(specials(C128), 9)])
    y = np.concatenate([values(C128, seed=5, spread=100), np.tile(specials(C128), 9)])
    with np.errstate(all="ignore"):
        got = (wp.asarray(x) * wp.asarray(y)).get()
        assert_same(got, unfused_multiply(x, y))
        close(got[:400], x[:400] * y[:400], 2)


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "true_divide"])
def test_complex64_arithmetic(op):
    x, y = values(C64), values(C64, seed=7)
    want = getattr(np, op)(x, y)
    got = getattr(wp, op)(wp.asarray(x), wp.asarray(y)).get()
    if op in ("add", "subtract"):  # one correctly rounded float32 operation per part
        assert_same(got, want)
    close(got, want, 4)


def test_type_promotion_with_scalars_and_real_arrays():
    x = values(C64, 50)
    f64 = np.linspace(-3, 3, 50)
    f32 = f64.astype(np.float32)
    i64 = np.arange(50) - 25
    a = wp.asarray(x)
    cases = [
        (a + wp.asarray(f64), x + f64),  # complex64 + float64 -> complex128
        (wp.asarray(f32) * 1j, f32 * 1j),  # float32 * Python complex -> complex64
        (wp.asarray(i64) - 2j, i64 - 2j),  # int64 - Python complex -> complex128
        (a * (2 - 1j), x * (2 - 1j)),
        (a / 3.0, x / 3.0),
        (2 / a, 2 / x),
        (a + np.float64(1.5), x + np.float64(1.5)),
        (a * np.complex128(1j), x * np.complex128(1j)),
        (wp.asarray(f32) / a, f32 / x),
    ]
    for got, want in cases:
        got = got.get()
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        close(got, want, 4)
    b, y = a.copy(), x.copy()
    b += 1j
    b *= wp.asarray(f32)
    y += 1j
    y *= f32
    close(b.get(), y, 4)
    with pytest.raises(TypeError):
        wp.asarray(f64).__iadd__(1j)  # complex into float64: not a same-kind cast


@pytest.mark.parametrize("dtype", [C64, C128])
def test_unary_routines(dtype):
    x = values(dtype, spread=2 if dtype == C64 else 20)
    a = wp.asarray(x)
    assert_same(wp.conj(a).get(), np.conj(x))
    assert_same((-a).get(), -x)
    assert_same(wp.positive(a).get(), x)
    if dtype == C128:
        assert_same(wp.reciprocal(a).get(), np.reciprocal(x))
        assert_same(wp.square(a).get(), unfused_multiply(x, x))
    else:
        close(wp.reciprocal(a).get(), np.reciprocal(x), 4)
        close(wp.square(a).get(), np.square(x), 4)
    got = abs(a).get()
    assert got.dtype == x.real.dtype
    ulp = np.abs(got.astype(np.float64) - np.abs(x)) / np.spacing(np.abs(x))
    assert ulp.max() <= 2
    close(wp.sqrt(a).get(), np.sqrt(x), 4)
    # float64 sin/cos/atan2 still come from the float32 library: float32 precision of the
    # angle (its argument rounded to float32 too)
    loose = 8 if dtype == C64 else 2**34
    m = values(dtype, seed=11, spread=1)  # moderate: exp in range, sin/cos of small angles
    close(wp.exp(wp.asarray(m)).get(), np.exp(m), loose)
    close(wp.log(a).get(), np.log(x), loose)
    angle = wp.angle(a).get()
    assert angle.dtype == x.real.dtype
    tol = 4e-7 if dtype == C64 else 2e-7
    assert np.allclose(angle, np.angle(x), rtol=tol, atol=tol)
    assert np.allclose(wp.angle(a, deg=True).get(), np.angle(x, deg=True), rtol=tol)
    r = np.array([-2.0, 0.0, 3.0])
    assert np.allclose(wp.angle(wp.asarray(r)).get(), np.angle(r))


def test_complex128_abs_is_the_unfused_formula():
    x = np.concatenate([values(C128, spread=300), specials(C128)])
    re, im = np.abs(x.real), np.abs(x.imag)
    big, small = np.maximum(re, im), np.minimum(re, im)
    with np.errstate(all="ignore"):
        q = small / big
        want = np.where(big == 0, 0.0, big * np.sqrt(1 + q * q))
    want = np.where(np.isinf(re) | np.isinf(im), np.inf, want)
    want = np.where(np.isnan(want) | np.isnan(x.real) | np.isnan(x.imag), np.nan, want)
    want[np.isinf(re) | np.isinf(im)] = np.inf
    got = abs(wp.asarray(x)).get()
    assert same(got, want).all()
    assert same(got, np.abs(x)).mean() > 0.5  # NumPy's fused loop agrees most of the time


def test_special_values_of_sqrt_and_abs():
    x = specials(C128)
    with np.errstate(all="ignore"):
        want_abs = np.abs(x)
        want = np.sqrt(x)
    got_abs = abs(wp.asarray(x)).get()
    with np.errstate(invalid="ignore"):
        abs_error = np.abs(got_abs - want_abs)
    inexact = np.isfinite(want_abs) & (want_abs != 0)  # NumPy's fused loop: 1 ulp apart
    assert same(got_abs[~inexact], want_abs[~inexact]).all()
    assert (abs_error[inexact] <= np.spacing(want_abs[inexact])).all()
    got = wp.sqrt(wp.asarray(x)).get()
    finite = np.isfinite(x) & (np.abs(x) < 1e200) & (np.abs(x) > 1e-200)
    close(got[finite], want[finite], 4)
    assert_same(got[~np.isfinite(x) & ~np.isnan(x)], want[~np.isfinite(x) & ~np.isnan(x)])
    assert np.isnan(got[np.isnan(want)]).any(axis=None)


@pytest.mark.parametrize("dtype", [C64, C128])
def test_power(dtype):
    x = values(dtype, 200, spread=0.5)
    a = wp.asarray(x)
    for n in (2, 3, 5, -1, -3, 17):
        with np.errstate(all="ignore"):  # np.power: NumPy's `**` sends 2 and -1 to
            want = np.power(x, n)  # square and reciprocal
        got = wp.power(a, n).get()
        if dtype == C128:  # NumPy multiplies integer powers unfused: the same bits
            assert_same(got, want)
        else:
            close(got, want, 16)
    y = values(dtype, 200, seed=3, spread=0.3)
    loose = 64 if dtype == C64 else 2**34  # float32 sin, cos, atan2 (see test_unary_routines)
    close((a ** wp.asarray(y)).get(), x**y, loose)
    close((a**0.5).get(), x**0.5, loose)
    zero = wp.zeros(4, dtype)
    exps = np.array([0, 2, 1 + 1j, -1], dtype)
    with np.errstate(all="ignore"):
        assert_same((zero ** wp.asarray(exps)).get(), np.zeros(4, dtype) ** exps)


def test_comparisons_and_classification():
    x = np.repeat(specials(C128), 81)
    y = np.tile(specials(C128), 81)
    a, b = wp.asarray(x), wp.asarray(y)
    for op in ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]:
        got = getattr(wp, op)(a, b).get()
        with np.errstate(invalid="ignore"):
            want = getattr(np, op)(x, y)
        assert got.dtype == bool and (got == want).all(), op
    assert ((a == 1.0).get() == (x == 1.0)).all()
    assert ((a != 1j).get() == (x != 1j)).all()
    for op in ["isnan", "isinf", "isfinite"]:
        assert (getattr(wp, op)(a).get() == getattr(np, op)(x)).all(), op
    z = wp.asarray(values(C64, 30))
    assert (z == z.copy()).get().all()


def test_unsupported_routines_say_so():
    with pytest.raises(TypeError, match="complex"):
        wp.sin(wp.asarray(values(C64, 4)))


# ---------------------------------------------------------------------------- reductions


@pytest.mark.parametrize("dtype", [C64, C128])
def test_sum_prod_mean(dtype):
    x = values(dtype, 120, seed=2, spread=1).reshape(4, 5, 6)
    a = wp.asarray(x)
    ulps = 64 if dtype == C64 else 16
    for axis in (None, 0, (0, 2), -1):
        for keepdims in (False, True):
            got = wp.sum(a, axis=axis, keepdims=keepdims).get()
            want = np.sum(x, axis=axis, keepdims=keepdims)
            assert got.shape == want.shape and got.dtype == want.dtype
            ref = np.sum(np.abs(x), axis=axis, keepdims=keepdims)  # the sum's error scale
            assert (np.abs(got - want) <= ulps * np.finfo(dtype).eps * ref).all()
    unit = (x / np.abs(x)).astype(dtype)  # products of unit length stay in range
    u = wp.asarray(unit)
    for axis in (None, 1, (0, 2)):
        close(wp.prod(u, axis=axis).get(), np.prod(unit, axis=axis), 4 * ulps)
    close(u.prod(axis=2, keepdims=True).get(), unit.prod(axis=2, keepdims=True), 4 * ulps)
    close(a.mean(axis=0).get(), x.mean(axis=0), ulps)
    assert_same(wp.prod(a[:, :0], axis=1).get(), np.prod(x[:, :0], axis=1))
    assert_same(wp.sum(a[:, :1], axis=1).get(), np.sum(x[:, :1], axis=1))


@pytest.mark.parametrize("dtype", [C64, C128])
def test_var_and_std_are_real(dtype):
    """NumPy's var of a complex array: the mean of |x - mean|^2, of the component dtype
    (var of the real parts plus var of the imaginary parts)."""
    x = values(dtype, 120, seed=3, spread=1).reshape(4, 5, 6)
    a = wp.asarray(x)
    rtol = 1e-5 if dtype == C64 else 1e-13
    for fn in ("var", "std"):
        for kwargs in ({}, {"axis": 1}, {"axis": (0, 2), "ddof": 1, "keepdims": True}):
            got, want = getattr(wp, fn)(a, **kwargs).get(), getattr(np, fn)(x, **kwargs)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=rtol)


def test_sum_of_small_integers_is_exact():
    x = (np.arange(60) % 7 - 3 + 1j * (np.arange(60) % 5)).astype(C128).reshape(6, 10)
    assert_same(wp.asarray(x).sum(axis=1).get(), x.sum(axis=1))
    assert_same(wp.asarray(x).sum().get(), x.sum())


@pytest.mark.parametrize("dtype", [C64, C128])
def test_matmul_and_dot(dtype):
    x = values(dtype, 7 * 9, seed=3, spread=1).reshape(7, 9)
    y = values(dtype, 9 * 5, seed=4, spread=1).reshape(9, 5)
    a, b = wp.asarray(x), wp.asarray(y)
    ulps = 64 if dtype == C64 else 16

    def check(got, want, scale):
        assert got.dtype == want.dtype and got.shape == want.shape
        assert (np.abs(got - want) <= ulps * np.finfo(dtype).eps * scale).all()

    check((a @ b).get(), x @ y, np.abs(x) @ np.abs(y))
    check(
        wp.dot(a.T[:5], a[:, :3]).get(),
        np.dot(x.T[:5], x[:, :3]),
        np.abs(x.T[:5]) @ np.abs(x[:, :3]),
    )
    v = x[0]
    check(wp.dot(a[0], a[0]).get(), np.dot(v, v), np.abs(v) @ np.abs(v))
    check(wp.vdot(a[0], a[1]).get(), np.vdot(v, x[1]), np.abs(v) @ np.abs(x[1]))
    r = np.linspace(-1, 1, 9 * 2).reshape(9, 2)
    check(wp.matmul(a, wp.asarray(r)).get(), x @ r, np.abs(x) @ np.abs(r))
    batch = np.stack([x, 2 * x])
    check(wp.matmul(wp.asarray(batch), b).get(), batch @ y, np.abs(batch) @ np.abs(y))


def test_complex128_under_the_fast_policy_has_float32_components():
    x, y = values(C128, 100, spread=2), values(C128, 100, seed=9, spread=2)
    wp.set_64bit_policy("fast")
    try:
        a, b = wp.asarray(x), wp.asarray(y)
        got = (a * b + a / b).get()
        assert got.dtype == C128
        close(got, x * y + x / y, 2**31)  # float32 precision of |result|
        assert np.allclose(got, x * y + x / y, rtol=1e-5)
    finally:
        wp.set_64bit_policy("exact")
