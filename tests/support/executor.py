"""Running kernelc programs on NumPy arguments through the runtime's own devices
(`wgpy_runtime.device`: WebGPU on wgpu-native, WebGL2's rules on GLES through EGL).

Rule: this is argument handling, not a second backend: a call is bound and checked
(`launch.bind`), each array parameter's whole buffer is written to a device buffer of its
own (so an input aliasing an output is a copy, as docs/abi.md asks), the device's
`dispatch` runs the program (its launch rule, reduction stages and passes, matmul tiles,
output groups), and the outputs are read back into the caller's views. GLSL outputs are
render targets written densely (docs/protocol.md), so there they travel as dense copies of
the caller's arrays. Device failures surface as `wgpy_runtime.device.DeviceError`.
"""

from __future__ import annotations

import math

import numpy as np

from kernelc.abi import Program
from kernelc.abi.contract import REDUCE_GROUPS, REDUCE_SIZE
from wgpy_runtime import device as devices

from .launch import Bound, Call, bind, bind_matmul, bind_reduction
from .views import dense

BACKEND = {"wgsl": "webgpu", "glsl": "webgl"}


class DeviceExecutor:
    """`run(program, args, loop_shape)` launches a `Program` of `target` on the runtime's
    device of that target (the process-wide one, shared with the runtime's own tests)."""

    def __init__(self, target: str) -> None:
        if target not in BACKEND:
            raise ValueError(f"unknown target {target!r}")
        self.target = target

    @property
    def device(self) -> devices.Device:
        return devices.get_device(BACKEND[self.target])

    def run(self, program: Program, args: dict, loop_shape: tuple[int, ...]) -> dict:
        """Launch `program` over `loop_shape` with `args` (parameter name -> ndarray or
        scalar; outputs included). Results are written into the output arrays, which are
        returned by name."""
        call = bind(program.abi, args, loop_shape)
        self.launch(program, call)
        return call.outputs()

    def run_reduction(
        self,
        program: Program,
        args: dict,
        out_shape: tuple[int, ...],
        reduce_shape: tuple[int, ...],
        groups: int | None = None,
    ) -> dict:
        """Launch a reduction `program` (docs/abi.md, "Reduction programs"); inputs are laid
        out over reduce_shape + out_shape. `groups` (WGSL) overrides the split rule."""
        call = bind_reduction(program.abi, args, out_shape, reduce_shape)
        reduce_shape = tuple(map(int, reduce_shape))
        extra = {REDUCE_SIZE: math.prod(reduce_shape)}
        extra.update({("reduce_shape", None, d): e for d, e in enumerate(reduce_shape)})
        if groups is not None:
            extra[REDUCE_GROUPS] = groups
        self.launch(program, call, extra)
        return call.outputs()

    def run_matmul(self, program: Program, a, b, c) -> np.ndarray:
        """Launch a matmul `program`: c[...] = a @ b (docs/abi.md, "Matmul programs");
        returns `c`."""
        call = bind_matmul(program.abi, a, b, c)
        self.launch(program, call, {REDUCE_SIZE: a.shape[-1]})
        return c

    def launch(self, program: Program, call: Call, extra: dict | None = None) -> None:
        """One `dispatch` of `program` for a bound `call` (plus launch values `extra`),
        the outputs read back into the caller's arrays. An empty loop launches nothing."""
        if program.abi.target != self.target:
            raise ValueError(f"a {program.abi.target} program given to the {self.target} executor")
        if call.n == 0:
            return
        device, dense_outputs = self.device, self.target == "glsl"
        ids: dict[str, int] = {}
        try:
            for name, bound in call.arrays.items():
                ids[name] = _upload(device, bound, dense_outputs and _is_output(bound))
            values = call.uniform_values(dense_outputs=dense_outputs)
            device.dispatch(program, ids, {**values, **(extra or {})})
            for name, bound in call.arrays.items():
                if _is_output(bound):
                    _read_back(device, ids[name], bound, dense_outputs)
        finally:
            for buf in ids.values():
                device.free(buf)


def _is_output(bound: Bound) -> bool:
    return bound.param.role == "out"


def _upload(device, bound: Bound, as_dense: bool) -> int:
    """A new device buffer holding the parameter's whole buffer (a dense copy of the array
    for a GLSL output), in its storage dtype."""
    values = bound.storage_of(dense(bound.array)) if as_dense else bound.storage()
    buf = device.alloc(max(1, values.size), values.dtype.name)  # a binding may not be empty
    device.write(buf, 0, np.ascontiguousarray(values).tobytes())
    return buf


def _read_back(device, buf: int, bound: Bound, as_dense: bool) -> None:
    size = bound.array.size if as_dense else bound.buffer.data.size
    dtype = bound.storage_dtype()
    values = np.frombuffer(device.read(buf, 0, size), dtype)
    if as_dense:
        bound.store_dense(values)
    else:
        bound.store_buffer(values)
