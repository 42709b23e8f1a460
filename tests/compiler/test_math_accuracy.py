"""Accuracy of the math polyfills on both targets, against SciPy / NumPy in float64.

Rule: every polyfilled function has a row in `ACCURACY`: a dense grid over its useful
domain (tails and boundaries included, no subnormal inputs), the float64 reference, and the
bound that the test enforces, in ulp of the reference rounded to float32. Results below
FLT_MIN may be flushed to zero (GPUs flush subnormals). Special values are compared exactly
in `SPECIAL`. `docs/math-accuracy.md` lists the measured maxima (`python -m
tests.compiler.test_math_accuracy` prints them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import kernelc
from kernelc import KernelTypeError, UnsupportedFeatureError
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import float32
from kernelc.ir.interp import math_call
from kernelc.ir.passes.fold import fold_expr
from tests.support.kernel_call import call_elementwise

sp = pytest.importorskip("scipy.special")

TARGETS = ("wgsl", "glsl")
FLT_MIN = 2.0**-126
FLT_MAX = float(np.finfo(np.float32).max)


def f32(*parts) -> np.ndarray:
    return np.concatenate([np.asarray(p, np.float64).ravel() for p in parts]).astype(np.float32)


def geom(lo: float, hi: float, n: int) -> np.ndarray:
    return np.geomspace(lo, hi, n)


def lin(lo: float, hi: float, n: int) -> np.ndarray:
    return np.linspace(lo, hi, n)


@dataclass(frozen=True)
class Accuracy:
    """One polyfill: `operation` on float32 inputs `x` (and `y`, `z`), checked on `grid`."""

    name: str
    operation: str
    grid: Callable[[], tuple[np.ndarray, ...]]
    reference: Callable[..., np.ndarray]
    ulp: float  # the enforced bound (the docs table shows what was measured)


def _pairs(n: int, lo: float, hi: float, seed: int, count: int = 2) -> tuple[np.ndarray, ...]:
    """Random operands spread over the exponent range 10^lo..10^hi, both signs."""
    rng = np.random.default_rng(seed)
    return tuple(f32(rng.standard_normal(n) * 10.0 ** rng.uniform(lo, hi, n)) for _ in range(count))


ACCURACY = [
    Accuracy(
        "exp", "r = expf(x);", lambda: (f32(lin(-103, 88.72, 60000), lin(-1, 1, 20000)),), np.exp, 2
    ),
    Accuracy(
        "exp2",
        "r = exp2f(x);",
        lambda: (f32(lin(-149, 127.99, 60000), lin(-1, 1, 20000)),),
        np.exp2,
        2,
    ),
    Accuracy(
        "expm1",
        "r = expm1f(x);",
        lambda: (
            f32(
                lin(-20, 88.7, 60000),
                lin(-0.5, 0.5, 20000),
                geom(1e-30, 0.5, 2000),
                -geom(1e-30, 0.5, 2000),
            ),
        ),
        np.expm1,
        2,
    ),
    Accuracy(
        "log",
        "r = logf(x);",
        lambda: (f32(geom(FLT_MIN, FLT_MAX, 60000), lin(0.5, 2, 20000)),),
        np.log,
        1.5,
    ),
    Accuracy(
        "log1p",
        "r = log1pf(x);",
        lambda: (
            f32(lin(-0.99999, 4, 60000), geom(1e-30, FLT_MAX, 10000), -geom(1e-30, 0.5, 10000)),
        ),
        np.log1p,
        2.5,
    ),
    Accuracy(
        "cbrt",
        "r = cbrtf(x);",
        lambda: (
            f32(
                geom(FLT_MIN, FLT_MAX, 30000),
                -geom(FLT_MIN, FLT_MAX, 30000),
                lin(-1000, 1000, 20000),
            ),
        ),
        np.cbrt,
        1.5,
    ),
    Accuracy(
        "rcbrt",
        "r = rcbrtf(x);",
        lambda: (
            f32(
                geom(FLT_MIN, FLT_MAX, 30000),
                -geom(FLT_MIN, FLT_MAX, 30000),
                lin(-1000, 1000, 20000),
            ),
        ),
        lambda x: 1 / np.cbrt(x),
        2,
    ),
    Accuracy("hypot", "r = hypotf(x, y);", lambda: _pairs(60000, -18, 18, 1), np.hypot, 2),
    Accuracy(
        "fma",
        "r = fmaf(x, y, z);",
        lambda: _pairs(60000, -6, 6, 2, 3),
        lambda x, y, z: x * y + z,
        1,
    ),  # x * y is exact in float64
    Accuracy(
        "erf",
        "r = erff(x);",
        lambda: (f32(lin(-5, 5, 60000), geom(1e-30, 1, 5000), -geom(1e-30, 1, 5000)),),
        sp.erf,
        1.5,
    ),
    Accuracy(
        "erfc",
        "r = erfcf(x);",
        lambda: (f32(lin(-6, 10.1, 80000), geom(1e-30, 1, 5000), -geom(1e-30, 1, 5000)),),
        sp.erfc,
        5,
    ),
    Accuracy(
        "erfcx",
        "r = erfcxf(x);",
        lambda: (f32(lin(-9.3, 40, 80000), geom(40, 1e30, 5000), -geom(1e-30, 1, 5000)),),
        sp.erfcx,
        3,
    ),
    Accuracy(
        "normcdf",
        "r = normcdff(x);",
        lambda: (f32(lin(-14, 8, 80000), geom(1e-30, 1, 5000), -geom(1e-30, 1, 5000)),),
        sp.ndtr,
        5,
    ),
    Accuracy(
        "erfinv",
        "r = erfinvf(x);",
        lambda: (
            f32(
                lin(-1, 1, 80001),
                1 - geom(6e-8, 0.5, 5000),
                geom(1e-30, 0.5, 5000),
                -(1 - geom(6e-8, 0.5, 5000)),
            ),
        ),
        sp.erfinv,
        3,
    ),
    Accuracy(
        "erfcinv",
        "r = erfcinvf(x);",
        lambda: (f32(lin(0, 2, 80001), geom(FLT_MIN, 0.5, 10000), 2 - geom(1.2e-7, 0.5, 5000)),),
        sp.erfcinv,
        3,
    ),
    Accuracy(
        "normcdfinv",
        "r = normcdfinvf(x);",
        lambda: (f32(lin(0, 1, 80001), geom(FLT_MIN, 0.5, 10000), 1 - geom(6e-8, 0.5, 5000)),),
        sp.ndtri,
        4,
    ),
    # Outside (-10.001, -2.264), as CUDA states its bound; inside, see LGAMMA_NEAR_ZEROS.
    Accuracy(
        "lgamma",
        "r = lgammaf(x);",
        lambda: (
            f32(
                geom(FLT_MIN, 1e36, 20000),
                lin(1e-3, 12, 60000),
                lin(-60, -10.001, 30000),
                lin(-2.264, -1e-3, 30000),
                -geom(1e-30, 1e-3, 2000),
            ),
        ),
        sp.gammaln,
        4,
    ),
    Accuracy(
        "tgamma",
        "r = tgammaf(x);",
        lambda: (f32(lin(-42, 35.5, 100000), geom(1e-30, 1, 5000), -geom(1e-30, 1, 5000)),),
        sp.gamma,
        3,
    ),
]
BY_NAME = {a.name: a for a in ACCURACY}
# lgamma between its first negative zeros: the reflection cancels (as CUDA's does), so the
# error is bounded in absolute terms there.
LGAMMA_NEAR_ZEROS = ((-10.001, -2.264), 4e-6)


def ulp_error(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in ulp of want rounded to float32; equal infinities and NaNs are 0, and
    so are both results below FLT_MIN (flushed subnormals)."""
    with np.errstate(all="ignore"):
        g = got.astype(np.float64)
        ulp = np.spacing(np.abs(want.astype(np.float32))).astype(np.float64)
        err = np.abs(g - want) / np.maximum(ulp, 2.0**-149)
        err = np.where(np.isinf(want.astype(np.float32)) & (got == want.astype(np.float32)), 0, err)
    err = np.where(np.isnan(got) & np.isnan(want), 0, err)
    err = np.where((np.abs(want) < FLT_MIN) & (np.abs(g) <= FLT_MIN), 0, err)
    return np.where(np.isnan(err), np.inf, err)


def run(target: str, operation: str, *args: np.ndarray) -> np.ndarray:
    names = "xyz"[: len(args)]
    ins = ", ".join(f"float32 {n}" for n in names)
    return call_elementwise(target, ins, "float32 r", operation, *args)


def measure(acc: Accuracy, target: str) -> tuple[float, tuple[float, ...]]:
    """The largest error of `acc` on `target`, and the arguments where it occurs."""
    args = acc.grid()
    got = run(target, acc.operation, *args)
    with np.errstate(all="ignore"):
        want = acc.reference(*(a.astype(np.float64) for a in args))
    err = ulp_error(got, want)
    k = int(np.argmax(err))
    return float(err[k]), tuple(float(a[k]) for a in args)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("acc", ACCURACY, ids=[a.name for a in ACCURACY])
def test_accuracy(acc: Accuracy, target: str):
    worst, where = measure(acc, target)
    assert worst <= acc.ulp, f"{acc.name}: {worst:.2f} ulp at {where} (bound {acc.ulp})"


@pytest.mark.parametrize("target", TARGETS)
def test_lgamma_between_its_negative_zeros(target):
    (lo, hi), bound = LGAMMA_NEAR_ZEROS
    x = f32(lin(lo, hi, 60000))
    got = run(target, "r = lgammaf(x);", x).astype(np.float64)
    assert np.max(np.abs(got - sp.gammaln(x.astype(np.float64)))) <= bound


@pytest.mark.parametrize("target", TARGETS)
def test_ldexp_is_exact(target):
    rng = np.random.default_rng(3)
    x = f32(rng.standard_normal(20000) * 10.0 ** rng.uniform(-30, 30, 20000))
    n = rng.integers(-300, 300, 20000).astype(np.int32)
    got = call_elementwise(target, "float32 x, int32 n", "float32 r", "r = ldexpf(x, n);", x, n)
    with np.errstate(all="ignore"):
        want = np.ldexp(x.astype(np.float64), n).astype(np.float32)
    assert ulp_error(got, want.astype(np.float64)).max() == 0


INF, NAN = math.inf, math.nan
SPECIAL = {
    "erf": [(0.0, 0.0), (-0.0, -0.0), (INF, 1.0), (-INF, -1.0), (NAN, NAN), (10.0, 1.0)],
    "erfc": [(INF, 0.0), (-INF, 2.0), (NAN, NAN), (0.0, 1.0), (11.0, 0.0), (-11.0, 2.0)],
    "erfcx": [(INF, 0.0), (-INF, INF), (NAN, NAN), (0.0, 1.0), (-10.0, INF)],
    "normcdf": [(INF, 1.0), (-INF, 0.0), (NAN, NAN), (0.0, 0.5), (-15.0, 0.0)],
    "erfinv": [(1.0, INF), (-1.0, -INF), (0.0, 0.0), (1.5, NAN), (-1.0000001, NAN), (NAN, NAN)],
    "erfcinv": [(0.0, INF), (2.0, -INF), (1.0, 0.0), (-0.5, NAN), (2.5, NAN), (NAN, NAN)],
    "normcdfinv": [(0.0, -INF), (1.0, INF), (0.5, 0.0), (1.5, NAN), (-0.1, NAN), (NAN, NAN)],
    "lgamma": [
        (1.0, 0.0),
        (2.0, 0.0),
        (0.0, INF),
        (-0.0, INF),
        (-3.0, INF),
        (INF, INF),
        (-INF, INF),
        (NAN, NAN),
        (-1e30, INF),
    ],
    "tgamma": [
        (0.0, INF),
        (-0.0, -INF),
        (-1.0, NAN),
        (-INF, NAN),
        (INF, INF),
        (NAN, NAN),
        (36.0, INF),
        (-50.5, -0.0),
        (-51.5, 0.0),
    ]
    + [(float(n), float(math.factorial(n - 1))) for n in range(1, 15)],
    "exp": [(-INF, 0.0), (INF, INF), (NAN, NAN), (0.0, 1.0), (89.0, INF), (-105.0, 0.0)],
    "exp2": [(-INF, 0.0), (INF, INF), (NAN, NAN), (3.0, 8.0), (-126.0, FLT_MIN), (128.0, INF)],
    "expm1": [(-INF, -1.0), (INF, INF), (NAN, NAN), (-0.0, -0.0), (-30.0, -1.0)],
    "log": [(0.0, -INF), (-1.0, NAN), (INF, INF), (NAN, NAN), (1.0, 0.0)],
    "log1p": [(-1.0, -INF), (-2.0, NAN), (INF, INF), (NAN, NAN), (-0.0, -0.0)],
    "rcbrt": [(0.0, INF), (-0.0, -INF), (INF, 0.0), (-INF, -0.0), (NAN, NAN), (8.0, 0.5)],
}


def same(got: np.ndarray, want: np.ndarray) -> bool:
    """Equal values with equal signs (zeros included), or both NaN."""
    both_nan = np.isnan(got) & np.isnan(want)
    equal = (got == want) & (np.signbit(got) == np.signbit(want))
    return bool(np.all(both_nan | equal))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("fn", sorted(SPECIAL))
def test_special_values(fn: str, target: str):
    x, want = (f32(v) for v in zip(*SPECIAL[fn]))
    got = run(target, f"r = {fn}f(x);", x)
    assert same(got, want), f"{fn}({x}) = {got}, CUDA gives {want}"


@pytest.mark.parametrize("fn", sorted(SPECIAL))
def test_folding_and_interpreter_special_values(fn: str):
    """Constant folding and the interpreter give the same special values as the targets."""
    x, want = (f32(v) for v in zip(*SPECIAL[fn]))
    folded = [fold_expr(ir.Math(fn, (ir.Const(float(v), float32),), float32)) for v in x]
    assert same(np.array([c.value for c in folded], np.float32), want)
    with np.errstate(all="ignore"):
        interpreted = math_call(fn, [x], float32)
    assert same(interpreted, want)


@pytest.mark.parametrize("acc", ACCURACY, ids=[a.name for a in ACCURACY])
def test_folding_and_interpreter_accuracy(acc: Accuracy):
    """The pure-Python folder and the interpreter round the float64 reference correctly
    (1 ulp allows for the reference's own last bit)."""
    args = tuple(a[:: max(1, len(a) // 400)] for a in acc.grid())
    with np.errstate(all="ignore"):
        want = acc.reference(*(a.astype(np.float64) for a in args))
    node = [
        ir.Math(acc.name, tuple(ir.Const(float(v), float32) for v in vs), float32)
        for vs in zip(*args)
    ]
    folded = np.array([fold_expr(n).value for n in node], np.float32)
    assert ulp_error(folded, want).max() <= 1
    with np.errstate(all="ignore"):
        interpreted = math_call(acc.name, list(args), float32)
    assert ulp_error(interpreted, want).max() <= 1


# ---------------------------------------------------------------------------- intrinsics

ROUNDINGS = {"rn": np.rint, "rz": np.trunc, "rd": np.floor, "ru": np.ceil}


@pytest.mark.parametrize("target", TARGETS)
def test_rounded_conversions(target):
    x = f32(lin(-6, 6, 97), [0.5, 1.5, 2.5, -0.5, -2.5, 3e9, -3e9, 5e9, INF, -INF, NAN])
    outs = ", ".join(f"int32 {m}" for m in ROUNDINGS)
    body = "".join(f"{m} = __float2int_{m}(x);\n" for m in ROUNDINGS)
    got = call_elementwise(target, "float32 x", outs, body, x)
    for (mode, rnd), result in zip(ROUNDINGS.items(), got):
        with np.errstate(all="ignore"):
            want = np.where(np.isnan(x), 0, np.clip(rnd(x.astype(np.float64)), -(2**31), 2**31 - 1))
        np.testing.assert_array_equal(result, want.astype(np.int32), err_msg=mode)


@pytest.mark.parametrize("target", TARGETS)
def test_unsigned_rounded_conversion_and_bitcasts(target):
    x = f32([-1.5, -0.0, 0.0, 0.5, 1.5, 2.5, 1e10, INF, NAN, 3.75, -3.75])
    got = call_elementwise(
        target,
        "float32 x",
        "uint32 u, int32 bits, float32 back, float32 neg",
        "u = __float2uint_rn(x);\nbits = __float_as_int(x);\nback = __int_as_float(bits);\n"
        "neg = __int_as_float(__float_as_int(x) ^ 0x80000000);",
        x,
    )
    with np.errstate(all="ignore"):
        u = np.where(np.isnan(x), 0, np.clip(np.rint(x.astype(np.float64)), 0, 2**32 - 1))
    np.testing.assert_array_equal(got[0], u.astype(np.uint32))
    np.testing.assert_array_equal(got[1], x.view(np.int32))
    assert same(got[2], x)
    np.testing.assert_array_equal(got[3].view(np.uint32), x.view(np.uint32) ^ 0x80000000)


@pytest.mark.parametrize("target", TARGETS)
def test_fast_intrinsics_are_the_accurate_functions(target):
    x = f32(lin(0.01, 80, 20000))
    got = call_elementwise(
        target, "float32 x", "float32 e, float32 l", "e = __expf(x);\nl = __logf(x);", x
    )
    assert ulp_error(got[0], np.exp(x.astype(np.float64))).max() <= 2
    assert ulp_error(got[1], np.log(x.astype(np.float64))).max() <= 1.5


def test_assert_is_dropped_with_a_warning():
    program = kernelc.translate_elementwise(
        "float32 x", "float32 y", "assert(x > 0);\ny = x;", target="wgsl"
    )
    assert any("assert() is dropped" in str(w) for w in program.warnings)


@pytest.mark.parametrize("name", ["lgammaf_r", "lgamma_r"])
def test_pointer_results_are_refused(name):
    body = f"int s; y = {name}(x, &s);"
    with pytest.raises(UnsupportedFeatureError, match="through pointers"):
        kernelc.translate_elementwise("float32 x", "float32 y", body, target="glsl")


def test_remquo_takes_two_values_then_the_pointer():
    with pytest.raises(KernelTypeError, match="remquof"):
        kernelc.translate_elementwise(
            "float32 x", "float32 y", "int q; y = remquof(x, &q);", target="wgsl"
        )


def test_pointer_arguments_need_an_address():
    with pytest.raises(UnsupportedFeatureError, match="through '&'"):
        kernelc.translate_elementwise(
            "float32 x", "float32 y", "float a, b; sincosf(x, a, &b); y = a;", target="wgsl"
        )


POINTER_CALLS = [-3.0, -0.75, -0.0, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.7, 1e-3, 6e5, 3e-39, 1e30]


@pytest.mark.parametrize("target", [*TARGETS, "interp"])
def test_sincos_sincospi_and_frexp_store_through_references(target):
    """Each `&lvalue` gets its built-in: a local, an output and a local array's element."""
    from tests.support.interp_call import call_elementwise_on

    x = np.array(POINTER_CALLS, np.float32)
    body = (
        "float c; sincosf(x, &s, &c); sc = c; float p[2]; sincospif(x, &p[0], &p[1]);"
        " sp = p[0]; cp = p[1]; int e; m = frexpf(x, &e); n = e;"
    )
    outs = "float32 s, float32 sc, float32 sp, float32 cp, float32 m, int32 n"
    s, sc, sp, cp, m, n = call_elementwise_on(target, "float32 x", outs, body, x)
    x64 = x.astype(np.float64)
    moderate = np.abs(x) < 1e4  # the targets' own sin and cos, loose for huge arguments
    np.testing.assert_allclose(s[moderate], np.sin(x64[moderate]), rtol=4e-6, atol=1e-30)
    np.testing.assert_allclose(sc[moderate], np.cos(x64[moderate]), rtol=4e-6, atol=1e-30)
    np.testing.assert_allclose(sp, [math.sin(math.pi * math.fmod(v, 2)) for v in x64], atol=4e-7)
    np.testing.assert_allclose(cp, [math.cos(math.pi * math.fmod(v, 2)) for v in x64], atol=4e-7)
    want_m, want_n = np.frexp(x)
    normal = np.abs(x) >= 1.17549435e-38  # drivers may flush the subnormal one
    assert (m[normal] == want_m[normal]).all() and (n[normal] == want_n[normal]).all()
    assert not np.signbit(sp[x == 2.0]).any() and not np.signbit(cp[x == 0.5]).any()


REMQUO_PAIRS = [
    *((x, 1.0) for x in (2.5, 3.5, -7.5, 0.5, -0.5, 12.0, 13.0)),  # ties go to even n
    (1e30, 3.0),
    (-1e30, 7.0),
    (6e5, -0.1),
    (5.0, 3e-39),
    (3e-39, 1e-39),
    (1e38, 3e37),
    (3.4e38, 1.0),
    (1.0, 3.4e38),
    (-0.0, 2.0),
    (0.0, -2.0),
    (7.0, 0.0),
    (np.inf, 2.0),
    (2.0, np.inf),
    (np.nan, 1.0),
    (1.0, np.nan),
    (17.0, -4.0),
    (-17.0, -4.0),
]


@pytest.mark.parametrize("target", [*TARGETS, "interp"])
def test_modf_and_remquo_store_through_references(target):
    """modff's fractional and integer parts are NumPy's modf bit for bit; remquof gives
    remainderf and the quotient's sign and low 3 bits (the exact reference's)."""
    from kernelc.ir import special
    from tests.support.interp_call import call_elementwise_on

    x = np.array(
        [*POINTER_CALLS, np.inf, -np.inf, np.nan, *(p[0] for p in REMQUO_PAIRS)], np.float32
    )
    y = np.array([1.0] * (x.size - len(REMQUO_PAIRS)) + [p[1] for p in REMQUO_PAIRS], np.float32)
    body = "float t; f = modff(x, &t); ip = t; int k; r = remquof(x, y, &k); q = k;"
    outs = "float32 f, float32 ip, float32 r, int32 q"
    f, ip, r, q = call_elementwise_on(target, "float32 x, float32 y", outs, body, x, y)
    want_f, want_ip = np.modf(x)
    subnormal = [(np.abs(v) < 1.17549435e-38) & (v != 0) for v in (x, y)]
    kept = ~(subnormal[0] | subnormal[1])  # drivers may flush subnormals
    assert (same32(f, want_f) & same32(ip, want_ip))[kept].all()
    rem = np.array([special.remainder(float(a), float(b)) for a, b in zip(x, y)], np.float32)
    quo = np.array([special.remquo_quo(float(a), float(b)) for a, b in zip(x, y)], np.int32)
    assert same32(r, rem)[kept].all()
    assert (q == quo)[kept].all(), (x[q != quo], y[q != quo], q[q != quo], quo[q != quo])
    # the reference, by hand: n = 2, 4 (ties to even), -8, 13 and -(17 / 4 -> 4)
    assert [special.remquo_quo(v, 1.0) for v in (2.5, 3.5, -7.5, 13.0)] == [2, 4, 0, 5]
    assert special.remquo_quo(17.0, -4.0) == -4


def same32(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bit for bit, any NaN matching any NaN."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))


if __name__ == "__main__":  # the measured maxima, as the docs table
    print("| function | bound (ulp) | WGSL (lavapipe) | GLSL (llvmpipe) |")
    print("| --- | --- | --- | --- |")
    for acc in ACCURACY:
        worst = [measure(acc, t)[0] for t in TARGETS]
        print(f"| {acc.name} | {acc.ulp} | {worst[0]:.2f} | {worst[1]:.2f} |")


ROUNDED_X = [0.5, -0.25, 2.5, 1e30, -1e-30, np.nan, np.inf, -np.inf, 0.75, 1.0, 3.5, -0.0]
ROUNDED_Y = [1.5, 3.0, -0.5, 1e10, 2.0, 1.0, 1.0, 2.0, 0.1, 0.0, -2.0, 5.0]


@pytest.mark.parametrize("target", [*TARGETS, "interp"])
def test_round_to_nearest_intrinsics_and_saturate(target):
    """`__fadd_rn` and friends are the operators (the targets round to nearest),
    `__frcp_rn(x)` is 1 / x, `__saturatef` clamps to [+0, 1] with NaN to +0, and `nearbyintf`
    is `rintf`: NumPy's float32 results bit for bit."""
    from tests.support.interp_call import call_elementwise_on

    x, y = np.array(ROUNDED_X, np.float32), np.array(ROUNDED_Y, np.float32)
    body = (
        "a = __fadd_rn(x, y); s = __fsub_rn(x, y); m = __fmul_rn(x, y); d = __fdiv_rn(x, y);"
        " r = __frcp_rn(x); t = __saturatef(x); n = nearbyintf(x);"
    )
    outs = ", ".join(f"float32 {v}" for v in "asmdrtn")
    got = call_elementwise_on(target, "float32 x, float32 y", outs, body, x, y)
    with np.errstate(all="ignore"):
        # CUDA clamps to [+0.0, 1.0]: NaN and -0.0 give +0.0
        saturated = np.where(np.isnan(x) | (x <= 0), 0.0, np.minimum(x, 1)).astype(np.float32)
        want = [x + y, x - y, x * y, x / y, np.float32(1) / x, saturated, np.rint(x)]
    for g, w in zip(got, want):
        assert same32(g, w).all()


def test_double_round_to_nearest_intrinsics_are_float64_under_the_exact_policy():
    from kernelc.ir.interp import run_elementwise
    from kernelc.pipeline import lower_kernel

    body = "a = __dadd_rn(x, y); m = __dmul_rn(x, y); q = __ddiv_rn(x, y); r = __drcp_rn(x);"
    outs = "float64 a, float64 m, float64 q, float64 r"
    kernel, _ = lower_kernel("float64 x, float64 y", outs, body, exact64=True)
    x, y = np.array(ROUNDED_X) / 3, np.array(ROUNDED_Y) / 7
    got = {k: np.zeros(x.size) for k in "amqr"}
    run_elementwise(kernel, {"x": x, "y": y, **got}, (x.size,))
    with np.errstate(all="ignore"):
        want = {"a": x + y, "m": x * y, "q": x / y, "r": 1 / x}
    for k in "amqr":
        assert np.array_equal(got[k], want[k], equal_nan=True), k


@pytest.mark.parametrize("target", [*TARGETS, "interp"])
def test_integer_roundings(target):
    """lrintf rounds half to even, lroundf half away from zero, then converts to long
    (int32 under the fast policy, where a long is held in 32 bits)."""
    from tests.support.interp_call import call_elementwise_on

    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.7, -3.7, 1e6 + 0.5, 0.0], np.float32)
    body = "a = lrintf(x); b = lroundf(x); c = llrintf(x); d = llround((double)x);"
    outs = "int32 a, int32 b, int32 c, int32 d"
    got = call_elementwise_on(target, "float32 x", outs, body, x)
    half_away = np.trunc(x + np.copysign(np.float32(0.5), x))
    for g, w in zip(got, [np.rint(x), half_away, np.rint(x), half_away]):
        assert (g == w.astype(np.int32)).all(), (g, w)
