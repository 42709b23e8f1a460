"""Launching reduction programs on the native executors from their ABI alone (docs/abi.md,
"Reduction programs"): WGSL stages (one dispatch each, a scratch buffer between them) and GLSL
passes (one draw each, a pass's render target the next pass's partials texture).

Rule: the plan comes from `kernelc.abi_reduction`, everything else from `program.abi`;
inputs arrive laid out over (reduce_shape + out_shape), reduced axes first, as CuPy
permutes them. Results are written into the output arrays, which are returned by name.
"""

from __future__ import annotations

import math

import moderngl
import numpy as np
import wgpu

from kernelc.abi import Program, encode_uniforms, glsl_grid
from kernelc.abi_reduction import glsl_passes, wgsl_stages

from .launch import Call, _bind_array, bind


def bind_reduction(abi: dict, args: dict, out_shape: tuple[int, ...],
                   reduce_shape: tuple[int, ...]) -> Call:  # fmt: skip
    """`launch.bind` for a reduction: non-raw inputs over reduce_shape + out_shape."""
    out_shape, reduce_shape = tuple(map(int, out_shape)), tuple(map(int, reduce_shape))
    if len(reduce_shape) != abi["reduce_ndim"]:
        raise ValueError(f"program {abi['kernel']!r} reduces {abi['reduce_ndim']} axes, "
                         f"got reduce shape {reduce_shape}")  # fmt: skip

    def spread(p: dict) -> bool:
        return p["kind"] == "array" and p["role"] == "in"

    rest = [p for p in abi["params"] if not spread(p)]
    call = bind({**abi, "params": rest}, args, out_shape)
    call.abi = abi
    for p in filter(spread, abi["params"]):
        if p["name"] not in args:
            raise TypeError(f"missing argument {p['name']!r}")
        call.arrays[p["name"]] = _bind_array(p, args[p["name"]], reduce_shape + out_shape)
    return call


def uniform_values(call: Call, reduce_shape: tuple[int, ...], **launch) -> dict:
    """The uniform block's values: the call's, the reduced shape, and per-launch ones
    (`reduce_groups`, `pass`, `pass_items`, `pass_chunks`; `out_width`, `dense_outputs`)."""
    out_width, dense = launch.pop("out_width", None), launch.pop("dense_outputs", False)
    values = call.uniform_values(out_width=out_width, dense_outputs=dense)
    values[("reduce_size", None, None)] = math.prod(reduce_shape)
    values.update({("reduce_shape", None, d): e for d, e in enumerate(reduce_shape)})
    values.update({(what, None, None): v for what, v in launch.items()})
    return values


# ---------------------------------------------------------------------------- WGSL


def run_wgsl(executor, program: Program, args: dict, out_shape, reduce_shape,
             groups: int | None = None) -> dict:  # fmt: skip
    """Dispatch every stage of the plan; `groups` overrides the split rule."""
    abi, reduce_shape = program.abi, tuple(map(int, reduce_shape))
    call = bind_reduction(abi, args, out_shape, reduce_shape)
    if call.n == 0:
        return call.outputs()
    groups, stages = wgsl_stages(abi["launch"], call.n, math.prod(reduce_shape), groups)
    values = uniform_values(call, reduce_shape, reduce_groups=groups)
    device = executor.device
    buffers = {b["binding"]: _wgsl_buffer(executor, b, call, values, groups)
               for b in abi["bindings"]}  # fmt: skip
    try:
        entries = [{"binding": k, "resource": {"buffer": buf, "offset": 0, "size": buf.size}}
                   for k, buf in buffers.items()]  # fmt: skip
        encoder = device.create_command_encoder()
        for stage in stages:  # one pass each: the next stage reads what this one wrote
            pipeline, layout = executor.pipeline(program, stage.entry_point)
            compute = encoder.begin_compute_pass()
            compute.set_pipeline(pipeline)
            compute.set_bind_group(0, device.create_bind_group(layout=layout, entries=entries))
            compute.dispatch_workgroups(*stage.dispatch)
            compute.end()
        device.queue.submit([encoder.finish()])
        executor._read_back(abi, call, buffers)
    finally:
        for buf in buffers.values():
            buf.destroy()
    return call.outputs()


def _wgsl_buffer(executor, binding: dict, call: Call, values: dict, groups: int):
    device = executor.device
    if binding["resource"] == "uniform":
        data = encode_uniforms(call.abi, values)
        return device.create_buffer_with_data(data=data, usage=wgpu.BufferUsage.UNIFORM)
    if binding["resource"] == "scratch":
        if binding["elements"] != "n*groups":
            raise ValueError(f"unknown scratch size {binding['elements']!r}")
        size = 4 * max(1, call.n * groups)  # a binding may not be empty
        return device.create_buffer(size=size, usage=wgpu.BufferUsage.STORAGE)
    return executor._buffer_for(binding, call)


# ---------------------------------------------------------------------------- GLSL


def run_gles(executor, program: Program, args: dict, out_shape, reduce_shape) -> dict:
    """Draw every pass of the plan, each reading the previous pass's partials."""
    abi, reduce_shape = program.abi, tuple(map(int, reduce_shape))
    call = bind_reduction(abi, args, out_shape, reduce_shape)
    if call.n == 0:
        return call.outputs()
    launch = abi["launch"]
    resources: list = []
    try:
        linked, _ = executor.program(program)
        textures = {t["name"]: executor._bind_texture(linked, t, call) for t in abi["textures"]
                    if t["contents"] != "partials"}  # fmt: skip
        resources += textures.values()
        # Pass 0 reads no partials, but its sampler needs a texture of the right kind.
        partials = _texture(executor, launch["partial_format"], 1, 1, resources)
        for p in glsl_passes(math.prod(reduce_shape), launch["fan_in"]):
            shader = abi if p.final else launch["partial_shader"]
            width, height = glsl_grid(call.n * p.chunks, launch["max_width"])
            targets = [_texture(executor, o["format"], width, height, resources)
                       for o in _by_location(shader["outputs"])]  # fmt: skip
            values = uniform_values(call, reduce_shape, out_width=width, dense_outputs=True,
                                    **{"pass": p.index, "pass_items": p.items,
                                       "pass_chunks": p.chunks})  # fmt: skip
            fbo = _draw(executor, abi, program.code if p.final else shader["code"], shader,
                        {**textures, "partials": partials}, targets, values, resources)  # fmt: skip
            if p.final:
                _read_outputs(call, shader["outputs"], fbo)
            partials = targets[0]
    finally:
        for r in resources:
            r.release()
    return call.outputs()


def _texture(executor, fmt: str, width: int, height: int, resources: list):
    texture = executor._target({"format": fmt}, width, height)
    resources.append(texture)
    return texture


def _by_location(outputs: list[dict]) -> list[dict]:
    return sorted(outputs, key=lambda o: o["location"])


def _draw(executor, abi: dict, code: str, shader: dict, textures: dict, targets: list,
          values: dict, resources: list):  # fmt: skip
    """One full-screen draw of `code` into `targets` with `shader`'s textures bound."""
    linked, vao = executor.link(abi["launch"]["vertex_shader"], code)
    for t in shader["textures"]:
        textures["partials" if t["contents"] == "partials" else t["name"]].use(location=t["unit"])
        if t["name"] in linked:  # an unused sampler is optimised away
            linked[t["name"]].value = t["unit"]
    fbo = executor.ctx.framebuffer(color_attachments=targets)
    resources.append(fbo)
    data = encode_uniforms(abi, values)
    resources.append(executor._bind_uniforms(linked, abi["uniform_block"], data))
    fbo.use()
    vao.render(moderngl.TRIANGLES, vertices=3)
    return fbo


def _read_outputs(call: Call, outputs: list[dict], fbo) -> None:
    from .gles_executor import _DTYPE, _NUMPY

    for k, o in enumerate(_by_location(outputs)):
        texels = fbo.read(attachment=k, components=1, dtype=_DTYPE[o["format"]])
        values = np.frombuffer(texels, _NUMPY[o["format"]])[: call.n]
        call.arrays[o["param"]].store_dense(values)
