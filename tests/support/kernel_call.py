"""Calling a kernel the way CuPy's `ElementwiseKernel.__call__` does, on a native executor,
so that tests read like CuPy code (cupy-kernel-semantics.md §1.3-1.4).

Rule: CuPy's rules, in CuPy's order: arity, then types (outputs first, only ndarrays bind
placeholders, exact dtypes), then broadcasting of all non-raw arrays into the loop shape
(inputs become 0-stride views, never contiguous copies), then output allocation, then an
early return for an empty loop, then translation and launch on the runtime's device of the
target (`executor_for`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kernelc.abi import Program

from .launch import to_scalar

_EXECUTORS: dict[str, object] = {}


@dataclass(frozen=True)
class ParamSpec:
    """One parameter as the kernel declares it; `type` is a dtype name or a placeholder."""

    name: str
    type: str
    raw: bool
    is_output: bool

    @property
    def is_placeholder(self) -> bool:
        return len(self.type) == 1


def executor_for(target: str):
    """The process-wide executor of `target` ("wgsl" or "glsl"), created on first use."""
    if target not in _EXECUTORS:
        from .executor import DeviceExecutor

        _EXECUTORS[target] = DeviceExecutor(target)
    return _EXECUTORS[target]


def parse_params(text: str, is_output: bool) -> list[ParamSpec]:
    """`"[raw] TYPE NAME, ..."` -> specs (a minimal stand-in for kernelc.frontend.params)."""
    specs = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        *keywords, type_, name = _tokens(item)
        if any(k not in ("raw", "_non_const") for k in keywords):
            raise ValueError(f"unknown keyword in parameter {item!r}")
        specs.append(ParamSpec(name, type_, "raw" in keywords, is_output))
    return specs


@dataclass
class KernelCall:
    """A CuPy-style call of kernel strings, bound: argument values by name, the loop shape,
    what the call returns, and the specialisation kernelc translates it for."""

    ins: list[ParamSpec]
    outs: list[ParamSpec]
    types: dict[str, str]
    values: dict
    loop_shape: tuple[int, ...]
    result: object

    @property
    def empty(self) -> bool:
        return math.prod(self.loop_shape) == 0

    def specialisation(self) -> dict:
        """`types`, `ndim`, `raw` and `scalars` for `translate_elementwise`/`lower_kernel`."""
        v = self.values
        return dict(
            types={k: t for k, t in self.types.items() if len(k) == 1},
            ndim=len(self.loop_shape),
            raw={
                p.name: (v[p.name].ndim, v[p.name].flags.c_contiguous)
                for p in self.ins + self.outs
                if p.raw
            },
            scalars=tuple(p.name for p in self.ins if not isinstance(v[p.name], np.ndarray)),
        )


def bind_call(in_params: str, out_params: str, args: tuple, size: int | None) -> KernelCall:
    """CuPy's call semantics: arity, types (outputs first), broadcasting, outputs."""
    ins, outs = parse_params(in_params, False), parse_params(out_params, True)
    in_args, out_args = _split_args(args, len(ins), len(outs))
    types = _resolve_types(ins, outs, in_args, out_args)
    specs = [(p.name, p.raw, types[p.type] if p.is_placeholder else p.type) for p in ins + outs]
    values, loop_shape = _prepare(specs, len(ins), in_args, out_args, size)
    return KernelCall(ins, outs, types, values, loop_shape, _result([values[p.name] for p in outs]))


def call_elementwise(
    target: str,
    in_params: str,
    out_params: str,
    operation: str,
    *args,
    name: str = "kernel",
    preamble: str = "",
    loop_prep: str = "",
    after_loop: str = "",
    size: int | None = None,
    executor=None,
):
    """`cupy.ElementwiseKernel(in_params, out_params, operation, name, ...)(*args, size=size)`
    translated for `target` and run natively. Returns the output, or a tuple of them."""
    call = bind_call(in_params, out_params, args, size)
    if call.empty:
        return call.result
    from kernelc import translate_elementwise

    program = translate_elementwise(
        in_params,
        out_params,
        operation,
        name=name,
        preamble=preamble,
        loop_prep=loop_prep,
        after_loop=after_loop,
        target=target,
        **call.specialisation(),
    )
    (executor or executor_for(target)).run(program, call.values, call.loop_shape)
    return call.result


def run_program(program: Program, *args, size: int | None = None, executor=None):
    """Call an already translated `program` like a CuPy kernel: inputs, then optionally
    outputs; `size` only when every array is raw. Returns the output, or a tuple of them."""
    params = program.abi.params
    nin = sum(p.role == "in" for p in params)
    in_args, out_args = _split_args(args, nin, len(params) - nin)
    specs = [(p.name, p.kind == "raw", p.dtype) for p in params]
    values, loop_shape = _prepare(specs, nin, in_args, out_args, size)
    if math.prod(loop_shape) > 0:
        (executor or executor_for(program.abi.target)).run(program, values, loop_shape)
    return _result([values[p.name] for p in params[nin:]])


def _tokens(item: str) -> list[str]:
    tokens = item.split()
    if len(tokens) < 2:
        raise ValueError(f"Syntax error: {item!r}")
    return tokens


def _split_args(args: tuple, nin: int, nout: int) -> tuple[tuple, tuple | None]:
    """CuPy's arity rule: all inputs, or all inputs and all outputs."""
    if len(args) == nin:
        return args, None
    if len(args) == nin + nout:
        return args[:nin], args[nin:]
    raise TypeError(f"Wrong number of arguments: {nin} or {nin + nout} expected, got {len(args)}")


def _resolve_types(
    ins: list[ParamSpec], outs: list[ParamSpec], in_args: tuple, out_args: tuple | None
) -> dict[str, str]:
    """Dtype names by type (fixed names map to themselves); only ndarrays bind, outputs first."""
    types: dict[str, str] = {}
    pairs = list(zip(outs, out_args or ())) + list(zip(ins, in_args))
    for p, arg in pairs:
        if not isinstance(arg, np.ndarray):
            continue
        expected = types.get(p.type) if p.is_placeholder else p.type
        if expected is not None and arg.dtype != np.dtype(expected):
            raise TypeError(f"Type is mismatched: {p.name!r} is {arg.dtype}, expected {expected}")
        if p.is_placeholder:
            types[p.type] = arg.dtype.name
    for p in ins + outs:
        if p.is_placeholder and p.type not in types:
            raise KeyError(f"type {p.type!r} of {p.name!r} cannot be determined from the arguments")
        types.setdefault(p.type, p.type)
    return types


def _prepare(
    specs: list[tuple[str, bool, str]],
    nin: int,
    in_args: tuple,
    out_args: tuple | None,
    size: int | None,
) -> tuple[dict, tuple[int, ...]]:
    """Arguments by name (scalars converted, missing outputs allocated) and the loop shape.
    `specs`: (name, raw, dtype name) per parameter, inputs first."""
    given = list(in_args) + list(out_args or ())
    for k, ((name, raw, _), arg) in enumerate(zip(specs, given)):
        if (raw or k >= nin) and not isinstance(arg, np.ndarray):
            raise TypeError(f"{'raw parameter' if raw else 'output'} {name!r} needs an ndarray")
    loop_shape = _loop_shape([a for (_, raw, _), a in zip(specs, given) if not raw], size)
    for (name, raw, _), arg in zip(specs[nin:], out_args or ()):
        if not raw and arg.shape != loop_shape:
            raise ValueError(f"Out shape is mismatched: {name!r} {arg.shape} vs {loop_shape}")
    values = {}
    for k, (name, raw, dtype) in enumerate(specs):
        if k < len(given):
            arg = given[k]
            values[name] = arg if isinstance(arg, np.ndarray) else to_scalar(arg, dtype)
        elif raw and size is None:
            raise ValueError(f"Output array size is Undecided: raw output {name!r}")
        else:
            values[name] = np.zeros(loop_shape, dtype)
    return values, loop_shape


def _loop_shape(args: list, size: int | None) -> tuple[int, ...]:
    """Broadcast shape of the non-raw ndarrays, or `(size,)` when there are none."""
    shapes = [a.shape for a in args if isinstance(a, np.ndarray)]
    if shapes and size is not None:
        raise ValueError("Specified 'size' can be used only if all of the ndarray are 'raw'.")
    if shapes:
        return tuple(np.broadcast_shapes(*shapes))
    if size is None:
        raise ValueError("Loop size is undecided.")
    return (int(size),)


def _result(outputs: list[np.ndarray]):
    return outputs[0] if len(outputs) == 1 else tuple(outputs)
