"""Runs GLSL ES 3.00 programs natively: a moderngl EGL context on Mesa (llvmpipe here).

Rule: one standalone context per executor, created on first use and reused; linked
programs are cached by shader text. Inputs become 2-D textures of their whole buffers,
outputs are render targets receiving the result densely in C order (docs/abi.md), copied
afterwards into the caller's views. Compile and link errors surface as `moderngl.Error`
carrying GL's info log. The executor's context is current only while it works: others in
the process (the runtime's WebGL device) get theirs back (`GlesExecutor.current`).
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import moderngl
import numpy as np

from kernelc.abi import Program, encode_uniforms, glsl_grid, glsl_output_groups

from wgpy_runtime.device import egl

from .launch import Bound, Call, bind
from .views import dense

TEXTURE_WIDTH = 4096
_DTYPE = {"r32f": "f4", "r32i": "i4", "r32ui": "u4", "r8i": "i1", "r8ui": "u1", "r16i": "i2",
          "r16ui": "u2", "r16f": "f2"}  # fmt: skip
_NUMPY = {fmt: np.dtype(code) for fmt, code in _DTYPE.items()}


class GlesExecutor:
    """`run(program, args, loop_shape)` draws a GLSL `Program` on this executor's context."""

    def __init__(self) -> None:
        self._ctx: moderngl.Context | None = None
        self._egl: tuple = ()  # the context's EGL (display, draw, read, context)
        self._programs: dict[tuple[str, str], tuple[moderngl.Program, moderngl.VertexArray]] = {}

    @property
    def ctx(self) -> moderngl.Context:
        if self._ctx is None:
            self._create()
        return self._ctx

    def _create(self) -> None:
        with egl.keep_current():  # creating a context makes it current
            self._ctx = moderngl.create_context(standalone=True, backend="egl")
            self._egl = egl.current()

    @contextmanager
    def current(self):
        """Make this executor's context current, and the caller's again afterwards: the
        runtime's WebGL device has its own context in this process, and GL objects (our
        cached programs, its textures) exist only in the context that made them."""
        if self._ctx is None:
            self._create()
        with egl.keep_current():
            egl.make_current(self._egl)
            yield

    def run(self, program: Program, args: dict, loop_shape: tuple[int, ...]) -> dict:
        """Launch `program` over `loop_shape` with `args` (parameter name -> ndarray or
        scalar; outputs included). Results are written into the output arrays, which are
        returned by name."""
        if program.abi["target"] != "glsl":
            raise ValueError(f"a {program.abi['target']} program given to the glsl executor")
        call = bind(program.abi, args, loop_shape)
        if call.n > 0:
            with self.current():
                self._launch(program, call)
        return call.outputs()

    def run_reduction(self, program: Program, args: dict, out_shape: tuple[int, ...],
                      reduce_shape: tuple[int, ...]) -> dict:  # fmt: skip
        """Draw a reduction `program` (its passes, docs/abi.md). See
        `reduction_launch.run_gles`."""
        from .reduction_launch import run_gles

        with self.current():
            return run_gles(self, program, args, out_shape, reduce_shape)

    def run_matmul(self, program: Program, a, b, c):
        """Draw a matmul `program`: c[...] = a @ b (docs/abi.md, "Matmul programs"). See
        `matmul_launch.run_gles`."""
        from .matmul_launch import run_gles

        with self.current():
            return run_gles(self, program, a, b, c)

    def program(self, program: Program) -> tuple[moderngl.Program, moderngl.VertexArray]:
        """The (cached) linked program of `program` and its attribute-less vertex array."""
        return self.link(program.abi["launch"]["vertex_shader"], program.code)

    def link(self, vertex_shader: str, fragment_shader: str):
        """The (cached) linked program of two shaders and its attribute-less vertex array."""
        key = (vertex_shader, fragment_shader)
        if key not in self._programs:
            linked = self.ctx.program(vertex_shader=key[0], fragment_shader=key[1])
            self._programs[key] = linked, self.ctx.vertex_array(linked, [])
        return self._programs[key]

    def _launch(self, program: Program, call: Call) -> None:
        """Draw every output group (docs/abi.md) from textures uploaded once; the caller's
        arrays change only after the last draw, so no group sees another's results."""
        abi = program.abi
        groups = glsl_output_groups(program)
        width, height = glsl_grid(call.n, abi["launch"]["max_width"])
        data = encode_uniforms(abi, call.uniform_values(out_width=width, dense_outputs=True))
        resources, results = [], []
        try:
            textures = {t["name"]: self._upload(t, call) for g in groups for t in g["textures"]}
            resources += textures.values()
            for group in groups:
                linked, vao = self.link(abi["launch"]["vertex_shader"], group["code"])
                for t in group["textures"]:
                    _use(linked, t, textures[t["name"]])
                outputs = _by_location(group["outputs"])
                targets = [self._target(o, width, height) for o in outputs]
                resources += targets
                fbo = self.ctx.framebuffer(color_attachments=targets)
                resources.append(fbo)
                resources.append(self._bind_uniforms(linked, abi["uniform_block"], data))
                fbo.use()
                vao.render(moderngl.TRIANGLES, vertices=3)
                for k, o in enumerate(outputs):
                    texels = fbo.read(attachment=k, components=1, dtype=_DTYPE[o["format"]])
                    results.append((o["param"], np.frombuffer(texels, _NUMPY[o["format"]])))
            for param, values in results:
                call.arrays[param].store_dense(values[: call.n])
        finally:
            for r in resources:
                r.release()

    def _bind_texture(self, linked: moderngl.Program, t: dict, call: Call) -> moderngl.Texture:
        texture = self._upload(t, call)
        _use(linked, t, texture)
        return texture

    def _upload(self, t: dict, call: Call) -> moderngl.Texture:
        bound = call.arrays[t["param"]]
        storage = _texture_contents(bound, t["contents"])
        if storage.dtype != _NUMPY[t["format"]]:
            raise TypeError(f"texture {t} does not match dtype {storage.dtype}")
        width = max(1, min(storage.size, TEXTURE_WIDTH))
        height = max(1, math.ceil(storage.size / width))
        padded = np.zeros(width * height, storage.dtype)
        padded[: storage.size] = storage
        texture = self.ctx.texture((width, height), 1, data=padded.tobytes(),
                                   dtype=_DTYPE[t["format"]])  # fmt: skip
        texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        return texture

    def _target(self, output: dict, width: int, height: int) -> moderngl.Texture:
        texture = self.ctx.texture((width, height), 1, dtype=_DTYPE[output["format"]])
        texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        return texture

    def _bind_uniforms(self, linked: moderngl.Program, block: dict, data: bytes):
        buffer = self.ctx.buffer(data)
        buffer.bind_to_uniform_block(block["binding"])
        if block["name"] in linked:
            linked[block["name"]].binding = block["binding"]
        return buffer


def _use(linked: moderngl.Program, t: dict, texture: moderngl.Texture) -> None:
    texture.use(location=t["unit"])
    if t["name"] in linked:  # an unused sampler is optimised away
        linked[t["name"]].value = t["unit"]


def _texture_contents(bound: Bound, contents: str) -> np.ndarray:
    """Storage elements of a texture: the whole buffer, or a dense copy of an output."""
    if contents == "array":
        return bound.storage()
    if contents == "previous":
        return bound.storage_of(dense(bound.array))
    raise ValueError(f"unknown texture contents {contents!r}")


def _by_location(outputs: list[dict]) -> list[dict]:
    ordered = sorted(outputs, key=lambda o: o["location"])
    if [o["location"] for o in ordered] != list(range(len(ordered))):
        raise ValueError(f"render target locations must be 0..{len(ordered) - 1}: {outputs}")
    return ordered
