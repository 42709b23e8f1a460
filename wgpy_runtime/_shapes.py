"""Shape and stride arithmetic: broadcasting, C strides, axis normalisation, and CuPy's
`_reduce_dims` (merging axes that every array walks contiguously).

Rule: pure functions on tuples of ints; strides are counted in elements, never bytes.
Errors are NumPy's (ValueError for broadcasting, AxisError for axes).
"""

from __future__ import annotations

import math
import operator

import numpy as np

AxisError = np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError


def c_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """C-order strides in elements."""
    strides, step = [], 1
    for extent in reversed(shape):
        strides.append(step)
        step *= max(extent, 1)
    return tuple(reversed(strides))


def is_c_contiguous(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """NumPy's flag: axes of extent 1 may have any stride; empty arrays are contiguous."""
    if math.prod(shape) == 0:
        return True
    step = 1
    for extent, stride in zip(reversed(shape), reversed(strides)):
        if extent != 1 and stride != step:
            return False
        step *= extent
    return True


def is_f_contiguous(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    return is_c_contiguous(shape[::-1], strides[::-1])


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcast shape, or NumPy's ValueError."""
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        for k, extent in enumerate(shape, ndim - len(shape)):
            if extent == result[k] or extent == 1:
                continue
            if result[k] != 1:
                text = " ".join(str(tuple(s)).replace(" ", "") for s in shapes)
                raise ValueError("operands could not be broadcast together with shapes " + text)
            result[k] = extent
    return tuple(result)


def broadcast_strides(shape, strides, to_shape) -> tuple[int, ...]:
    """Strides of a view of (shape, strides) broadcast to `to_shape` (0 on new axes)."""
    lead = len(to_shape) - len(shape)
    if lead < 0:
        raise ValueError(f"cannot broadcast shape {shape} to {to_shape}")
    out = [0] * lead
    for extent, stride, target in zip(shape, strides, to_shape[lead:]):
        if extent == target:
            out.append(stride if extent != 1 else 0)
        elif extent == 1:
            out.append(0)
        else:
            raise ValueError(
                f"operands could not be broadcast together with remapped shapes "
                f"[original->remapped]: {tuple(shape)} and requested shape "
                f"{tuple(to_shape)}"
            )
    return tuple(out)


def normalize_axis(axis, ndim: int) -> int:
    ax = operator.index(axis)
    if not -ndim <= ax < ndim:
        raise AxisError(ax, ndim)
    return ax % ndim


def normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    """CuPy's `_get_axis` reduced axes: None is all; sorted; duplicates are a ValueError."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    normal = [normalize_axis(a, ndim) for a in axes]
    if len(set(normal)) != len(normal):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(normal))


def reduced_shape(shape: tuple[int, ...], axes, keepdims: bool) -> tuple[int, ...]:
    """A reduction's result shape: `shape` without the reduced `axes` (normalised), or
    with extent 1 there under `keepdims`."""
    if keepdims:
        return tuple(1 if d in axes else e for d, e in enumerate(shape))
    return tuple(e for d, e in enumerate(shape) if d not in axes)


def reduce_dims(shape: tuple[int, ...], strides: list[tuple[int, ...]]):
    """CuPy's `_reduce_dims`: drop extent-1 axes and merge neighbours that every array
    walks contiguously (stride[k] == stride[k+1] * shape[k+1]). Returns the new shape and
    each array's new strides; all-C-contiguous arrays become 1-D."""
    if len(shape) <= 1 or math.prod(shape) == 0:
        return shape, strides
    keep = [k for k, e in enumerate(shape) if e != 1]
    if not keep:
        return (1,), [(0,) for _ in strides]
    new_shape = [shape[keep[0]]]
    new_strides = [[s[keep[0]]] for s in strides]
    for k in keep[1:]:
        extent = shape[k]
        if all(ns[-1] == s[k] * extent for ns, s in zip(new_strides, strides)):
            new_shape[-1] *= extent
            for ns, s in zip(new_strides, strides):
                ns[-1] = s[k]
        else:
            new_shape.append(extent)
            for ns, s in zip(new_strides, strides):
                ns.append(s[k])
    return tuple(new_shape), [tuple(ns) for ns in new_strides]


def extent_range(offset: int, shape, strides) -> tuple[int, int]:
    """Lowest and highest element a view reaches (empty views: (offset, offset - 1))."""
    if math.prod(shape) == 0:
        return offset, offset - 1
    low = offset + sum(s * (n - 1) for s, n in zip(strides, shape) if s < 0)
    high = offset + sum(s * (n - 1) for s, n in zip(strides, shape) if s > 0)
    return low, high


def as_shape(shape) -> tuple[int, ...]:
    """An int or a sequence of ints as a shape tuple (negative extents are a ValueError)."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    out = tuple(operator.index(e) for e in shape)
    if any(e < 0 for e in out):
        raise ValueError("negative dimensions are not allowed")
    return out


def as_shape_signed(shape) -> tuple[int, ...]:
    """Like `as_shape`, but -1 (an extent to infer) passes through."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    return tuple(operator.index(e) for e in shape)
