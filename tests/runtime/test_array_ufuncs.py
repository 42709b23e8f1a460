"""Ufuncs and operators against NumPy on both backends: every built-in ufunc over the
dtypes NumPy accepts for it, NEP 50 promotion with Python scalars, `out=` casting,
in-place operators, and NumPy's errors (no loop, bad casts, out-of-range scalars).

Rule: one body per case, run with numpy and wgpy_runtime (`numpy_wgpy_allclose`); inputs
stay inside each function's domain, since WGSL and GLSL leave NaN behaviour outside it to
the implementation.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.runtime.helpers import (
    ALL_DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    numpy_wgpy_allclose,
    numpy_wgpy_array_equal,
    numpy_wgpy_raises,
    shaped_arange,
    shaped_random,
    wgpy_backend,  # noqa: F401  (runs every test on every backend)
)

UNARY_ANY = [
    "negative",
    "positive",
    "absolute",
    "sign",
    "square",
    "floor",
    "ceil",
    "trunc",
    "isnan",
    "isinf",
    "isfinite",
    "logical_not",
    "invert",
]
UNARY_FLOAT = [
    "exp",
    "exp2",
    "expm1",
    "sin",
    "cos",
    "tan",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "rint",
    "fabs",
    "signbit",
    "deg2rad",
    "rad2deg",
    "cbrt",
    "reciprocal",
]
UNARY_POSITIVE = ["log", "log2", "log10", "log1p", "sqrt", "arccosh"]
UNARY_UNIT = ["arcsin", "arccos", "arctanh"]
BINARY_ANY = [
    "add",
    "subtract",
    "multiply",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
]
BINARY_NONZERO = ["true_divide", "floor_divide", "remainder", "fmod"]
BINARY_FLOAT = ["arctan2", "hypot", "copysign", "logaddexp", "logaddexp2", "heaviside"]
BINARY_INT = ["bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "lcm"]
UNARY_DTYPES = (
    "bool",
    "int8",
    "uint8",
    "int16",
    "int32",
    "uint32",
    "int64",
    "float16",
    "float32",
    "float64",
)


def _sample(xp, dtype, kind, shape=(3, 4), seed=0):
    if kind == "positive":
        return shaped_random(shape, xp, dtype, scale=5, seed=seed, positive=True) + 1
    if kind == "unit":
        return xp.asarray(np.linspace(-0.9, 0.9, 12).reshape(shape).astype(dtype))
    return shaped_random(shape, xp, dtype, scale=5, seed=seed)


@pytest.mark.parametrize("dtype", UNARY_DTYPES)
@pytest.mark.parametrize("name", UNARY_ANY)
@numpy_wgpy_allclose()
def test_unary(name, dtype, xp):
    return getattr(xp, name)(_sample(xp, dtype, "any"))


@pytest.mark.parametrize("dtype", ("int8", "int32", "float16", "float32", "float64"))
@pytest.mark.parametrize("name", UNARY_FLOAT)
@numpy_wgpy_allclose(rtol=1e-4, atol=1e-5)
def test_unary_float(name, dtype, xp):
    x = shaped_random((3, 4), xp, dtype, scale=2, seed=1)
    if name == "reciprocal" and np.dtype(dtype).kind != "f":
        x = x * 0 + 3
    return getattr(xp, name)(x)


@pytest.mark.parametrize("dtype", ("uint8", "int16", "float16", "float32", "float64"))
@pytest.mark.parametrize("name", UNARY_POSITIVE)
@numpy_wgpy_allclose(rtol=1e-4, atol=1e-5)
def test_unary_positive_domain(name, dtype, xp):
    return getattr(xp, name)(_sample(xp, dtype, "positive"))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", UNARY_UNIT)
@numpy_wgpy_allclose(rtol=1e-4, atol=1e-5)
def test_unary_unit_domain(name, dtype, xp):
    return getattr(xp, name)(_sample(xp, dtype, "unit"))


@pytest.mark.parametrize(
    "dtype",
    ("bool", "int8", "uint8", "int16", "int32", "uint32", "int64", "float16", "float32", "float64"),
)
@pytest.mark.parametrize("name", BINARY_ANY)
@numpy_wgpy_allclose()
def test_binary(name, dtype, xp):
    a = shaped_random((3, 4), xp, dtype, scale=4, seed=1)
    b = shaped_random((4,), xp, dtype, scale=4, seed=2)
    return getattr(xp, name)(a, b)


@pytest.mark.parametrize(
    "dtype", ("int8", "uint8", "int16", "int32", "uint32", "int64", "float16", "float32", "float64")
)
@pytest.mark.parametrize("name", BINARY_NONZERO)
@numpy_wgpy_allclose(rtol=1e-4)
def test_binary_division(name, dtype, xp):
    a = shaped_random((4, 5), xp, dtype, scale=20, seed=3)
    b = shaped_random((4, 5), xp, dtype, scale=6, seed=4)
    b = xp.where(b == 0, 3, b).astype(dtype)
    return getattr(xp, name)(a, b)


@pytest.mark.parametrize("name", ["floor_divide", "remainder"])
@pytest.mark.parametrize("dtype", ("int32", "float32"))
@numpy_wgpy_array_equal()
def test_floor_semantics_signs(name, dtype, xp):
    a = xp.asarray(np.array([7, -7, 7, -7, 6, -6, 0], dtype))
    b = xp.asarray(np.array([2, 2, -2, -2, 3, 3, 5], dtype))
    return getattr(xp, name)(a, b)


@pytest.mark.parametrize("dtype", ("int8", "int32", "uint8", "int64"))
@numpy_wgpy_array_equal()
def test_integer_division_by_zero_is_zero(dtype, xp):
    a = xp.asarray(np.array([5, 0, 3], dtype))
    return xp.floor_divide(a, xp.zeros(3, dtype)), xp.remainder(a, xp.zeros(3, dtype))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", BINARY_FLOAT)
@numpy_wgpy_allclose(rtol=1e-4, atol=1e-5)
def test_binary_float(name, dtype, xp):
    a = shaped_random((3, 4), xp, dtype, scale=3, seed=5)
    b = shaped_random((3, 4), xp, dtype, scale=3, seed=6)
    return getattr(xp, name)(a, b)


@pytest.mark.parametrize("dtype", ("bool", "int8", "uint8", "int16", "int32", "uint32", "int64"))
@pytest.mark.parametrize("name", BINARY_INT)
@numpy_wgpy_array_equal()
def test_binary_int(name, dtype, xp):
    a = shaped_random((3, 4), xp, dtype, scale=30, seed=7)
    b = shaped_random((3, 4), xp, dtype, scale=30, seed=8)
    return getattr(xp, name)(a, b)


@pytest.mark.parametrize("dtype", ("int8", "uint8", "int16", "int32", "uint32", "int64"))
@pytest.mark.parametrize("name", ["left_shift", "right_shift"])
@numpy_wgpy_array_equal()
def test_shifts(name, dtype, xp):
    a = shaped_random((2, 6), xp, dtype, scale=100, seed=9)
    b = xp.asarray(np.array([0, 1, 3, 5, 7, 2], dtype))
    return getattr(xp, name)(a, b)


@pytest.mark.parametrize(
    "dtype", ("int8", "uint8", "int32", "uint32", "int64", "float16", "float32", "float64")
)
@numpy_wgpy_allclose(rtol=1e-4)
def test_power(dtype, xp):
    a = shaped_random((3, 4), xp, dtype, scale=4, seed=10, positive=True)
    b = xp.asarray(np.array([0, 1, 2, 3], dtype))
    return xp.power(a, b), a**2


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@numpy_wgpy_allclose()
def test_nan_propagation(dtype, xp):
    a = xp.asarray(np.array([np.nan, 1, np.nan, -np.inf, 2], dtype))
    b = xp.asarray(np.array([0, np.nan, np.nan, 1, np.inf], dtype))
    return (
        xp.maximum(a, b),
        xp.minimum(a, b),
        xp.fmax(a, b),
        xp.fmin(a, b),
        xp.isnan(a),
        xp.isinf(b),
        xp.isfinite(a + b),
    )


@pytest.mark.parametrize("dtype", ("int8", "uint8", "int32", "float32", "float64"))
@numpy_wgpy_allclose()
def test_clip(dtype, xp):
    a = shaped_random((3, 4), xp, dtype, scale=10, seed=11)
    return xp.clip(a, 1, 6), a.clip(2, None), xp.clip(a, None, 3)


@pytest.mark.parametrize("decimals", (0, 1, 2, -1))
@numpy_wgpy_allclose(rtol=1e-5)
def test_around(decimals, xp):
    a = xp.asarray(np.array([0.5, 1.5, 2.5, -0.5, 1.234, -5.678, 123.456], np.float32))
    return xp.around(a, decimals), a.round(decimals)


# ---------------------------------------------------------------------------- promotion

PROMOTION_PAIRS = [
    ("int8", "uint8"),
    ("int8", "int16"),
    ("uint8", "uint16"),
    ("int16", "uint16"),
    ("int32", "uint32"),
    ("int32", "float32"),
    ("int8", "float16"),
    ("uint16", "float16"),
    ("float16", "float32"),
    ("float32", "float64"),
    ("bool", "int8"),
    ("bool", "float32"),
    ("int32", "int64"),
    ("uint8", "int64"),
    ("int16", "float32"),
    ("int64", "float32"),
]


@pytest.mark.parametrize("a_dtype,b_dtype", PROMOTION_PAIRS)
@numpy_wgpy_allclose()
def test_mixed_dtype_promotion(a_dtype, b_dtype, xp):
    a = shaped_arange((2, 3), xp, a_dtype)
    b = shaped_arange((3,), xp, b_dtype)
    return a + b, a * b, a < b


SCALARS = [1, -1, 2.5, True, 300, np.float32(1.5), np.int8(3), np.float64(0.25)]


@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize(
    "dtype", ("bool", "int8", "uint8", "int32", "float16", "float32", "float64")
)
@numpy_wgpy_allclose(rtol=1e-3)
def test_python_scalars_are_weak(dtype, scalar, xp):
    a = shaped_arange((2, 3), xp, dtype)
    return a + scalar, scalar * a, a > scalar


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "true_divide", "power"])
@numpy_wgpy_allclose(rtol=1e-5)
def test_reflected_operators(op, xp):
    a = shaped_arange((2, 3), xp, "float32")
    return {
        "add": 2 + a,
        "subtract": 2 - a,
        "multiply": 2 * a,
        "true_divide": 2 / a,
        "power": 2**a,
    }[op]


@pytest.mark.parametrize("dtype", ("int8", "int32", "float32"))
@numpy_wgpy_allclose()
def test_inplace_operators(dtype, xp):
    a = shaped_arange((3, 4), xp, dtype)
    b = shaped_arange((4,), xp, dtype)
    a += b
    a *= 2
    a -= b
    a //= 2
    a[1:] += a[:-1]  # overlapping views: NumPy semantics need the input read first
    return a


@numpy_wgpy_allclose()
def test_inplace_on_view(xp):
    a = shaped_arange((4, 6), xp, "float32")
    v = a[::2, 1::2]
    v += 100
    a.T[0] *= -1
    return a


@numpy_wgpy_allclose()
def test_unary_operators(xp):
    a = shaped_random((3, 4), xp, "int32", seed=12)
    return -a, +a, abs(a), ~a, (a > 0) & (a < 3), (a > 0) | (a < -3), (a > 0) ^ (a < 2)


@numpy_wgpy_allclose()
def test_out_argument_casts(xp):
    a = shaped_arange((2, 3), xp, "int8")
    out = xp.zeros((2, 3), "float32")
    r = xp.add(a, a, out=out)
    return r, out


@numpy_wgpy_allclose()
def test_dtype_argument(xp):
    a = shaped_arange((2, 3), xp, "int8")
    return xp.add(a, a, dtype="float32"), xp.multiply(a, 2, dtype="int32")


@numpy_wgpy_allclose()
def test_divmod(xp):
    a = shaped_random((5,), xp, "int32", seed=13)
    return divmod(a, 3)


# ---------------------------------------------------------------------------- errors


@numpy_wgpy_raises()
def test_out_cast_error(xp):
    a = shaped_arange((2, 3), xp, "int32")
    a += 1.5


@numpy_wgpy_raises()
def test_no_loop_for_bool_negative(xp):
    return -shaped_arange((3,), xp, "bool")


@numpy_wgpy_raises()
def test_no_loop_for_float_bitwise(xp):
    a = shaped_arange((3,), xp, "float32")
    return a & a


@numpy_wgpy_raises()
def test_python_int_out_of_range(xp):
    return shaped_arange((3,), xp, "int8") + 300


@numpy_wgpy_raises()
def test_broadcast_error(xp):
    return shaped_arange((2, 3), xp) + shaped_arange((4,), xp)


@numpy_wgpy_raises()
def test_out_shape_error(xp):
    return xp.add(shaped_arange((3,), xp), 1, out=xp.zeros((4,), "float32"))


def test_numpy_array_operand_is_refused():
    import wgpy_runtime as wp

    a = wp.arange(3)
    with pytest.raises(TypeError):
        a + np.arange(3)
    with pytest.raises(TypeError):
        np.arange(3) + a


def test_zero_dim_numpy_array_is_a_scalar():
    """As CuPy takes it (Chainer's clip: `x_min <= x` with a 0-d NumPy x_min)."""
    import wgpy_runtime as wp

    x = np.array([[-1.0, 0.5], [2.0, -3.0]], np.float32)
    got = np.array(-0.75, np.float32) <= wp.asarray(x)
    assert isinstance(got, wp.ndarray)
    np.testing.assert_array_equal(got.get(), np.array(-0.75, np.float32) <= x)
    np.testing.assert_array_equal(np.multiply(np.array(2.0), wp.asarray(x)).get(), 2.0 * x)


def test_numpy_ufunc_on_device_array_runs_on_device():
    import wgpy_runtime as wp

    a = wp.arange(4, dtype=wp.float32)
    r = np.add(a, 1)
    assert isinstance(r, wp.ndarray)
    np.testing.assert_array_equal(r.get(), np.arange(4, dtype=np.float32) + 1)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@numpy_wgpy_array_equal()
def test_comparison_operators(dtype, xp):
    a = shaped_random((6,), xp, dtype, seed=14)
    b = shaped_random((6,), xp, dtype, seed=15)
    return a == b, a != b, a < b, a <= b, a > b, a >= b


@pytest.mark.parametrize("dtype", INT_DTYPES)
@numpy_wgpy_array_equal()
def test_integer_wraparound(dtype, xp):
    info = np.iinfo(dtype)
    top = min(info.max, 2**31 - 1)
    a = xp.asarray(np.array([top, top - 1], dtype))
    return a + a.dtype.type(1) if np.dtype(dtype).itemsize < 4 else a - a
