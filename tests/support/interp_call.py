"""Calling a kernel the CuPy way on the IR interpreter instead of a GPU executor.

Rule: the same argument handling as `kernel_call.call_elementwise` (types, broadcasting,
scalars, outputs); only the last step differs — lower to IR and run it with
`kernelc.ir.interp`, the CPU fallback for kernels a target rejects.
"""

from __future__ import annotations

import math

import numpy as np

from kernelc.ir.interp import run_elementwise
from kernelc.pipeline import lower_kernel
from tests.support.kernel_call import _prepare, _resolve_types, _result, _split_args
from tests.support.kernel_call import parse_params


def call_elementwise_interpreted(in_params: str, out_params: str, operation: str, *args,
                                 name: str = "kernel", preamble: str = "", loop_prep: str = "",
                                 after_loop: str = "", size: int | None = None):  # fmt: skip
    """`cupy.ElementwiseKernel(...)(*args, size=size)` run by the IR interpreter."""
    ins, outs = parse_params(in_params, False), parse_params(out_params, True)
    in_args, out_args = _split_args(args, len(ins), len(outs))
    types = _resolve_types(ins, outs, in_args, out_args)
    specs = [(p.name, p.raw, types[p.type] if p.is_placeholder else p.type) for p in ins + outs]
    values, loop_shape = _prepare(specs, len(ins), in_args, out_args, size)
    result = _result([values[p.name] for p in outs])
    if math.prod(loop_shape) == 0:
        return result
    kernel, _ = lower_kernel(
        in_params, out_params, operation, name, preamble, loop_prep, after_loop,
        types={k: v for k, v in types.items() if len(k) == 1}, ndim=len(loop_shape),
        raw={p.name: (values[p.name].ndim, values[p.name].flags.c_contiguous)
             for p in ins + outs if p.raw},
        scalars=tuple(p.name for p in ins if not isinstance(values[p.name], np.ndarray)),
    )  # fmt: skip
    run_elementwise(kernel, values, loop_shape)
    return result
