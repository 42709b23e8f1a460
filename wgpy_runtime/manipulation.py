"""Shape manipulation: views (`reshape transpose swapaxes moveaxis squeeze expand_dims
broadcast_to flip diagonal atleast_*`) and copies (`concatenate stack split repeat tile`).

Rule: whatever can be a view is a view (no kernel, no copy); joins allocate the result
once and assign each piece into its slice (a device copy or a copy/cast kernel).
"""

from __future__ import annotations

import numpy as np

from . import _dtypes, _shapes
from .creation import asarray
from .ndarray import ndarray


def _as_array(a) -> ndarray:
    return asarray(a)  # device arrays pass through


# ---------------------------------------------------------------------------- views


def reshape(a, newshape, order="C") -> ndarray:
    return _as_array(a).reshape(newshape, order=order)


def ravel(a, order="C") -> ndarray:
    return _as_array(a).ravel(order)


def transpose(a, axes=None) -> ndarray:
    return _as_array(a).transpose(axes)


def swapaxes(a, axis1, axis2) -> ndarray:
    return _as_array(a).swapaxes(axis1, axis2)


def squeeze(a, axis=None) -> ndarray:
    return _as_array(a).squeeze(axis)


def moveaxis(a, source, destination) -> ndarray:
    a = _as_array(a)
    src = _axes_list(source, a.ndim)
    dst = _axes_list(destination, a.ndim)
    if len(src) != len(dst):
        raise ValueError(
            "`source` and `destination` arguments must have the same number of elements"
        )
    order = [d for d in range(a.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return a.transpose(order)


def rollaxis(a, axis, start=0) -> ndarray:
    a = _as_array(a)
    axis = _shapes.normalize_axis(axis, a.ndim)
    start = start + a.ndim if start < 0 else start
    if not 0 <= start <= a.ndim:
        raise _shapes.AxisError(f"start arg requires {-a.ndim} <= start < {a.ndim + 1}")
    if axis < start:
        start -= 1
    order = [d for d in range(a.ndim) if d != axis]
    order.insert(start, axis)
    return a.transpose(order)


def _axes_list(axes, ndim: int) -> list[int]:
    axes = list(axes) if isinstance(axes, (tuple, list)) else [axes]
    normal = [_shapes.normalize_axis(a, ndim) for a in axes]
    if len(set(normal)) != len(normal):
        raise ValueError("repeated axis in `source` argument")
    return normal


def expand_dims(a, axis) -> ndarray:
    a = _as_array(a)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = a.ndim + len(axes)
    normal = sorted(_shapes.normalize_axis(x, ndim) for x in axes)
    if len(set(normal)) != len(normal):
        raise ValueError("repeated axis")
    shape, strides, it = [], [], iter(zip(a.shape, a._strides))
    for d in range(ndim):
        if d in normal:
            shape.append(1)
            strides.append(0)
        else:
            e, s = next(it)
            shape.append(e)
            strides.append(s)
    return ndarray._view(a._buf, shape, strides, a._offset)


def broadcast_to(a, shape) -> ndarray:
    a = _as_array(a)
    shape = _shapes.as_shape(shape)
    if len(shape) < a.ndim:
        raise ValueError("input operand has more dimensions than allowed by the axis remapping")
    return a._broadcast_to(shape)


def broadcast_arrays(*args) -> list[ndarray]:
    arrays = [_as_array(a) for a in args]
    shape = _shapes.broadcast_shapes(*(a.shape for a in arrays))
    return [a._broadcast_to(shape) for a in arrays]


def flip(a, axis=None) -> ndarray:
    a = _as_array(a)
    axes = _shapes.normalize_axes(axis, a.ndim)
    return a[tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(a.ndim))]


def diagonal(a, offset=0, axis1=0, axis2=1) -> ndarray:
    """The diagonal as a view (NumPy returns a read-only view; this one is writable)."""
    a = _as_array(a)
    a1, a2 = _shapes.normalize_axis(axis1, a.ndim), _shapes.normalize_axis(axis2, a.ndim)
    if a1 == a2:
        raise ValueError("axis1 and axis2 cannot be the same")
    n1, n2 = a.shape[a1], a.shape[a2]
    start = a._offset + (offset * a._strides[a2] if offset >= 0 else -offset * a._strides[a1])
    n = max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))
    rest = [d for d in range(a.ndim) if d not in (a1, a2)]
    shape = [a.shape[d] for d in rest] + [n]
    strides = [a._strides[d] for d in rest] + [a._strides[a1] + a._strides[a2]]
    return ndarray._view(a._buf, shape, strides, start if n else a._offset)


def atleast_1d(*arys):
    out = [a if a.ndim >= 1 else a.reshape(1) for a in map(_as_array, arys)]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = []
    for a in map(_as_array, arys):
        out.append(
            a.reshape(1, -1) if a.ndim < 2 and a.ndim else a.reshape(1, 1) if not a.ndim else a
        )
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    out = []
    for a in map(_as_array, arys):
        if a.ndim == 0:
            a = a.reshape(1, 1, 1)
        elif a.ndim == 1:
            a = a.reshape(1, -1, 1)
        elif a.ndim == 2:
            a = a.reshape(a.shape + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out


# ---------------------------------------------------------------------------- copies


def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind") -> ndarray:
    arrays = [_as_array(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays, axis = [a.reshape(-1) for a in arrays], 0
    if any(a.ndim == 0 for a in arrays):
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    ndim = arrays[0].ndim
    if any(a.ndim != ndim for a in arrays):
        raise ValueError(
            "all the input array dimensions except for the concatenation axis must match exactly"
        )
    axis = _shapes.normalize_axis(axis, ndim)
    base = arrays[0].shape
    for a in arrays:
        if any(a.shape[d] != base[d] for d in range(ndim) if d != axis):
            raise ValueError(
                "all the input array dimensions except for the concatenation "
                "axis must match exactly"
            )
    shape = base[:axis] + (sum(a.shape[axis] for a in arrays),) + base[axis + 1 :]
    result_dtype = _dtypes.normalize(dtype or np.result_type(*(a.dtype for a in arrays)))
    result = out if out is not None else ndarray(shape, result_dtype, device=arrays[0].device)
    start = 0
    for a in arrays:
        stop = start + a.shape[axis]
        result[(slice(None),) * axis + (slice(start, stop),)] = a
        start = stop
    return result


def stack(arrays, axis=0, out=None, dtype=None) -> ndarray:
    arrays = [_as_array(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    if any(a.shape != arrays[0].shape for a in arrays):
        raise ValueError("all input arrays must have the same shape")
    axis = _shapes.normalize_axis(axis, arrays[0].ndim + 1)
    return concatenate([expand_dims(a, axis) for a in arrays], axis, out=out, dtype=dtype)


def hstack(tup) -> ndarray:
    arrays = atleast_1d(*tup)
    arrays = arrays if isinstance(arrays, list) else [arrays]
    return concatenate(arrays, 0 if arrays[0].ndim == 1 else 1)


def vstack(tup) -> ndarray:
    arrays = atleast_2d(*tup)
    return concatenate(arrays if isinstance(arrays, list) else [arrays], 0)


def array_split(a, indices_or_sections, axis=0) -> list[ndarray]:
    a = _as_array(a)
    axis = _shapes.normalize_axis(axis, a.ndim)
    n = a.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = np.cumsum([0] + sizes).tolist()
    else:
        bounds = [0] + list(indices_or_sections) + [n]
    lead = (slice(None),) * axis
    return [a[lead + (slice(lo, hi),)] for lo, hi in zip(bounds, bounds[1:])]


def split(a, indices_or_sections, axis=0) -> list[ndarray]:
    a = _as_array(a)
    if isinstance(indices_or_sections, (int, np.integer)):
        n = a.shape[_shapes.normalize_axis(axis, a.ndim)]
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
    return array_split(a, indices_or_sections, axis)


def repeat(a, repeats, axis=None) -> ndarray:
    a = _as_array(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis = _shapes.normalize_axis(axis, a.ndim)
    index = np.repeat(np.arange(a.shape[axis]), repeats)
    return a[(slice(None),) * axis + (index,)]


def tile(a, reps) -> ndarray:
    a = _as_array(a)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    ndim = max(a.ndim, len(reps))
    a = a.reshape((1,) * (ndim - a.ndim) + a.shape)
    reps = (1,) * (ndim - len(reps)) + reps
    expanded = a.reshape(tuple(x for e in a.shape for x in (1, e)))
    target = tuple(x for r, e in zip(reps, a.shape) for x in (r, e))
    tiled = expanded._broadcast_to(target).copy()
    return tiled.reshape(tuple(r * e for r, e in zip(reps, a.shape)))
