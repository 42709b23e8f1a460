"""Calling a kernel the CuPy way on the IR interpreter instead of a GPU executor.

Rule: the same argument handling as `kernel_call.call_elementwise` (types, broadcasting,
scalars, outputs); only the last step differs — lower to IR and run it with
`kernelc.ir.interp`, the CPU fallback for kernels a target rejects.
"""

from __future__ import annotations

from kernelc.ir.interp import run_elementwise
from kernelc.pipeline import lower_kernel
from tests.support.kernel_call import bind_call, call_elementwise


def call_elementwise_interpreted(
    in_params: str,
    out_params: str,
    operation: str,
    *args,
    name: str = "kernel",
    preamble: str = "",
    loop_prep: str = "",
    after_loop: str = "",
    size: int | None = None,
    exact64: bool = False,
):
    """`cupy.ElementwiseKernel(...)(*args, size=size)` run by the IR interpreter (`exact64`:
    C's 64-bit types in 64 bits, the runtime's exact policy)."""
    call = bind_call(in_params, out_params, args, size)
    if call.empty:
        return call.result
    kernel, _ = lower_kernel(
        in_params,
        out_params,
        operation,
        name,
        preamble,
        loop_prep,
        after_loop,
        **call.specialisation(),
        exact64=exact64,
    )
    run_elementwise(kernel, call.values, call.loop_shape)
    return call.result


def call_elementwise_on(runner: str, *args, **options):
    """`call_elementwise` on target `runner` ("wgsl", "glsl"), or on the IR interpreter for
    "interp"."""
    if runner == "interp":
        return call_elementwise_interpreted(*args, **options)
    return call_elementwise(runner, *args, **options)
