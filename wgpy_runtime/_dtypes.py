"""Which dtypes an array may have, how each is held on the GPU, and how values travel.

Rule: every conversion between an array's own dtype and its storage dtype happens here.
The 64-bit policy (`set_64bit_policy`, or WGPY_64BIT=exact|fast before import) says how
int64/uint64/float64 are held: "exact" (the default) in 8 bytes, computed bit for bit in 64
bits by the shader library; "fast" in 32 bits (float64 as float32, int64 as int32, uint64
as uint32), with a `PrecisionWarning` when the first such array is made: an int64/uint64
value that does not fit 32 bits raises OverflowError on upload instead of being corrupted,
float64 rounds to float32 (overflowing to +-inf), and results read back widen to the
array's own dtype. complex64/complex128 are held as interleaved (re, im) pairs of their
component dtype (float32/float64, itself under the policy), NumPy's own layout. Object,
string and datetime dtypes are refused.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

SUPPORTED = tuple(
    np.dtype(n)
    for n in [
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
        "complex64",
        "complex128",
    ]
)
# complex dtypes -> the real dtype of their two components (docs/dtypes.md, "complex").
COMPONENT = {
    np.dtype("complex64"): np.dtype("float32"),
    np.dtype("complex128"): np.dtype("float64"),
}
# 64-bit dtypes -> the 32-bit dtype they are held in (docs/dtypes.md).
STORAGE_32 = {
    np.dtype("int64"): np.dtype("int32"),
    np.dtype("uint64"): np.dtype("uint32"),
    np.dtype("float64"): np.dtype("float32"),
}
POLICIES = ("fast", "exact")
DEFAULT_POLICY = "exact"
_policy = {"exact": True, "warned": False}


class PrecisionWarning(RuntimeWarning):
    """64-bit arrays are held and computed in 32 bits (the fast 64-bit policy)."""


def set_64bit_policy(policy: str) -> None:
    """Hold and compute int64/uint64/float64 exactly ("exact") or in 32 bits ("fast").
    Set it before making 64-bit arrays: one made under the other policy keeps its layout,
    which programs translated under this one do not read (docs/dtypes.md)."""
    if policy not in POLICIES:
        raise ValueError(f"64-bit policy must be one of {POLICIES}, not {policy!r}")
    if (policy == "exact") != _policy["exact"]:
        _policy["exact"] = policy == "exact"
        _STORAGE_NAMES.clear()
        for forget in _ON_POLICY_CHANGE:
            forget()


# Caches kept above this module that a policy change makes stale (the program cache:
# `_launch` registers it), called after the change.
_ON_POLICY_CHANGE: list = []


def on_policy_change(forget) -> None:
    _ON_POLICY_CHANGE.append(forget)


def cast_scalar(value, dtype: np.dtype):
    """A scalar kernel argument converted to its parameter's dtype (C-style truncation,
    wraparound), as the kernel receives it."""
    with np.errstate(all="ignore"):
        return np.asarray(value).astype(dtype)[()]


def get_64bit_policy() -> str:
    return "exact" if _policy["exact"] else "fast"


def exact64() -> bool:
    """64-bit dtypes are held and computed in 64 bits."""
    return _policy["exact"]


# NumPy scalars are strong (NEP 50, NumPy 2); the cupy shim makes them weak, as Python
# scalars are, because CuPy before v13 treated them so (float32 array * np.float64 is
# float32 there, and in NumPy 1.x). One switch for the process, read where dtypes are
# promoted (ufuncs, fusion, the fast path's call signatures).
NUMPY_SCALARS_WEAK = False

# NumPy's defaults, which the fast 64-bit policy holds in 32 bits.
DEFAULT_FLOAT = np.dtype("float64")
DEFAULT_INT = np.dtype("int64")
DEFAULT_COMPLEX = np.dtype("complex128")

# C type names (cupy-kernel-semantics.md §1.2), for kernel text written per dtype.
CTYPES = {
    "bool": "bool",
    "int8": "signed char",
    "uint8": "unsigned char",
    "int16": "short",
    "uint16": "unsigned short",
    "int32": "int",
    "uint32": "unsigned int",
    "int64": "long long",
    "uint64": "unsigned long long",
    "float16": "float16",
    "float32": "float",
    "float64": "double",
}


def normalize(dtype) -> np.dtype:
    """`dtype` as a supported NumPy dtype (None -> float64, as NumPy's default)."""
    dt = DEFAULT_FLOAT if dtype is None else np.dtype(dtype)
    if dt not in SUPPORTED:
        raise TypeError(
            f"dtype {dt} is not supported by wgpy_runtime (supported: "
            f"{', '.join(d.name for d in SUPPORTED)})"
        )
    return dt


def storage(dtype: np.dtype) -> np.dtype:
    """The dtype an array of `dtype` is held in on the device (for complex dtypes: the
    dtype each of its two components is held in)."""
    dtype = COMPONENT.get(dtype, dtype)
    return dtype if _policy["exact"] else STORAGE_32.get(dtype, dtype)


def component(dtype: np.dtype) -> np.dtype:
    """The real dtype of a complex dtype's components (`dtype` itself when real)."""
    return COMPONENT.get(np.dtype(dtype), np.dtype(dtype))


def lanes(dtype: np.dtype) -> int:
    """Storage elements per array element: 2 for complex (re, im), else 1."""
    return 2 if dtype.kind == "c" else 1


_STORAGE_NAMES: dict = {}


def storage_name(dtype: np.dtype) -> str:
    """`storage(dtype).name`, looked up (`np.dtype.name` is slow)."""
    name = _STORAGE_NAMES.get(dtype)
    if name is None:
        dtype = np.dtype(dtype)
        name = _STORAGE_NAMES[dtype] = storage(dtype).name
        if dtype in STORAGE_32 and name != dtype.name and not _policy["warned"]:
            _policy["warned"] = True  # once per process: the policy is a deliberate choice
            warnings.warn(
                f"{dtype.name} arrays are held and computed in {name} under the fast 64-bit "
                'policy; set_64bit_policy("exact") computes them bit for bit (docs/dtypes.md)',
                PrecisionWarning,
                stacklevel=4,
            )
    return name


def ctype(dtype: np.dtype) -> str:
    return CTYPES[np.dtype(dtype).name]


def to_storage(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`values` (any dtype NumPy can cast to `dtype`) as contiguous storage elements.
    Integers that do not fit their 32-bit storage raise OverflowError."""
    values = np.ascontiguousarray(values)
    if dtype.kind == "c":  # interleaved components: NumPy's layout, viewed as reals
        with np.errstate(all="ignore"):
            pairs = values.astype(dtype, copy=False).view(COMPONENT[dtype])
        return to_storage(pairs, COMPONENT[dtype])
    target = storage(dtype)
    if values.dtype.kind in "iu" and target.kind in "iu" and target != dtype:
        check_fits(values, target, dtype)
    if values.dtype == target:
        return values
    with np.errstate(all="ignore"):
        return values.astype(target)


def check_fits(values: np.ndarray, target: np.dtype, dtype: np.dtype) -> None:
    """OverflowError unless every integer in `values` fits `target` (64-bit policy)."""
    if values.size == 0:
        return
    info = np.iinfo(target)
    low, high = int(values.min()), int(values.max())
    if low < info.min or high > info.max:
        bad = low if low < info.min else high
        raise OverflowError(
            f"{dtype.name} value {bad} does not fit the {target.name} it is held in on the "
            "GPU (wgpy_runtime holds 64-bit arrays in 32 bits; see docs/dtypes.md)"
        )


def from_storage(data: bytes | np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Storage elements (bytes as the device returns them) widened to `dtype`."""
    if dtype.kind == "c":
        return from_storage(data, COMPONENT[dtype]).view(dtype)
    values = (
        np.frombuffer(data, storage(dtype))
        if isinstance(data, (bytes, bytearray, memoryview))
        else data
    )
    return values.astype(dtype) if values.dtype != dtype else values


def scalar_value(value, dtype: np.dtype):
    """A Python number for the uniform block: `value` converted to `dtype` (C-style
    truncation and wrap), then to its 32-bit storage, checked like arrays are."""
    with np.errstate(all="ignore"):
        v = np.asarray(value).astype(dtype)
    if dtype.kind in "iu" and dtype.itemsize == 8 and not _policy["exact"]:
        check_fits(v.reshape(1), storage(dtype), dtype)
    return bool(v) if dtype.kind == "b" else v.item()


def _initial_policy() -> None:
    policy = os.environ.get("WGPY_64BIT", DEFAULT_POLICY).strip().lower() or DEFAULT_POLICY
    if policy not in POLICIES:
        raise ValueError(f"WGPY_64BIT must be one of {POLICIES}, not {policy!r}")
    _policy["exact"] = policy == "exact"


_initial_policy()


def python_scalar_kind(value) -> str | None:
    """'b', 'i', 'f', 'c' for Python bool/int/float/complex ('weak' scalars under NEP 50),
    else None."""
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int):
        return "i"
    if isinstance(value, float):
        return "f"
    if isinstance(value, complex):
        return "c"
    return None
