"""Copies, casts, assignment and NumPy indexing beyond basic views: integer-array and
boolean-mask indexing (get and set), `take`, `nonzero`.

Rule: an advanced index becomes one int32 array of buffer positions (one per result
element, computed on the host from the index arrays, which are read back if they live on
the device — mask compaction is host-assisted); a get is then a gather kernel and a set
a scatter (WGSL: a raw-output kernel; GLSL, which cannot scatter: an inverse map over
the written range). Copies and casts are kernels; contiguous copies are device copies.
A complex array is indexed as its (re, im) component view with the index extended by the
trailing axis, so its gathers and scatters are those of a real array.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _complex, _dtypes, _fastpath, _indexing, _launch, _shapes
from .creation import _fill_kernel, asarray, host_scalar
from .kernel import ElementwiseKernel, scatter_kernel
from .ndarray import ndarray

# ---------------------------------------------------------------------------- copies


def copy(a: ndarray) -> ndarray:
    """A new C-contiguous copy. A strided one replays its copy kernel's launch on later
    calls of the same signature (`_fastpath.record_call`: `ascontiguousarray` of a
    transposed view, every training iteration, would otherwise pay the general path)."""
    plan = _fastpath.find(copy, (a,))
    if plan is not None:
        return plan((a,))[0]
    out = ndarray(a.shape, a.dtype, device=a.device)
    with _fastpath.capturing() as launches:
        _launch.copy_into(out, a)
    _fastpath.record_call(copy, (a,), [out], launches)
    return out


@functools.cache
def _cast_kernel() -> ElementwiseKernel:
    return ElementwiseKernel("X x", "Y y", "y = (Y)x", "wp_cast")


def astype(a: ndarray, dtype: np.dtype) -> ndarray:
    out = ndarray(a.shape, dtype, device=a.device)
    if not a.size:
        return out
    if dtype == a.dtype:
        _launch.copy_into(out, a)
    elif "c" in (dtype.kind, a.dtype.kind):
        _complex.cast_into(a, out)
    else:
        _cast_kernel()(a, out)
    return out


def assign(dst: ndarray, value) -> None:
    """dst[...] = value (NumPy's unsafe casting; a Python int out of range for an integer
    dtype is an OverflowError, NaN into an integer a ValueError)."""
    if dst.size == 0:
        return
    if isinstance(value, ndarray):
        _assign_array(dst, value)
        return
    host = np.asarray(value) if not _is_plain_scalar(value) else None
    if host is not None and host.ndim > 0:
        _assign_array(dst, asarray(host.astype(dst.dtype, copy=False), device=dst.device))
        return
    if dst.dtype.kind == "c":
        _complex.fill(dst, value)
        return
    _fill_kernel()(host_scalar(value, dst.dtype), dst)


def _is_plain_scalar(value) -> bool:
    return isinstance(value, (bool, int, float, np.generic))


def _assign_array(dst: ndarray, src: ndarray) -> None:
    src = src._broadcast_to(dst.shape) if src.shape != dst.shape else src
    if src._buf is dst._buf and src.size:
        src = copy(src)  # overlapping views: read everything before writing
    if src.dtype == dst.dtype:
        _launch.copy_into(dst, src)
    elif "c" in (src.dtype.kind, dst.dtype.kind):
        _complex.cast_into(src, dst)
    else:
        _cast_kernel()(src, dst)


# ---------------------------------------------------------------------------- get / set


def getitem(a: ndarray, key) -> ndarray:
    """a[key] for a key with integer arrays, lists or booleans (a new array)."""
    target, key = _components(a, key)
    pos, shape = positions(target, key)
    out = ndarray(shape[:-1] if target is not a else shape, a.dtype, device=a.device)
    if out.size:
        _gather_kernel()(pos, _whole(target), out._pair() if target is not a else out)
    return out


def setitem(a: ndarray, key, value) -> None:
    if _indexing.is_basic(key):
        shape, strides, offset = _indexing.basic_view(a._shape, a._strides, a._offset, key)
        assign(ndarray._view(a._buf, shape, strides, offset), value)
        return
    mask = _full_mask(a, key)
    if mask is not None and _is_plain_scalar(value) and a.dtype.kind != "c":
        _masked_fill_kernel()(mask, host_scalar(value, a.dtype), a)
        return
    target, key = _components(a, key)
    pos, shape = positions(target, key)
    if pos.size == 0:
        return
    src = ndarray(shape[:-1] if target is not a else shape, a.dtype, device=a.device)
    assign(src, value)
    _scatter(target, pos, src._pair() if target is not a else src)


def _components(a: ndarray, key) -> tuple[ndarray, object]:
    """What an advanced index walks: a complex array's (re, im) components, the key
    extended over their last axis; any other array itself."""
    if a.dtype.kind != "c":
        return a, key
    return a._pair(), (key if isinstance(key, tuple) else (key,)) + (slice(None),)


def _full_mask(a: ndarray, key):
    """A device bool mask with a's shape (a[mask] = scalar needs no host help)."""
    if isinstance(key, ndarray) and key.dtype == np.bool_ and key.shape == a.shape:
        return key
    return None


@functools.cache
def _masked_fill_kernel() -> ElementwiseKernel:
    return ElementwiseKernel("bool m, T v", "T y", "if (m) y = v", "wp_masked_fill")


@functools.cache
def _gather_kernel() -> ElementwiseKernel:
    return ElementwiseKernel("int32 p, raw T src", "T y", "y = src[p]", "wp_gather")


@functools.cache
def _scatter_raw_kernel() -> ElementwiseKernel:
    return ElementwiseKernel("int32 p, T v", "raw T dst", "dst[p] = v", "wp_scatter_raw")


def _whole(a: ndarray) -> ndarray:
    """The 1-D view of a's entire buffer (positions index it)."""
    return ndarray._view(a._buf, (a._buf.size,), (1,), 0)


def _scatter(a: ndarray, pos: ndarray, src: ndarray) -> None:
    if a.device.capabilities.can_scatter:
        _scatter_raw_kernel()(pos, src, _whole(a))
        return
    flat = pos.get().reshape(-1).astype(np.int64)
    low, high = int(flat.min()), int(flat.max())
    inverse = np.full(high - low + 1, -1, np.int32)
    inverse[flat - low] = np.arange(flat.size, dtype=np.int32)  # the last write wins
    span = ndarray._view(a._buf, (high - low + 1,), (1,), low)
    scatter_kernel()(src.reshape(-1), asarray(inverse, device=a.device), span)


# Storage dtypes CUDA's atomicAdd takes that kernelc's WGSL can update atomically (64-bit
# integers word by word; float64 would need a 64-bit compare-exchange).
ATOMIC_ADD = ("int32", "uint32", "float32", "float16", "int64", "uint64")


@functools.cache
def _scatter_add_kernel() -> ElementwiseKernel:
    return ElementwiseKernel("int32 p, T v", "raw T dst", "atomicAdd(&dst[p], v)", "wp_scatter_add")


# The most additions one invocation makes per pass (Mesa caps a shader loop at 65,535).
SEGMENT_CHUNK = 16384


@functools.cache
def _segment_add_kernel() -> ElementwiseKernel:
    """y += v[first + done], ..., in order, for the next `chunk` values of the element's
    segment of the sorted values."""
    body = """int n = min(count - done, chunk);
if (first >= 0 && n > 0) {
    T acc = y;
    for (int k = 0; k < n; ++k) {
        acc = acc + v[first + done + k];
    }
    y = acc;
}"""
    return ElementwiseKernel(
        "raw T v, int32 first, int32 count, int32 done, int32 chunk",
        "T y",
        body,
        "wp_segment_add",
    )


def scatter_add(a: ndarray, slices, value) -> None:
    """CuPy's `ndarray.scatter_add` (`cupyx.scatter_add`): a[slices] += value, where
    repeated positions accumulate. WGSL: atomic adds. GLSL, which cannot scatter, and the
    dtypes WGSL has no atomics for (8/16-bit integers, float64): the values sorted by
    position (stably, on the host), then each element adds its segment of them in order,
    NumPy's `add.at` order, SEGMENT_CHUNK values per pass."""
    pos, shape = positions(a, slices)
    if pos.size == 0:
        return
    src = ndarray(shape, a.dtype, device=a.device)
    assign(src, value)
    if a.device.capabilities.can_scatter and _dtypes.storage(a.dtype).name in ATOMIC_ADD:
        _scatter_add_kernel()(pos, src, _whole(a))
        return
    flat = pos.get().reshape(-1).astype(np.int64)
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, flat.size])
    low, high = int(ordered[0]), int(ordered[-1])
    first = np.full(high - low + 1, -1, np.int32)
    count = np.zeros(high - low + 1, np.int32)
    first[ordered[starts] - low], count[ordered[starts] - low] = starts, counts
    values = take(src.reshape(-1), asarray(order.astype(np.int32), device=a.device))
    span = ndarray._view(a._buf, (high - low + 1,), (1,), low)
    first, count = asarray(first, device=a.device), asarray(count, device=a.device)
    for done in range(0, int(counts.max()), SEGMENT_CHUNK):
        _segment_add_kernel()(values, first, count, done, SEGMENT_CHUNK, span)


# ---------------------------------------------------------------------------- positions


def positions(a: ndarray, key) -> tuple[ndarray, tuple[int, ...]]:
    """(int32 device array of buffer positions, result shape) of `a[key]`."""
    parts = _host_parts(key if isinstance(key, tuple) else (key,), a.ndim)
    basic, adv = [], []  # the view without advanced parts; (part index, view axis, array)
    shape, strides = list(a._shape), list(a._strides)
    axis = source = 0  # the part's axis in the view, in `a` (with the new axes below)
    for k, p in enumerate(parts):
        if isinstance(p, _BoolScalar):  # NumPy's: a new axis of one, indexed by [0] or []
            shape.insert(source, 1)
            strides.insert(source, 0)
            p = np.arange(int(p.value), dtype=np.intp)
        if p is None or isinstance(p, slice):
            basic.append(p)
        else:
            basic.append(slice(None))
            adv.append((k, axis, p))
        axis += 1
        source += p is not None
    shape, strides, offset = _indexing.basic_view(
        tuple(shape), tuple(strides), a._offset, tuple(basic)
    )
    pos, out_shape = _positions(shape, strides, offset, adv)
    _dtypes.check_fits(pos, np.dtype("int32"), np.dtype("int64"))
    return asarray(pos.astype(np.int32), device=a.device), out_shape


def _host_parts(parts: tuple, ndim: int) -> list:
    """Index parts with arrays on the host: lists and device arrays become NumPy
    arrays, boolean arrays their `nonzero()` (one int array per axis they cover)."""
    parts = [_host_index(p) for p in parts]
    parts = list(_indexing.expand_ellipsis(tuple(parts), ndim))
    out = []
    for p in parts:
        if isinstance(p, np.ndarray) and p.dtype == np.bool_:
            out.extend(np.nonzero(p) if p.ndim else [_BoolScalar(bool(p))])
        else:
            out.append(p)
    return out


class _BoolScalar:
    """A 0-d boolean index (`a[True]`, `a[mask_0d]`): `positions` gives it its axis."""

    def __init__(self, value: bool) -> None:
        self.value = value


def _host_index(p):
    if p is None or p is Ellipsis or isinstance(p, slice):
        return p
    if isinstance(p, ndarray):
        p = p.get()
    if isinstance(p, (bool, np.bool_)):
        return np.asarray(p)
    if isinstance(p, (int, np.integer)):
        return int(p)
    arr = np.asarray(p)
    if arr.dtype == np.bool_:
        return arr
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(np.intp)
    if arr.dtype.kind not in "iu":
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis "
            "(`None`) and integer or boolean arrays are valid indices"
        )
    return arr


def _positions(shape, strides, offset, adv) -> tuple[np.ndarray, tuple]:
    """Buffer position of every result element, in the result's shape (NumPy's rule:
    adjacent advanced indices keep their place, separated ones go first)."""
    arrays = [np.asarray(p) for _, _, p in adv]
    try:
        bshape = np.broadcast_shapes(*(x.shape for x in arrays))
    except ValueError:
        text = " ".join(str(x.shape) for x in arrays)
        raise IndexError(
            f"shape mismatch: indexing arrays could not be broadcast together with shapes {text}"
        ) from None
    adv_off = np.zeros(bshape, np.int64)
    for (_, axis, _), x in zip(adv, arrays):
        _check_bounds(x, shape[axis], axis)
        adv_off = adv_off + (np.where(x < 0, x + shape[axis], x).astype(np.int64) * strides[axis])
    adv_axes = [axis for _, axis, _ in adv]
    rest = [d for d in range(len(shape)) if d not in adv_axes]
    adjacent = all(b[0] - a[0] == 1 for a, b in zip(adv, adv[1:]))
    before = [d for d in rest if adv and adjacent and d < adv_axes[0]]
    after = [d for d in rest if d not in before]
    out_shape = tuple(shape[d] for d in before) + tuple(bshape) + tuple(shape[d] for d in after)
    pos = np.full((1,) * len(out_shape), offset, np.int64)
    lead = len(before)
    pos = pos + adv_off.reshape((1,) * lead + tuple(bshape) + (1,) * len(after))
    for k, d in enumerate(before + after):
        place = k if k < lead else k + len(bshape)
        ax_shape = [1] * len(out_shape)
        ax_shape[place] = shape[d]
        pos = pos + (np.arange(shape[d], dtype=np.int64) * strides[d]).reshape(ax_shape)
    return np.broadcast_to(pos, out_shape).copy(), out_shape  # ascontiguousarray: 0-d -> 1-d


def _check_bounds(x: np.ndarray, extent: int, axis: int) -> None:
    if x.size == 0:
        return
    low, high = int(x.min()), int(x.max())
    if low < -extent or high >= extent:
        bad = high if high >= extent else low
        raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {extent}")


# ---------------------------------------------------------------------------- routines


def take(a: ndarray, indices, axis=None, out=None) -> ndarray:
    if axis is None:
        result = a.ravel()[indices]
    else:
        axis = _shapes.normalize_axis(axis, a.ndim)
        result = a[(slice(None),) * axis + (indices,)]
    if out is not None:
        assign(out, result)
        return out
    return result


def nonzero(a: ndarray) -> tuple[ndarray, ...]:
    """Host-assisted: the mask is read back and compacted on the host."""
    return tuple(asarray(x, device=a.device) for x in np.nonzero(a.get()))


def flatnonzero(a: ndarray) -> ndarray:
    return nonzero(a.ravel())[0]


def argwhere(a: ndarray) -> ndarray:
    return asarray(np.argwhere(a.get()), device=a.device)


def compress(condition, a: ndarray, axis=None) -> ndarray:
    cond = np.asarray(condition.get() if isinstance(condition, ndarray) else condition)
    return take(a, np.nonzero(cond)[0], axis=axis)
