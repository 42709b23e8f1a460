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

import kernelc
from kernelc.abi import contract
from kernelc.abi.contract import REDUCE_SIZE, SIZE, Param

from . import _dtypes, _fastpath, _memory, _shapes
from .ndarray import ndarray

KERNEL_CALLS = ("ElementwiseKernel.__call__", "ReductionKernel.__call__")
# The copies `dispatch` and `copy_into` launch themselves (kernel.py's copy_kernel and
# scatter_kernel are these strings): y = x, and GLSL's strided write, where each element
# of `y` takes `src[inv[i]]` when `inv[i] >= 0`.
KERNEL_DEFAULTS = {"preamble": "", "loop_prep": "", "after_loop": ""}
COPY = {"in_params": "T x", "out_params": "T y", "operation": "y = x", "name": "wp_copy"}
SCATTER = {
    "in_params": "raw T src, raw int32 inv",
    "out_params": "T y",
    "operation": "int j = inv[i];\nif (j >= 0) y = src[j];",
    "name": "wp_scatter",
}
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
    caller: str | None = None,
):
    """The translated program of one kernel and specialisation (cached). `caller`: the
    module to record as calling it (default: found on the stack, `_kernel_caller`)."""
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
        program = _precompiled(
            kind, strings, target, types, ndim, scalars, raw, reduce_ndim, exact64
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
                record.add(program, kind, strings, spec, precompiled, caller or _kernel_caller())
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
    frame = sys._getframe(1)
    while frame is not None:
        if _is_kernel_call(frame.f_code) and frame.f_back is not None:
            return frame.f_back.f_globals.get("__name__", "")
        frame = frame.f_back
    return ""


def _is_kernel_call(code) -> bool:
    """`code` is `ElementwiseKernel.__call__` or `ReductionKernel.__call__` (kernel.py,
    which builds on this module)."""
    return code.co_qualname in KERNEL_CALLS and code.co_filename.endswith("kernel.py")


def _precompiled(kind, strings, target, types, ndim, scalars, raw, reduce_ndim, exact64):
    try:
        cache = kernelc.default_cache()
    except Exception:  # no cache files, or unreadable ones: translate instead
        return None
    if not len(cache):
        return None
    extra = {"reduce_ndim": reduce_ndim} if kind == "reduction" else {}
    return cache.get(
        kind,
        strings,
        target=target,
        types=types,
        ndim=ndim,
        scalars=scalars,
        raw=raw,
        exact64=exact64,
        **extra,
    )


def _translate(kind, strings, target, types, ndim, scalars, raw, reduce_ndim):
    if kind == "elementwise":
        translate, extra = kernelc.translate_elementwise, {}
    else:
        translate, extra = kernelc.translate_reduction, {"reduce_ndim": reduce_ndim}
    return translate(
        **strings,
        target=target,
        types=types,
        ndim=ndim,
        scalars=scalars,
        raw=raw,
        exact64=_dtypes.exact64(),
        **extra,
    )


def clear_program_cache() -> None:
    _PROGRAMS.clear()
    _fastpath.clear()  # its plans hold programs


_dtypes.on_policy_change(clear_program_cache)


def cached_programs() -> int:
    return len(_PROGRAMS)


# ---------------------------------------------------------------------------- dispatch


def dispatch(device, program, args: dict, loop_shape: tuple, reduce_shape: tuple | None = None):
    """Launch `program` over `loop_shape` (reductions: over the outputs, each folding
    `reduce_shape`). `args`: parameter name -> ndarray (array inputs already viewed over the
    loop shape, or reduce_shape + loop_shape) or a Python/NumPy scalar. Returns what the
    device was given, `(buffers, values, direct)`; `direct`: no GLSL output went through a
    dense temporary (`_fastpath` replays only such launches)."""
    lanes = getattr(program.abi.launch, "lanes", None)
    if lanes is not None:  # GLSL complex outputs: one fragment per component
        loop_shape = (*loop_shape, lanes)
    values = {SIZE: math.prod(loop_shape)}
    values.update({contract.loop_shape(d): e for d, e in enumerate(loop_shape)})
    if reduce_shape is not None:
        values[REDUCE_SIZE] = math.prod(reduce_shape)
        values.update({contract.reduce_shape(d): e for d, e in enumerate(reduce_shape)})
    buffers, finish = {}, []
    dense_outputs = device.capabilities.dense_outputs
    for p in program.abi.params:
        name, value = p.name, args[p.name]
        if p.kind == "scalar":
            values.update(_scalar_values(name, value, np.dtype(p.dtype)))
            continue
        if value.dtype.kind == "c":  # the real view of its components (docs/abi.md)
            value = value._pair() if lanes is not None and p.is_output else value.real
        if dense_outputs and p.is_output:
            value = _dense_output(value, p, finish)
        buffers[name] = value._buf.id
        values.update(_array_values(name, value))
    if _fastpath._CAPTURES:
        _fastpath.captured(device, program, buffers, values, not finish)
    device.dispatch(program, buffers, values)
    for step in finish:
        step()
    return buffers, values, not finish


def _scalar_values(name: str, value, dtype: np.dtype) -> dict:
    """A scalar's uniform values: a complex one's parts along axes 0 and 1."""
    if dtype.kind != "c":
        return {contract.scalar_value(name): _dtypes.scalar_value(value, dtype)}
    z = _dtypes.cast_scalar(value, dtype)
    part = _dtypes.component(dtype)
    return {
        contract.scalar_value(name, c): _dtypes.scalar_value(x, part)
        for c, x in enumerate((z.real, z.imag))
    }


def _array_values(name: str, a) -> dict:
    values = {contract.array_offset(name): a._offset, contract.array_size(name): a.size}
    values.update({contract.array_stride(name, d): s for d, s in enumerate(a._strides)})
    values.update({contract.array_shape(name, d): e for d, e in enumerate(a._shape)})
    return values


def is_whole_dense(a) -> bool:
    """A C-contiguous view covering its whole buffer from element 0."""
    return a._offset == 0 and a.size == a._buf.size and a._c_contiguous


def _dense_output(a, p: Param, finish: list):
    """`a` itself when it is a whole dense buffer, else a dense temporary that `finish`
    copies back into `a` (filled with `a`'s contents first when the program reads them)."""
    if is_whole_dense(a):
        return _with_c_strides(a)
    temp = ndarray(a.shape, a.dtype, device=a.device)
    if p.reads_old is not False:
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
        for notes in _memory.NOTES:
            notes.copies += 1
        return
    if not src.device.capabilities.can_scatter and not dst._c_contiguous:
        if not src._c_contiguous:
            dense = ndarray(src.shape, src.dtype, device=src.device)
            copy_into(dense, src)
            src = dense
        _scatter(dst, src)
        return
    run_copy(COPY, {"x": src, "y": dst}, dst.shape)


def _scatter(dst, src) -> None:
    """GLSL: write the dense `src` into the strided view `dst` by rendering the buffer range
    `dst` covers, each element taking its value from `src` through an inverse map (or
    keeping its own where `dst` does not reach it)."""
    low, high = _shapes.extent_range(dst._offset, dst._shape, dst._strides)
    span = ndarray._view(dst._buf, (high - low + 1,), (1,), low)
    inverse = _inverse_map(dst, low)
    run_copy(SCATTER, {"src": src.reshape(-1), "inv": inverse, "y": span}, span.shape)


def run_copy(strings: dict, args: dict, shape: tuple) -> None:
    """Launch the copy kernel `strings` (COPY, SCATTER) over `shape`, its one placeholder
    `T` bound to the output `y`'s dtype: what `ElementwiseKernel(**strings)` does for these
    arguments, without kernel.py (which builds on this module). Raw parameters are whole
    1-D arrays; the others are viewed over `shape` with contiguous axes merged."""
    y = args["y"]
    raw_names = [p.split()[-1] for p in strings["in_params"].split(",") if p.split()[0] == "raw"]
    raw = {n: args[n] for n in raw_names}
    views = [(n, a) for n, a in args.items() if n not in raw]
    loop_shape, strides = _shapes.reduce_dims(shape, [a._strides for _, a in views])
    values = dict(raw)
    for (name, a), s in zip(views, strides):
        values[name] = ndarray._view(a._buf, loop_shape, s, a._offset)
    program = program_for(
        "elementwise",
        {**strings, **KERNEL_DEFAULTS},
        target=y.device.target,
        types={"T": y.dtype.name},
        ndim=len(loop_shape),
        scalars=(),
        raw={n: (a.ndim, a._c_contiguous) for n, a in raw.items()},
        caller=__name__,
    )
    dispatch(y.device, program, values, loop_shape)


def _inverse_map(dst, low: int):
    """int32 device array: for each element of dst's range, its index in C order of dst,
    or -1 (host computed, cached by the view's geometry)."""
    key = (dst.device, dst._offset - low, dst._shape, dst._strides)
    found = _INVERSE_MAPS.get(key)
    if found is not None:
        _INVERSE_MAPS.move_to_end(key)
        return found
    index = np.full(1, dst._offset - low, np.int64)
    for extent, stride in zip(dst._shape, dst._strides):
        index = (index[:, None] + np.arange(extent, dtype=np.int64) * stride).reshape(-1)
    inverse = np.full(int(index.max()) + 1, -1, np.int32)
    inverse[index] = np.arange(index.size, dtype=np.int32)
    found = _INVERSE_MAPS[key] = ndarray(inverse.shape, np.int32, device=dst.device)
    found._buf.write(0, inverse)
    if len(_INVERSE_MAPS) > _INVERSE_MAP_LIMIT:
        _INVERSE_MAPS.popitem(last=False)
    return found
