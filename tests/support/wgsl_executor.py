"""Runs WGSL programs natively through wgpu-native (lavapipe here, a real GPU elsewhere).

Rule: one device per executor, created on first use and reused; pipelines are cached by
shader text and bindings. Each call uploads every array parameter's whole buffer to its
own storage buffer (so an input aliasing an output is a copy, as docs/abi.md asks), and
writes results back through the caller's output views. WGSL and validation errors surface
as `wgpu.GPUValidationError`.
"""

from __future__ import annotations

import numpy as np
import wgpu

from kernelc.abi import Program, encode_uniforms, wgsl_dispatch

from .launch import Call, bind

# Limits worth raising to the adapter's maximum: kernels with many arrays, big arrays.
_MAX_LIMITS = ("max-storage-buffers-per-shader-stage", "max-storage-buffer-binding-size",
               "max-buffer-size")  # fmt: skip
_BUFFER_TYPE = {"read": "read-only-storage", "read_write": "storage"}
_STORAGE_DTYPE = {"f32": np.float32, "i32": np.int32, "u32": np.uint32}


class WgslExecutor:
    """`run(program, args, loop_shape)` launches a WGSL `Program` on this executor's device."""

    def __init__(self) -> None:
        self._device: wgpu.GPUDevice | None = None
        self._pipelines: dict[tuple, tuple[wgpu.GPUComputePipeline, wgpu.GPUBindGroupLayout]] = {}

    @property
    def device(self) -> wgpu.GPUDevice:
        if self._device is None:
            adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
            limits = {k: adapter.limits[k] for k in _MAX_LIMITS if k in adapter.limits}
            self._device = adapter.request_device_sync(required_limits=limits)
        return self._device

    def run(self, program: Program, args: dict, loop_shape: tuple[int, ...]) -> dict:
        """Launch `program` over `loop_shape` with `args` (parameter name -> ndarray or
        scalar; outputs included). Results are written into the output arrays, which are
        returned by name."""
        _check_target(program, "wgsl")
        call = bind(program.abi, args, loop_shape)
        if call.n > 0:
            self._launch(program, call)
        return call.outputs()

    def run_reduction(self, program: Program, args: dict, out_shape: tuple[int, ...],
                      reduce_shape: tuple[int, ...], groups: int | None = None) -> dict:  # fmt: skip
        """Launch a reduction `program` (its stages, docs/abi.md); `groups` overrides the
        split rule. See `reduction_launch.run_wgsl`."""
        from .reduction_launch import run_wgsl

        return run_wgsl(self, program, args, out_shape, reduce_shape, groups)

    def run_matmul(self, program: Program, a, b, c):
        """Launch a matmul `program`: c[...] = a @ b (docs/abi.md, "Matmul programs"). See
        `matmul_launch.run_wgsl`."""
        from .matmul_launch import run_wgsl

        return run_wgsl(self, program, a, b, c)

    def pipeline(self, program: Program, entry_point: str | None = None):
        """The (cached) compute pipeline and bind group layout of `program`'s entry point
        (default: `abi["entry_point"]`)."""
        abi = program.abi
        entry_point = entry_point or abi["entry_point"]
        layout_key = tuple((b["binding"], b["resource"], b.get("access")) for b in abi["bindings"])
        key = (program.code, entry_point, layout_key)
        if key not in self._pipelines:
            self._pipelines[key] = self._create_pipeline(program.code, abi, entry_point)
        return self._pipelines[key]

    def _create_pipeline(self, code: str, abi: dict, entry_point: str):
        device = self.device
        module = device.create_shader_module(code=code)
        group_layout = device.create_bind_group_layout(entries=[
            {"binding": b["binding"], "visibility": wgpu.ShaderStage.COMPUTE,
             "buffer": {"type": _BUFFER_TYPE.get(b.get("access"), "uniform")}}
            for b in abi["bindings"]
        ])  # fmt: skip
        layout = device.create_pipeline_layout(bind_group_layouts=[group_layout])
        compute = {"module": module, "entry_point": entry_point}
        return device.create_compute_pipeline(layout=layout, compute=compute), group_layout

    def _launch(self, program: Program, call: Call) -> None:
        pipeline, group_layout = self.pipeline(program)
        buffers = {b["binding"]: self._buffer_for(b, call) for b in program.abi["bindings"]}
        try:
            entries = [{"binding": k, "resource": {"buffer": buf, "offset": 0, "size": buf.size}}
                       for k, buf in buffers.items()]  # fmt: skip
            group = self.device.create_bind_group(layout=group_layout, entries=entries)
            encoder = self.device.create_command_encoder()
            compute = encoder.begin_compute_pass()
            compute.set_pipeline(pipeline)
            compute.set_bind_group(0, group)
            compute.dispatch_workgroups(*wgsl_dispatch(call.n, _workgroup_size(program.abi)))
            compute.end()
            self.device.queue.submit([encoder.finish()])
            self._read_back(program.abi, call, buffers)
        finally:
            for buf in buffers.values():
                buf.destroy()

    def _buffer_for(self, binding: dict, call: Call) -> wgpu.GPUBuffer:
        if binding["resource"] == "uniform":
            data = encode_uniforms(call.abi, call.uniform_values())
            return self.device.create_buffer_with_data(data=data, usage=wgpu.BufferUsage.UNIFORM)
        storage = call.arrays[binding["param"]].storage()
        if storage.dtype != _element_dtype(binding):
            raise TypeError(f"binding {binding} does not match dtype {storage.dtype}")
        # Packed 8/16-bit elements are the array's own bytes, padded to whole u32 words; a
        # binding may not be empty. Padding past the data is never read.
        data = storage.tobytes() or bytes(4)
        data += bytes(-len(data) % 4)
        usage = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC
        return self.device.create_buffer_with_data(data=data, usage=usage)

    def _read_back(self, abi: dict, call: Call, buffers: dict) -> None:
        for b in abi["bindings"]:
            if b["resource"] != "storage" or b.get("access") != "read_write":
                continue
            bound = call.arrays[b["param"]]
            raw = self.device.queue.read_buffer(buffers[b["binding"]])
            values = np.frombuffer(raw, _element_dtype(b))
            bound.store_buffer(values[: bound.buffer.data.size])


def _element_dtype(binding: dict) -> np.dtype:
    """The NumPy dtype of the buffer's elements: a packed one's own (int8, float16, ...)."""
    packed = binding.get("packed")
    return np.dtype(packed["dtype"] if packed else _STORAGE_DTYPE[binding["element"]])


def _workgroup_size(abi: dict) -> int:
    size = abi["launch"]["workgroup_size"]
    if list(size[1:]) != [1, 1]:
        raise ValueError(f"unsupported workgroup size {size}")
    return size[0]


def _check_target(program: Program, target: str) -> None:
    if program.abi["target"] != target:
        raise ValueError(f"a {program.abi['target']} program given to the {target} executor")
