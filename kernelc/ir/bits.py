"""CUDA's 32-bit integer intrinsics (`__popc`, `__clz`, `__ffs`, `__brev`, `__mulhi`,
`__umulhi`, `__sad`, `__usad`), the reference constant folding and the interpreter use:
each on Python ints (folding) and on NumPy arrays (the interpreter), with C's wraparound.

Rule: `SIGNATURES` is the one table of their operand and result types; the shader library
(`kernelc/lib/bits.cu`, `kc_<fn>`) computes the same on every target.
"""

from __future__ import annotations

import numpy as np

from kernelc.ir.dtypes import int32, uint32

# built-in -> (operand types, result type), as CUDA declares them
SIGNATURES = {
    "popc": ((uint32,), int32),
    "clz": ((uint32,), int32),
    "ffs": ((uint32,), int32),
    "brev": ((uint32,), uint32),
    "mulhi": ((int32, int32), int32),
    "umulhi": ((uint32, uint32), uint32),
    "sad": ((int32, int32, uint32), uint32),
    "usad": ((uint32, uint32, uint32), uint32),
}
# The C spellings; the 64-bit forms (`__popcll`, ...) are built from these by lowering.
C_NAMES = {"__" + fn: fn for fn in SIGNATURES}
WIDE_FORMS = ("__popcll", "__clzll", "__ffsll", "__brevll")

_M = (1 << 32) - 1


def fold(fn: str, *v: int) -> int:
    """`fn` of Python ints (already of the operand types)."""
    match fn:
        case "popc":
            return bin(v[0] & _M).count("1")
        case "clz":
            return 32 - (v[0] & _M).bit_length()
        case "ffs":
            x = v[0] & _M
            return (x & -x).bit_length()
        case "brev":
            return int(f"{v[0] & _M:032b}"[::-1], 2)
        case "mulhi":
            return (v[0] * v[1]) >> 32
        case "umulhi":
            return ((v[0] & _M) * (v[1] & _M)) >> 32
        case "sad" | "usad":
            return (abs(v[0] - v[1]) + v[2]) & _M
    raise KeyError(fn)


def compute(fn: str, args: list[np.ndarray]) -> np.ndarray:
    """`fn` elementwise over NumPy arrays (the interpreter's lanes)."""
    wide = [np.asarray(a).astype(np.int64) for a in args]
    if fn == "mulhi":
        return ((wide[0] * wide[1]) >> 32).astype(np.int32)
    if fn in ("umulhi", "sad", "usad"):
        u = [w & _M for w in wide] if fn != "sad" else wide[:2] + [wide[2] & _M]
        if fn == "umulhi":
            return ((u[0].astype(np.uint64) * u[1].astype(np.uint64)) >> np.uint64(32)).astype(
                np.uint32
            )
        return ((np.abs(u[0] - u[1]) + u[2]) & _M).astype(np.uint32)
    result = np.vectorize(lambda x: fold(fn, int(x)), otypes=[np.int64])(wide[0] & _M)
    return result.astype(np.uint32 if fn == "brev" else np.int32)
