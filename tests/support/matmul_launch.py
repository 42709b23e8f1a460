"""Launching matmul programs on the native executors from their ABI alone (docs/abi.md,
"Matmul programs"): WGSL as one dispatch over the tiles of C, GLSL as the ordinary
fragment draw over C's elements.

Rule: the grid comes from `kernelc.abi_matmul`, everything else from `program.abi`. The
caller gives A (batch..., M, K), B (batch..., K, N) and C (batch..., M, N) as NumPy
views (broadcast batch axes as 0-stride views); they reach the program as their buffers,
offsets and strides, never copied, and C's view receives the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernelc.abi import Program
from kernelc.abi_matmul import wgsl_grid

from .launch import Bound, Call
from .views import describe


@dataclass
class MatmulCall(Call):
    """A `Call` whose loop shape is C's and whose uniforms add K (`reduce_size`)."""

    k: int = 0

    def uniform_values(self, out_width: int | None = None, dense_outputs: bool = False) -> dict:
        values = super().uniform_values(out_width, dense_outputs)
        values[("reduce_size", None, None)] = self.k
        return values


def bind_matmul(abi: dict, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> MatmulCall:
    """Check the operands against the ABI: dtypes, and shapes (batch..., M, K) @
    (batch..., K, N) -> (batch..., M, N) with `abi["batch_ndim"]` batch axes."""
    if abi["kind"] != "matmul":
        raise ValueError(f"a {abi['kind']} program given to the matmul launcher")
    *batch, m, k = a.shape
    if a.ndim != abi["ndim"] or b.shape != (*batch, k, c.shape[-1]) or c.shape[:-1] != (*batch, m):
        raise ValueError(f"shapes {a.shape} @ {b.shape} -> {c.shape} do not fit a program "
                         f"with {abi['batch_ndim']} batch axes")  # fmt: skip
    call = MatmulCall(abi, tuple(c.shape), k=k)
    for p, value in zip(abi["params"], (a, b, c)):
        if value.dtype != np.dtype(p["dtype"]):
            raise TypeError(f"{p['name']} has dtype {value.dtype}, expected {p['dtype']}")
        call.arrays[p["name"]] = Bound(p, value, describe(value))
    return call


def run_wgsl(executor, program: Program, a, b, c) -> np.ndarray:
    """One dispatch of `kernelc.abi_matmul.wgsl_grid`; returns `c`."""
    abi = program.abi
    call = bind_matmul(abi, a, b, c)
    if call.n == 0:
        return c
    *batch, m, n = c.shape
    counts = wgsl_grid(abi["launch"], int(np.prod(batch, dtype=np.int64)), m, n)
    device = executor.device
    pipeline, layout = executor.pipeline(program)
    buffers = {x["binding"]: executor._buffer_for(x, call) for x in abi["bindings"]}
    try:
        entries = [{"binding": k, "resource": {"buffer": buf, "offset": 0, "size": buf.size}}
                   for k, buf in buffers.items()]  # fmt: skip
        encoder = device.create_command_encoder()
        compute = encoder.begin_compute_pass()
        compute.set_pipeline(pipeline)
        compute.set_bind_group(0, device.create_bind_group(layout=layout, entries=entries))
        compute.dispatch_workgroups(*counts)
        compute.end()
        device.queue.submit([encoder.finish()])
        executor._read_back(abi, call, buffers)
    finally:
        for buf in buffers.values():
            buf.destroy()
    return c


def run_gles(executor, program: Program, a, b, c) -> np.ndarray:
    """The fragment draw over C's elements (as for an elementwise program); returns `c`."""
    call = bind_matmul(program.abi, a, b, c)
    if call.n > 0:
        executor._launch(program, call)
    return c
