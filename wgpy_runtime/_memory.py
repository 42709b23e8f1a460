"""Device buffers as Python objects, and CuPy's `Memory` and `MemoryPointer` over them.

Rule: a `Buffer` owns one device allocation and frees it when the last Python reference
to it dies; every view of it holds that reference, so views never outlive their memory
and never free it early. A complex buffer holds two storage elements (re, im) per element;
its `components()` is one `ComponentBuffer` over the same allocation, whose views are the
real arrays complex arithmetic runs on (one per buffer while it lives, so that two views of
the components are recognised as views of one buffer). A buffer made without a device
goes to `device.current_device()` (the innermost `use_device` one, else `get_device()`).
"""

from __future__ import annotations

import weakref

import numpy as np

from . import _dtypes
from .device import current_device


def _NO_OWNER():
    return None


# Open notes of the buffers made, written from the host and copied on the device
# (`_fastpath.capturing`: a call replayed later makes its temporaries again, and replays
# its launches only, so neither a host write nor a device copy).
NOTES: list[Notes] = []


class Notes:
    """Buffers made while this note was open, (id, size, dtype, count, storage) in order,
    the ids of buffers written from the host, and how many device copies ran."""

    __slots__ = ("copies", "made", "written")

    def __init__(self) -> None:
        self.made: list[tuple] = []
        self.written: set[int] = set()
        self.copies = 0


def allocation(size: int, dtype: np.dtype) -> tuple[int, str]:
    """The storage elements and storage dtype name of a buffer of `size` `dtype`s."""
    # A zero-size allocation is still a valid binding on every backend.
    return max(1, size) * _dtypes.lanes(dtype), _dtypes.storage_name(dtype)


class Buffer:
    """`size` elements of `dtype` (held as its storage dtype) on `device`."""

    __slots__ = ("__weakref__", "_components", "device", "dtype", "id", "owner_array", "size")

    def __init__(self, size: int, dtype: np.dtype, device=None) -> None:
        dtype, size = np.dtype(dtype), int(size)
        device = device if device is not None else current_device()
        self._allocate(size, dtype, device, *allocation(size, dtype))

    def _allocate(self, size: int, dtype: np.dtype, device, count: int, storage: str) -> None:
        """Fill in a new buffer of `count` elements of `storage` (`allocation`)."""
        self.owner_array = _NO_OWNER  # the ndarray made with it (a weak reference): `base`
        self.device, self.dtype, self.size, self._components = device, dtype, size, None
        self.id = device.alloc(count, storage)
        for notes in NOTES:
            notes.made.append((self.id, size, dtype, count, storage))

    @classmethod
    def allocated(cls, size: int, dtype: np.dtype, device, count: int, storage: str) -> Buffer:
        """`Buffer(size, dtype, device)` for a NumPy `dtype` and `allocation(size, dtype)`
        worked out before (new outputs of a replayed call)."""
        buf = cls.__new__(cls)
        buf._allocate(size, dtype, device, count, storage)
        return buf

    def __del__(self) -> None:
        buf_id = getattr(self, "id", None)
        if buf_id is None:
            return
        try:
            self.device.free(buf_id)
        except Exception:  # interpreter shutdown or a lost device: nothing left to free
            pass

    def write(self, start: int, values: np.ndarray) -> None:
        """Upload `values` (converted and checked by the storage policy) from `start` on."""
        data = _dtypes.to_storage(values, self.dtype)
        for notes in NOTES:
            notes.written.add(self.id)
        if data.size:
            start *= _dtypes.lanes(self.dtype)
            self.device.write(self.id, start, memoryview(data.reshape(-1)).cast("B"))

    def read(self, start: int, count: int) -> np.ndarray:
        """`count` elements from `start`, in the buffer's own dtype (blocks)."""
        if count <= 0:
            return np.empty(0, self.dtype)
        n = _dtypes.lanes(self.dtype)
        return _dtypes.from_storage(self.device.read(self.id, start * n, count * n), self.dtype)

    def components(self) -> ComponentBuffer:
        """A complex buffer's (re, im) components as a real buffer of twice the size."""
        found = self._components() if self._components is not None else None
        if found is None:
            found = ComponentBuffer(self)
            self._components = weakref.ref(found)
        return found

    @property
    def storage_dtype(self) -> np.dtype:
        return _dtypes.storage(self.dtype)


class ComponentBuffer(Buffer):
    """The real view of a complex `Buffer`'s allocation: element 2k is the real part of
    element k, 2k + 1 its imaginary part. It keeps its complex buffer alive and frees
    nothing itself."""

    __slots__ = ("owner",)

    def __init__(self, owner: Buffer) -> None:
        self.owner = owner
        self.device, self.id = owner.device, owner.id
        self.dtype = _dtypes.component(owner.dtype)
        self.size = 2 * owner.size
        self._components = None

    def __del__(self) -> None:
        pass


class Memory:
    """CuPy's `Memory` for one `Buffer`: `ptr`, a stand-in base address (unique while the
    buffer lives; device memory is not addressable from the host), and `size` in bytes.
    Pointers only serve arithmetic between pointers of one buffer (CuPy code computes
    offsets as `a.data.ptr - a.data.mem.ptr`)."""

    __slots__ = ("buf",)

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    @property
    def ptr(self) -> int:
        return id(self.buf) << 16

    @property
    def size(self) -> int:
        return self.buf.size * self.buf.dtype.itemsize

    @property
    def device(self):
        return self.buf.device


class MemoryPointer:
    """CuPy's `MemoryPointer`: a `Memory` and a byte offset into it (`a.data`)."""

    __slots__ = ("mem", "offset")

    def __init__(self, mem: Memory, offset: int) -> None:
        if not isinstance(mem, Memory):
            raise TypeError("MemoryPointer: mem must be the Memory of a wgpy_runtime array")
        self.mem, self.offset = mem, int(offset)

    @property
    def ptr(self) -> int:
        return self.mem.ptr + self.offset

    @property
    def device(self):
        return self.mem.device

    def __add__(self, nbytes: int) -> MemoryPointer:
        return MemoryPointer(self.mem, self.offset + int(nbytes))
