"""CUDA's 32-bit integer intrinsics (`__popc`, `__clz`, `__ffs`, `__brev`, `__mulhi`,
`__umulhi`, `__sad`, `__usad`): their types, and their values on Python ints with C's
wraparound, which constant folding and the interpreter use (pure Python: kernelc loads in
Pyodide without NumPy).

Rule: `SIGNATURES` is the one table of their operand and result types; the shader library
(`kernelc/lib/bits.cu`, `kc_<fn>`) computes the same on every target.
"""

from __future__ import annotations

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
