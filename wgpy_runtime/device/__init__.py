"""The GPU devices wgpy_runtime runs on, and the process-wide choice among them.

Rule: one device per backend per process, created on first use (`get_device`); the
backend's GPU library (wgpu, moderngl) is imported only when that device is created, and
nothing here needs NumPy (in a browser this is all that loads without it).
`WGPY_BACKEND=webgpu|webgl` picks the default backend (webgpu when unset).
"""

from __future__ import annotations

import os
import sys

from .protocol import Device, DeviceError

BACKENDS = ("webgpu", "webgl")
_DEVICES: dict[str, Device] = {}
_CURRENT: Device | None = None

__all__ = [
    "BACKENDS",
    "Device",
    "DeviceError",
    "adapter_name",
    "backend_order",
    "create_device",
    "device_id",
    "get_device",
    "set_device",
]


def create_device(name: str) -> Device:
    """A new device of backend `name` ('webgpu' or 'webgl'); prefer `get_device`. In a
    browser (Pyodide) it is the bridge's BrowserDevice, natively wgpu or GLES on EGL."""
    if sys.platform == "emscripten" and name in BACKENDS:
        from .browser import BrowserDevice

        return BrowserDevice(name)
    if name == "webgpu":
        from .webgpu import WebGPUDevice

        return WebGPUDevice()
    if name == "webgl":
        from .webgl import WebGLDevice

        return WebGLDevice()
    raise ValueError(f"unknown backend {name!r} (one of {', '.join(BACKENDS)})")


def _default_name() -> str:
    return os.environ.get("WGPY_BACKEND", "").strip().lower() or "webgpu"


def backend_order() -> list[str]:
    """Backends by device id (CuPy's `Device(id)`): `WGPY_BACKEND`'s (or webgpu) is 0."""
    first = _default_name()
    return [first] + [b for b in BACKENDS if b != first]


def device_id(device: Device) -> int:
    return backend_order().index(device.name)


def get_device(name: str | None = None) -> Device:
    """The device of backend `name`; with no name, the current one (`set_device`), else
    the one `WGPY_BACKEND` names, else webgpu. Devices are cached, one per backend."""
    if name is None:
        if _CURRENT is not None:
            return _CURRENT
        name = _default_name()
    if name not in _DEVICES:
        _DEVICES[name] = create_device(name)
    return _DEVICES[name]


def set_device(device: Device | str | None) -> Device | None:
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


def adapter_name(device) -> str:
    """What the device runs on, as far as it says."""
    info = getattr(device, "adapter_info", None)  # native WebGPU
    if info:
        name = info.get("device") or info.get("description") or info.get("vendor") or "?"
        return f"{name} ({info.get('backend_type', '?')})"
    ctx = getattr(device, "ctx", None)  # native GLES on EGL
    if ctx is not None:
        return f"{ctx.info.get('GL_RENDERER', '?')} (GLES on EGL)"
    hello = getattr(device, "limits", None) or {}  # the browser bridge's hello answer
    if isinstance(hello, dict) and isinstance(hello.get("adapter"), str) and hello["adapter"]:
        return hello["adapter"]  # what js_bridge/host.js says of the executor's adapter
    limits = hello.get("limits", {}) if isinstance(hello, dict) else {}
    for key in ("adapter", "renderer", "description"):
        if isinstance(limits.get(key), str) and limits[key]:
            return limits[key]
    return ""
