"""Calling a kernel the way CuPy's `ReductionKernel.__call__` does, on a native executor,
so that reduction tests read like CuPy code (cupy-kernel-semantics.md §2).

Rule: CuPy's rules, in CuPy's order: arity and `out=`, broadcasting of the non-raw inputs
among themselves, axis normalisation (AxisError, duplicates), types (outputs first), output
allocation, an early return for an empty output, the no-identity error for an empty
input, then the inputs transposed so the reduced axes come first (0-stride and transposed
views, never copies), translation and launch. Only the first output is returned.
"""

from __future__ import annotations

import operator

import numpy as np

from .kernel_call import _resolve_types, _split_args, executor_for, parse_params
from .launch import to_scalar


def call_reduction(
    target: str,
    in_params: str,
    out_params: str,
    map_expr: str,
    reduce_expr: str,
    post_map_expr: str,
    identity,
    *args,
    name: str = "reduce_kernel",
    reduce_type: str | None = None,
    preamble: str = "",
    axis=None,
    keepdims: bool = False,
    out=None,
    executor=None,
    groups: int | None = None,
    on_program=None,
):
    """`cupy.ReductionKernel(in_params, out_params, map_expr, reduce_expr, post_map_expr,
    identity, name, reduce_type, preamble=preamble)(*args, axis=axis, keepdims=keepdims,
    out=out)` translated for `target` and run natively. `groups` (WGSL) overrides the
    split rule; `on_program(program)` sees the translation before the launch."""
    ins, outs = parse_params(in_params, False), parse_params(out_params, True)
    in_args, out_args = _out_args(_split_args(args, len(ins), len(outs)), out, len(outs))
    shape = _broadcast_shape([a for p, a in zip(ins, in_args) if not p.raw])
    reduce_axis, out_axis = get_axis(axis, len(shape))
    reduce_axis = _sort_reduce_axis(reduce_axis, out_axis, in_args)
    types = _resolve_types(ins, outs, in_args, out_args)
    kept = tuple(1 if d in reduce_axis else e for d, e in enumerate(shape))
    out_shape = kept if keepdims else tuple(shape[d] for d in out_axis)
    values = _outputs(outs, out_args, types, out_shape)
    result = values[outs[0].name]
    if result.size == 0:
        return result
    if (identity is None or str(identity) == "") and 0 in shape:
        raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
    perm = reduce_axis + out_axis
    for p, a in zip(ins, in_args):
        values[p.name] = _input(p, a, types, shape, perm)
    kernel_out = tuple(shape[d] for d in out_axis)
    for p in outs:
        if keepdims and not p.raw:  # the kept size-1 axes are not the kernel's
            values[p.name] = np.squeeze(values[p.name], axis=reduce_axis)
    program = _translate(
        target,
        (
            in_params,
            out_params,
            map_expr,
            reduce_expr,
            post_map_expr,
            identity,
            name,
            reduce_type,
            preamble,
        ),
        types,
        ins + outs,
        values,
        len(out_axis),
        len(reduce_axis),
    )
    if on_program is not None:
        on_program(program)
    options = {"groups": groups} if groups is not None and target == "wgsl" else {}
    reduce_shape = tuple(shape[d] for d in reduce_axis)
    (executor or executor_for(target)).run_reduction(
        program, values, kernel_out, reduce_shape, **options
    )
    return result


def get_axis(axis, ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """CuPy's `_get_axis`: (sorted reduced axes, the other axes)."""
    if axis is None:
        return tuple(range(ndim)), ()
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    normal = []
    for ax in axes:
        ax = operator.index(ax)
        if not -ndim <= ax < ndim:
            raise np.exceptions.AxisError(ax, ndim)
        normal.append(ax % ndim)
    if len(set(normal)) != len(normal):
        raise ValueError("duplicate value in 'axis'")
    reduce_axis = tuple(sorted(normal))
    return reduce_axis, tuple(d for d in range(ndim) if d not in reduce_axis)


def _out_args(split: tuple, out, nout: int) -> tuple[tuple, tuple | None]:
    in_args, out_args = split
    if out is None:
        return in_args, out_args
    if nout != 1:
        raise NotImplementedError("Built-in reduction kernel does not support multiple arrays")
    if out_args:
        raise ValueError("cannot specify 'out' as both a positional and keyword argument")
    return in_args, (out,)


def _broadcast_shape(arrays: list) -> tuple[int, ...]:
    shapes = [a.shape for a in arrays if isinstance(a, np.ndarray)]
    return tuple(np.broadcast_shapes(*shapes)) if shapes else ()


def _sort_reduce_axis(reduce_axis: tuple, out_axis: tuple, in_args: tuple) -> tuple:
    """One non-C-contiguous input and at most one output axis: reduced axes in decreasing
    |stride| order (CuPy's sort_reduce_axis, so `_J` follows memory order)."""
    if len(in_args) != 1 or not isinstance(in_args[0], np.ndarray) or len(out_axis) > 1:
        return reduce_axis
    x = in_args[0]
    if x.flags.c_contiguous:
        return reduce_axis
    return tuple(sorted(reduce_axis, key=lambda d: -abs(x.strides[d])))


def _outputs(outs: list, out_args: tuple | None, types: dict, out_shape: tuple) -> dict:
    values = {}
    for k, p in enumerate(outs):
        dtype = types[p.type]
        if out_args is None:
            values[p.name] = np.zeros(out_shape, dtype)
            continue
        arg = out_args[k]
        if not isinstance(arg, np.ndarray):
            raise TypeError(f"output {p.name!r} needs an ndarray")
        if not p.raw and arg.shape != out_shape:
            raise ValueError(f"Out shape is mismatched: {p.name!r} {arg.shape} vs {out_shape}")
        values[p.name] = arg
    return values


def _input(p, arg, types: dict, shape: tuple, perm: tuple):
    if not isinstance(arg, np.ndarray):
        if p.raw:
            raise TypeError(f"raw parameter {p.name!r} needs an ndarray")
        return to_scalar(arg, types[p.type])
    if p.raw:
        if perm != tuple(range(len(perm))):
            raise NotImplementedError("Illegal conditions")
        return arg
    return np.broadcast_to(arg, shape).transpose(perm)


def _translate(
    target: str,
    strings: tuple,
    types: dict,
    params: list,
    values: dict,
    ndim: int,
    reduce_ndim: int,
):
    from kernelc import translate_reduction

    in_params, out_params, map_expr, reduce_expr, post_map_expr, identity, name, rt, pre = strings
    return translate_reduction(
        in_params,
        out_params,
        map_expr,
        reduce_expr,
        post_map_expr,
        identity,
        name,
        rt,
        pre,
        target=target,
        types={k: v for k, v in types.items() if len(k) == 1},
        ndim=ndim,
        reduce_ndim=reduce_ndim,
        scalars=tuple(p.name for p in params if not isinstance(values[p.name], np.ndarray)),
        raw={
            p.name: (values[p.name].ndim, values[p.name].flags.c_contiguous)
            for p in params
            if p.raw
        },
    )
