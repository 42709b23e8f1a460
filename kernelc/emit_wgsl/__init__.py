"""WGSL (WebGPU compute) back end: `emit(kernel) -> (code, abi)`.

Rule: `kernel` must already be legalised with `lower_array_access(kernel, "wgsl")`; the
ABI dict follows docs/abi.md exactly.
"""

from __future__ import annotations

from kernelc.emit_wgsl.emitter import WgslEmitter
from kernelc.ir import nodes as ir

__all__ = ["WgslEmitter", "emit"]


def emit(kernel: ir.Kernel) -> tuple[str, dict]:
    """The WGSL program for a legalised kernel, and its ABI."""
    return WgslEmitter(kernel).emit()
