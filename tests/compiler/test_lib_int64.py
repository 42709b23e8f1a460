"""The shader library's 64-bit integers (`kernelc/lib/int64.cu`), bit for bit against
NumPy's int64/uint64, through the interpreter and on both real targets.

Rule: random values and the edges (0, 1, around 2^31, 2^32, 2^53, 2^63, all ones) in every
pairing; shifts by every count 0..63.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.word_kernels import TARGETS, join, run_words, split

EDGES = [
    0,
    1,
    2,
    3,
    2**31 - 1,
    2**31,
    2**31 + 1,
    2**32 - 1,
    2**32,
    2**32 + 1,
    2**53 - 1,
    2**53,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**63 + 1,
    2**64 - 2,
    2**64 - 1,
    0xDEADBEEF12345678,
]


def operands(n: int = 3000, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    edges = np.array(EDGES, np.uint64)
    a, b = np.meshgrid(edges, edges)
    width = rng.integers(1, 65, n).astype(np.uint64)  # values of every bit length
    ra = rng.integers(0, 2**64, n, dtype=np.uint64, endpoint=False) >> (np.uint64(64) - width)
    rb = rng.integers(0, 2**64, n, dtype=np.uint64, endpoint=False) >> (np.uint64(64) - width[::-1])
    return np.concatenate([a.ravel(), ra]), np.concatenate([b.ravel(), rb])


def binary(target: str, call: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    (ah, al), (bh, bl) = split(a), split(b)
    rh, rl = run_words(
        target,
        ("bits.cu", "int64.cu"),
        f"{call}(ah, al, bh, bl, rh, rl);",
        {"ah": ah, "al": al, "bh": bh, "bl": bl},
        {"rh": "uint32", "rl": "uint32"},
    )
    return join(rh, rl, np.uint64)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "name, call, want",
    [
        ("add", "kc_u64_add", np.add),
        ("sub", "kc_u64_sub", np.subtract),
        ("mul", "kc_u64_mul", np.multiply),
    ],
)
def test_wrapping_arithmetic(target, name, call, want):
    a, b = operands()
    with np.errstate(over="ignore"):
        expected = want(a, b)
    got = binary(target, call, a, b)
    assert np.array_equal(got, expected), name
    # the same bits are int64's results
    with np.errstate(over="ignore"):
        assert np.array_equal(got.view(np.int64), want(a.view(np.int64), b.view(np.int64)))


@pytest.mark.parametrize("target", TARGETS)
def test_negation_and_comparisons(target):
    a, b = operands(2000, 9)
    (ah, al), (bh, bl) = split(a), split(b)
    words = {"ah": ah, "al": al, "bh": bh, "bl": bl}
    op = (
        "kc_u64_neg(ah, al, nh, nl); ult = kc_u64_lt(ah, al, bh, bl); "
        "slt = kc_i64_lt(ah, al, bh, bl); eq = kc_u64_eq(ah, al, bh, bl);"
    )
    outs = {"nh": "uint32", "nl": "uint32", "ult": "bool", "slt": "bool", "eq": "bool"}
    nh, nl, ult, slt, eq = run_words(target, ("bits.cu", "int64.cu"), op, words, outs)
    with np.errstate(over="ignore"):
        assert np.array_equal(join(nh, nl, np.uint64), np.uint64(0) - a)
    assert np.array_equal(ult, a < b) and np.array_equal(eq, a == b)
    assert np.array_equal(slt, a.view(np.int64) < b.view(np.int64))


@pytest.mark.parametrize("target", TARGETS)
def test_shifts_by_every_count(target):
    a, _ = operands(200, 11)
    n = np.arange(64, dtype=np.int32)
    x, k = np.repeat(a, n.size), np.tile(n, a.size)
    h, lo = split(x)
    op = (
        "kc_u64_shl(h, lo, k, lh, ll); kc_u64_shr(h, lo, k, false, rh, rl); "
        "kc_u64_shr(h, lo, k, true, sh, sl);"
    )
    outs = {name: "uint32" for name in ("lh", "ll", "rh", "rl", "sh", "sl")}
    lh, ll, rh, rl, sh, sl = run_words(
        target, ("bits.cu", "int64.cu"), op, {"h": h, "lo": lo, "k": k}, outs
    )
    ku = k.astype(np.uint64)
    assert np.array_equal(join(lh, ll, np.uint64), x << ku)
    assert np.array_equal(join(rh, rl, np.uint64), x >> ku)
    assert np.array_equal(join(sh, sl, np.int64), x.view(np.int64) >> k.astype(np.int64))


def c_divmod(a: int, b: int, bits_signed: bool) -> tuple[int, int]:
    """C's truncating / and % on 64-bit values (by zero: all ones and the dividend)."""
    mask = 2**64 - 1
    if b == 0:
        return mask, a & mask
    if bits_signed:
        a, b = (a - 2**64 if a >= 2**63 else a), (b - 2**64 if b >= 2**63 else b)
    q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    return q & mask, (a - q * b) & mask


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("call", ["kc_u64_divmod", "kc_i64_divmod"])
def test_division_and_remainder(target, call):
    a, b = operands(1500, 21)
    b = np.concatenate([b[:-40], np.zeros(20, np.uint64), np.full(20, 2**64 - 1, np.uint64)])
    (ah, al), (bh, bl) = split(a), split(b)
    outs = {n: "uint32" for n in ("qh", "ql", "rh", "rl")}
    op = f"{call}(ah, al, bh, bl, qh, ql, rh, rl);"
    qh, ql, rh, rl = run_words(
        target, ("bits.cu", "int64.cu"), op, {"ah": ah, "al": al, "bh": bh, "bl": bl}, outs
    )
    want = [c_divmod(int(x), int(y), call == "kc_i64_divmod") for x, y in zip(a, b)]
    assert join(qh, ql, np.uint64).tolist() == [q for q, _ in want]
    assert join(rh, rl, np.uint64).tolist() == [r for _, r in want]
