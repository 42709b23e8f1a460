"""One `DType` for parameters, storage and IR values, and one `promote()`.

Rule: IR expressions have the computation types (bool, int32, uint32, float32, and under
the exact 64-bit policy int64, uint64, float64); narrower C types are mapped onto them by
`computation_type`. Under the fast policy (the default) 64-bit C types are computed and
held in 32 bits (`storage_type`), and the lowering warns where precision is lost; under
the exact policy (`exact64(True)`, a translate option) they are real 64-bit IR types that
the `wide64` pass lowers to pairs of 32-bit words before emission (docs/dtypes.md).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DType:
    name: str  # NumPy name
    kind: str  # 'b' bool, 'i' signed, 'u' unsigned, 'f' float, 'c' complex
    itemsize: int
    c_name: str

    def __repr__(self) -> str:
        return self.name

    @property
    def is_float(self) -> bool:
        return self.kind == "f"

    @property
    def is_int(self) -> bool:
        return self.kind in "iu"

    @property
    def is_signed(self) -> bool:
        return self.kind == "i"


bool_ = DType("bool", "b", 1, "bool")
int8 = DType("int8", "i", 1, "signed char")
uint8 = DType("uint8", "u", 1, "unsigned char")
int16 = DType("int16", "i", 2, "short")
uint16 = DType("uint16", "u", 2, "unsigned short")
int32 = DType("int32", "i", 4, "int")
uint32 = DType("uint32", "u", 4, "unsigned int")
int64 = DType("int64", "i", 8, "long long")
uint64 = DType("uint64", "u", 8, "unsigned long long")
float16 = DType("float16", "f", 2, "float16")
float32 = DType("float32", "f", 4, "float")
float64 = DType("float64", "f", 8, "double")
complex64 = DType("complex64", "c", 8, "complex<float>")
complex128 = DType("complex128", "c", 16, "complex<double>")

# u32 words as one value (WGSL vec2<u32>/vec4<u32>, GLSL uvec2/uvec4; x the lowest word):
# what a reduction shell holds (accumulators, partials) for an accumulator wider than 32
# bits. words64: a 64-bit accumulator (the wide64 pass) or a complex one of float32 parts;
# words128: a complex one of float64 parts (kernelc/ir/lower_complex_reduction.py).
words64 = DType("words64", "w", 8, "uvec2")
words128 = DType("words128", "w", 16, "uvec4")
WORDS = (words64, words128)

ALL = (
    bool_,
    int8,
    uint8,
    int16,
    uint16,
    int32,
    uint32,
    int64,
    uint64,
    float16,
    float32,
    float64,
    complex64,
    complex128,
)
BY_NAME = {d.name: d for d in ALL}
COMPUTE = (bool_, int32, uint32, float32)
WIDE = (int64, uint64, float64)  # computation types of the exact 64-bit policy only

# A complex dtype's components (NumPy's interleaved (re, im) pairs).
COMPONENT = {complex64: float32, complex128: float64}

# Parameter dtypes this version can bind to arrays and scalars.
SUPPORTED_PARAM = (
    bool_,
    int8,
    uint8,
    int16,
    uint16,
    int32,
    uint32,
    int64,
    uint64,
    float16,
    float32,
    float64,
    complex64,
    complex128,
)
# 64-bit dtypes are held (and computed) in 32 bits: neither target has 64-bit types.
STORAGE_32 = {int64: int32, uint64: uint32, float64: float32}
# Dtypes held several to a 32-bit word in WGSL storage buffers: elements per word.
PACKED_PER_WORD = {int8: 4, uint8: 4, int16: 2, uint16: 2, float16: 2}

# C type spellings (after whitespace normalisation) -> the C type's own DType.
C_TYPES: dict[str, DType] = {
    "bool": bool_,
    "char": int8,
    "signed char": int8,
    "unsigned char": uint8,
    "short": int16,
    "short int": int16,
    "signed short": int16,
    "unsigned short": uint16,
    "unsigned short int": uint16,
    "int": int32,
    "signed": int32,
    "signed int": int32,
    "unsigned": uint32,
    "unsigned int": uint32,
    "long": int64,
    "long int": int64,
    "long long": int64,
    "long long int": int64,
    "unsigned long": uint64,
    "unsigned long long": uint64,
    "unsigned long long int": uint64,
    "ptrdiff_t": int64,
    "size_t": uint64,
    "int8_t": int8,
    "uint8_t": uint8,
    "int16_t": int16,
    "uint16_t": uint16,
    "int32_t": int32,
    "uint32_t": uint32,
    "int64_t": int64,
    "uint64_t": uint64,
    "float": float32,
    "double": float64,
    "long double": float64,
    "float16": float16,
    "half": float16,
    "__half": float16,
}


_EXACT64: ContextVar[bool] = ContextVar("kernelc_exact64", default=False)


@contextmanager
def exact64(on: bool):
    """Lower under the exact (`on`) or fast 64-bit policy within the block."""
    token = _EXACT64.set(bool(on))
    try:
        yield
    finally:
        _EXACT64.reset(token)


def word_count(d: DType) -> int:
    """The u32 words of a value of `d`: 1 for a 32-bit type, 2 for a 64-bit one, ..."""
    return max(1, d.itemsize // 4)


def words_type(count: int) -> DType:
    """The words type holding `count` u32 words."""
    return next(d for d in WORDS if word_count(d) == count)


def is_exact64() -> bool:
    return _EXACT64.get()


def computation_type(d: DType) -> DType:
    """The type a value of C type `d` is computed in (32 bits unless exact 64-bit); a
    complex type stands for itself (lowering computes it as two `part_type` values)."""
    if d.kind == "c":
        return d
    if d.itemsize == 8 and d.kind in "iuf" and _EXACT64.get():
        return d
    if d.kind == "b":
        return bool_
    if d.kind == "f":
        return float32
    if d.kind == "i":
        return int32
    if d.kind == "u":
        return uint32 if d.itemsize >= 4 else int32  # C promotes narrow unsigned to int
    raise ValueError(f"no computation type for {d.name}")


def part_type(d: DType) -> DType:
    """The computation type of complex type `d`'s real and imaginary parts."""
    return computation_type(COMPONENT[d])


def storage_type(d: DType) -> DType:
    """The dtype an array or scalar of dtype `d` is held in on both targets."""
    return d if _EXACT64.get() else STORAGE_32.get(d, d)


def is_narrow(d: DType) -> bool:
    """A C type whose values need a conversion on every store: 8/16-bit integers wrap,
    float16 rounds (both are computed in 32 bits)."""
    return d.kind in "iuf" and d.itemsize < 4


def integer_promote(d: DType) -> DType:
    """C integer promotion of a computation type: bool -> int."""
    return int32 if d is bool_ else d


# C's usual arithmetic conversions, highest first: a long long holds every unsigned int.
_RANK = (float64, float32, uint64, int64, uint32, int32)


def promote(a: DType, b: DType) -> DType:
    """C's usual arithmetic conversions on computation types."""
    a, b = integer_promote(a), integer_promote(b)
    for d in _RANK:
        if a is d or b is d:
            return d
    return int32
