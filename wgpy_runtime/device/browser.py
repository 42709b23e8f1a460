"""The device in a browser: protocol commands sent from the Pyodide worker to the
main thread's WebGPU or WebGL2 executor (js_bridge/host.js) over the bridge's transport.

Rule: only `read`, `synchronize` and creation wait; every other command is queued and
sent in batches (a batch is one message, docs/protocol.md "The bridge"). Bytes larger
than the transport's shared buffer travel in chunks, so there is no size cap. Failures
on the main thread come back as DeviceError at the next waiting command, naming the
waiting command and the command (and kernel) that failed; a wait interrupted by the page
(its cancel) raises KeyboardInterrupt. This module imports no numpy: it must load in a
Pyodide that has none.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass

from kernelc import for_backend
from kernelc.abi import Program

from .protocol import ITEMSIZE, Device, DeviceError, KernelTrail, check_range

BATCH_COMMANDS = 256  # queued commands sent as one message
# Buffer and program ids name things on the main thread, which every BrowserDevice of a
# backend shares: they are numbered per worker, not per device.
_BUFFER_IDS = itertools.count(1)
_PROGRAM_IDS = itertools.count(0)
_PREPARED_IDS = itertools.count(0)


@dataclass(slots=True)
class _Buffer:
    size: int
    dtype: str


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A launch the main thread keeps (`BrowserDevice.prepare`): its id there, the kernel,
    the array parameters (`launch`'s ids) and scalar parameters (its scalars) in order."""

    id: int
    kernel: str
    params: tuple[str, ...]
    scalar_names: tuple[str, ...]


class BrowserDevice(Device):
    """`Device` whose commands run on the main thread's executor of backend `name`.

    `transport` has `post(text, blobs)` (send a batch, no answer), `request(text, blobs)`
    (send a batch whose last command answers; returns the answer's bytes or raises) and
    `capacity` (the most bytes one answer may hold)."""

    def __init__(self, name: str, transport=None) -> None:
        self.name, self.target = name, for_backend(name).name  # ValueError: unknown backend
        self._transport = transport if transport is not None else default_transport()
        self._queue: list = []
        self._blobs: list = []
        self._buffers: dict[int, _Buffer] = {}
        self._programs: dict[int, tuple[Program, int]] = {}
        self._kernels = KernelTrail()  # kernels dispatched since the last answer
        self.batch_commands = BATCH_COMMANDS
        self.limits = json.loads(self._request(["hello"]).decode())

    # ------------------------------------------------------------------ the six commands

    def alloc(self, size: int, dtype: str) -> int:
        if dtype not in ITEMSIZE:
            raise ValueError(f"dtype {dtype!r} cannot be held on the device")
        if size < 0:
            raise ValueError(f"buffer size must not be negative, not {size}")
        buf = next(_BUFFER_IDS)
        self._buffers[buf] = _Buffer(size, dtype)
        self._send(["alloc", buf, size, dtype])
        return buf

    def free(self, buf: int) -> None:
        self._get(buf)
        del self._buffers[buf]
        self._send(["free", buf])

    def write(self, buf: int, start: int, data) -> None:
        info = self._get(buf)
        raw = memoryview(data).cast("B")
        item = ITEMSIZE[info.dtype]
        if len(raw) % item:
            raise ValueError(f"{len(raw)} bytes are not whole {info.dtype} elements")
        check_range("write", buf, info.size, start, len(raw) // item)
        step = self._chunk_elements(item)
        for first in range(0, len(raw) // item, step):
            chunk = raw[first * item : (first + step) * item]
            self._blobs.append(_to_js(chunk))
            self._send(["write", buf, start + first, len(self._blobs) - 1])

    def read(self, buf: int, start: int, count: int) -> bytes:
        info = self._get(buf)
        check_range("read", buf, info.size, start, count)
        item = ITEMSIZE[info.dtype]
        step = self._chunk_elements(item)
        parts = [
            self._request(["read", buf, first, min(step, start + count - first)])
            for first in range(start, start + count, step)
        ]
        if not parts:
            self.synchronize()
        return b"".join(parts)

    def copy(self, src: int, dst: int, src_start: int, dst_start: int, count: int) -> None:
        a, b = self._get(src), self._get(dst)
        if a.dtype != b.dtype:
            raise DeviceError(f"copy between {a.dtype} buffer {src} and {b.dtype} buffer {dst}")
        check_range("copy", src, a.size, src_start, count)
        check_range("copy", dst, b.size, dst_start, count)
        self._send(["copy", src, dst, src_start, dst_start, count])

    def dispatch(self, program: Program, buffers: dict[str, int], values: dict) -> None:
        if program.abi.target != self.target:
            raise DeviceError(f"a {program.abi.target} program cannot run on {self.name}")
        for buf in buffers.values():
            self._get(buf)
        pid = self._program_id(program)
        self._kernels.add(program.abi.kernel)
        self._send(["dispatch", pid, dict(buffers), _entries(values)])

    def prepare(self, program: Program, values: dict) -> _Prepared | None:
        """A prepared launch (docs/protocol.md, "Prepared launches"): the main thread keeps
        `program` with `values`, so a `launch` sends only buffer ids and scalars."""
        abi = program.abi
        if abi.target != self.target:
            return None
        pid = self._program_id(program)
        params = tuple(p.name for p in abi.params if p.kind != "scalar")
        scalars = tuple(dict.fromkeys(m.key.param for m in abi.uniforms if m.key.what == "value"))
        p = _Prepared(next(_PREPARED_IDS), abi.kernel, params, scalars)
        self._send(["prepare", p.id, pid, list(params), list(scalars), _entries(values)])
        return p

    def launch(self, p: _Prepared, ids: tuple, scalars=()) -> None:
        """`dispatch` of a prepared program: `ids` are the buffers of `p.params`, `scalars`
        the values of `p.scalar_names` (as `dispatch`'s `values` hold them)."""
        for buf in ids:
            self._get(buf)
        self._kernels.add(p.kernel)
        self._send(["launch", p.id, list(ids), [_json_number(x) for x in scalars]])

    def synchronize(self) -> None:
        self._request(["sync"])

    # ---------------------------------------------------------------------------- sending

    def _get(self, buf: int) -> _Buffer:
        info = self._buffers.get(buf)
        if info is None:
            raise DeviceError(f"unknown buffer id {buf} (never allocated or already freed)")
        return info

    def _chunk_elements(self, itemsize: int) -> int:
        return max(1, self._transport.capacity // itemsize)

    def _program_id(self, program: Program) -> int:
        known = self._programs.get(id(program))
        if known is not None and known[0] is program:
            return known[1]
        pid = next(_PROGRAM_IDS)
        self._programs[id(program)] = (program, pid)
        self._send(["program", pid, program.code, program.abi.to_json()])
        return pid

    def _send(self, command: list) -> None:
        self._queue.append(command)
        if len(self._queue) >= self.batch_commands:
            self._flush()

    def _flush(self) -> None:
        if self._queue:
            text, blobs = self._batch()
            self._transport.post(text, blobs)

    def _request(self, command: list) -> bytes:
        self._queue.append(command)
        text, blobs = self._batch()
        try:
            answer = bytes(self._transport.request(text, blobs))
        except KeyboardInterrupt:
            self._kernels.note("")
            raise
        except Exception as e:  # noqa: BLE001  (the main thread's failure, a timeout, a closed page)
            raise DeviceError(self._kernels.note(f"{self.name}: {command[0]}: {e}")) from None
        self._kernels.note("")
        return answer

    def _batch(self) -> tuple[str, list]:
        text = json.dumps({"backend": self.name, "commands": self._queue})
        blobs, self._queue, self._blobs = self._blobs, [], []
        return text, blobs


def _entries(values: dict) -> list:
    return [[what, param, axis, _json_number(x)] for (what, param, axis), x in values.items()]


_EXACT_INT = 2**53  # JavaScript's numbers hold integers exactly below this


def _json_number(x):
    """A dispatch value as JSON holds it, exactly: non-finite floats as the strings that
    JavaScript's Number() and Python's float() read back, integers past 2^53 (64-bit
    scalars) as their decimal digits, which js_bridge/abi.js reads as a BigInt."""
    if not isinstance(x, (bool, int, float)):  # NumPy scalars
        x = int(x) if hasattr(x, "__index__") else float(x)
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) >= _EXACT_INT:
        return str(x)
    return x


def _to_js(chunk: memoryview):
    try:
        from pyodide.ffi import to_js
    except ImportError:  # outside Pyodide (tests with a Python transport): plain bytes
        return bytes(chunk)
    return to_js(chunk)


def default_transport():
    """The worker's transport (js_bridge/worker.js registers it as a JS module)."""
    try:
        import wgpy_bridge_transport  # type: ignore[import-not-found]
    except ImportError:
        raise DeviceError(
            "no browser bridge here: BrowserDevice runs in the Pyodide worker that "
            "js_bridge/worker.js starts"
        ) from None
    return _JsTransport(wgpy_bridge_transport)


class _JsTransport:
    """The JS module's functions as the transport BrowserDevice wants: blocking on the
    shared channel, or (without cross-origin isolation) suspending through JSPI. A JS
    exception (an error the main thread reported, or a timeout) becomes DeviceError."""

    def __init__(self, module) -> None:
        self._module = module
        self.capacity = int(module.capacity)

    def post(self, text: str, blobs: list) -> None:
        from pyodide.ffi import to_js  # exists only inside Pyodide, where this transport runs

        self._module.post(text, to_js(blobs))

    def request(self, text: str, blobs: list) -> bytes:
        from pyodide.ffi import JsException, run_sync, to_js  # inside Pyodide only

        try:
            if self._module.shared:
                answer = self._module.request(text, to_js(blobs))
            else:  # no shared memory: wait for the answer message through JSPI
                answer = run_sync(self._module.request_async(text, to_js(blobs)))
        except JsException as e:
            message = str(e).removeprefix("Error: ")
            if message.startswith(str(getattr(self._module, "interrupted", "KeyboardInterrupt"))):
                raise KeyboardInterrupt(message) from None
            raise DeviceError(message) from None
        return answer.to_bytes()
