"""From a kernel call to device commands: the program cache, the uniform values, and the
dense-output rule of GLSL.

Rule: programs are translated once per key (kernel strings, bound types, specialisation,
target) and kept in memory; the precompiled cache (`kernelc.cache.default_cache`) is asked
before translating. While a `recording()` is open, every program obtained (not found in
memory) is noted with its specialisation, where it came from and who called the kernel:
`kernels_chainer/` grows from such records. Every array reaches a program as its buffer plus offset and element
strides, never as a copy — except GLSL outputs, which are render targets written densely
from element 0: such an output that is not already a whole dense buffer goes through a
dense temporary (filled first when the program `reads_old`) and is copied back.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections import OrderedDict

import numpy as np

from . import _dtypes, _shapes

_PROGRAMS: dict[tuple, object] = {}
_INVERSE_MAPS: OrderedDict = OrderedDict()
_INVERSE_MAP_LIMIT = 64
_RECORDINGS: list[LookupRecord] = []


def program_for(
    kind: str,
    strings: dict,
    *,
    target: str,
    types: dict,
    ndim: int,
    scalars: tuple,
    raw: dict,
    reduce_ndim: int | None = None,
):
    """The translated program of one kernel and specialisation (cached)."""
    exact64 = _dtypes.exact64()
    key = (
        kind,
        tuple(strings.items()),
        target,
        tuple(sorted(types.items())),
        ndim,
        reduce_ndim,
        tuple(sorted(scalars)),
        tuple(sorted(raw.items())),
        exact64,
    )
    program = _PROGRAMS.get(key)
    if program is None:
        program = (
            None
            if exact64
            else _precompiled(kind, strings, target, types, ndim, scalars, raw, reduce_ndim)
        )
        if program is None:
            precompiled = False
            program = _translate(kind, strings, target, types, ndim, scalars, raw, reduce_ndim)
        else:
            precompiled = True
        _PROGRAMS[key] = program
        if _RECORDINGS:
            spec = {
                "target": target,
                "types": dict(types),
                "ndim": ndim,
                "reduce_ndim": reduce_ndim,
                "scalars": tuple(scalars),
                "raw": dict(raw),
            }
            for record in _RECORDINGS:
                record.add(program, kind, strings, spec, precompiled, _kernel_caller())
    return program


class LookupRecord:
    """The programs a run obtained while recording. `programs[id(program)]` = {kind,
    strings, spec (target, types, ndim, reduce_ndim, scalars, raw), precompiled (the
    precompiled cache had it), caller (the module that called the kernel)}."""

    def __init__(self) -> None:
        self.programs: dict[int, dict] = {}
        self._keep: list = []  # the programs themselves, so that their ids stay theirs

    def add(self, program, kind, strings, spec, precompiled: bool, caller: str) -> None:
        self._keep.append(program)
        self.programs[id(program)] = {
            "kind": kind,
            "strings": dict(strings),
            "spec": spec,
            "precompiled": precompiled,
            "caller": caller,
        }

    def of(self, program) -> dict | None:
        return self.programs.get(id(program))


@contextlib.contextmanager
def recording():
    """Record every program obtained inside the block (a `LookupRecord`). Programs already
    in memory are not obtained again: `clear_program_cache()` first to see them all."""
    record = LookupRecord()
    _RECORDINGS.append(record)
    try:
        yield record
    finally:
        _RECORDINGS.remove(record)


def _kernel_caller() -> str:
    """The module that called the innermost `ElementwiseKernel` / `ReductionKernel` on the
    stack: Chainer's own kernels are called from `chainer.*`, the runtime's (ufuncs,
    copies, reductions) from `wgpy_runtime.*`."""
    from .kernel import ElementwiseKernel, ReductionKernel

    calls = (ElementwiseKernel.__call__.__code__, ReductionKernel.__call__.__code__)
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code in calls and frame.f_back is not None:
            return frame.f_back.f_globals.get("__name__", "")
        frame = frame.f_back
    return ""


def _precompiled(kind, strings, target, types, ndim, scalars, raw, reduce_ndim):
    try:
        from kernelc.cache import default_cache

        cache = default_cache()
    except Exception:  # no cache files, or unreadable ones: translate instead
        return None
    if not len(cache):
        return None
    extra = {"reduce_ndim": reduce_ndim} if kind == "reduction" else {}
    return cache.get(
        kind, strings, target=target, types=types, ndim=ndim, scalars=scalars, raw=raw, **extra
    )


def _translate(kind, strings, target, types, ndim, scalars, raw, reduce_ndim):
    import kernelc

    exact64 = _dtypes.exact64()
    if kind == "elementwise":
        return kernelc.translate_elementwise(
            **strings,
            target=target,
            types=types,
            ndim=ndim,
            scalars=scalars,
            raw=raw,
            exact64=exact64,
        )
    return kernelc.translate_reduction(
        **strings,
        target=target,
        types=types,
        ndim=ndim,
        reduce_ndim=reduce_ndim,
        scalars=scalars,
        raw=raw,
        exact64=exact64,
    )


def clear_program_cache() -> None:
    from . import _fastpath

    _PROGRAMS.clear()
    _fastpath.clear()  # its plans hold programs


def cached_programs() -> int:
    return len(_PROGRAMS)


# ---------------------------------------------------------------------------- dispatch


def dispatch(device, program, args: dict, loop_shape: tuple, reduce_shape: tuple | None = None):
    """Launch `program` over `loop_shape` (reductions: over the outputs, each folding
    `reduce_shape`). `args`: parameter name -> ndarray (array inputs already viewed over the
    loop shape, or reduce_shape + loop_shape) or a Python/NumPy scalar. Returns what the
    device was given, `(buffers, values, direct)`; `direct`: no GLSL output went through a
    dense temporary (`_fastpath` replays only such launches)."""
    values = {("size", None, None): math.prod(loop_shape)}
    values.update({("shape", None, d): e for d, e in enumerate(loop_shape)})
    if reduce_shape is not None:
        values[("reduce_size", None, None)] = math.prod(reduce_shape)
        values.update({("reduce_shape", None, d): e for d, e in enumerate(reduce_shape)})
    buffers, finish = {}, []
    glsl = program.abi["target"] == "glsl"
    for p in program.abi["params"]:
        name, value = p["name"], args[p["name"]]
        if p["kind"] == "scalar":
            values[("value", name, None)] = _dtypes.scalar_value(value, np.dtype(p["dtype"]))
            continue
        if glsl and p["role"] == "out":
            value = _dense_output(value, p, finish)
        buffers[name] = value._buf.id
        values.update(_array_values(name, value))
    device.dispatch(program, buffers, values)
    for step in finish:
        step()
    return buffers, values, not finish


def _array_values(name: str, a) -> dict:
    values = {("offset", name, None): a._offset, ("size", name, None): a.size}
    values.update({("stride", name, d): s for d, s in enumerate(a._strides)})
    values.update({("shape", name, d): e for d, e in enumerate(a._shape)})
    return values


def is_whole_dense(a) -> bool:
    """A C-contiguous view covering its whole buffer from element 0."""
    return a._offset == 0 and a.size == a._buf.size and a._c_contiguous


def _dense_output(a, p: dict, finish: list):
    """`a` itself when it is a whole dense buffer, else a dense temporary that `finish`
    copies back into `a` (filled with `a`'s contents first when the program reads them)."""
    if is_whole_dense(a):
        return _with_c_strides(a)
    from .ndarray import ndarray

    temp = ndarray(a.shape, a.dtype, device=a.device)
    if p.get("reads_old", True):
        copy_into(temp, a)
    finish.append(lambda: copy_into(a, temp))
    return temp


def _with_c_strides(a):
    """The same view with C strides (axes of extent 1 may carry any stride otherwise)."""
    return type(a)._view(a._buf, a._shape, _shapes.c_strides(a._shape), a._offset)


def copy_into(dst, src) -> None:
    """dst[...] = src for two views of one dtype and shape, by device copies when both are
    contiguous, else by a copy kernel (GLSL: a scatter through an inverse index map)."""
    n = src.size
    if n == 0:
        return
    if dst.dtype.kind == "c":  # a complex copy is the copy of its (re, im) components
        dst, src, n = dst._pair(), src._pair(), 2 * n
    if src._c_contiguous and dst._c_contiguous:
        src.device.copy(src._buf.id, dst._buf.id, src._offset, dst._offset, n)
        return
    if src.device.target == "glsl" and not dst._c_contiguous:
        if not src._c_contiguous:
            from .ndarray import ndarray

            dense = ndarray(src.shape, src.dtype, device=src.device)
            copy_into(dense, src)
            src = dense
        _scatter(dst, src)
        return
    from .kernel import copy_kernel

    copy_kernel()(src, dst)


def _scatter(dst, src) -> None:
    """GLSL: write the dense `src` into the strided view `dst` by rendering the buffer range
    `dst` covers, each element taking its value from `src` through an inverse map (or
    keeping its own where `dst` does not reach it)."""
    from .kernel import scatter_kernel
    from .ndarray import ndarray

    low, high = _shapes.extent_range(dst._offset, dst._shape, dst._strides)
    span = ndarray._view(dst._buf, (high - low + 1,), (1,), low)
    inverse = _inverse_map(dst, low)
    scatter_kernel()(src.reshape(-1), inverse, span)


def _inverse_map(dst, low: int):
    """int32 device array: for each element of dst's range, its index in C order of dst,
    or -1 (host computed, cached by the view's geometry)."""
    key = (dst.device, dst._offset - low, dst._shape, dst._strides)
    found = _INVERSE_MAPS.get(key)
    if found is not None:
        _INVERSE_MAPS.move_to_end(key)
        return found
    from .creation import asarray

    index = np.full(1, dst._offset - low, np.int64)
    for extent, stride in zip(dst._shape, dst._strides):
        index = (index[:, None] + np.arange(extent, dtype=np.int64) * stride).reshape(-1)
    inverse = np.full(int(index.max()) + 1, -1, np.int32)
    inverse[index] = np.arange(index.size, dtype=np.int32)
    found = _INVERSE_MAPS[key] = asarray(inverse, device=dst.device)
    if len(_INVERSE_MAPS) > _INVERSE_MAP_LIMIT:
        _INVERSE_MAPS.popitem(last=False)
    return found
