"""Index arithmetic for views: basic indices (int, slice, None, Ellipsis) turn a
(shape, strides, offset) into another one; NumPy's errors for bad indices.

Rule: pure functions on element strides; nothing here touches a device. A key that is
not basic (arrays, lists, booleans) is recognised here and handled by `indexing`.
"""

from __future__ import annotations

import operator

import numpy as np


def is_basic(key) -> bool:
    """True when every part of `key` is an int, slice, None or Ellipsis."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(_is_basic_part(p) for p in parts)


def _is_basic_part(p) -> bool:
    if p is None or p is Ellipsis or isinstance(p, slice):
        return True
    if isinstance(p, (bool, np.bool_)):
        return False
    return isinstance(p, (int, np.integer))


def expand_ellipsis(parts: tuple, ndim: int) -> tuple:
    """`parts` with its Ellipsis (or a trailing one) replaced by full slices."""
    consumed = sum(_consumes(p) for p in parts)
    if consumed > ndim:
        raise IndexError(
            f"too many indices for array: array is {ndim}-dimensional, but {consumed} were indexed"
        )
    ellipses = [k for k, p in enumerate(parts) if p is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    fill = (slice(None),) * (ndim - consumed)
    if not ellipses:
        return tuple(parts) + fill
    k = ellipses[0]
    return tuple(parts[:k]) + fill + tuple(parts[k + 1 :])


def _consumes(p) -> int:
    """How many array axes an index part uses (a bool array uses its ndim)."""
    if p is None or p is Ellipsis:
        return 0
    ndim = getattr(p, "ndim", None)
    dtype = getattr(p, "dtype", None)
    if ndim is not None and dtype is not None and np.dtype(dtype) == np.bool_:
        return max(ndim, 1) if ndim else 0
    return 1


def basic_view(shape, strides, offset: int, key):
    """(shape, strides, offset) of `view[key]` for a basic `key`."""
    parts = expand_ellipsis(key if isinstance(key, tuple) else (key,), len(shape))
    new_shape, new_strides, axis = [], [], 0
    for p in parts:
        if p is None:
            new_shape.append(1)
            new_strides.append(0)
            continue
        extent, stride = shape[axis], strides[axis]
        if isinstance(p, slice):
            start, _, step = p.indices(extent)
            n = len(range(*p.indices(extent)))
            offset += start * stride if n else 0
            new_shape.append(n)
            new_strides.append(stride * step)
        else:
            offset += normalize_index(p, extent, axis) * stride
        axis += 1
    return tuple(new_shape), tuple(new_strides), offset


def normalize_index(index, extent: int, axis: int) -> int:
    k = operator.index(index)
    if not -extent <= k < extent:
        raise IndexError(f"index {k} is out of bounds for axis {axis} with size {extent}")
    return k % extent


def view_reshape(shape, strides, new_shape):
    """Strides for viewing (shape, strides) as `new_shape` without a copy, or None
    (NumPy's `_attempt_nocopy_reshape`, C order)."""
    old = [(e, s) for e, s in zip(shape, strides) if e != 1]
    new = list(new_shape)
    out = [0] * len(new)
    oi = ni = 0
    while oi < len(old) and ni < len(new):
        if new[ni] == 1:
            out[ni], ni = 0, ni + 1
            continue
        np_, op = new[ni], old[oi][0]
        nj, oj = ni + 1, oi + 1
        while np_ != op:
            if np_ < op:
                np_ *= new[nj]
                nj += 1
            else:
                op *= old[oj][0]
                oj += 1
        for k in range(oi, oj - 1):
            if old[k][1] != old[k + 1][0] * old[k + 1][1]:
                return None
        out[nj - 1] = old[oj - 1][1]
        for k in range(nj - 1, ni, -1):
            out[k - 1] = out[k] * new[k]
        ni, oi = nj, oj
    for k in range(ni, len(new)):
        out[k] = 0
    return tuple(out)


def infer_shape(new_shape, size: int) -> tuple[int, ...]:
    """`new_shape` with its one -1 resolved (NumPy's reshape errors)."""
    shape = list(new_shape)
    unknown = [k for k, e in enumerate(shape) if e == -1]
    if len(unknown) > 1:
        raise ValueError("can only specify one unknown dimension")
    if any(e < -1 for e in shape):
        raise ValueError("negative dimensions not allowed")
    known = 1
    for e in shape:
        known *= e if e != -1 else 1
    if unknown:
        if known == 0 or size % known:
            raise ValueError(
                f"cannot reshape array of size {size} into shape {_shape_text(new_shape)}"
            )
        shape[unknown[0]] = size // known
    elif known != size:
        raise ValueError(f"cannot reshape array of size {size} into shape {_shape_text(new_shape)}")
    return tuple(shape)


def _shape_text(shape) -> str:
    return str(tuple(shape)).replace(",)", ")")
