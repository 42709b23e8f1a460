"""`ElementwiseKernel` and `ReductionKernel` with CuPy's constructors and call semantics
(cupy-kernel-semantics.md §1-2): parameters, type inference, broadcasting, `size=`, given
outputs, raw arrays, and CuPy's errors.

Rule: CuPy's rules in CuPy's order — arity, argument kinds, types (outputs first, only
ndarrays bind placeholders, exact dtypes), broadcasting of the non-raw arrays, outputs,
early return for an empty loop, then `_reduce_dims`, translation (cached) and launch.
Built-in operations use these same classes, except the tiled matmul programs (`_matmul`)
and copies between views (`_launch.copy_into`), which dispatch kernelc programs directly.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from kernelc import UnsupportedOnTarget

from . import _dtypes, _fallback, _fastpath, _launch, _shapes
from .device import current_device
from .ndarray import ndarray

_NAME = re.compile(r"[a-zA-Z_][a-zA-Z_0-9]*\Z")


class ParameterInfo:
    """One item of `in_params`/`out_params` as CuPy's `ParameterInfo` reads it."""

    __slots__ = ("ctype", "dtype", "is_const", "name", "raw")

    def __init__(self, text: str, is_const: bool) -> None:
        words = text.split()
        if len(words) < 2:
            raise Exception(f"Syntax error: {text}")
        t, self.name = words[-2:]
        self.dtype, self.ctype, self.raw, self.is_const = None, t, False, is_const
        if len(t) != 1:
            dtype = np.dtype(t)
            if dtype.name != t:
                raise ValueError(f"Wrong type {t}")
            self.dtype = dtype
        for word in words[:-2]:
            if word == "raw":
                self.raw = True
            elif word == "_non_const":
                self.is_const = False
            else:
                raise Exception(f'Unknown keyword "{word}"')

    def __repr__(self) -> str:
        return f"<ParameterInfo {'raw ' if self.raw else ''}{self.ctype} {self.name}>"


def parse_params(text: str, is_const: bool) -> tuple[ParameterInfo, ...]:
    if not text.strip():
        return ()
    return tuple(ParameterInfo(item, is_const) for item in text.strip().split(","))


def _size_form(size) -> tuple | None:
    """What `size=` adds to a call's replay key: () for none (None or -1), (size,) for an
    int; None (never replayed) for anything else, which the general path checks."""
    if size is None or size == -1:
        return ()
    return (size,) if type(size) is int else None


def _check_args(args, where: str) -> None:
    """CuPy's `_preprocess_args`: device ndarrays and Python/NumPy scalars only."""
    for a in args:
        if isinstance(a, ndarray) or _is_scalar(a):
            continue
        raise TypeError(f"Unsupported type {type(a)}" + (f" ({where})" if where else ""))


def _is_scalar(a) -> bool:
    return isinstance(a, (bool, int, float, complex, np.generic)) and not isinstance(a, np.void)


def _replayable(*type_lists) -> bool:
    """Complex arguments are bound through views of their components, which `_fastpath`
    does not replay."""
    return all(np.dtype(t).kind != "c" for types in type_lists for t in types)


class UnboundPlaceholder(KeyError):
    """A type placeholder no ndarray argument binds (CuPy raises `KeyError` there too)."""

    def __init__(self, ctype: str, param: str):
        super().__init__(ctype)
        self.ctype, self.param = ctype, param

    def __str__(self) -> str:
        return (
            f"type placeholder '{self.ctype}' of '{self.param}' cannot be determined: "
            "only ndarray arguments bind placeholders, and none binds it"
        )


def decide_types(in_params, out_params, in_args, out_args) -> tuple[dict, list, list]:
    """CuPy's `_decide_params_type_core`: placeholder -> dtype, and each side's dtypes."""
    types: dict[str, np.dtype] = {}
    if any(not isinstance(a, ndarray) for a in out_args or ()):
        raise TypeError("Output arguments must be cupy.ndarray")
    for p, a in list(zip(out_params, out_args or ())) + list(zip(in_params, in_args)):
        if not isinstance(a, ndarray):
            continue
        expected = p.dtype if p.dtype is not None else types.get(p.ctype)
        if expected is not None and a.dtype != expected:
            raise TypeError(f"Type is mismatched. {p.name} {a.dtype.type} {expected} {p.ctype}")
        if p.dtype is None:
            types[p.ctype] = a.dtype

    def dtype_of(p):
        if p.dtype is None and p.ctype not in types:
            raise UnboundPlaceholder(p.ctype, p.name)
        return p.dtype if p.dtype is not None else types[p.ctype]

    return types, [dtype_of(p) for p in in_params], [dtype_of(p) for p in out_params]


def _device_of(args):
    for a in args:
        if isinstance(a, ndarray):
            return a.device
    return current_device()


def _check_device(args, device) -> None:
    for a in args:
        if isinstance(a, ndarray) and a.device is not device:
            raise ValueError("arrays of one kernel call must be on one device")


def _type_names(types: dict) -> dict:
    return {k: np.dtype(v).name for k, v in types.items()}


class ElementwiseKernel:
    """CuPy's `ElementwiseKernel`: a per-element `operation` over broadcast arrays."""

    def __init__(
        self,
        in_params,
        out_params,
        operation,
        name="kernel",
        reduce_dims=True,
        preamble="",
        no_return=False,
        return_tuple=False,
        **kwargs,
    ):
        self.loop_prep = kwargs.pop("loop_prep", "")
        self.after_loop = kwargs.pop("after_loop", "")
        self.options = kwargs.pop("options", ())
        if kwargs:
            raise TypeError(f"Wrong arguments {kwargs}")
        if not _NAME.match(name):
            raise ValueError(f"Invalid kernel name: {name}")
        self.in_params = parse_params(in_params, True)
        self.out_params = parse_params(out_params, False)
        self.params = self.in_params + self.out_params
        if "i" in [p.name for p in self.params]:
            raise ValueError("Can not use 'i' as a parameter name")
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        self.nargs = self.nin + self.nout
        self.operation, self.name, self.preamble = operation, name, preamble
        self.reduce_dims, self.no_return, self.return_tuple = reduce_dims, no_return, return_tuple
        self._strings = {
            "in_params": in_params,
            "out_params": out_params,
            "operation": operation,
            "name": name,
            "preamble": preamble,
            "loop_prep": self.loop_prep,
            "after_loop": self.after_loop,
        }

    def __call__(self, *args, size=None, stream=None, block_size=128):
        if block_size <= 0:
            raise ValueError("block_size must be greater than zero")
        form = () if size is None else _size_form(size)
        if form is not None:  # a call signature launched before: replay it (`_fastpath`)
            plan = _fastpath.find(self, args, form)
            if plan is not None:
                return plan(args)
        if len(args) not in (self.nin, self.nargs):
            raise TypeError(f"Wrong number of arguments for {self.name!r}")
        _check_args(args, "")
        size = None if size is None or size == -1 else int(size)
        in_args, out_args = args[: self.nin], args[self.nin :] or None
        shape = self._loop_shape(args, size)  # first, as CuPy's `_broadcast`
        types, in_types, out_types = decide_types(
            self.in_params, self.out_params, in_args, out_args
        )
        device = _device_of(args)
        _check_device(args, device)
        outs = self._outputs(out_args, out_types, shape, size is not None, device)
        result = self._result(outs)
        if math.prod(shape) == 0:
            return result
        launched = self._launch(device, types, in_args, in_types, outs, shape)
        if launched is not None and form is not None and _replayable(in_types, out_types):
            _fastpath.record(self, args, in_types, out_types, shape, device, *launched, form)
        return result

    def _loop_shape(self, args, size) -> tuple[int, ...]:
        arrays = [a for a, p in zip(args, self.params) if isinstance(a, ndarray) and not p.raw]
        if size is not None:
            if arrays:
                raise ValueError(
                    "Specified 'size' can be used only if all of the ndarray are 'raw'."
                )
            return (size,)
        if not arrays:
            raise ValueError("Loop size is undecided.")
        return _shapes.broadcast_shapes(*(a.shape for a in arrays))

    def _outputs(self, out_args, out_types, shape, sized: bool, device) -> list:
        if out_args is None:
            for p in self.out_params:
                if p.raw and not sized:
                    raise ValueError("Output array size is Undecided")
            return [ndarray(shape, t, device=device) for t in out_types]
        for a, p in zip(out_args, self.out_params):
            if not isinstance(a, ndarray):
                raise TypeError("Output arguments type must be cupy.ndarray")
            if not p.raw and a.shape != shape:
                raise ValueError("Out shape is mismatched")
        return list(out_args)

    def _result(self, outs):
        if self.no_return:
            return None
        if self.nout == 1 and not self.return_tuple:
            return outs[0]
        return tuple(outs)

    def _launch(self, device, types, in_args, in_types, outs, shape):
        """Launch on the device: returns the program and `_launch.dispatch`'s result (None
        when the kernel ran on the CPU fallback)."""
        values = {}
        views: list[tuple[str, ndarray]] = []
        for p, a, t in zip(self.in_params, in_args, in_types):
            if not isinstance(a, ndarray):
                values[p.name] = _dtypes.cast_scalar(a, t)
            elif p.raw:
                values[p.name] = a
            else:
                views.append((p.name, a._broadcast_to(shape)))
        for p, a in zip(self.out_params, outs):
            (values.__setitem__(p.name, a) if p.raw else views.append((p.name, a)))
        loop_shape, strides = shape, [v._strides for _, v in views]
        if self.reduce_dims:
            loop_shape, strides = _shapes.reduce_dims(shape, strides)
        for (name, v), s in zip(views, strides):
            values[name] = ndarray._view(v._buf, loop_shape, s, v._offset)
        spec = {
            "target": device.target,
            "types": _type_names(types),
            "ndim": len(loop_shape),
            "raw": _raw_spec(self.params, values),
            "scalars": _scalar_names(self, values),
        }
        program = _program_or_none("elementwise", self._strings, spec)
        if program is None:
            _fallback.interpret_elementwise(self, spec, values, loop_shape)
            return None
        return program, _launch.dispatch(device, program, values, loop_shape)


def _reduction_form(axis, keepdims) -> tuple | None:
    """A reduction call's axes and keepdims as part of its replay key (None: a form that
    is not replayed, such as a list of axes)."""
    if (
        axis is None
        or type(axis) is int
        or (type(axis) is tuple and all(type(d) is int for d in axis))
    ):
        return (axis, bool(keepdims))
    return None


def _scalar_names(kernel, values) -> tuple:
    return tuple(p.name for p in kernel.in_params if not isinstance(values[p.name], ndarray))


def _program_or_none(kind: str, strings: dict, spec: dict):
    """The translated program, or None when the target rejects the kernel (it then runs
    on the IR interpreter: `_fallback`)."""
    if _fallback.rejected(kind, strings, spec):
        return None
    try:
        return _launch.program_for(kind, strings, **spec)
    except UnsupportedOnTarget as e:
        _fallback.remember(kind, strings, spec, e)
        return None


def _raw_spec(params, values) -> dict:
    return {p.name: (values[p.name].ndim, values[p.name]._c_contiguous) for p in params if p.raw}


class ReductionKernel:
    """CuPy's `ReductionKernel`: map, reduce along `axis`, post-map into the outputs."""

    def __init__(
        self,
        in_params,
        out_params,
        map_expr,
        reduce_expr,
        post_map_expr,
        identity,
        name="reduce_kernel",
        reduce_type=None,
        reduce_dims=True,
        preamble="",
        options=(),
    ):
        if not _NAME.match(name):
            raise ValueError(f"Invalid kernel name: {name}")
        self.in_params = parse_params(in_params, True)
        self.out_params = parse_params(out_params, False)
        self.params = self.in_params + self.out_params
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        self.nargs = self.nin + self.nout
        self.name, self.reduce_dims = name, reduce_dims
        self.identity = "" if identity is None else str(identity)
        self.sort_reduce_axis = True
        self._strings = {
            "in_params": in_params,
            "out_params": out_params,
            "map_expr": map_expr,
            "reduce_expr": reduce_expr,
            "post_map_expr": post_map_expr,
            "identity": identity,
            "name": name,
            "reduce_type": reduce_type,
            "preamble": preamble,
        }

    def __call__(self, *args, out=None, axis=None, keepdims=False, stream=None):
        form = _reduction_form(axis, keepdims)
        if form is not None:  # a call signature launched before: replay it (`_fastpath`)
            call = args if out is None else (*args, out)
            plan = _fastpath.find(self, call, form)
            if plan is not None:
                return plan(call)
        if len(args) not in (self.nin, self.nargs):
            raise TypeError(f"Wrong number of arguments for {self.name!r}")
        out_args = list(args[self.nin :])
        if out is not None:
            if self.nout != 1:
                raise NotImplementedError(
                    "Built-in reduction kernel does not support multiple arrays"
                )
            if out_args:
                raise ValueError("cannot specify 'out' as both a positional and keyword argument")
            out_args = [out]
        in_args = args[: self.nin]
        _check_args(in_args, "")
        _check_args(out_args, "")
        device = _device_of(list(in_args) + out_args)
        _check_device(list(in_args) + out_args, device)
        return self._call(device, in_args, out_args or None, axis, keepdims, form)

    def _result(self, outs):
        return outs[0]

    def _call(self, device, in_args, out_args, axis, keepdims, form=None):
        arrays = [
            a for a, p in zip(in_args, self.in_params) if isinstance(a, ndarray) and not p.raw
        ]
        shape = _shapes.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        reduce_axis = _shapes.normalize_axes(axis, len(shape))
        out_axis = tuple(d for d in range(len(shape)) if d not in reduce_axis)
        reduce_axis = self._sorted_axes(reduce_axis, out_axis, in_args)
        types, in_types, out_types = decide_types(
            self.in_params, self.out_params, in_args, out_args
        )
        out_shape = _shapes.reduced_shape(shape, reduce_axis, keepdims)
        outs = self._outputs(out_args, out_types, out_shape, device)
        result = outs[0]
        if result.size == 0:
            return result
        if self.identity == "" and 0 in shape:
            raise ValueError(
                f"zero-size array to reduction operation {self.name} which has no identity"
            )
        launched = self._launch(
            device, types, in_args, in_types, outs, shape, reduce_axis, out_axis
        )
        if launched is not None and form is not None and _replayable(in_types, out_types):
            args = (*in_args, *(out_args or ()))
            _fastpath.record(self, args, in_types, out_types, out_shape, device, *launched, form)
        return result

    def _sorted_axes(self, reduce_axis, out_axis, in_args) -> tuple:
        """One non-C-contiguous input and at most one output axis: reduced axes by
        decreasing |stride| (CuPy's sort_reduce_axis, so `_J` follows memory order)."""
        if not self.sort_reduce_axis or len(in_args) != 1 or len(out_axis) > 1:
            return reduce_axis
        x = in_args[0]
        if not isinstance(x, ndarray) or x._c_contiguous:
            return reduce_axis
        return tuple(sorted(reduce_axis, key=lambda d: -abs(x._strides[d])))

    def _outputs(self, out_args, out_types, out_shape, device) -> list:
        if out_args is None:
            return [ndarray(out_shape, t, device=device) for t in out_types]
        for a, p in zip(out_args, self.out_params):
            if not p.raw and a.shape != out_shape:
                raise ValueError("Out shape is mismatched")
        return list(out_args)

    def _launch(self, device, types, in_args, in_types, outs, shape, reduce_axis, out_axis):
        perm = reduce_axis + out_axis
        red_shape = tuple(shape[d] for d in reduce_axis)
        kernel_out = tuple(shape[d] for d in out_axis)
        values, inputs, outputs = {}, [], []
        for p, a, t in zip(self.in_params, in_args, in_types):
            if not isinstance(a, ndarray):
                values[p.name] = _dtypes.cast_scalar(a, t)
            elif p.raw:
                if perm != tuple(range(len(perm))):
                    raise NotImplementedError("Illegal conditions")
                values[p.name] = a
            else:
                inputs.append((p.name, a._broadcast_to(shape).transpose(perm)))
        for p, a in zip(self.out_params, outs):
            if p.raw:
                values[p.name] = a
            else:
                outputs.append((p.name, a.reshape(kernel_out) if a.shape != kernel_out else a))
        red_shape, kernel_out = self._merge(red_shape, kernel_out, inputs, outputs, values)
        spec = {
            "target": device.target,
            "types": _type_names(types),
            "ndim": len(kernel_out),
            "reduce_ndim": len(red_shape),
            "raw": _raw_spec(self.params, values),
            "scalars": _scalar_names(self, values),
        }
        program = _program_or_none("reduction", self._strings, spec)
        if program is None:
            _fallback.interpret_reduction(self, spec, values, kernel_out, red_shape)
            return None
        return program, _launch.dispatch(device, program, values, kernel_out, red_shape)

    def _merge(self, red_shape, out_shape, inputs, outputs, values):
        """`_reduce_dims` within the reduced axes and within the output axes."""
        nr = len(red_shape)
        in_red = [v._strides[:nr] for _, v in inputs]
        in_out = [v._strides[nr:] for _, v in inputs]
        out_strides = [v._strides for _, v in outputs]
        if self.reduce_dims and nr > 1:
            red_shape, in_red = _shapes.reduce_dims(red_shape, in_red)
        if self.reduce_dims and len(out_shape) > 1:
            out_shape, merged = _shapes.reduce_dims(out_shape, in_out + out_strides)
            in_out, out_strides = merged[: len(inputs)], merged[len(inputs) :]
        for (name, v), r, o in zip(inputs, in_red, in_out):
            values[name] = ndarray._view(v._buf, red_shape + out_shape, r + o, v._offset)
        for (name, v), s in zip(outputs, out_strides):
            values[name] = ndarray._view(v._buf, out_shape, s, v._offset)
        return red_shape, out_shape


# ---------------------------------------------------------------------------- built-ins


@functools.cache
def copy_kernel() -> ElementwiseKernel:
    """y = x between two arrays of one dtype (copies, strided assignment)."""
    return ElementwiseKernel(**_launch.COPY)


@functools.cache
def scatter_kernel() -> ElementwiseKernel:
    """GLSL strided writes: each element of `y` takes `src[inv[i]]` where `inv[i] >= 0`."""
    return ElementwiseKernel(**_launch.SCATTER)
