"""`ndarray`: a view (shape, element strides, offset, dtype) of a device `Buffer`.

Rule: an ndarray never owns memory, its `Buffer` does; views (slicing, transpose,
reshape when possible, broadcasting) share the buffer and copy nothing. Strides are kept
in elements; `.strides` reports bytes as NumPy does. Every computation on an ndarray is a
kernel (ufuncs, reductions, `kernel.ElementwiseKernel`); only `get()` and friends read.
The methods that run kernels (operators, indexing past views, assignment, copies, casts)
call modules above this one: `_ndarray_methods` binds them once those have loaded.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from . import _dtypes, _indexing, _shapes
from ._memory import Buffer, Memory, MemoryPointer
from .device import get_device


class Flags:
    """`a.flags`: read as attributes (`c_contiguous`) or keys (`"C_CONTIGUOUS"`)."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, c_contiguous: bool, f_contiguous: bool, owndata: bool) -> None:
        self.c_contiguous, self.f_contiguous, self.owndata = c_contiguous, f_contiguous, owndata

    def __getitem__(self, key: str) -> bool:
        return getattr(self, key.lower().replace("contiguous", "_contiguous").replace("__", "_"))

    def __repr__(self) -> str:
        return (
            f"  C_CONTIGUOUS : {self.c_contiguous}\n  F_CONTIGUOUS : {self.f_contiguous}\n"
            f"  OWNDATA : {self.owndata}"
        )


class ndarray:
    """A NumPy-compatible array on a GPU (CuPy's `cupy.ndarray`)."""

    __slots__ = ("__weakref__", "_buf", "_offset", "_shape", "_strides")
    __array_priority__ = 100.0

    def __init__(
        self, shape, dtype=float, memptr=None, strides=None, order="C", *, device=None
    ) -> None:
        """A new C-ordered array; with `memptr` (CuPy's), a view of that memory with byte
        `strides` (default C order)."""
        shape = _shapes.as_shape(shape)
        if memptr is not None:
            self._view_memory(shape, _dtypes.normalize(dtype), memptr, strides)
            return
        if strides is not None or order not in ("C", None):
            raise NotImplementedError("ndarray(): strides and order need memptr")
        self._buf = Buffer(math.prod(shape), _dtypes.normalize(dtype), device)
        self._buf.owner_array = weakref.ref(self)
        self._shape = shape
        self._strides = _shapes.c_strides(shape)
        self._offset = 0

    def _view_memory(self, shape, dtype, memptr: MemoryPointer, strides) -> None:
        buf = memptr.mem.buf
        if dtype != buf.dtype:
            raise TypeError(f"ndarray(): a {dtype} view of {buf.dtype} memory is not supported")
        itemsize = dtype.itemsize
        if strides is None:
            strides = tuple(s * itemsize for s in _shapes.c_strides(shape))
        strides = tuple(int(s) for s in strides)
        if memptr.offset % itemsize or any(s % itemsize for s in strides):
            raise ValueError("ndarray(): offset and strides must be multiples of the item size")
        self._buf, self._shape = buf, shape
        self._strides = tuple(s // itemsize for s in strides)
        self._offset = memptr.offset // itemsize
        low = self._offset + sum((n - 1) * s for n, s in zip(shape, self._strides) if s < 0)
        high = self._offset + sum((n - 1) * s for n, s in zip(shape, self._strides) if s > 0)
        if 0 not in shape and (low < 0 or high >= buf.size):
            raise ValueError("ndarray(): the view reaches outside its memory")

    @classmethod
    def _view(cls, buf: Buffer, shape, strides, offset: int) -> ndarray:
        a = cls.__new__(cls)
        a._buf, a._shape, a._strides, a._offset = buf, tuple(shape), tuple(strides), offset
        return a

    # ------------------------------------------------------------------ attributes

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @shape.setter
    def shape(self, value) -> None:
        view = self.reshape(value)
        if view._buf is not self._buf:
            raise AttributeError(
                "Incompatible shape for in-place modification. Use "
                "`.reshape()` to make a copy with the desired shape."
            )
        self._shape, self._strides = view._shape, view._strides

    @property
    def dtype(self) -> np.dtype:
        return self._buf.dtype

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def size(self) -> int:
        return math.prod(self._shape)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def strides(self) -> tuple[int, ...]:
        """Strides in bytes of the array's own dtype, as NumPy reports them."""
        return tuple(s * self.itemsize for s in self._strides)

    @property
    def device(self):
        return self._buf.device

    @property
    def data(self) -> MemoryPointer:
        """CuPy's `a.data`: the buffer's `Memory` and this view's byte offset in it."""
        return MemoryPointer(Memory(self._buf), self._offset * self.itemsize)

    @property
    def base(self):
        """The array whose memory this view shows (None for that array itself, or once it
        is gone: a view does not keep it alive, as NumPy's does)."""
        owner = self._buf.owner_array()
        return None if owner is self else owner

    @property
    def flags(self) -> Flags:
        return Flags(
            self._c_contiguous,
            self._f_contiguous,
            self._offset == 0 and self.size == self._buf.size,
        )

    @property
    def _c_contiguous(self) -> bool:
        return _shapes.is_c_contiguous(self._shape, self._strides)

    @property
    def _f_contiguous(self) -> bool:
        return _shapes.is_f_contiguous(self._shape, self._strides)

    @property
    def T(self) -> ndarray:
        return self.transpose()

    # ------------------------------------------------------------------ complex parts

    def _pair(self) -> ndarray:
        """A complex array's components: the real view of shape `shape + (2,)` whose last
        axis is (re, im), over the buffer's `components()`."""
        strides = tuple(2 * s for s in self._strides) + (1,)
        return self._view(self._buf.components(), self._shape + (2,), strides, 2 * self._offset)

    @property
    def real(self) -> ndarray:
        """The real part: a view (NumPy's), assignable."""
        return self._pair()[..., 0] if self.dtype.kind == "c" else self.view()

    @real.setter
    def real(self, value) -> None:
        self.real[...] = value

    # ------------------------------------------------------------------ host transfer

    def get(self, stream=None, order="C", out=None) -> np.ndarray:
        """A NumPy copy of this view (blocks until the device has computed it)."""
        if self.size == 0:
            host = np.empty(self._shape, self.dtype)
        else:
            low, high = _shapes.extent_range(self._offset, self._shape, self._strides)
            flat = self._buf.read(low, high - low + 1)
            item = flat.dtype.itemsize
            host = np.lib.stride_tricks.as_strided(
                flat[self._offset - low :], self._shape, [s * item for s in self._strides]
            )
            host = np.array(host, order=order)
        if out is not None:
            out[...] = host
            return out
        return host

    def __array__(self, dtype=None, copy=None):
        host = self.get()
        return host if dtype is None else host.astype(dtype, copy=False)

    def tolist(self):
        return self.get().tolist()

    def item(self, *args):
        return self.get().item(*args)

    def __repr__(self) -> str:
        return repr(self.get())

    def __str__(self) -> str:
        return str(self.get())

    def __format__(self, spec: str) -> str:
        return format(self.get(), spec) if self.ndim else format(self.get()[()], spec)

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of unsized object")
        return self._shape[0]

    def __iter__(self):
        if not self._shape:
            raise TypeError("iteration over a 0-d array")
        return (self[k] for k in range(self._shape[0]))

    def _scalar(self):
        if self.size != 1:
            raise TypeError("only length-1 arrays can be converted to Python scalars")
        return self.get().reshape(())[()]

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                "The truth value of an array with more than one element is "
                "ambiguous. Use a.any() or a.all()"
            )
        return bool(self._scalar())

    def __index__(self) -> int:
        if self.ndim != 0 or self.dtype.kind not in "iu":
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        return int(self._scalar())

    # ------------------------------------------------------------------ views

    def reshape(self, *shape, order="C") -> ndarray:
        """A view when the strides allow one (NumPy's rule), else a C-order copy."""
        if order not in ("C", "c", "A", "a"):
            raise NotImplementedError("only order='C' is supported")
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = shape[0]
        shape = _indexing.infer_shape(_shapes.as_shape_signed(shape), self.size)
        if shape == self._shape:
            return self._view(self._buf, self._shape, self._strides, self._offset)
        if self.size == 0:
            return self._view(self._buf, shape, _shapes.c_strides(shape), self._offset)
        view = self._reshaped_view(shape)
        return view if view is not None else self.copy().reshape(shape)

    def _reshaped_view(self, shape: tuple[int, ...]) -> ndarray | None:
        """This array as `shape` (of the same size, not empty) without a copy, or None
        where the strides do not allow one."""
        strides = _indexing.view_reshape(self._shape, self._strides, shape)
        return None if strides is None else self._view(self._buf, shape, strides, self._offset)

    def ravel(self, order="C") -> ndarray:
        return self.reshape(-1, order=order)

    def flatten(self, order="C") -> ndarray:
        return self.copy().reshape(-1)

    def transpose(self, *axes) -> ndarray:
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        if not axes:
            axes = tuple(range(self.ndim))[::-1]
        axes = tuple(_shapes.normalize_axis(a, self.ndim) for a in axes)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError("axes don't match array")
        shape = tuple(self._shape[a] for a in axes)
        strides = tuple(self._strides[a] for a in axes)
        return self._view(self._buf, shape, strides, self._offset)

    def swapaxes(self, axis1, axis2) -> ndarray:
        axes = list(range(self.ndim))
        a1, a2 = _shapes.normalize_axis(axis1, self.ndim), _shapes.normalize_axis(axis2, self.ndim)
        axes[a1], axes[a2] = axes[a2], axes[a1]
        return self.transpose(axes)

    def squeeze(self, axis=None) -> ndarray:
        if axis is None:
            axes = [k for k, e in enumerate(self._shape) if e == 1]
        else:
            axes = _shapes.normalize_axes(axis, self.ndim)
            if any(self._shape[a] != 1 for a in axes):
                raise ValueError(
                    "cannot select an axis to squeeze out which has size not equal to one"
                )
        keep = [k for k in range(self.ndim) if k not in axes]
        return self._view(
            self._buf,
            [self._shape[k] for k in keep],
            [self._strides[k] for k in keep],
            self._offset,
        )

    def reduced_view(self, dtype=None) -> ndarray:
        """CuPy's `reduced_view`: the same elements with extent-1 axes dropped and axes
        that are walked contiguously merged (a C-contiguous array becomes 1-D)."""
        if dtype is not None and np.dtype(dtype) != self.dtype:
            raise NotImplementedError("reduced_view with another dtype is not supported")
        if self.ndim <= 1:
            return self
        shape, (strides,) = _shapes.reduce_dims(self._shape, [self._strides])
        return self._view(self._buf, shape, strides, self._offset)

    def _broadcast_to(self, shape) -> ndarray:
        strides = _shapes.broadcast_strides(self._shape, self._strides, shape)
        return self._view(self._buf, shape, strides, self._offset)

    def view(self, dtype=None) -> ndarray:
        if dtype is not None and np.dtype(dtype) != self.dtype:
            raise NotImplementedError("view with another dtype is not supported")
        return self._view(self._buf, self._shape, self._strides, self._offset)

    # ------------------------------------------------------------------ copies

    def __copy__(self) -> ndarray:
        return self.copy()

    def __deepcopy__(self, memo) -> ndarray:
        return self.copy()

    def __reduce__(self):
        return (_rebuild, (self.get(), self.device.name))


def into_out(result: ndarray, out: ndarray | None) -> ndarray:
    """NumPy's `out=`: `result` itself, or `out` holding its values (cast, broadcast)."""
    if out is None:
        return result
    out[...] = result
    return out


def _rebuild(host: np.ndarray, backend: str | None = None) -> ndarray:
    """An unpickled array: back on a device of the backend it was pickled from (CuPy's
    arrays come back on the device), the current device for pickles without one."""
    out = ndarray(host.shape, host.dtype, device=None if backend is None else get_device(backend))
    out._buf.write(0, host)
    return out
