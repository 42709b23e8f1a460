"""The element types a device buffer can hold, and how their bytes cross the protocol.

Rule: `write` and `read` carry each dtype's own NumPy bytes (little-endian, the dtype's
itemsize); a device holds them as kernelc programs expect (docs/abi.md): every dtype as
itself, 8/16-bit ones packed several to a 32-bit word on WebGPU and in 8/16-bit textures on
WebGL, except `bool`, which programs read as 32-bit 0/1 and which is therefore widened on
`write` and narrowed on `read` here. 64-bit dtypes are device dtypes under the exact
64-bit policy only; the fast one converts them to 32-bit storage first (docs/dtypes.md).
"""

from __future__ import annotations

import numpy as np

from .protocol import ITEMSIZE, check_range  # noqa: F401  (devices call storage.check_range)

DTYPES = tuple(ITEMSIZE)


def check_dtype(dtype) -> str:
    """The canonical name of a device dtype (accepts NumPy dtypes and their names)."""
    if type(dtype) is str and dtype in DTYPES:  # already canonical (`np.dtype.name` is slow)
        return dtype
    name = np.dtype(dtype).name
    if name not in DTYPES:
        raise ValueError(
            f"dtype {name!r} cannot be held on the device (one of {', '.join(DTYPES)}; "
            "docs/dtypes.md)"
        )
    return name


def host_itemsize(dtype: str) -> int:
    """Bytes per element on the protocol (NumPy's itemsize)."""
    return ITEMSIZE[dtype]


def device_itemsize(dtype: str) -> int:
    """Bytes per element in device memory (bool is a 32-bit word)."""
    return 4 if dtype == "bool" else np.dtype(dtype).itemsize


def device_numpy(dtype: str) -> np.dtype:
    """The NumPy dtype of the device's elements."""
    return np.dtype(np.uint32 if dtype == "bool" else dtype)


def elements(dtype: str, data) -> np.ndarray:
    """`data` (bytes-like, whole elements of `dtype`) as device elements."""
    raw = memoryview(data).cast("B")
    item = host_itemsize(dtype)
    if len(raw) % item:
        raise ValueError(f"{len(raw)} bytes are not whole {dtype} elements")
    values = np.frombuffer(raw, np.dtype(dtype).newbyteorder("<"))
    if dtype == "bool":
        return (values.view(np.uint8) != 0).astype("<u4")
    return values


def host_bytes(dtype: str, values: np.ndarray) -> bytes:
    """Device elements back as the protocol's bytes of `dtype`."""
    if dtype == "bool":
        return (np.asarray(values) != 0).tobytes()
    return np.ascontiguousarray(values, np.dtype(dtype).newbyteorder("<")).tobytes()
