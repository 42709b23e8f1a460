"""The WebGPU device on wgpu-native: persistent storage buffers, batched command buffers.

Rule: every command keeps the protocol's order. Work that runs on the GPU (dispatches,
copies) is recorded into one command encoder (dispatches into one compute pass), which is
submitted every `batch_size` commands and before anything that acts on the queue
directly (`write`, `read`, `synchronize`); after a wait the batches start at one command
and double, so an idle GPU starts on the first launch instead of the 256th. Everything
that can be checked before recording (shader compilation, bind groups, dtypes, sizes,
launch limits) raises at once with the kernel's name; what wgpu only reports at `finish`
fails the whole batch at the next submit, naming the batch's kernels.
Uniform blocks of a batch live in one arena buffer at aligned offsets (consecutive
commands with the same bytes share one), written just before the batch is submitted.
Nothing a submitted command uses is destroyed before that submit: wgpu-native aborts the
process on a submit that references a destroyed buffer.
"""

from __future__ import annotations

import functools
import itertools
import struct
from dataclasses import dataclass

import numpy as np

from kernelc import device_program, for_backend
from kernelc.abi import (
    Binding,
    Contract,
    Program,
    encode_uniforms,
    uniform_number,
)
from kernelc.abi.contract import REDUCE_GROUPS, SIZE, scalar_value
from kernelc.abi.launch import UNIFORM_FORMAT
from kernelc.abi.layout import WGSL_ELEMENT_WORDS
from kernelc.abi.plan import wgsl_steps

from . import storage
from .pool import Pool, size_class
from .protocol import Device, DeviceError, KernelTrail
from .table import BufferTable

# GPU commands per submit: each submit costs tens of µs of host time whatever it holds
BATCH_SIZE = 256
ARENA_BYTES = 64 << 10  # uniform arena per batch (the largest uniform binding WebGPU allows)
# Writes up to this size made while commands are queued go behind them through a staging
# buffer instead of submitting them first (a training loop's batches, random masks).
STAGED_WRITE_BYTES = 4 << 20
STAGING_KEPT_BYTES = 32 << 20  # free staging buffers kept for reuse, at most
_MAX_LIMITS = (
    "max-storage-buffers-per-shader-stage",
    "max-storage-buffer-binding-size",
    "max-buffer-size",
)
_BUFFER_TYPE = {"read": "read-only-storage", "read_write": "storage"}
_PACK = {kind: struct.Struct(fmt).pack_into for kind, fmt in UNIFORM_FORMAT.items()}
_ELEMENT = {"f32": ("float32",), "i32": ("int32",), "u32": ("uint32", "bool")}
_DTYPE_INDEX = {dtype: k for k, dtype in enumerate(storage.DTYPES)}
_NDTYPES = len(_DTYPE_INDEX)
_ITEMSIZE = {dtype: storage.device_itemsize(dtype) for dtype in storage.DTYPES}

# Byte-granular copy for what copy_buffer_to_buffer cannot do (packed 8/16-bit elements).
_BYTE_COPY = device_program("byte_copy")


@dataclass(slots=True)
class _Buffer:
    gpu: object  # wgpu.GPUBuffer
    dtype: str
    size: int  # elements
    bind: int  # the allocation and dtype as one number: keys prepared launches' bind groups

    @property
    def itemsize(self) -> int:
        return _ITEMSIZE[self.dtype]


class _PassCalls:
    """wgpu-native's compute-pass functions, called directly: wgpu-py's methods wrap each
    call in error capture, which costs more than the call. Nothing is lost: wgpu reports a
    pass's errors when its encoder finishes."""

    def __init__(self, ffi, lib) -> None:
        self.set_pipeline = lib.wgpuComputePassEncoderSetPipeline
        self.set_bind_group = lib.wgpuComputePassEncoderSetBindGroup
        self.dispatch = lib.wgpuComputePassEncoderDispatchWorkgroups
        self.offsets = ffi.new("uint32_t[1]")  # the dynamic offset (wgpu copies it)

    @staticmethod
    def find():
        """The calls of wgpu-py's wgpu-native backend, or None (its methods are used)."""
        try:
            from wgpu.backends.wgpu_native._ffi import ffi, lib

            return _PassCalls(ffi, lib)
        except (ImportError, AttributeError):
            return None


class _Batch:
    """The commands recorded since the last submit: one command encoder, in which
    consecutive dispatches share one compute pass (WebGPU orders dispatches and makes each
    one's writes visible to the next); a copy ends the pass. Within the pass a bind group
    is set again only when it or its uniform offset changes (pipelines of one layout keep
    it bound)."""

    def __init__(self, device, calls: _PassCalls | None = None) -> None:
        self._device = device
        self._calls = calls
        self._encoder = None
        self._pass = None
        self._handle = None  # the pass's wgpu-native handle, for `calls`
        self._pipeline = self._layout = self._group = None
        self._offset = -1
        self.count = 0
        self.what: dict[str, None] = {}  # kernel names and 'copy', for error messages

    def encoder(self):
        """The encoder, with no pass open (for copies)."""
        if self._pass is not None:
            self._pass.end()
            self._pass = self._handle = None
        if self._encoder is None:
            self._encoder = self._device.create_command_encoder()
        return self._encoder

    def begin_pass(self):
        """A new compute pass (tools/profile_launches.py has it write timestamps)."""
        return self.encoder().begin_compute_pass()

    def dispatch(self, pipeline, layout, group, offset: int, counts: tuple[int, int, int]):
        """Record one dispatch; `layout` is the pipeline's layout."""
        if self._pass is None:
            self._pass = self.begin_pass()
            self._handle = None if self._calls is None else self._pass._internal
            self._pipeline = self._layout = self._group = None
        calls = self._calls
        if pipeline is not self._pipeline:
            if calls is None:
                self._pass.set_pipeline(pipeline)
            else:
                calls.set_pipeline(self._handle, pipeline._internal)
            self._pipeline = pipeline
            if layout is not self._layout:  # a group bound under another layout may not fit
                self._layout, self._group = layout, None
        if group is not self._group or offset != self._offset:
            if calls is None:
                self._pass.set_bind_group(0, group, [offset])
            else:
                calls.offsets[0] = offset
                calls.set_bind_group(self._handle, 0, group._internal, 1, calls.offsets)
            self._group, self._offset = group, offset
        if calls is None:
            self._pass.dispatch_workgroups(*counts)
        else:
            calls.dispatch(self._handle, *counts)

    def finish(self):
        """The command buffer; a validation error names what the batch held."""
        import wgpu  # optional: only the native WebGPU backend needs wgpu-py

        try:
            return self.encoder().finish()
        except wgpu.GPUError as e:
            names = ", ".join(self.what)
            raise DeviceError(f"a batch of {self.count} commands ({names}) failed: {e}") from None


@dataclass(slots=True)
class _Launch:
    """One dispatch of a program: its name, entry points with workgroup counts, bindings."""

    kernel: str
    stages: list[tuple[str, tuple[int, int, int]]]
    uniforms: bytes
    buffers: dict[int, object]  # binding -> wgpu.GPUBuffer


_SERIAL = itertools.count(1)


def _number(kind: str, name: str):
    """`uniform_number(kind, name, x)` as a function of `x` (f32: `float`, its result)."""
    return float if kind == "f32" else functools.partial(uniform_number, kind, name)


_ALIASED = object()  # a prepared launch's buffers alias: it takes the general path


class _Prepared:
    """One program's launch with everything fixed but its buffers and scalar values
    (`WebGPUDevice.prepare`): pipelines, workgroup counts, the uniform block with the
    scalar members still to fill, and where each binding's buffer comes from."""

    __slots__ = (
        "bindings",
        "kernel",
        "key_length",
        "layout",
        "pairs",
        "params",
        "program",
        "scalar_names",
        "scalars",
        "scratch",
        "scratch_bytes",
        "serial",
        "steps",
        "template",
        "uniform",
        "values",
    )


class WebGPUDevice(BufferTable, Device):
    """`Device` on wgpu-native (lavapipe here, a real GPU elsewhere)."""

    name = "webgpu"
    target = for_backend(name).name

    def __init__(self, batch_size: int = BATCH_SIZE, pool_limit: int | None = None) -> None:
        import wgpu  # optional: imported when the device is made, so Pyodide never needs it

        self._wgpu = wgpu
        self._trail = KernelTrail()  # kernels recorded since the last wait
        adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
        wanted = {k: adapter.limits[k] for k in _MAX_LIMITS if k in adapter.limits}
        self._device = adapter.request_device_sync(required_limits=wanted)
        self.limits = dict(self._device.limits)
        self._classes: dict[int, int] = {}  # requested bytes -> bytes allocated
        self.adapter_info = dict(adapter.info)
        self.batch_size = batch_size
        self._batch_limit = 1  # this batch's size: 1 after a wait, doubling to batch_size
        self._align = max(256, self.limits.get("min-uniform-buffer-offset-alignment", 256))
        self._buffers: dict[int, _Buffer] = {}
        self._next_id = 1
        self.pool = Pool(self._destroy, **({} if pool_limit is None else {"limit": pool_limit}))
        self._calls = _PassCalls.find()
        self._batch = _Batch(self._device, self._calls)  # recorded since the last submit
        self._after_submit: list = []  # callbacks once the pending commands are submitted
        self._staging: dict[int, list] = {}  # free staging buffers by size (_staged_write)
        self._uniforms = bytearray(ARENA_BYTES)  # the batch's uniform blocks, packed in place
        self._uniform_end = 0
        self._last_block: bytes | None = None  # the batch's latest uniform block, shared
        self._last_offset = 0  # by the next command when it holds the same bytes
        self._arena = self._create(
            ARENA_BYTES, wgpu.BufferUsage.UNIFORM | wgpu.BufferUsage.COPY_DST
        )
        self._pipelines: dict[tuple, tuple] = {}
        self._layouts: dict[tuple, object] = {}
        self._groups: dict[tuple, object] = {}
        self._prepared_groups: dict[tuple, object] = {}  # (serial, buffer binds) -> group
        # buffer uid -> (cache, key) of each cached group binding it: destroying a buffer
        # drops those only (the pool releases buffers often when big arrays come and go)
        self._groups_binding: dict[int, list[tuple[dict, tuple]]] = {}
        self._group_notes = 0
        self._scratch: object | None = None
        self._fence = self._create(4, wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC)
        #: commands queued on the GPU and queue submits so far (batching at work)
        self.stats = {"commands": 0, "submits": 0}

    # ------------------------------------------------------------------ the protocol

    def alloc(self, size: int, dtype: str) -> int:
        if type(dtype) is not str or dtype not in _ITEMSIZE:
            dtype = storage.check_dtype(dtype)
        if size < 0:
            raise ValueError(f"negative buffer size {size}")
        gpu = self._take(size * _ITEMSIZE[dtype])
        buf, self._next_id = self._next_id, self._next_id + 1
        self._buffers[buf] = _Buffer(gpu, dtype, size, gpu.uid * _NDTYPES + _DTYPE_INDEX[dtype])
        return buf

    def free(self, buf: int) -> None:
        try:
            gpu = self._buffers.pop(buf).gpu
        except (KeyError, TypeError):
            gpu = self._get(buf)  # raises the protocol's error
        nbytes = gpu.size
        self.pool.give(nbytes, gpu, nbytes)

    def write(self, buf: int, start: int, data) -> None:
        b = self._get(buf)
        values = storage.elements(b.dtype, data)
        storage.check_range("write", buf, b.size, start, len(values))
        if not len(values):
            return
        offset, raw = start * b.itemsize, values.tobytes()
        aligned = offset % 4 == 0 and len(raw) % 4 == 0
        if aligned and self._batch.count and len(raw) <= STAGED_WRITE_BYTES:
            self._staged_write(b.gpu, offset, raw)
            return
        self._flush()  # queue writes overtake queued commands otherwise
        if aligned:
            self._guard("write", self._device.queue.write_buffer, b.gpu, offset, raw)
        else:
            self._write_unaligned(b.gpu, offset, raw)

    def read(self, buf: int, start: int, count: int) -> bytes:
        b = self._get(buf)
        storage.check_range("read", buf, b.size, start, count)
        self._flush()
        self._batch_limit = 1  # the GPU will be idle after this wait
        if count == 0:
            return b""
        first, end = start * b.itemsize, (start + count) * b.itemsize
        low, high = first & ~3, -(-end // 4) * 4
        raw = self._guard("read", self._device.queue.read_buffer, b.gpu, low, high - low)
        values = np.frombuffer(raw, storage.device_numpy(b.dtype), count, first - low)
        return storage.host_bytes(b.dtype, values)

    def copy(self, src: int, dst: int, src_start: int, dst_start: int, count: int) -> None:
        s, d = self._get(src), self._get(dst)
        if s.dtype != d.dtype:
            raise DeviceError(f"copy between {s.dtype} buffer {src} and {d.dtype} buffer {dst}")
        storage.check_range("copy", src, s.size, src_start, count)
        storage.check_range("copy", dst, d.size, dst_start, count)
        if count:
            item = s.itemsize
            self._copy_bytes(s.gpu, d.gpu, src_start * item, dst_start * item, count * item)

    def dispatch(self, program: Program, buffers: dict[str, int], values: dict) -> None:
        abi = program.abi
        if abi.target != self.target:
            raise ValueError(f"a {abi.target} program given to the webgpu device")
        n = values[SIZE]
        if n == 0:
            return
        values = dict(values)
        stages, scratch = self._stages(abi, n, values)
        bound = {
            b.binding: self._bind(abi, b, buffers, scratch)
            for b in abi.bindings
            if b.resource != "uniform"
        }
        bound = self._unalias(abi, bound)
        try:
            uniforms = encode_uniforms(abi, values)
        except KeyError as e:
            raise ValueError(f"kernel {abi.kernel!r}: dispatch values lack {e}") from None
        launch = _Launch(abi.kernel, stages, uniforms, bound)
        self._encode(program.code, abi.bindings, launch)

    def synchronize(self) -> None:
        self._flush()
        self._batch_limit = 1  # the GPU will be idle after this wait
        # A blocking device poll returns once everything submitted has run: ~17 µs, where
        # a mapped read (the fallback) hands the map callback over wgpu-py's poll thread
        # and takes ~0.3 ms. (wgpu-py 0.32's on_submitted_work_done_sync is broken.)
        poll_wait = getattr(self._device, "_poll_wait", None)
        if poll_wait is not None:
            self._guard("synchronize", poll_wait)
        else:
            self._guard("synchronize", self._device.queue.read_buffer, self._fence, 0, 4)

    # ------------------------------------------------------------------ beyond the protocol

    def trim(self) -> int:
        """Release every pooled buffer; returns the bytes released."""
        self._flush()
        for free in self._staging.values():
            for stage in free:
                stage.destroy()
        self._staging.clear()
        return self.pool.trim()

    def check_shader(self, code: str) -> None:
        """Compile `code` as a WGSL module (naga validates it); DeviceError carries naga's
        report when it is rejected."""
        try:
            self._device.create_shader_module(code=code)
        except self._wgpu.GPUError as e:
            raise DeviceError(f"invalid WGSL: {e}") from None

    def prepare(self, program: Program, values: dict) -> _Prepared | None:
        """A launcher for `program` with these `values` except the scalar members, for
        `launch` (None when this launch is not one it handles: no work, not a plain
        compute launch). Compiles and checks what `dispatch` would, once."""
        abi = program.abi
        if abi.target != self.target or abi.launch.kind not in ("compute", "reduction", "matmul"):
            return None
        n = values[SIZE]
        if n == 0:
            return None
        values = dict(values)
        stages, scratch = self._stages(abi, n, values)
        bindings = abi.bindings
        arrays = [b for b in bindings if b.resource not in ("uniform", "scratch")]
        if any(b.resource != "storage" for b in arrays):
            return None
        limit = self.limits["max-compute-workgroups-per-dimension"]
        if any(c > limit for _, counts in stages for c in counts):
            return None  # `dispatch` says so
        p = _Prepared()
        p.serial, p.program, p.kernel, p.values = next(_SERIAL), program, abi.kernel, values
        p.params = tuple(dict.fromkeys(b.param for b in arrays))
        p.key_length = 1 + len(p.params)
        p.bindings = [(b, p.params.index(b.param)) for b in arrays]
        read = [k for b, k in p.bindings if b.access == "read"]
        written = [k for b, k in p.bindings if b.access == "read_write"]
        p.pairs = [(r, w) for r in read for w in written]  # r == w: always aliased
        p.layout = self._layout(bindings)
        p.uniform = next(b for b in bindings if b.resource == "uniform")
        p.scratch = next(
            ((b, scratch) for b in bindings if b.resource == "scratch"), None
        )  # (binding, elements): bound to the device's scratch buffer of the moment
        if p.scratch is not None:
            p.scratch_bytes = self._scratch_bytes(p.scratch[0], scratch)
        pipelines = [self._pipeline(program.code, e, bindings, p.kernel) for e, _ in stages]
        p.steps = [(pipeline, counts) for pipeline, (_, counts) in zip(pipelines, stages)]
        p.template = encode_uniforms(abi, values)
        p.scalars = [
            (m.key, m.offset, _PACK[m.type], _number(m.type, m.name))
            for m in abi.uniforms
            if m.key.what == "value"
        ]
        p.scalar_names = tuple(key.param for key, *_ in p.scalars)
        return p

    def launch(self, p: _Prepared, ids: tuple, scalars: tuple = ()) -> None:
        """`dispatch` of a prepared program: `ids` are the buffers of `p.params`, `scalars`
        the values of its scalar members in order (as `dispatch`'s `values` hold them)."""
        buffers = self._buffers
        try:
            key = (p.serial, *[buffers[i].bind for i in ids])
        except (KeyError, TypeError):
            key = ()
        if len(key) != p.key_length:
            return self._launch_general(p, ids, scalars)
        if p.scratch is not None:  # the scratch buffer of the moment (grown: another group)
            key += (self._scratch_buffer(p.scratch_bytes).uid,)
        group = self._prepared_groups.get(key)
        if group is None:
            group = self._prepared_group(p, ids, key)
        if group is _ALIASED:
            return self._launch_general(p, ids, scalars)
        if p.scalars:
            block = bytearray(p.template)
            for (_, at, pack, number), x in zip(p.scalars, scalars):
                pack(block, at, number(x))
            block = bytes(block)
        else:
            block = p.template
        offset = self._last_offset if block == self._last_block else self._uniform_slot(block)
        batch, layout = self._batch, p.layout
        for pipeline, counts in p.steps:
            batch.dispatch(pipeline, layout, group, offset, counts)
        self._recorded(p.kernel)

    def _prepared_group(self, p: _Prepared, ids: tuple, key: tuple):
        """The bind group of a prepared launch's buffers (checked as `dispatch` checks
        them), or _ALIASED when one buffer is bound read-only and writable."""
        gpus = [self._buffers[i].gpu for i in ids]
        if any(gpus[r] is gpus[w] for r, w in p.pairs):
            group = _ALIASED
        else:
            abi, buffers = p.program.abi, dict(zip(p.params, ids))
            bound = {b.binding: self._bind(abi, b, buffers, 0) for b, _ in p.bindings}
            if p.scratch is not None:
                binding, elements = p.scratch
                bound[binding.binding] = self._bind(abi, binding, buffers, elements)
                gpus.append(bound[binding.binding])
            group = self._group(p.layout, p.uniform, _Launch(p.kernel, [], b"", bound))
        self._cache_group(self._prepared_groups, key, group, gpus)
        return group

    def _launch_general(self, p: _Prepared, ids: tuple, scalars: tuple) -> None:
        values = dict(p.values)
        for (key, *_), x in zip(p.scalars, scalars):
            values[key] = x
        self.dispatch(p.program, dict(zip(p.params, ids)), values)

    # ------------------------------------------------------------------ buffers

    def _take(self, nbytes: int):
        """A storage buffer of at least `nbytes` (from the pool when one fits)."""
        cls = self._classes.get(nbytes) or self._size_class(nbytes)
        gpu = self.pool.take(cls)
        if gpu is None:
            usage = self._wgpu.BufferUsage
            gpu = self._create(cls, usage.STORAGE | usage.COPY_SRC | usage.COPY_DST)
        return gpu

    def _size_class(self, nbytes: int) -> int:
        """The bytes of the buffer `_take` allocates for `nbytes` (remembered)."""
        cls = size_class(max(4, -(-nbytes // 4) * 4))
        limit = self.limits["max-buffer-size"]
        if cls > limit:
            cls = -(-nbytes // 4) * 4
        if cls > limit:
            raise DeviceError(
                f"cannot allocate {nbytes} bytes: the device's largest buffer is {limit} bytes"
            )
        if len(self._classes) > 4096:
            self._classes.clear()
        self._classes[nbytes] = cls
        return cls

    def _create(self, nbytes: int, usage):
        try:
            return self._device.create_buffer(size=nbytes, usage=usage)
        except self._wgpu.GPUError:
            self.trim()  # memory pressure: give back what the pool holds, then retry once
            try:
                return self._device.create_buffer(size=nbytes, usage=usage)
            except self._wgpu.GPUError as e:
                raise DeviceError(f"cannot allocate {nbytes} bytes: {e}") from None

    def _give_later(self, gpu) -> None:
        """Return a temporary to the pool once the commands using it are submitted."""
        self._after_submit.append(lambda: self.pool.give(gpu.size, gpu, gpu.size))

    def _destroy(self, gpu) -> None:
        self._forget_groups(gpu)
        if self._batch.count:
            self._after_submit.append(gpu.destroy)
        else:
            gpu.destroy()

    # ------------------------------------------------------------------ queue

    def _flush(self) -> None:
        """Submit the recorded commands (their uniforms first)."""
        if not self._batch.count:
            return
        batch, self._batch = self._batch, _Batch(self._device, self._calls)
        uniforms, self._uniform_end = bytes(self._uniforms[: self._uniform_end]), 0
        self._last_block = None
        callbacks, self._after_submit = self._after_submit, []
        try:
            command_buffer = batch.finish()
            if uniforms:
                self._guard("submit", self._device.queue.write_buffer, self._arena, 0, uniforms)
            self._guard("submit", self._device.queue.submit, [command_buffer])
            self.stats["submits"] += 1
        finally:
            for callback in callbacks:
                callback()

    def _recorded(self, what: str) -> None:
        """Count a recorded command; submit when the batch is full."""
        batch = self._batch
        batch.count += 1
        batch.what[what] = None
        if what != "copy" and what not in self._trail.names:
            self._trail.add(what)
        self.stats["commands"] += 1
        if batch.count >= self._batch_limit:
            self._flush()
            self._batch_limit = min(2 * self._batch_limit, self.batch_size)

    def _uniform_slot(self, data: bytes) -> int:
        """The arena offset of `data` for the next queued command (the previous command's
        block when it holds the same bytes: then the bind group need not be set again)."""
        if data == self._last_block:
            return self._last_offset
        offset = -(-self._uniform_end // self._align) * self._align
        end = offset + len(data)
        if end > ARENA_BYTES:
            self._flush()
            offset, end = 0, len(data)
        self._uniforms[offset:end] = data
        self._uniform_end = end
        self._last_block, self._last_offset = data, offset
        return offset

    def _guard(self, what: str, fn, *args):
        """`fn(*args)`; a GPU error names `what` and, when it names no kernel, the kernels
        recorded since the last wait (an error of theirs may surface only at a wait)."""
        try:
            result = fn(*args)
        except self._wgpu.GPUError as e:
            raise DeviceError(self._trail.note(f"{what} failed: {e}")) from None
        if what in ("read", "synchronize"):
            self._trail.note("")  # they ran
        return result

    # ------------------------------------------------------------------ copies

    def _copy_bytes(self, src, dst, src_byte: int, dst_byte: int, nbytes: int) -> None:
        if src is dst:  # neither path may read and write one buffer: go through a temporary
            temp = self._take(nbytes)
            self._copy_bytes(src, temp, src_byte, 0, nbytes)
            self._copy_bytes(temp, dst, 0, dst_byte, nbytes)
            self._give_later(temp)
        elif src_byte % 4 == 0 and dst_byte % 4 == 0 and nbytes % 4 == 0:
            encoder = self._batch.encoder()
            encoder.copy_buffer_to_buffer(src, src_byte, dst, dst_byte, nbytes)
            self._recorded("copy")
        else:
            self._byte_copy(src, dst, src_byte, dst_byte, nbytes)

    def _byte_copy(self, src, dst, src_byte: int, dst_byte: int, nbytes: int) -> None:
        """The byte copy launched from its contract (kernelc/lib/shaders/byte_copy.json):
        one invocation per destination word."""
        first_word, end_word = dst_byte // 4, -(-(dst_byte + nbytes) // 4)
        scalars = dict(dst_byte=dst_byte, src_byte=src_byte, nbytes=nbytes, first_word=first_word)
        values = {scalar_value(k): x for k, x in scalars.items()} | {SIZE: end_word - first_word}
        abi, buffers = _BYTE_COPY.abi, {"src": src, "dst": dst}
        bound = {b.binding: buffers[b.param] for b in abi.bindings if b.param is not None}
        uniforms = encode_uniforms(abi, values)
        launch = _Launch(abi.kernel, wgsl_steps(abi, values).stages, uniforms, bound)
        self._encode(_BYTE_COPY.code, abi.bindings, launch)

    def _staged_write(self, dst, offset: int, raw: bytes) -> None:
        """A write behind the queued commands that does not submit them: queue writes run
        before the next submit's commands, so the bytes go to a staging buffer that no
        queued command uses, and a recorded copy puts them in place in order. A staging
        buffer is free again once that copy is submitted."""
        nbytes = self._classes.get(len(raw)) or self._size_class(len(raw))
        free = self._staging.setdefault(nbytes, [])
        if free:
            stage = free.pop()
        else:
            usage = self._wgpu.BufferUsage
            stage = self._create(nbytes, usage.COPY_SRC | usage.COPY_DST)
        self._guard("write", self._device.queue.write_buffer, stage, 0, raw)
        self._copy_bytes(stage, dst, 0, offset, len(raw))
        self._after_submit.append(lambda: self._keep_staging(free, stage))

    def _keep_staging(self, free: list, stage) -> None:
        """Keep a staging buffer for reuse, up to STAGING_KEPT_BYTES in all."""
        if self._staging_bytes() + stage.size <= STAGING_KEPT_BYTES:
            free.append(stage)
        else:
            stage.destroy()

    def _staging_bytes(self) -> int:
        return sum(stage.size for free in self._staging.values() for stage in free)

    def _write_unaligned(self, dst, offset: int, raw: bytes) -> None:
        """Packed elements not on word boundaries: upload whole words to a temporary, then
        copy the bytes into place on the GPU (the neighbours' bytes are kept)."""
        phase = offset % 4
        padded = bytes(phase) + raw
        padded += bytes(-len(padded) % 4)
        temp = self._take(len(padded))
        self._guard("write", self._device.queue.write_buffer, temp, 0, padded)
        self._byte_copy(temp, dst, phase, offset, len(raw))
        self._give_later(temp)

    # ------------------------------------------------------------------ dispatch

    def _stages(self, abi: Contract, n: int, values: dict) -> tuple[list, int]:
        """(entry point, workgroup counts) of each dispatch of the launch rule, and the
        scratch elements it needs; adds the launch's own uniform values (`reduce_groups`,
        unless `values` fixes it) to `values`."""
        steps = wgsl_steps(abi, values)
        if steps.groups is not None:
            values[REDUCE_GROUPS] = steps.groups
        return steps.stages, steps.scratch

    def _bind(self, abi: Contract, binding: Binding, buffers: dict[str, int], scratch: int):
        if binding.resource == "scratch":
            return self._scratch_buffer(self._scratch_bytes(binding, scratch))
        param = binding.param
        if param not in buffers:
            raise ValueError(f"kernel {abi.kernel!r}: no buffer for parameter {param!r}")
        b = self._get(buffers[param])
        packed = binding.packed
        want = packed.dtype if packed else binding.words_of  # one dtype, or a kind
        ok = b.dtype == want if want else b.dtype in _ELEMENT[binding.element]
        if not ok:
            reads = packed.to_json() if packed else binding.element
            raise DeviceError(
                f"kernel {abi.kernel!r}: {param!r} is bound to a {b.dtype} "
                f"buffer, the program reads {reads}"
            )
        if b.gpu.size > self.limits["max-storage-buffer-binding-size"]:
            raise DeviceError(
                f"kernel {abi.kernel!r}: buffer of {param!r} ({b.gpu.size} "
                "bytes) exceeds the device's storage binding size"
            )
        return b.gpu

    @staticmethod
    def _scratch_bytes(binding: Binding, elements: int) -> int:
        words = WGSL_ELEMENT_WORDS.get(binding.element, 1)  # a wide accumulator's
        return 4 * words * max(1, elements)

    def _scratch_buffer(self, nbytes: int):
        """The reduction scratch buffer: one, grown as needed (dispatches run in order)."""
        if self._scratch is None or self._scratch.size < nbytes:
            if self._scratch is not None:
                self._give_later(self._scratch)
            self._scratch = self._take(nbytes)
        return self._scratch

    def _unalias(self, abi: Contract, bound: dict[int, object]) -> dict[int, object]:
        """A buffer bound both read-only and writable: the read-only bindings get a copy
        (WebGPU forbids the mix in one dispatch; the copy is what CuPy's reads see)."""
        access = {b.binding: b.access for b in abi.bindings}
        written = {id(g) for k, g in bound.items() if access[k] == "read_write"}
        copies: dict[int, object] = {}
        for k, gpu in bound.items():
            if access[k] == "read" and id(gpu) in written:
                if id(gpu) not in copies:
                    copies[id(gpu)] = self._take(gpu.size)
                    self._copy_bytes(gpu, copies[id(gpu)], 0, 0, gpu.size)
                    self._give_later(copies[id(gpu)])
                bound[k] = copies[id(gpu)]
        return bound

    def _encode(self, code: str, bindings: tuple[Binding, ...], launch: _Launch) -> None:
        layout = self._layout(bindings)
        pipelines = [
            self._pipeline(code, entry, bindings, launch.kernel) for entry, _ in launch.stages
        ]
        uniform = next(b for b in bindings if b.resource == "uniform")
        group = self._group(layout, uniform, launch)
        limit = self.limits["max-compute-workgroups-per-dimension"]
        if any(c > limit for _, counts in launch.stages for c in counts):
            raise DeviceError(
                f"kernel {launch.kernel!r}: launch {launch.stages} exceeds "
                f"{limit} workgroups per dimension"
            )
        offset = self._uniform_slot(launch.uniforms)
        for pipeline, (_, counts) in zip(pipelines, launch.stages):
            self._batch.dispatch(pipeline, layout, group, offset, counts)
        self._recorded(launch.kernel)

    def _layout(self, bindings: tuple[Binding, ...]):
        """(bind group layout, pipeline layout) of a contract's bindings; looked up by the
        tuple's identity first (the entry keeps it alive, so the id stays its own)."""
        seen = self._layouts.get(id(bindings))
        if seen is not None and seen[0] is bindings:
            return seen[1]
        key = tuple((b.binding, b.resource, b.access) for b in bindings)
        if key not in self._layouts:
            compute = self._wgpu.ShaderStage.COMPUTE

            def entry(b: Binding) -> dict:
                if b.resource == "uniform":
                    kind = {"type": "uniform", "has_dynamic_offset": True}
                else:
                    kind = {"type": _BUFFER_TYPE[b.access or "read_write"]}
                return {"binding": b.binding, "visibility": compute, "buffer": kind}

            group = self._device.create_bind_group_layout(entries=[entry(b) for b in bindings])
            pipeline = self._device.create_pipeline_layout(bind_group_layouts=[group])
            self._layouts[key] = (group, pipeline)
        self._layouts[id(bindings)] = (bindings, self._layouts[key])
        return self._layouts[key]

    def _pipeline(self, code: str, entry_point: str, bindings: tuple[Binding, ...], kernel: str):
        layout = self._layout(bindings)
        key = (code, entry_point, id(layout[1]))
        if key not in self._pipelines:
            try:
                module = self._device.create_shader_module(code=code)
                compute = {"module": module, "entry_point": entry_point}
                pipeline = self._device.create_compute_pipeline(layout=layout[1], compute=compute)
            except self._wgpu.GPUError as e:
                raise DeviceError(f"kernel {kernel!r}: {e}") from None
            self._pipelines[key] = pipeline
        return self._pipelines[key]

    def _group(self, layout: tuple, uniform: Binding, launch: _Launch):
        """The (cached) bind group of the arena and the launch's buffers."""
        items = sorted(launch.buffers.items())
        key = (id(layout[0]), uniform.size, tuple((k, g.uid) for k, g in items))
        if key not in self._groups:
            entries = [
                {
                    "binding": uniform.binding,
                    "resource": {"buffer": self._arena, "offset": 0, "size": uniform.size},
                }
            ]
            entries += [
                {"binding": k, "resource": {"buffer": g, "offset": 0, "size": g.size}}
                for k, g in items
            ]
            try:
                group = self._device.create_bind_group(layout=layout[0], entries=entries)
            except self._wgpu.GPUError as e:
                raise DeviceError(f"kernel {launch.kernel!r}: {e}") from None
            self._cache_group(self._groups, key, group, [g for _, g in items])
        return self._groups[key]

    def _cache_group(self, cache: dict, key: tuple, group, gpus) -> None:
        """Keep `group` (or _ALIASED) under `key` in `cache`, noted under each buffer it
        binds; past 4096 groups in one cache, or 32768 notes (those of dropped groups
        stay until then), every cache starts again."""
        if len(cache) > 4096 or self._group_notes > 32768:
            self._forget_groups()
        cache[key] = group
        for gpu in gpus:
            self._groups_binding.setdefault(gpu.uid, []).append((cache, key))
        self._group_notes += len(gpus)

    def _forget_groups(self, gpu=None) -> None:
        """Drop the cached groups that bind `gpu` (None: every cached group)."""
        if gpu is None:
            self._groups.clear()
            self._prepared_groups.clear()
            self._groups_binding.clear()
            self._group_notes = 0
            return
        for cache, key in self._groups_binding.pop(gpu.uid, ()):
            cache.pop(key, None)
