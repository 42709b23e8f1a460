"""The WebGL2 device, emulated natively on GLES/GL through moderngl (EGL, standalone).

Rule: only what WebGL2 allows. A buffer is a 2-D texture of its dtype's format
(docs/abi.md: r32f/r32i/r32ui, r8i/r8ui/r16i/r16ui/r16f single-channel; a 64-bit dtype
rg32ui, its low word in r and high word in g, whose texel bytes are the element's own
little-endian bytes), element `p` at texel
(p % width, p // width), `width = min(capacity, 4096)`; `write` is texSubImage2D of the
rectangles the range covers (a partial first and last row are rectangles of their own,
so no read-modify-write and no host shadow), `read` is readPixels through a framebuffer
in WebGL2's always-supported RGBA/FLOAT, RGBA_INTEGER/INT or RGBA_INTEGER/UNSIGNED_INT
forms, `copy` and every kernel are full-screen draws. A texture is never sampled and
rendered in one draw: whichever side would alias gets a pooled temporary copy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from kernelc import copy_shader, device_shader, for_backend
from kernelc.abi import Contract, Program, encode_uniforms, glsl_texture_extent
from kernelc.abi.contract import SIZE, UniformBlock

from . import egl, storage, webgl_launch
from .pool import Pool, size_class
from .protocol import Device, DeviceError, KernelTrail
from .table import BufferTable

MAX_WIDTH = 4096  # texels a row (kernelc's glsl max_width; WebGL2 guarantees 2048+)
_FORMAT = {
    "float32": ("r32f", "f4"),
    "int32": ("r32i", "i4"),
    "uint32": ("r32ui", "u4"),
    "bool": ("r32ui", "u4"),
    "int8": ("r8i", "i1"),
    "uint8": ("r8ui", "u1"),
    "int16": ("r16i", "i2"),
    "uint16": ("r16ui", "u2"),
    "float16": ("r16f", "f2"),
    "int64": ("rg32ui", "u4"),
    "uint64": ("rg32ui", "u4"),
    "float64": ("rg32ui", "u4"),
}
_FORMAT_DTYPE = {fmt: dtype for dtype, (fmt, _) in _FORMAT.items() if dtype != "bool"}
# Formats of the device's own textures (no dtype holds them): packed matmul operands, the
# partials of a complex128 accumulator (four words, exact policy)
_INTERNAL = {"rgba32f": (4, "f4"), "rgba32ui": (4, "u4")}
_COMPONENTS = {"rg32ui": 2}  # channels of a texel (1 unless listed)
# readPixels forms every WebGL2 implementation supports, by component kind
_READ = {"f": "f4", "i": "i4", "u": "u4"}
_GLSL = {"f": ("float", "sampler2D"), "i": ("int", "isampler2D"), "u": ("uint", "usampler2D")}
VERTEX_SHADER = device_shader("vertex.glsl")


def _texel(fmt: str) -> tuple[int, str]:
    """(components, NumPy type of one component) of a texture format."""
    return _INTERNAL.get(fmt) or (_COMPONENTS.get(fmt, 1), _FORMAT[_FORMAT_DTYPE[fmt]][1])


def _kind(fmt: str) -> str:
    """'f', 'i' or 'u': the component kind of a texture format."""
    return "f" if fmt.endswith("f") else ("u" if fmt.endswith("ui") else "i")


@dataclass(slots=True)
class _Texture:
    """A texture holding `capacity` elements row by row; its framebuffer made lazily."""

    tex: object  # moderngl.Texture
    fmt: str
    capacity: int
    fbo: object | None = None

    @property
    def width(self) -> int:
        return self.tex.width

    @property
    def height(self) -> int:
        return self.tex.height


@dataclass(slots=True)
class _Buffer:
    texture: _Texture
    dtype: str
    size: int


class WebGLDevice(BufferTable, Device):
    """`Device` with WebGL2's capabilities, on a standalone moderngl EGL context."""

    name = "webgl"
    target = for_backend(name).name

    def __init__(self, pool_limit: int | None = None) -> None:
        import moderngl  # optional: imported when the device is made, so Pyodide never needs it

        self._gl = moderngl
        with egl.keep_current():
            self.ctx = moderngl.create_context(standalone=True, backend="egl")
            self._egl = egl.current()
        self._thread = threading.current_thread()
        self.max_texture_size = self.ctx.info["GL_MAX_TEXTURE_SIZE"]
        self.max_width = min(MAX_WIDTH, self.max_texture_size)
        self._buffers: dict[int, _Buffer] = {}
        self._next_id = 1
        self._trail = KernelTrail()  # kernels drawn since the last wait
        self.pool = Pool(self._release, **({} if pool_limit is None else {"limit": pool_limit}))
        self._programs: dict[tuple[str, str], tuple] = {}
        self._ubo = None
        self._bound: dict[tuple, int] = {}  # (what, id(linked), name) -> unit or binding set

    def _make_current(self) -> None:
        """A GL context serves one thread (as WebGL's belongs to its page or worker)."""
        if threading.current_thread() is not self._thread:
            raise RuntimeError(
                f"the webgl device belongs to the thread that created it "
                f"({self._thread.name!r}); it was used from {threading.current_thread().name!r}: "
                "create a device in that thread or call it from its own"
            )
        egl.make_current(self._egl)

    # ------------------------------------------------------------------ the protocol

    def alloc(self, size: int, dtype: str) -> int:
        self._make_current()
        dtype = storage.check_dtype(dtype)
        if size < 0:
            raise ValueError(f"negative buffer size {size}")
        texture = self._take(_FORMAT[dtype][0], size)
        buf, self._next_id = self._next_id, self._next_id + 1
        self._buffers[buf] = _Buffer(texture, dtype, size)
        return buf

    def free(self, buf: int) -> None:
        self._make_current()
        b = self._get(buf)
        del self._buffers[buf]
        self._give(b.texture)

    def write(self, buf: int, start: int, data) -> None:
        self._make_current()
        b = self._get(buf)
        values = storage.elements(b.dtype, data)
        storage.check_range("write", buf, b.size, start, len(values))
        for x, y, w, h, first, last in _rectangles(b.texture.width, start, len(values)):
            b.texture.tex.write(values[first:last].tobytes(), viewport=(x, y, w, h), alignment=1)
        self._check("write")

    def read(self, buf: int, start: int, count: int) -> bytes:
        self._make_current()
        b = self._get(buf)
        storage.check_range("read", buf, b.size, start, count)
        if count == 0:
            self.synchronize()
            return b""
        values = self._read_texels(b.texture, start, count)
        if _COMPONENTS.get(b.texture.fmt, 1) == 2:  # (low, high) words: the element's bytes
            return np.ascontiguousarray(values).tobytes()
        return storage.host_bytes(b.dtype, values.astype(storage.device_numpy(b.dtype)))

    def copy(self, src: int, dst: int, src_start: int, dst_start: int, count: int) -> None:
        self._make_current()
        s, d = self._get(src), self._get(dst)
        if s.dtype != d.dtype:
            raise DeviceError(f"copy between {s.dtype} buffer {src} and {d.dtype} buffer {dst}")
        storage.check_range("copy", src, s.size, src_start, count)
        storage.check_range("copy", dst, d.size, dst_start, count)
        if count:
            self._copy_texels(s.texture, d.texture, src_start, dst_start, count)

    def dispatch(self, program: Program, buffers: dict[str, int], values: dict) -> None:
        self._make_current()
        abi = program.abi
        if abi.target != self.target:
            raise ValueError(f"a {abi.target} program given to the webgl device")
        if values[SIZE] == 0:
            return
        self._trail.add(abi.kernel)
        webgl_launch.launch(self, program, buffers, dict(values))

    def prepare(self, program: Program, values: dict):
        """A launcher for `program` with these `values` except the scalar members, for
        `launch` (None where only `dispatch`'s general path applies)."""
        if program.abi.target != self.target:
            return None
        self._make_current()
        return webgl_launch.prepare(self, program, values)

    def launch(self, p, ids: tuple, scalars=()) -> None:
        """`dispatch` of a prepared program: `ids` are the buffers of `p.params`, `scalars`
        the values of its scalar members in order (as `dispatch`'s `values` hold them)."""
        self._make_current()
        self._trail.add(p.kernel)
        if not webgl_launch.run(self, p, ids, scalars):
            values = dict(p.values)
            for name, x in zip(p.scalar_names, scalars):
                values[("value", name, None)] = x
            self.dispatch(p.program, dict(zip(p.params, ids)), values)

    def synchronize(self) -> None:
        self._make_current()
        self.ctx.finish()
        self._check("synchronize")

    # ------------------------------------------------------------------ beyond the protocol

    def trim(self) -> int:
        """Release every pooled texture; returns the bytes released."""
        self._make_current()
        return self.pool.trim()

    # ------------------------------------------------------------------ textures

    def _take(self, fmt: str, size: int) -> _Texture:
        """A texture for at least `size` elements of `fmt` (from the pool when one fits)."""
        try:
            capacity, width, height = glsl_texture_extent(
                size_class(max(1, size)), size, self.max_width, self.max_texture_size
            )
        except ValueError as e:
            raise DeviceError(str(e)) from None
        texture = self.pool.take((fmt, capacity))
        return texture if texture is not None else self._create(fmt, capacity, width, height)

    def _create(self, fmt: str, capacity: int, width: int, height: int) -> _Texture:
        components, dtype = _texel(fmt)
        for _attempt in range(2):
            tex = self.ctx.texture((width, height), components, dtype=dtype)
            if self.ctx.error == "GL_NO_ERROR":
                tex.filter = (self._gl.NEAREST, self._gl.NEAREST)
                return _Texture(tex, fmt, capacity)
            tex.release()
            self.pool.trim()  # memory pressure: give back what the pool holds, retry once
        raise DeviceError(f"cannot allocate a {width}x{height} {fmt} texture")

    def _give(self, texture: _Texture) -> None:
        components, dtype = _texel(texture.fmt)
        nbytes = texture.capacity * components * int(dtype[1])
        self.pool.give((texture.fmt, texture.capacity), texture, nbytes)

    def _release(self, texture: _Texture) -> None:
        if texture.fbo is not None:
            texture.fbo.release()
        texture.tex.release()

    def _framebuffer(self, texture: _Texture):
        if texture.fbo is None:
            texture.fbo = self.ctx.framebuffer(color_attachments=[texture.tex])
        return texture.fbo

    def _read_texels(self, texture: _Texture, start: int, count: int) -> np.ndarray:
        """Elements [start, start + count) of `texture`, read as whole rows in RGBA."""
        width = texture.width
        first_row, last_row = start // width, (start + count - 1) // width
        form = _READ[_kind(texture.fmt)]
        viewport = (0, first_row, width, last_row - first_row + 1)
        raw = self._framebuffer(texture).read(viewport=viewport, components=4, dtype=form)
        self._check("read")
        channels = _COMPONENTS.get(texture.fmt, 1)
        texels = np.frombuffer(raw, form).reshape(-1, 4)[:, :channels]
        first = start - first_row * width
        texels = texels[first : first + count]
        return texels if channels > 1 else texels[:, 0]

    def _copy_texels(
        self, src: _Texture, dst: _Texture, src_start: int, dst_start: int, count: int
    ) -> None:
        """Draw elements of `src` into `dst` (through a temporary when they are one)."""
        if src is dst:
            temp = self._take(src.fmt, count)
            self._copy_texels(src, temp, src_start, 0, count)
            self._copy_texels(temp, dst, 0, dst_start, count)
            self._give(temp)
            return
        linked, vao = self._copy_program(src.fmt)
        src.tex.use(location=0)
        for name, value in (
            ("src", 0),
            ("src_start", src_start),
            ("dst_start", dst_start),
            ("count", count),
            ("dst_width", dst.width),
        ):
            if name in linked:
                linked[name].value = value
        first_row, last_row = dst_start // dst.width, (dst_start + count - 1) // dst.width
        self.draw(vao, self._framebuffer(dst), (0, first_row, dst.width, last_row - first_row + 1))
        self._check("copy")

    def _copy_program(self, fmt: str):
        type_, sampler = _GLSL[_kind(fmt)]
        if _COMPONENTS.get(fmt, 1) == 2:
            return self.program(VERTEX_SHADER, copy_shader("uvec2", sampler, "rg"), "kc_copy")
        return self.program(VERTEX_SHADER, copy_shader(type_, sampler), "kc_copy")

    # ------------------------------------------------------------------ drawing

    def program(self, vertex_shader: str, fragment_shader: str, kernel: str):
        """The (cached) linked program and its attribute-less vertex array."""
        key = (vertex_shader, fragment_shader)
        if key not in self._programs:
            try:
                linked = self.ctx.program(vertex_shader=key[0], fragment_shader=key[1])
            except self._gl.Error as e:
                raise DeviceError(f"kernel {kernel!r}: {e}") from None
            self._programs[key] = linked, self.ctx.vertex_array(linked, [])
        return self._programs[key]

    def bind_uniforms(self, linked, block: UniformBlock, data: bytes) -> None:
        """Put `data` in the uniform buffer and bind it to `block`."""
        if self._ubo is None or self._ubo.size < len(data):
            if self._ubo is not None:
                self._ubo.release()
            self._ubo = self.ctx.buffer(reserve=max(256, len(data)))
        self._ubo.write(data)
        self._ubo.bind_to_uniform_block(block.binding)
        key = ("block", id(linked), block.name)  # linked programs live as long as we do
        if self._bound.get(key) != block.binding:
            if block.name in linked:
                linked[block.name].binding = block.binding
            self._bound[key] = block.binding

    def sampler_unit(self, linked, name: str, unit: int) -> None:
        """Point the sampler `name` of `linked` at texture unit `unit` (a program keeps
        it, so only a change is sent; an unused sampler is optimised away)."""
        key = ("unit", id(linked), name)
        if self._bound.get(key) != unit:
            if name in linked:
                linked[name].value = unit
            self._bound[key] = unit

    def draw(self, vao, fbo, viewport: tuple[int, int, int, int]) -> None:
        """One full-screen triangle into `fbo`, limited to `viewport`."""
        fbo.use()
        fbo.viewport = viewport
        vao.render(self._gl.TRIANGLES, vertices=3)

    def encode(self, abi: Contract, values: dict) -> bytes:
        try:
            return encode_uniforms(abi, values)
        except KeyError as e:
            raise ValueError(f"kernel {abi.kernel!r}: dispatch values lack {e}") from None

    def _check(self, what: str) -> None:
        """Raise the GL error since the last check, naming `what` and, when it names no
        kernel, the kernels drawn since the last wait."""
        error = self.ctx.error
        if error != "GL_NO_ERROR":
            raise DeviceError(self._trail.note(f"{what} failed: {error}"))
        if what in ("read", "synchronize"):
            self._trail.note("")  # they ran


def _rectangles(width: int, start: int, count: int):
    """(x, y, w, h, first, last) rectangles covering elements [start, start + count) of a
    texture `width` wide: a partial first row, whole middle rows, a partial last row;
    `first`/`last` index the elements each one takes."""
    pos, end = start, start + count
    while pos < end:
        row, col = divmod(pos, width)
        if col == 0 and end - pos >= width:
            rows = (end - pos) // width
            yield 0, row, width, rows, pos - start, pos - start + rows * width
            pos += rows * width
        else:
            n = min(width - col, end - pos)
            yield col, row, n, 1, pos - start, pos - start + n
            pos += n
