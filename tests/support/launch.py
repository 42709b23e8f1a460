"""Binding a call's NumPy arguments to a program's ABI (elementwise, reduction and matmul
programs) and computing the device's dispatch values (`tests.support.executor`).

Rule: everything comes from `program.abi` (docs/abi.md); nothing here reads shader text.
Arguments arrive already resolved (dtypes exact, scalars in any numeric form); the loop
shape is the caller's, and every `"array"` argument is broadcast to it here as a 0-stride
view, never copied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from kernelc.abi import Contract, Param, contract
from kernelc.abi.contract import SIZE

from .views import BufferView, c_strides, describe

# How a parameter's values travel, by its ABI `storage_dtype` (docs/dtypes.md): every dtype
# as itself, as the device protocol carries it. A 64-bit array's `storage_dtype` is 32-bit:
# `to_storage` converts it.


@dataclass
class Bound:
    """One array parameter of a call: the caller's array (broadcast to the loop shape for
    `"array"` parameters) and how its buffer describes it."""

    param: Param
    array: np.ndarray
    buffer: BufferView

    @property
    def name(self) -> str:
        return self.param.name

    def storage_dtype(self) -> np.dtype:
        return storage_dtype(self.param)

    def storage(self) -> np.ndarray:
        """The whole buffer as storage elements."""
        return self.storage_of(self.buffer)

    def storage_of(self, buffer: BufferView) -> np.ndarray:
        """Any buffer of this parameter's dtype (e.g. a dense copy) as storage elements.
        64-bit values are checked over the view (what the program can read) and raise
        OverflowError rather than reach the GPU corrupted."""
        return to_storage(buffer.data, self.param, self.array)

    def from_storage(self, values: np.ndarray) -> np.ndarray:
        """Storage elements back in the parameter's dtype (32-bit results widen to 64)."""
        values = np.asarray(values)
        if self.param.dtype == "bool":
            return values != 0
        return values.astype(self.array.dtype, copy=False)

    def store_buffer(self, values: np.ndarray) -> None:
        """Write the read-back whole buffer (storage elements) into the caller's view."""
        self.array[...] = self.buffer.view(self.from_storage(values))

    def store_dense(self, values: np.ndarray) -> None:
        """Write results held densely in C order of the array's own shape (a render
        target) into the caller's view; elements past `len(values)` keep their values."""
        flat = np.ascontiguousarray(self.array).reshape(-1).copy()
        m = min(len(values), flat.size)
        flat[:m] = self.from_storage(values[:m])
        self.array[...] = flat.reshape(self.array.shape)


@dataclass
class Call:
    """A program's arguments, checked against its ABI."""

    abi: Contract
    loop_shape: tuple[int, ...]
    arrays: dict[str, Bound] = field(default_factory=dict)
    scalars: dict[str, np.generic] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return math.prod(self.loop_shape)

    def outputs(self) -> dict[str, np.ndarray]:
        return {p.name: self.arrays[p.name].array for p in self.abi.params if p.role == "out"}

    def uniform_values(self, dense_outputs: bool = False) -> dict:
        """The dispatch values (docs/protocol.md). `dense_outputs` (GLSL): outputs are
        described as dense over their own shape, like the render targets that hold them."""
        values = {SIZE: self.n}
        values.update({contract.loop_shape(d): e for d, e in enumerate(self.loop_shape)})
        values.update({contract.scalar_value(name): v for name, v in self.scalars.items()})
        for bound in self.arrays.values():
            dense_ = dense_outputs and bound.param.role == "out"
            values.update(_array_values(bound, dense_))
        return values


def bind(abi: Contract, args: dict, loop_shape: tuple[int, ...]) -> Call:
    """Check `args` (parameter name -> array or scalar) against `abi` for `loop_shape`."""
    loop_shape = tuple(int(e) for e in loop_shape)
    if len(loop_shape) != abi.ndim:
        raise ValueError(
            f"program {abi.kernel!r} is for {abi.ndim}-d loops, got loop shape {loop_shape}"
        )
    call = Call(abi, loop_shape)
    for p in abi.params:
        if p.name not in args:
            raise TypeError(f"missing argument {p.name!r}")
        value = args[p.name]
        if p.kind == "scalar":
            call.scalars[p.name] = to_storage(to_scalar(value, p.dtype), p)[()]
        else:
            call.arrays[p.name] = _bind_array(p, value, loop_shape)
    return call


def to_scalar(value, dtype: str) -> np.generic:
    """A scalar argument converted to its parameter's dtype (C-style truncation and wrap)."""
    with np.errstate(all="ignore"):
        return np.asarray(value).astype(dtype)[()]


def storage_dtype(param: Param) -> np.dtype:
    return np.dtype(param.storage_dtype)


def to_storage(values: np.ndarray, param: Param, checked: np.ndarray | None = None) -> np.ndarray:
    """`values` (of the parameter's dtype) in its storage dtype. A 64-bit integer that does
    not fit 32 bits raises OverflowError (only `checked`, default `values`, is checked: the
    part a program can read); float64 rounds to float32 (overflowing to +-inf)."""
    target = storage_dtype(param)
    values = np.asarray(values)
    if values.dtype == target:
        return values
    checked = values if checked is None else np.asarray(checked)
    if target.kind in "iu" and values.dtype.kind in "iu" and checked.size:
        info = np.iinfo(target)
        low, high = int(checked.min()), int(checked.max())
        if low < info.min or high > info.max:
            bad = low if low < info.min else high
            raise OverflowError(
                f"{param.dtype} argument {param.name!r} holds {bad}, outside the "
                f"{target.name} range it is held in on the GPU (docs/dtypes.md: 64-bit "
                "arrays are held in 32 bits)"
            )
    with np.errstate(all="ignore"):
        return values.astype(target)


def _bind_array(p: Param, value, loop_shape: tuple[int, ...]) -> Bound:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"argument {p.name!r} must be an ndarray, got {type(value).__name__}")
    if value.dtype != np.dtype(p.dtype):
        raise TypeError(f"argument {p.name!r} has dtype {value.dtype}, expected {p.dtype}")
    if p.kind == "array":
        if p.role == "out" and value.shape != loop_shape:
            raise ValueError(
                f"Out shape is mismatched: {p.name!r} has shape {value.shape}, "
                f"loop shape is {loop_shape}"
            )
        value = np.broadcast_to(value, loop_shape) if p.role == "in" else value
    elif value.ndim != p.ndim:
        raise ValueError(f"raw {p.name!r} has {value.ndim} axes, program expects {p.ndim}")
    elif p.contiguous and not value.flags.c_contiguous:
        raise ValueError(f"raw {p.name!r} is not C-contiguous, program assumes it is")
    if p.role == "out" and not value.flags.writeable:
        raise ValueError(f"output {p.name!r} is read-only")
    return Bound(p, value, describe(value))


def _array_values(bound: Bound, dense_: bool) -> dict:
    name = bound.name
    offset, strides = (
        (0, c_strides(bound.array.shape)) if dense_ else (bound.buffer.offset, bound.buffer.strides)
    )
    values = {contract.array_offset(name): offset, contract.array_size(name): bound.array.size}
    values.update({contract.array_stride(name, d): s for d, s in enumerate(strides)})
    values.update({contract.array_shape(name, d): e for d, e in enumerate(bound.array.shape)})
    return values


def bind_reduction(
    abi: Contract, args: dict, out_shape: tuple[int, ...], reduce_shape: tuple[int, ...]
) -> Call:
    """`bind` for a reduction (docs/abi.md, "Reduction programs"): the loop is over the
    outputs, non-raw inputs are laid out over reduce_shape + out_shape."""
    out_shape, reduce_shape = tuple(map(int, out_shape)), tuple(map(int, reduce_shape))
    if len(reduce_shape) != abi.reduce_ndim:
        raise ValueError(
            f"program {abi.kernel!r} reduces {abi.reduce_ndim} axes, "
            f"got reduce shape {reduce_shape}"
        )

    def spread(p: Param) -> bool:
        return p.kind == "array" and p.role == "in"

    rest = [p for p in abi.params if not spread(p)]
    call = bind(replace(abi, params=tuple(rest)), args, out_shape)
    call.abi = abi
    for p in filter(spread, abi.params):
        if p.name not in args:
            raise TypeError(f"missing argument {p.name!r}")
        call.arrays[p.name] = _bind_array(p, args[p.name], reduce_shape + out_shape)
    return call


def bind_matmul(abi: Contract, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> Call:
    """Check matmul operands against the ABI (docs/abi.md, "Matmul programs"): dtypes, and
    shapes (batch..., M, K) @ (batch..., K, N) -> (batch..., M, N) with `abi.batch_ndim`
    batch axes (broadcast ones as 0-stride views). The loop shape is C's."""
    if abi.kind != "matmul":
        raise ValueError(f"a {abi.kind} program given to the matmul launcher")
    *batch, m, k = a.shape
    if a.ndim != abi.ndim or b.shape != (*batch, k, c.shape[-1]) or c.shape[:-1] != (*batch, m):
        raise ValueError(
            f"shapes {a.shape} @ {b.shape} -> {c.shape} do not fit a program "
            f"with {abi.batch_ndim} batch axes"
        )
    call = Call(abi, tuple(c.shape))
    for p, value in zip(abi.params, (a, b, c)):
        if value.dtype != np.dtype(p.dtype):
            raise TypeError(f"{p.name} has dtype {value.dtype}, expected {p.dtype}")
        call.arrays[p.name] = Bound(p, value, describe(value))
    return call
