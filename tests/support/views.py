"""How a NumPy view appears to a kernelc program: a whole buffer, an offset and strides.

Rule: the buffer is the view's underlying memory, not a copy of the view, so strides,
negative strides, offsets into a base and broadcast (0-stride) axes reach the shader as
they are. Only when that memory cannot be described in whole elements (a non-contiguous
base, misaligned offsets or strides) is the view copied and described as a dense array;
that copy is right for reading, so whoever writes results goes through `BufferView.view`
and assigns into the caller's own view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wgpy_runtime._shapes import c_strides


@dataclass(frozen=True)
class BufferView:
    """`data`: the whole buffer, flat and contiguous, in the view's dtype; `offset` and
    `strides`: where the view's elements lie in it, counted in elements."""

    data: np.ndarray
    offset: int
    strides: tuple[int, ...]
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def view(self, data: np.ndarray | None = None) -> np.ndarray:
        """The described view over `data` (default: this buffer), e.g. over a read-back copy
        of the buffer in another dtype. Read-only: assign from it, never into it."""
        data = self.data if data is None else data
        if self.size == 0:
            return np.zeros(self.shape, data.dtype)
        item = data.dtype.itemsize
        return np.lib.stride_tricks.as_strided(
            data[self.offset :],
            shape=self.shape,
            strides=tuple(s * item for s in self.strides),
            writeable=False,
        )


def describe(a: np.ndarray) -> BufferView:
    """The buffer, offset and strides of `a` (any view, including 0-d and broadcast)."""
    a = np.asarray(a)
    described = _describe_in_base(a)
    return described if described is not None else dense(a)


def dense(a: np.ndarray) -> BufferView:
    """A C-order copy of `a`'s elements, described as offset 0 and C strides."""
    copy = np.ascontiguousarray(a)
    return BufferView(copy.reshape(-1), 0, c_strides(copy.shape), tuple(copy.shape))


def _describe_in_base(a: np.ndarray) -> BufferView | None:
    root = _root(a)
    if a.size == 0 or not (root.flags.c_contiguous or root.flags.f_contiguous):
        return None
    item = a.dtype.itemsize
    start = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    if start % item or any(s % item for s in a.strides):
        return None
    strides = tuple(s // item for s in a.strides)
    if not _inside(start // item, strides, a.shape, root.nbytes // item):
        return None
    raw = root.reshape(-1, order="A").view(np.uint8)
    data = raw[: root.nbytes // item * item].view(a.dtype)
    return BufferView(data, start // item, strides, tuple(a.shape))


def _root(a: np.ndarray) -> np.ndarray:
    """The last ndarray along the chain of bases (`as_strided` puts a non-array between)."""
    root, obj = a, a.base
    while obj is not None:
        if isinstance(obj, np.ndarray):
            root = obj
        obj = getattr(obj, "base", None)
    return root


def _inside(offset: int, strides: tuple[int, ...], shape: tuple[int, ...], length: int) -> bool:
    low = offset + sum(s * (n - 1) for s, n in zip(strides, shape) if s < 0)
    high = offset + sum(s * (n - 1) for s, n in zip(strides, shape) if s > 0)
    return 0 <= low and high < length
