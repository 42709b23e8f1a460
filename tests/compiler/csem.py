"""C/CUDA semantics written with NumPy: the vocabulary of the corpus references and the
fuzzer's evaluator, plus the input generators they share.

Rule: every helper computes what CUDA computes for 32-bit types (two's complement
wraparound, truncating `/` and `%`, `roundf` half away from zero, `fminf` ignoring NaN),
never NumPy's own convention; floats stay float32 unless a helper says otherwise.
"""

from __future__ import annotations

import numpy as np

N = 2000  # default element count of a corpus call: large enough for many workgroups/rows

# ------------------------------------------------------------------ integers


def i32(v) -> np.ndarray:
    """Wrap to int32 as a C cast / two's-complement overflow does."""
    return np.asarray(v, dtype=np.int64).astype(np.int32)


def u32(v) -> np.ndarray:
    """Wrap to uint32 (modulo 2**32), from any integer array."""
    return (np.asarray(v).astype(np.int64) & 0xFFFFFFFF).astype(np.uint32)


def cdiv(a, b) -> np.ndarray:
    """C `a / b` for int32: truncation toward zero (-7 / 2 == -3), INT_MIN / -1 wraps."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    q = np.abs(a) // np.abs(b) * np.sign(a) * np.sign(b)
    return i32(q)


def cmod(a, b) -> np.ndarray:
    """C `a % b` for int32: the sign follows the dividend (-7 % 2 == -1)."""
    a64, b64 = np.asarray(a, np.int64), np.asarray(b, np.int64)
    return i32(a64 - b64 * cdiv(a, b).astype(np.int64))


def shl(a, s) -> np.ndarray:
    """`a << s` on int32/uint32 (s already in 0..31): bits shifted out are lost."""
    a = np.asarray(a)
    wide = a.astype(np.int64) << np.asarray(s, np.int64)
    return i32(wide) if a.dtype == np.int32 else u32(wide)


def trunc_i32(x) -> np.ndarray:
    """`(int)x` for finite float x in range: truncation toward zero ((int)-2.7f == -2)."""
    return np.trunc(np.asarray(x, np.float64)).astype(np.int32)


# ------------------------------------------------------------------ floats


def f32(v) -> np.ndarray:
    return np.asarray(v, dtype=np.float32)


def c_round(x) -> np.ndarray:
    """`roundf`: half away from zero (roundf(2.5f) == 3, roundf(-0.5f) == -1)."""
    x64 = np.asarray(x, np.float64)
    return f32(np.copysign(np.floor(np.abs(x64) + 0.5), x64))


def fmin(a, b) -> np.ndarray:
    """`fminf` and CUDA's `min(float, float)`: a NaN operand yields the other operand."""
    return np.fmin(f32(a), f32(b))


def fmax(a, b) -> np.ndarray:
    return np.fmax(f32(a), f32(b))


# ------------------------------------------------------------------ inputs


def floats(
    rng: np.random.Generator, n: int = N, lo: float = -10.0, hi: float = 10.0, special=()
) -> np.ndarray:
    """n float32 values uniform in [lo, hi), the first ones replaced by `special`."""
    out = rng.uniform(lo, hi, n).astype(np.float32)
    out[: len(special)] = special
    return out


def ints(
    rng: np.random.Generator,
    n: int = N,
    lo: int = -1000,
    hi: int = 1000,
    special=(),
    dtype=np.int32,
) -> np.ndarray:
    """n integers in [lo, hi), the first ones replaced by `special`."""
    out = rng.integers(lo, hi, n, dtype=np.int64).astype(dtype)
    out[: len(special)] = special
    return out


def nonzero_ints(
    rng: np.random.Generator, n: int = N, lo: int = -9, hi: int = 10, special=()
) -> np.ndarray:
    out = ints(rng, n, lo, hi)
    out[out == 0] = 1
    out[: len(special)] = special
    return out


def bools(rng: np.random.Generator, n: int = N) -> np.ndarray:
    return rng.random(n) < 0.5


def full(shape, value, dtype) -> np.ndarray:
    """A given output array holding a known value (to see what a kernel leaves unwritten)."""
    return np.full(shape, value, dtype=dtype)


SPECIAL_FLOATS = (np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5)
HALVES = (-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5, -4.5, 0.49999997, -2.7, 2.7)
