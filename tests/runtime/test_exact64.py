"""The exact 64-bit policy on both native backends: int64, uint64 and float64 arrays hold
8 bytes per element and compute bit for bit as NumPy does.

Rule: every comparison is of bits (`same`: a NaN only needs to be a NaN), on operands that
include the special values (NaN, +-Inf, +-0, subnormals, the largest and smallest
normals, halfway cases) and integers near 2^31, 2^32, 2^53 and 2^63. The policy is set for
this module only and the fast one restored afterwards.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wgpy_runtime as wp
from tests.compiler.test_lib_float64 import SPECIAL, range_end_operands, same
from tests.runtime.helpers import wgpy_backend  # noqa: F401  (runs every test on every backend)
from tests.support.interp_call import call_elementwise_interpreted

INT_EDGES = [
    0,
    1,
    -1,
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    2**32 - 1,
    2**32,
    2**32 + 1,
    2**53 - 1,
    2**53,
    2**53 + 1,
    -(2**53) - 1,
    2**63 - 1,
    -(2**63),
    -(2**63) + 1,
    12345,
    -987654321987,
]


@pytest.fixture(autouse=True, scope="module")
def exact_policy():
    previous = wp.get_64bit_policy()
    wp.set_64bit_policy("exact")
    yield
    wp.set_64bit_policy(previous)


def float_operands(n: int = 600, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Specials in every pairing, random bit patterns, halfway and near-equal cases."""
    rng = np.random.default_rng(seed)
    s = np.array(SPECIAL)
    a, b = (x.ravel() for x in np.meshgrid(s, s))
    bits = rng.integers(0, 2**64, (2, n), dtype=np.uint64).view(np.float64)
    near = rng.standard_normal(n) * 10.0 ** rng.uniform(-300, 300, n)
    ulps = (near.view(np.int64) + rng.integers(-3, 4, n)).view(np.float64)
    halfway = 1.0 + rng.integers(0, 2**20, n) * 2.0**-52 + 2.0**-53
    sub = (rng.integers(0, 2**52, n, dtype=np.uint64)).view(np.float64)
    first = np.concatenate([a, bits[0], near, halfway, sub, near * 2.0**-900])
    second = np.concatenate([b, bits[1], ulps, np.ones(n), sub[::-1], near])
    return first, second


def int_operands(seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    e = np.array(INT_EDGES, np.int64)
    a, b = (x.ravel() for x in np.meshgrid(e, e))
    r = rng.integers(-(2**63), 2**63 - 1, (2, 500), dtype=np.int64)
    return np.concatenate([a, r[0]]), np.concatenate([b, r[1]])


def test_every_bit_pattern_round_trips():
    x, _ = float_operands()
    for dtype in ("float64", "int64", "uint64"):
        values = x.view(dtype)
        got = wp.asarray(values).get()
        assert got.dtype == dtype and (got.view(np.uint64) == values.view(np.uint64)).all()


def test_copies_views_strides_and_broadcasting():
    x = np.arange(60, dtype=np.int64).reshape(3, 4, 5) * (2**40 + 3) - 2**62
    a = wp.asarray(x)
    assert (a[:, ::2, 1:].copy().get() == x[:, ::2, 1:]).all()
    assert (a.T.reshape(-1).get() == x.T.reshape(-1)).all()
    assert (a[::-1, 1].get() == x[::-1, 1]).all()
    assert ((a + a[0]).get() == x + x[0]).all()
    b = wp.zeros((3, 4, 5), np.int64)
    b[1:, :2] = a[:2, 2:]
    want = np.zeros((3, 4, 5), np.int64)
    want[1:, :2] = x[:2, 2:]
    assert (b.get() == want).all()
    f = x.astype(np.float64) / 7
    assert same(wp.asarray(f)[1:, ::3].copy().get(), f[1:, ::3]).all()


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "true_divide"])
def test_float64_arithmetic_is_bit_for_bit(op):
    x, y = float_operands()
    with np.errstate(all="ignore"):
        want = getattr(np, op)(x, y)
    got = getattr(wp, op)(wp.asarray(x), wp.asarray(y)).get()
    assert got.dtype == np.float64 and same(got, want).all()


@pytest.mark.parametrize("op", ["add", "subtract", "multiply"])
def test_float64_arithmetic_at_the_range_ends(op):
    x, y = range_end_operands()
    with np.errstate(all="ignore"):
        want = getattr(np, op)(x, y)
    got = getattr(wp, op)(wp.asarray(x), wp.asarray(y)).get()
    assert same(got, want).all()


@pytest.mark.parametrize(
    "op", ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal"]
)
def test_float64_and_int64_comparisons(op):
    x, y = float_operands()
    assert (getattr(wp, op)(wp.asarray(x), wp.asarray(y)).get() == getattr(np, op)(x, y)).all()
    a, b = int_operands()
    assert (getattr(wp, op)(wp.asarray(a), wp.asarray(b)).get() == getattr(np, op)(a, b)).all()
    u, v = a.view(np.uint64), b.view(np.uint64)
    assert (getattr(wp, op)(wp.asarray(u), wp.asarray(v)).get() == getattr(np, op)(u, v)).all()


@pytest.mark.parametrize("op", ["add", "subtract", "multiply"])
@pytest.mark.parametrize("dtype", ["int64", "uint64"])
def test_int64_arithmetic_wraps(op, dtype):
    a, b = (v.view(dtype) for v in int_operands())
    with np.errstate(all="ignore"):
        want = getattr(np, op)(a, b)
    got = getattr(wp, op)(wp.asarray(a), wp.asarray(b)).get()
    assert got.dtype == dtype and (got == want).all()


def test_sqrt_and_python_scalars():
    x, _ = float_operands()
    with np.errstate(all="ignore"):
        assert same(wp.sqrt(wp.asarray(x)).get(), np.sqrt(x)).all()
        assert same((wp.asarray(x) * 0.1 + 3).get(), x * 0.1 + 3).all()
    a, _ = int_operands()
    with np.errstate(all="ignore"):
        assert ((wp.asarray(a) + 2**40).get() == a + 2**40).all()


TARGETS = [
    "bool",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float16",
    "float32",
    "float64",
]


@pytest.mark.parametrize("dtype", TARGETS)
def test_astype_from_and_to_float64(dtype):
    x, _ = float_operands()
    if np.dtype(dtype).kind in "iu":  # C leaves out-of-range float -> int undefined
        info = np.iinfo(dtype)
        x = x[np.isfinite(x) & (x > info.min - 1.0) & (x < info.max + 1.0)]
        x = x[np.trunc(x) <= info.max]
    with np.errstate(all="ignore"):
        want = x.astype(dtype)
    got = wp.asarray(x).astype(dtype).get()
    assert got.dtype == dtype
    assert same(got.astype(np.float64), want.astype(np.float64)).all()
    a, _ = int_operands()
    with np.errstate(all="ignore"):
        values = a.astype(dtype) if dtype != "bool" else a != 0
        back = values.astype(np.float64)
    assert same(wp.asarray(values).astype(np.float64).get(), back).all()


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "uint64", "float64"])
def test_astype_from_int64(dtype):
    a, _ = int_operands()
    got = wp.asarray(a).astype(dtype).get()
    assert got.dtype == dtype
    with np.errstate(over="ignore"):
        want = a.astype(dtype).astype(np.float64)
    assert same(got.astype(np.float64), want).all()


def test_elementwise_kernel_with_double_body():
    kernel = wp.ElementwiseKernel(
        "float64 x, float64 y, int64 n",
        "float64 z, int64 m",
        "double t = x * y; z = t < 0.5 ? t + 1.0 / 3.0 : t - (double)n; m = n * n + (n >> 3);",
        "exact64_body",
    )
    x, y = float_operands(100)
    n = np.resize(np.array(INT_EDGES, np.int64), x.size)
    z, m = kernel(wp.asarray(x), wp.asarray(y), wp.asarray(n))
    with np.errstate(all="ignore"):
        t = x * y
        want = np.where(t < 0.5, t + 1.0 / 3.0, t - n.astype(np.float64))
        want_m = n * n + (n >> 3)
    assert same(z.get(), want).all() and (m.get() == want_m).all()


def test_float64_sum_accumulates_in_float64():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(20000) * 2.0 ** rng.integers(-30, 30, 20000)
    got = wp.asarray(x).sum().get()
    assert abs(got - x.sum()) <= 1e-15 * np.abs(x).sum()
    ints = rng.integers(-(2**40), 2**40, 5000).astype(np.float64)  # every partial sum exact
    assert wp.asarray(ints).sum().get() == ints.sum()
    m = ints.reshape(50, 100)
    assert (wp.asarray(m).sum(axis=0).get() == m.sum(axis=0)).all()
    big = np.arange(3000, dtype=np.int64) * (2**41 + 1)
    assert wp.asarray(big).sum().get() == big.sum()


def ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Distance in units in the last place (0 where both are NaN)."""

    def ordered(x):
        b = x.view(np.int64)
        return np.where(b < 0, -(b & 0x7FFFFFFFFFFFFFFF), b)

    both_nan = np.isnan(got) & np.isnan(want)
    return np.where(both_nan, 0, np.abs(ordered(got) - ordered(want)))


@pytest.mark.parametrize(
    "op",
    [
        "fabs",
        "copysign",
        "fmod",
        "isnan",
        "isinf",
        "isfinite",
        "floor",
        "ceil",
        "trunc",
        "rint",
        "fmin",
        "fmax",
    ],
)
def test_exact_float64_functions(op):
    x, y = float_operands()
    args = (
        (x,)
        if op in ("fabs", "isnan", "isinf", "isfinite", "floor", "ceil", "trunc", "rint")
        else (x, y)
    )
    with np.errstate(all="ignore"):
        want = getattr(np, op)(*args)
        got = getattr(wp, op)(*map(wp.asarray, args)).get()
    assert got.dtype == want.dtype
    if want.dtype == bool:
        assert (got == want).all()
        return
    # which zero fmin(-0, +0) gives is NumPy's libm's choice (C leaves it open)
    zeros = (got == 0) & (want == 0) if op in ("fmin", "fmax") else False
    assert (same(got, want) | zeros).all()


def test_ldexp_rounds_once():
    x, _ = float_operands()
    n = np.resize(np.array([0, 1, -1, 52, -1074, -1080, 1023, 2000, -2000, 700, -700]), x.size)
    kernel = wp.ElementwiseKernel("float64 x, int32 n", "float64 y", "y = ldexp(x, n)", "ldexp64")
    with np.errstate(all="ignore"):
        want = np.ldexp(x, n)
    assert same(kernel(wp.asarray(x), wp.asarray(n.astype(np.int32))).get(), want).all()


def test_ldexp_scales_subnormals_on_the_interpreter():
    """The interpreter (the fallback for kernels a target rejects) scales a subnormal by
    more than 2^1000 exactly, as NumPy does."""
    x = np.array([5e-324, -5e-324, 2.0**-1074 * 12345678901, 1e-310, 3.0, 1e300])
    n = np.array([1074, 2000, 1034, 2098, -1077, -2098], np.int32)
    got = call_elementwise_interpreted(
        "float64 x, int32 n",
        "float64 y",
        "y = ldexp(x, n)",
        x,
        n,
        name="ldexp_interp",
        exact64=True,
    )
    with np.errstate(all="ignore"):
        assert same(got, np.ldexp(x, n)).all()


# Bounds in ulp: CUDA's documented double-precision ones (CUDA C Programming Guide, Table
# 13) except cosh and tanh, 2 here against CUDA's 1 (docs/math-accuracy.md).
CUDA_ULP = {
    "exp": 1,
    "exp2": 2,
    "expm1": 1,
    "log": 1,
    "log2": 1,
    "log10": 2,
    "log1p": 1,
    "sinh": 2,
    "cosh": 2,
    "tanh": 2,
}
MPMATH = {
    "exp": "exp",
    "exp2": lambda m, x: m.power(2, x),
    "expm1": "expm1",
    "log": "log",
    "log2": lambda m, x: m.log(x, 2),
    "log10": "log10",
    "log1p": "log1p",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
}


@functools.cache
def reference(op: str) -> tuple[np.ndarray, np.ndarray]:
    """Points over the whole range and near 1 or 0, and mpmath's values there (once)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 120
    rng = np.random.default_rng(6)
    if op in ("sinh", "cosh", "tanh"):
        tiny = 10.0 ** rng.uniform(-320, 0, 400) * rng.choice([-1, 1], 400)
        x = np.concatenate([rng.uniform(-715, 715, 600), np.linspace(-25, 25, 801), tiny])
    elif op == "expm1":
        tiny = 10.0 ** rng.uniform(-320, 0, 400) * rng.choice([-1, 1], 400)
        x = np.concatenate([np.linspace(-40, 709.7, 801), rng.uniform(-1, 1, 400), tiny])
    elif op == "log1p":
        tiny = -(10.0 ** rng.uniform(-320, 0, 400))
        x = np.concatenate([10.0 ** rng.uniform(-320, 308, 800), rng.uniform(-1, 1, 400), tiny])
    elif op.startswith("exp"):
        top = 709.7 if op == "exp" else 1023.9
        x = np.concatenate([np.linspace(-1.05 * top, top, 1201), rng.uniform(-2, 2, 400)])
    else:
        x = np.concatenate([10.0 ** rng.uniform(-320, 308, 1200), rng.uniform(0.5, 2, 400)])
    fn = MPMATH[op] if callable(MPMATH[op]) else (lambda m, v, f=MPMATH[op]: getattr(m, f)(v))
    return x, np.array([float(fn(mpmath, mpmath.mpf(float(v)))) for v in x])


@pytest.mark.parametrize("op", CUDA_ULP)
def test_float64_exp_and_log_within_cuda_bounds(op):
    x, want = reference(op)
    got = getattr(wp, op)(wp.asarray(x)).get()
    assert ulps(got, want).max() <= CUDA_ULP[op]
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, -2000.0, 2000.0])
    with np.errstate(all="ignore"):
        want = getattr(np, op)(special)
    got = getattr(wp, op)(wp.asarray(special)).get()
    assert (same(got, want) | (ulps(got, want) <= CUDA_ULP[op])).all()


# Random float64 expressions: (C text, the same expression for NumPy on arrays x, y, z).
_LEAVES = st.sampled_from(
    [
        ("x", "x"),
        ("y", "y"),
        ("z", "z"),
        ("0.1", "0.1"),
        ("3.0", "3.0"),
        ("1e300", "1e300"),
        ("-2.5e-310", "-2.5e-310"),
    ]
)


def _combine(children):
    binary = st.tuples(st.sampled_from("+-*/"), children, children).map(
        lambda t: (f"({t[1][0]} {t[0]} {t[2][0]})", f"({t[1][1]} {t[0]} {t[2][1]})")
    )
    root = children.map(lambda c: (f"sqrt(fabs({c[0]}))", f"np.sqrt(np.abs({c[1]}))"))
    smaller = st.tuples(children, children).map(
        lambda t: (
            f"({t[0][0]} < {t[1][0]} ? {t[0][0]} : {t[1][0]})",
            f"np.where({t[0][1]} < {t[1][1]}, {t[0][1]}, {t[1][1]})",
        )
    )
    return binary | root | smaller


@settings(max_examples=15, deadline=None)
@given(st.recursive(_LEAVES, _combine, max_leaves=8))
def test_random_float64_expressions_are_numpy(expression):
    c_text, numpy_text = expression
    x, y = float_operands(40)
    z = x[::-1].copy()
    kernel = wp.ElementwiseKernel(
        "float64 x, float64 y, float64 z", "float64 r", f"r = {c_text}", "random_expression"
    )
    got = kernel(wp.asarray(x), wp.asarray(y), wp.asarray(z)).get()
    with np.errstate(all="ignore"):
        want = np.broadcast_to(eval(numpy_text, {"np": np, "x": x, "y": y, "z": z}), x.shape)
    assert same(got, want.astype(np.float64)).all(), c_text


@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_atomic_add_on_64bit_elements(dtype, wgpy_backend):
    """Chainer's embed_id backward in float64 and int64. WGSL updates int64 elements word
    by word, carries included; float64 (a 64-bit compare-exchange) and WebGL (no
    atomics) are rejected by the target and run, exactly, on the IR interpreter."""
    k = wp.ElementwiseKernel(
        "T gy, S x, S n_out", "raw T gW", "atomicAdd(&gW[x * n_out + i % n_out], gy)", f"at_{dtype}"
    )
    gy = (np.arange(9).reshape(3, 3) + 2**40).astype(dtype)
    gy = gy / 3 if dtype == "float64" else gy
    x = np.array([[0], [2], [0]], np.int32)
    gw = wp.zeros((5, 3), dtype)
    on_gpu = dtype == "int64" and wgpy_backend == "webgpu"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", wp.PerformanceWarning)
        k(wp.asarray(gy), wp.asarray(x), 3, gw)
    fell_back = [w for w in caught if issubclass(w.category, wp.PerformanceWarning)]
    assert bool(fell_back) != on_gpu
    want = np.zeros((5, 3), dtype)
    np.add.at(want, (np.broadcast_to(x, (3, 3)), np.arange(9).reshape(3, 3) % 3), gy)
    np.testing.assert_array_equal(gw.get(), want)


WORD_ATOMICS = {"Add": np.add, "Sub": np.subtract, "And": np.bitwise_and}
WORD_ATOMICS.update(Or=np.bitwise_or, Xor=np.bitwise_xor)


@pytest.mark.parametrize("dtype", ["int64", "uint64"])
@pytest.mark.parametrize("op", WORD_ATOMICS)
def test_64bit_integer_atomics_carry_between_words(dtype, op, wgpy_backend):
    """Many invocations update few elements with values whose low words carry (or
    borrow) into the high words, as CuPy's bincount and histogram count in int64: the
    result is NumPy's `ufunc.at`, bit for bit."""
    rng = np.random.default_rng(7)
    edges = np.array(INT_EDGES, np.int64).view(dtype)
    value = np.concatenate([edges, rng.integers(-(2**63), 2**63, 4000).view(dtype)])
    value = value.astype(dtype)
    where = rng.integers(0, 6, value.size).astype(np.int32)
    start = np.array([0, 2**32 - 1, -1, 2**63 - 1, 12345, -(2**40)], np.int64).astype(dtype)
    k = wp.ElementwiseKernel(
        "S v, int32 k", "raw S y", f"atomic{op}(&y[k], v)", f"atomic_{op}_{dtype}"
    )
    y = wp.asarray(start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", wp.PerformanceWarning)  # WebGL: the interpreter
        k(wp.asarray(value), wp.asarray(where), y)
    want = start.copy()
    WORD_ATOMICS[op].at(want, where, value)
    np.testing.assert_array_equal(y.get(), want)


def test_64bit_bit_intrinsics(wgpy_backend):
    """__popcll, __clzll, __ffsll and __brevll on int64/uint64 words, against Python's
    integers (tests/compiler/test_bit_intrinsics.py has the 32-bit ones)."""
    from tests.compiler.test_bit_intrinsics import WIDE_BODY, wide_expected

    rng = np.random.default_rng(4)
    x = np.array(INT_EDGES, np.int64).view(np.uint64)
    x = np.concatenate([x, rng.integers(0, 2**63, 200, dtype=np.uint64) << np.uint64(1)])
    k = wp.ElementwiseKernel(
        "uint64 x", "int32 p, int32 c, int32 f, uint64 r", WIDE_BODY, "exact64_bits"
    )
    got = [v.get() for v in k(wp.asarray(x))]
    for g, w in zip(got, wide_expected(x, 64)):
        assert np.array_equal(g, w.astype(g.dtype))
