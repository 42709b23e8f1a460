"""The shader library's float64 (`kernelc/lib/float64.cu`), bit for bit against NumPy's
float64 (IEEE 754 round-to-nearest-even), through the interpreter and on both real targets.

Rule: operands are random bit patterns (every exponent, subnormals included), near-equal
pairs (cancellation), halfway cases, and the specials (signed zeros, the smallest and
largest subnormals and normals, Inf, NaN) in every pairing. A NaN result must be a NaN;
its payload is not compared.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.compiler.test_lib_int64 import operands as int64_operands
from tests.support.word_kernels import TARGETS, join, run_words, split

SOURCES = ("bits.cu", "int64.cu", "float64.cu")
TINY = 5e-324
SPECIAL = [
    0.0,
    -0.0,
    TINY,
    -TINY,
    2.2250738585072009e-308,
    2.2250738585072014e-308,
    -2.2250738585072014e-308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    np.inf,
    -np.inf,
    np.nan,
    1.0,
    -1.0,
    1.0 + 2**-52,
    1.0 - 2**-53,
    2**-53,
    2**-53 * (1 + 2**-52),
    3.0,
    0.1,
    -0.3,
    1e300,
    1e-300,
    2.0**1023,
    2.0**-1022 * 1.5,
    2.0**-1074 * 3,
]


def operands(n: int = 4000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    s = np.array(SPECIAL)
    a, b = (x.ravel() for x in np.meshgrid(s, s))
    bits = rng.integers(0, 2**64, (2, n), dtype=np.uint64)
    ra, rb = bits[0].view(np.float64), bits[1].view(np.float64)
    near = rng.standard_normal(n) * 10.0 ** rng.uniform(-300, 300, n)
    close = near * (1 + rng.standard_normal(n) * 10.0 ** rng.uniform(-16, -1, n))
    ulps = near.view(np.int64) + rng.integers(-3, 4, n)  # a few ulp apart
    mid = rng.uniform(1, 2, n)
    halfway = np.full(n, 2.0**-53) * rng.choice([1.0, 3.0, 1 + 2**-52], n)
    # results near and below the smallest normal: products, quotients and sums of tiny ones
    small = rng.uniform(1, 2, (2, n)) * 2.0 ** rng.integers(-600, -470, (2, n))
    sub = (bits[:, : n // 4] >> np.uint64(12)).view(np.float64)  # subnormals
    first = np.concatenate([a, ra, near, near, mid, small[0], sub[0], small[0]])
    second = np.concatenate(
        [b, rb, close, -ulps.view(np.float64), halfway, small[1], sub[1], 1.0 / small[1]]
    )
    return first, second


def same(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return (got.view(np.uint64) == want.view(np.uint64)) | (np.isnan(got) & np.isnan(want))


def run(target: str, call: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    (ah, al), (bh, bl) = split(a), split(b)
    rh, rl = run_words(
        target,
        SOURCES,
        f"{call}(ah, al, bh, bl, rh, rl);",
        {"ah": ah, "al": al, "bh": bh, "bl": bl},
        {"rh": "uint32", "rl": "uint32"},
    )
    return join(rh, rl, np.float64)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "call, want",
    [
        ("kc_f64_add", np.add),
        ("kc_f64_sub", np.subtract),
        ("kc_f64_mul", np.multiply),
        ("kc_f64_div", np.divide),
    ],
)
def test_arithmetic_is_correctly_rounded(target, call, want):
    a, b = operands()
    with np.errstate(all="ignore"):
        expected = want(a, b)
    assert_same_bits(call, a, b, run(target, call, a, b), expected)


def assert_same_bits(call: str, a, b, got, expected) -> None:
    bad = ~same(got, expected)
    assert not bad.any(), (
        f"{call}: {bad.sum()} of {bad.size} differ, e.g. "
        f"{a[bad][:3]!r} {b[bad][:3]!r} -> {got[bad][:3]!r}, want {expected[bad][:3]!r}"
    )


def range_end_operands(n: int = 1500, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose sum or product lands where kc_f64_add and kc_f64_mul leave their common
    path: near overflow (rounding up into Inf included), near and below the smallest normal,
    exact cancellation to a signed zero, and short significands (exact products, ties)."""
    rng = np.random.default_rng(seed)

    def with_exponents(e: np.ndarray) -> np.ndarray:
        bits = rng.integers(0, 2**52, e.size, dtype=np.uint64) | (
            rng.integers(0, 2, e.size, dtype=np.uint64) << np.uint64(63)
        )
        return (bits | (np.clip(e, 0, 2046).astype(np.uint64) << np.uint64(52))).view(np.float64)

    ea = rng.integers(0, 2047, n)
    a = with_exponents(ea)
    over = with_exponents(3069 - ea + rng.integers(-2, 3, n))  # exponent sums near the top
    under = with_exponents(1023 - ea + rng.integers(-56, 3, n))  # and near the bottom
    short = rng.integers(1, 2**27, (2, n)) * 2.0 ** rng.integers(-1070, 990, (2, n))
    ties = rng.integers(1, 2**27, n) * 2.0 ** rng.integers(-60, 0, n)
    top = with_exponents(rng.integers(2040, 2047, n))
    ulps = (a.view(np.int64) + rng.integers(-2, 3, n)).view(np.float64)
    sub = with_exponents(rng.integers(0, 3, n))
    first = np.concatenate([a, a, short[0], top, a, a, sub, -0.0 * a])
    second = np.concatenate([over, under, ties, top[::-1], -ulps, -a, sub[::-1], -0.0 * ulps])
    return first, second


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "call, want",
    [("kc_f64_add", np.add), ("kc_f64_sub", np.subtract), ("kc_f64_mul", np.multiply)],
)
def test_arithmetic_at_the_range_ends(target, call, want):
    a, b = range_end_operands()
    with np.errstate(all="ignore"):
        expected = want(a, b)
    assert_same_bits(call, a, b, run(target, call, a, b), expected)


@pytest.mark.parametrize("target", TARGETS)
def test_sqrt_is_correctly_rounded(target):
    a, b = operands(3000, 8)
    x = np.concatenate(
        [a, np.abs(b), np.arange(200.0) ** 2, (np.arange(1, 200.0) ** 2) * 2.0**-1074]
    )
    h, lo = split(x)
    rh, rl = run_words(
        target,
        SOURCES,
        "kc_f64_sqrt(h, lo, rh, rl);",
        {"h": h, "lo": lo},
        {"rh": "uint32", "rl": "uint32"},
    )
    with np.errstate(invalid="ignore"):
        want = np.sqrt(x)
    got = join(rh, rl, np.float64)
    bad = ~same(got, want)
    assert not bad.any(), f"{bad.sum()} differ, e.g. {x[bad][:3]!r} -> {got[bad][:3]!r}"


@pytest.mark.parametrize("target", TARGETS)
def test_comparisons(target):
    a, b = operands(1500, 4)
    (ah, al), (bh, bl) = split(a), split(b)
    op = (
        "lt = kc_f64_lt(ah, al, bh, bl); le = kc_f64_le(ah, al, bh, bl); "
        "eq = kc_f64_eq(ah, al, bh, bl);"
    )
    lt, le, eq = run_words(
        target,
        SOURCES,
        op,
        {"ah": ah, "al": al, "bh": bh, "bl": bl},
        {"lt": "bool", "le": "bool", "eq": "bool"},
    )
    assert np.array_equal(lt, a < b) and np.array_equal(le, a <= b)
    assert np.array_equal(eq, a == b)


@pytest.mark.parametrize("target", TARGETS)
def test_float32_to_float64_is_exact(target):
    rng = np.random.default_rng(6)
    special = np.array(
        [
            0.0,
            -0.0,
            1.0,
            -2.5,
            np.inf,
            -np.inf,
            np.nan,
            1e-45,
            -1e-45,
            1.1754942e-38,
            1.1754944e-38,
            3.4028235e38,
        ],
        np.float32,
    )
    bits = np.concatenate([special.view(np.uint32), rng.integers(0, 2**32, 5000, np.uint32)])
    rh, rl = run_words(
        target,
        SOURCES,
        "kc_f32_to_f64(__uint_as_float(b), rh, rl);",
        {"b": bits},
        {"rh": "uint32", "rl": "uint32"},
    )
    with np.errstate(invalid="ignore"):  # signalling NaNs among the random patterns
        want = bits.view(np.float32).astype(np.float64)
    assert same(join(rh, rl, np.float64), want).all()


@pytest.mark.parametrize("target", TARGETS)
def test_float64_to_float32_rounds_to_nearest_even(target):
    a, b = operands(3000, 12)
    rng = np.random.default_rng(13)
    f = rng.standard_normal(3000).astype(np.float32) * np.float32(2.0) ** rng.integers(
        -150, 128, 3000
    ).astype(np.float32)
    ulp = np.spacing(np.abs(f)).astype(np.float64)
    halfway = f.astype(np.float64) + ulp * rng.choice([0.5, -0.5, 0.4999999, 0.5000001], 3000)
    edges = np.array(
        [
            3.4028235677973366e38,
            3.4028235677973362e38,
            1.401298464324817e-45,
            7.006492321624085e-46,
            7.006492321624087e-46,
            1.1754942807573643e-38,
        ]
    )
    x = np.concatenate([a, b, halfway, edges, -edges])
    h, lo = split(x)
    (bits,) = run_words(
        target, SOURCES, "r = kc_f64_to_f32_bits(h, lo);", {"h": h, "lo": lo}, {"r": "uint32"}
    )
    with np.errstate(over="ignore", invalid="ignore"):
        want = x.astype(np.float32)
    got = bits.view(np.float32)
    ok = (bits == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))
    assert ok.all(), f"{(~ok).sum()} differ, e.g. {x[~ok][:3]!r} -> {got[~ok][:3]!r}"


@pytest.mark.parametrize("target", TARGETS)
def test_integer_to_float64_rounds_to_nearest_even(target):
    a, _ = int64_operands(3000, 17)
    h, lo = split(a)
    op = "kc_i64_to_f64(h, lo, false, uh, ul); kc_i64_to_f64(h, lo, true, sh, sl);"
    outs = {n: "uint32" for n in ("uh", "ul", "sh", "sl")}
    uh, ul, sh, sl = run_words(target, SOURCES, op, {"h": h, "lo": lo}, outs)
    assert same(join(uh, ul, np.float64), a.astype(np.float64)).all()
    assert same(join(sh, sl, np.float64), a.view(np.int64).astype(np.float64)).all()


@pytest.mark.parametrize("target", TARGETS)
def test_float64_to_integer_truncates_and_saturates(target):
    a, b = operands(3000, 19)
    with np.errstate(invalid="ignore"):
        halves = np.trunc(b) + 0.5
    x = np.concatenate([a, b, halves, [2.0**63, -(2.0**63), 2.0**64, 2.0**63 - 1024]])
    h, lo = split(x)
    op = "kc_f64_to_i64(h, lo, true, uh, ul); kc_f64_to_i64(h, lo, false, sh, sl);"
    outs = {n: "uint32" for n in ("uh", "ul", "sh", "sl")}
    uh, ul, sh, sl = run_words(target, SOURCES, op, {"h": h, "lo": lo}, outs)
    with np.errstate(invalid="ignore"):
        t = np.where(np.isnan(x), 0.0, np.trunc(x))
        want_i = np.where(
            t >= 2.0**63, 2**63 - 1, np.where(t < -(2.0**63), -(2**63), t.astype(np.int64))
        )
        want_u = np.where(t >= 2.0**64, 2**64 - 1, np.where(t <= 0, 0, t).astype(np.uint64))
    assert np.array_equal(join(sh, sl, np.int64), want_i)
    assert np.array_equal(join(uh, ul, np.uint64), want_u.astype(np.uint64))


@pytest.mark.parametrize("target", TARGETS)
def test_rounding_to_integers(target):
    a, b = operands(2000, 23)
    with np.errstate(invalid="ignore", over="ignore"):
        ties = np.trunc(b[np.isfinite(b)] % 2**54) + 0.5
    steps = np.arange(-6.0, 6.0, 0.25)
    x = np.concatenate(
        [a, b, ties, -ties, steps, [2.0**52 + 1, -(2.0**52) - 1, 0.49999999999999994]]
    )
    h, lo = split(x)
    op = (
        "kc_f64_trunc(h, lo, th, tl); kc_f64_floor_ceil(h, lo, false, fh, fl); "
        "kc_f64_floor_ceil(h, lo, true, ch, cl); kc_f64_round_int(h, lo, false, rh, rl); "
        "kc_f64_round_int(h, lo, true, ah, al);"
    )
    outs = {n: "uint32" for n in ("th", "tl", "fh", "fl", "ch", "cl", "rh", "rl", "ah", "al")}
    th, tl, fh, fl, ch, cl, rh, rl, ah, al = run_words(
        target, SOURCES, op, {"h": h, "lo": lo}, outs
    )
    with np.errstate(invalid="ignore"):
        t = np.trunc(x)
        away = np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t)
    for got, want in (
        ((th, tl), t),
        ((fh, fl), np.floor(x)),
        ((ch, cl), np.ceil(x)),
        ((rh, rl), np.rint(x)),
        ((ah, al), away),
    ):
        ok = same(join(*got, np.float64), want)
        assert ok.all(), (
            f"{x[~ok][:3]!r} -> {join(*got, np.float64)[~ok][:3]!r}, want {want[~ok][:3]!r}"
        )


@pytest.mark.parametrize("target", TARGETS)
def test_fmin_fmax_and_classification(target):
    a, b = operands(1500, 29)
    (ah, al), (bh, bl) = split(a), split(b)
    op = (
        "kc_f64_fmin_fmax(ah, al, bh, bl, false, nh, nl); "
        "kc_f64_fmin_fmax(ah, al, bh, bl, true, xh, xl); "
        "fin = kc_f64_isfinite(ah, al); inf = kc_f64_isinf(ah, al); nan = kc_f64_isnan(ah, al);"
    )
    outs = {
        "nh": "uint32",
        "nl": "uint32",
        "xh": "uint32",
        "xl": "uint32",
        "fin": "bool",
        "inf": "bool",
        "nan": "bool",
    }
    nh, nl, xh, xl, fin, inf, nan = run_words(
        target, SOURCES, op, {"ah": ah, "al": al, "bh": bh, "bl": bl}, outs
    )
    for got, want in (
        (join(nh, nl, np.float64), np.fmin(a, b)),
        (join(xh, xl, np.float64), np.fmax(a, b)),
    ):
        # which zero min(-0, +0) gives is NumPy's implementation's choice (C leaves it open)
        assert (same(got, want) | ((got == 0) & (want == 0))).all()
    assert np.array_equal(fin, np.isfinite(a)) and np.array_equal(inf, np.isinf(a))
    assert np.array_equal(nan, np.isnan(a))
