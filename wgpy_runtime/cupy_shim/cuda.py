"""`cupy.cuda` for the shim: devices, streams, events, memory pools and the runtime/driver
stubs that CuPy code (Chainer) reaches for, mapped onto wgpy_runtime's devices.

Rule: `cupy.cuda.Device(k)` *is* wgpy_runtime's device `k` (`device.backend_order()`:
the `WGPY_BACKEND` one is 0) and `array.device` is the same object, so CuPy code's
identity and equality checks hold. Streams and events exist so that code using them runs:
commands go to a device in order, so a stream is always the null stream and
`synchronize` waits for the device.
"""

from __future__ import annotations

import time
import types

from .. import device as _device_module
from .._memory import Memory, MemoryPointer
from ..device import current_device
from ..device.protocol import Device as _RuntimeDevice


class CUDARuntimeError(RuntimeError):
    """`cupy.cuda.runtime.CUDARuntimeError`: a bad device id."""


class CUDADriverError(RuntimeError):
    """`cupy.cuda.driver.CUDADriverError` (never raised by the shim)."""


class _DeviceMeta(type):
    """`Device(k)` returns the runtime device itself; isinstance accepts every runtime
    device."""

    def __call__(cls, device=None):
        if device is None:
            return current_device()
        if isinstance(device, _RuntimeDevice):
            return device
        order = _device_module.backend_order()
        k = int(device)
        if not 0 <= k < len(order):
            raise CUDARuntimeError(
                f"cudaErrorInvalidDevice: invalid device ordinal {k} "
                f"(wgpy_runtime devices: {order})"
            )
        return _device_module.get_device(order[k])

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, _RuntimeDevice)

    def __subclasscheck__(cls, sub) -> bool:
        return issubclass(sub, _RuntimeDevice)


class Device(metaclass=_DeviceMeta):
    """CuPy's `cupy.cuda.Device`: `Device()` is the current device, `Device(k)` device k.
    The objects are wgpy_runtime devices (`id`, `use()`, `synchronize()`, `with`)."""


def get_device_id() -> int:
    return current_device().id


def get_elapsed_time(start_event, end_event) -> float:
    """Milliseconds between two recorded events."""
    return (end_event._time - start_event._time) * 1000.0


class Event:
    """A point in the command stream; recording waits for the device, so times are real."""

    def __init__(self, block=False, disable_timing=False, interprocess=False) -> None:
        self._time = None
        self.done = True

    def record(self, stream=None) -> None:
        current_device().synchronize()
        self._time = time.perf_counter()

    def synchronize(self) -> None:
        current_device().synchronize()


class Stream:
    """The null stream (commands run in order on a device)."""

    null: Stream

    def __init__(self, null=False, non_blocking=False, ptds=False) -> None:
        self.ptr = 0

    def __enter__(self) -> Stream:
        _STREAMS.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _STREAMS.pop()

    def use(self) -> Stream:
        return self

    def synchronize(self) -> None:
        current_device().synchronize()

    def record(self, event=None) -> Event:
        event = event or Event()
        event.record(self)
        return event

    def wait_event(self, event) -> None:
        pass

    def add_callback(self, callback, arg) -> None:
        callback(self, 0, arg)

    @property
    def done(self) -> bool:
        return True


Stream.null = Stream(null=True)
_STREAMS: list[Stream] = []  # the `with stream:` blocks entered


def get_current_stream() -> Stream:
    return _STREAMS[-1] if _STREAMS else Stream.null


class MemoryPool:
    """Buffers are pooled by each device (`device/pool.py`); these are the statistics
    CuPy code prints."""

    def __init__(self, allocator=None) -> None:
        pass

    def malloc(self, size):
        raise NotImplementedError(
            "wgpy_runtime allocates buffers per array; raw device pointers are not available"
        )

    def free_all_blocks(self, stream=None) -> None:
        trim = getattr(current_device(), "trim", None)
        if trim is not None:
            trim()

    def free_all_free(self) -> None:
        self.free_all_blocks()

    def used_bytes(self) -> int:
        return 0

    def free_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return 0

    def n_free_blocks(self) -> int:
        return 0

    def set_limit(self, size=None, fraction=None) -> None:
        pass

    def get_limit(self) -> int:
        return 0


class PinnedMemoryPool(MemoryPool):
    """Host memory is NumPy's."""


_memory_pool = MemoryPool()
_pinned_memory_pool = PinnedMemoryPool()


def get_default_memory_pool() -> MemoryPool:
    return _memory_pool


def get_default_pinned_memory_pool() -> PinnedMemoryPool:
    return _pinned_memory_pool


def set_allocator(allocator=None) -> None:
    pass


def set_pinned_memory_allocator(allocator=None) -> None:
    pass


def alloc_pinned_memory(size):
    return bytearray(size)


class MemoryHook:
    """`cupy.cuda.memory_hook.MemoryHook`: hooks never fire (no CuPy allocator)."""

    name = "MemoryHook"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def _device_synchronize() -> None:
    current_device().synchronize()


def _get_device_count() -> int:
    return len(_device_module.BACKENDS)


def _namespace(name: str, doc: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name, doc)
    module.__dict__.update(attrs)
    return module


def submodules() -> dict[str, types.ModuleType]:
    """`cupy.cuda.runtime`, `.driver`, `.memory`, `.memory_hook`, `.cublas`, `.nvtx`,
    `.stream`, `.device` as the shim provides them."""
    runtime = _namespace(
        "cupy.cuda.runtime",
        "CUDA runtime stubs (wgpy_runtime devices).",
        CUDARuntimeError=CUDARuntimeError,
        deviceSynchronize=_device_synchronize,
        getDeviceCount=_get_device_count,
        getDevice=get_device_id,
        setDevice=lambda k: Device(k).use(),
        runtimeGetVersion=lambda: 0,
        driverGetVersion=lambda: 0,
        is_hip=False,
    )
    driver = _namespace(
        "cupy.cuda.driver",
        "CUDA driver stubs.",
        CUDADriverError=CUDADriverError,
        ctxGetCurrent=lambda: 0,
        get_build_version=lambda: 0,
    )
    memory = _namespace(
        "cupy.cuda.memory",
        "Memory pools (statistics only).",
        MemoryPointer=MemoryPointer,
        Memory=Memory,
        MemoryPool=MemoryPool,
        PinnedMemoryPool=PinnedMemoryPool,
        set_allocator=set_allocator,
        alloc_pinned_memory=alloc_pinned_memory,
    )
    memory_hook = _namespace(
        "cupy.cuda.memory_hook", "Memory hooks (never called).", MemoryHook=MemoryHook
    )
    cublas = _namespace(
        "cupy.cuda.cublas",
        "cuBLAS: products are kernels (wgpy_runtime.linalg); nothing to call here.",
    )
    nvtx = _namespace(
        "cupy.cuda.nvtx",
        "NVTX ranges (no-ops).",
        RangePush=lambda *a: None,
        RangePop=lambda: None,
        Mark=lambda *a: None,
    )
    stream = _namespace(
        "cupy.cuda.stream",
        "Streams.",
        Stream=Stream,
        Event=Event,
        get_current_stream=get_current_stream,
        get_elapsed_time=get_elapsed_time,
    )
    device = _namespace("cupy.cuda.device", "Devices.", Device=Device, get_device_id=get_device_id)
    return {
        m.__name__: m for m in (runtime, driver, memory, memory_hook, cublas, nvtx, stream, device)
    }


def module(subs: dict[str, types.ModuleType]) -> types.ModuleType:
    """`cupy.cuda` itself, with its submodules as attributes."""
    cuda = _namespace(
        "cupy.cuda",
        __doc__,
        Device=Device,
        Event=Event,
        Stream=Stream,
        get_device_id=get_device_id,
        get_elapsed_time=get_elapsed_time,
        get_current_stream=get_current_stream,
        MemoryPool=MemoryPool,
        PinnedMemoryPool=PinnedMemoryPool,
        MemoryPointer=MemoryPointer,
        alloc_pinned_memory=alloc_pinned_memory,
        set_allocator=set_allocator,
        set_pinned_memory_allocator=set_pinned_memory_allocator,
        nvtx_enabled=False,
        cudnn_enabled=False,
        nccl_enabled=False,
        cub_enabled=False,
    )
    for name, sub in subs.items():
        setattr(cuda, name.rsplit(".", 1)[1], sub)
    cuda.__path__ = []  # a package: `import cupy.cuda.X` of an unknown X is an ImportError
    return cuda
