"""Which device is current: one device per backend per process, created on first use,
the process-wide choice among them (`set_device`), and the `use_device` stack above it.

Rule: the bottom of the device layers (the protocol's `Device` derives from
`RegisteredDevice` here); nothing here needs NumPy, and a backend's module (with its GPU
library: wgpu, moderngl, Pyodide) is imported only when its device is created.
`WGPY_BACKEND=webgpu|webgl` picks the default backend (webgpu when unset).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys

BACKENDS = ("webgpu", "webgl")


class RegisteredDevice:
    """A device as the registry knows it: its backend `name`, and the parts of CuPy's
    `cupy.cuda.Device` interface that are about the registry (the cupy shim hands devices
    to CuPy code, such as Chainer, as they are: `array.device` is one)."""

    #: 'webgpu' or 'webgl'
    name: str

    def __reduce__(self):
        """Pickled (and deep-copied) by reference: it comes back as this process's device
        of the same backend, so arrays and Chainer links holding it can be pickled."""
        return (get_device, (self.name,))

    @property
    def id(self) -> int:
        return device_id(self)

    def use(self) -> None:
        """Make this the current device (`set_device`)."""
        set_device(self)

    def __enter__(self) -> RegisteredDevice:
        push_device(self)
        return self

    def __exit__(self, *exc) -> None:
        pop_device()


_DEVICES: dict[str, RegisteredDevice] = {}
_CURRENT: RegisteredDevice | None = None
_STACK: list[RegisteredDevice] = []  # the `use_device` blocks, innermost last


def create_device(name: str) -> RegisteredDevice:
    """A new device of backend `name` ('webgpu' or 'webgl'); prefer `get_device`. In a
    browser (Pyodide) it is the bridge's BrowserDevice, natively wgpu or GLES on EGL."""
    if sys.platform == "emscripten" and name in BACKENDS:
        from .browser import BrowserDevice  # Pyodide's modules: only in a browser

        return BrowserDevice(name)
    if name == "webgpu":
        from .webgpu import WebGPUDevice  # NumPy, wgpu: only where this backend is used

        return WebGPUDevice()
    if name == "webgl":
        from .webgl import WebGLDevice  # NumPy, moderngl: only where this backend is used

        return WebGLDevice()
    raise ValueError(f"unknown backend {name!r} (one of {', '.join(BACKENDS)})")


def _default_name() -> str:
    return os.environ.get("WGPY_BACKEND", "").strip().lower() or "webgpu"


def backend_order() -> list[str]:
    """Backends by device id (CuPy's `Device(id)`): `WGPY_BACKEND`'s (or webgpu) is 0."""
    return list(_order(_default_name()))


@functools.cache
def _order(first: str) -> tuple[str, ...]:
    return (first, *(b for b in BACKENDS if b != first))


def device_id(device: RegisteredDevice) -> int:
    # Chainer asks for a device id dozens of times an iteration: no list built each time
    return _order(_default_name()).index(device.name)


def get_device(name: str | None = None) -> RegisteredDevice:
    """The device of backend `name`; with no name, the current one (`set_device`), else
    the one `WGPY_BACKEND` names, else webgpu. Devices are cached, one per backend."""
    if name is None:
        if _CURRENT is not None:
            return _CURRENT
        name = _default_name()
    if name not in _DEVICES:
        _DEVICES[name] = create_device(name)
    return _DEVICES[name]


def set_device(device: RegisteredDevice | str | None) -> RegisteredDevice | None:
    """Make `device` (a Device or a backend name) what `get_device()` returns; None goes
    back to the environment's choice. Returns the previous current device."""
    global _CURRENT
    previous = _CURRENT
    if isinstance(device, str):
        device = get_device(device)
    elif device is not None:
        _DEVICES.setdefault(device.name, device)
    _CURRENT = device
    return previous


def current_device() -> RegisteredDevice:
    """The device new arrays are allocated on: the innermost `use_device` one, else
    `get_device()`."""
    return _STACK[-1] if _STACK else get_device()


@contextlib.contextmanager
def use_device(device: RegisteredDevice):
    """Allocate new arrays on `device` inside the `with` block."""
    push_device(device)
    try:
        yield device
    finally:
        pop_device()


def push_device(device: RegisteredDevice) -> None:
    """`use_device` in two halves (`with device:` of CuPy's device interface)."""
    _STACK.append(device)


def pop_device() -> None:
    _STACK.pop()
