"""`fuse` (`cupy.fuse`, Chainer's `cuda.fuse`): a function of elementwise operations
compiled by kernelc into one `ElementwiseKernel`, launched once per call.

Rule: the function is traced once per argument signature (each array's dtype, each
scalar's type); the trace (`_fusion_trace`) gives one kernel body whose every operation
resolves its dtypes as the eager call would, so a fused call returns what the unfused
function returns, in one launch (up to the shader compiler's contraction of float32
multiply-adds within the kernel, as nvcc's in CuPy's fused kernels; docs/arrays.md).
Inputs assigned with `x[:] = ...` or `x += ...` are written in place. A function the trace cannot express (a reduction, a branch on a value,
indexing) runs unfused, as CuPy falls back for what it cannot fuse.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _dtypes, _shapes, ufuncs
from ._fusion_reroll import reroll
from ._fusion_trace import FusionUnsupported, Trace, Var, scalar_dtype
from .kernel import ElementwiseKernel
from .ndarray import ndarray


class Fused:
    """A fused function: call it like the function itself."""

    def __init__(self, func, kernel_name: str | None = None) -> None:
        self.func = func
        self.name = kernel_name or f"fused_{getattr(func, '__name__', 'function')}"
        self._plans: dict[tuple, _Plan | None] = {}
        functools.update_wrapper(self, func)

    def __call__(self, *args):
        if not any(isinstance(a, ndarray) for a in args):
            return self.func(*args)  # nothing on the device: plain Python/NumPy
        key = tuple(_signature(a) for a in args)
        if key not in self._plans:
            self._plans[key] = _trace(self.func, args, self.name)
        plan = self._plans[key]
        return self.func(*args) if plan is None else plan(args)

    def __repr__(self) -> str:
        return f"<fused function {self.name}>"


def fuse(*args, **kwargs):
    """`@fuse`, `@fuse()` or `@fuse(kernel_name=...)`."""
    if len(args) == 1 and not kwargs and callable(args[0]):
        return Fused(args[0])
    kernel_name = kwargs.pop("kernel_name", None)
    if args or kwargs:
        raise TypeError(f"fuse() got unexpected arguments {args or ''}{kwargs or ''}")
    return lambda func: Fused(func, kernel_name)


def _signature(a):
    if isinstance(a, ndarray):
        return ("array", a.dtype)
    if isinstance(a, np.generic):
        return ("numpy", a.dtype)
    if isinstance(a, (bool, int, float)):
        return ("python", type(a))
    return ("other", type(a))


class _Plan:
    """One traced signature: the kernel, its constants, which inputs it writes in place and
    the dtypes of the arrays it returns."""

    def __init__(self, kernel, constants, assigned: list[int], results, single: bool) -> None:
        self.kernel, self.constants, self.assigned = kernel, constants, assigned
        self.results, self.single = results, single

    def __call__(self, args):
        arrays = [a for a in args if isinstance(a, ndarray)]
        shape = _shapes.broadcast_shapes(*(a.shape for a in arrays))
        for k in self.assigned:
            if args[k].shape != shape:
                raise ValueError(
                    f"non-broadcastable output operand with shape {args[k].shape} "
                    f"doesn't match the broadcast shape {shape}"
                )
        ins = [_typed(a) for k, a in enumerate(args) if k not in self.assigned]
        outs = [ndarray(shape, dtype, device=arrays[0].device) for dtype in self.results]
        self.kernel(*ins, *self.constants, *(args[k] for k in self.assigned), *outs)
        if not outs:
            return None
        return outs[0] if self.single else tuple(outs)


def _typed(a):
    """A scalar argument as the kernel's scalar parameter of its NEP 50 dtype."""
    if isinstance(a, ndarray):
        return a
    return ufuncs.typed_scalar(a, scalar_dtype(a))


def _trace(func, args, name: str) -> _Plan | None:
    trace = Trace(ufuncs)
    inputs = []
    for k, a in enumerate(args):
        if not isinstance(a, (ndarray, bool, int, float, np.generic)):
            return None
        weak = not isinstance(a, ndarray) and (
            not isinstance(a, np.generic) or _dtypes.NUMPY_SCALARS_WEAK
        )
        dtype = scalar_dtype(a) if weak else a.dtype
        inputs.append(Var(trace, f"_x{k}", dtype, weak, None if weak else k))
    try:
        returned = func(*inputs)
        results = _returned_vars(trace, returned)
    except (FusionUnsupported, TypeError, ValueError, NotImplementedError):
        # Not one elementwise kernel (a reduction, say, refuses a Var): run it unfused,
        # where a genuine mistake in the function raises as it would without `fuse`.
        return None
    return _plan(trace, args, inputs, results, returned, name)


def _returned_vars(trace: Trace, returned) -> list[Var]:
    if returned is None:
        return []
    many = isinstance(returned, tuple)
    values = list(returned) if many else [returned]
    if not all(isinstance(v, Var) for v in values):
        raise FusionUnsupported("a fused function must return values it computed")
    return [trace.value(v) for v in values]


def _plan(trace: Trace, args, inputs: list[Var], results: list[Var], returned, name) -> _Plan:
    assigned = sorted(trace.assigned)
    in_params = [f"{v.dtype.name} _x{k}" for k, v in enumerate(inputs) if k not in assigned]
    in_params += [f"{scalar_dtype(c).name} _c{k}" for k, c in enumerate(trace.constants)]
    out_params = [f"{inputs[k].dtype.name} _a{k}" for k in assigned]
    out_params += [f"{v.dtype.name} _y{k}" for k, v in enumerate(results)]
    # An input written in place is read from its output parameter (a body may read its
    # outputs) into a local first, so every read sees the value from before the call.
    body = [f"{_dtypes.ctype(inputs[k].dtype)} _x{k} = _a{k};" for k in assigned]
    body += trace.hoisted + trace.lines
    body += [f"_a{k} = {trace.assigned[k]};" for k in assigned]
    body += [f"_y{k} = {v.name};" for k, v in enumerate(results)]
    kernel = ElementwiseKernel(
        ", ".join(in_params),
        ", ".join(out_params),
        "\n".join(reroll(body)),
        name,
        preamble="\n".join(trace.preambles),
    )
    constants = [_typed(c) for c in trace.constants]
    return _Plan(
        kernel,
        constants,
        assigned,
        [v.dtype for v in results],
        single=not isinstance(returned, tuple),
    )
