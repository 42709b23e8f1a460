"""The GPU devices wgpy_runtime runs on, and the process-wide choice among them.

Rule: one device per backend per process, created on first use (`get_device`, in
`registry`); the backend's GPU library (wgpu, moderngl) is imported only when that device
is created, and nothing here needs NumPy (in a browser this is all that loads without it).
`WGPY_BACKEND=webgpu|webgl` picks the default backend (webgpu when unset).
"""

from __future__ import annotations

from .protocol import Device, DeviceError
from .registry import (
    BACKENDS,
    backend_order,
    create_device,
    current_device,
    device_id,
    get_device,
    pop_device,
    push_device,
    set_device,
    use_device,
)

__all__ = [
    "BACKENDS",
    "Device",
    "DeviceError",
    "adapter_name",
    "backend_order",
    "create_device",
    "current_device",
    "device_id",
    "get_device",
    "pop_device",
    "push_device",
    "set_device",
    "use_device",
]


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
