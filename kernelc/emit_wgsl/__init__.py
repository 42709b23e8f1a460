"""WGSL (WebGPU compute) back end: `emit(kernel) -> (code, abi)`.

Rule: `kernel` must already be legalised with `lower_array_access(kernel, "wgsl")` (a
reduction with `lower_reduction_access`) and linked with the shader library for
`NATIVE_MATH` and `library_roots(kernel)` (`kernelc.lib.link`); the contract follows
docs/abi.md exactly.
"""

from __future__ import annotations

from kernelc.emit_wgsl.emitter import WgslEmitter
from kernelc.emit_wgsl.packed import library_roots
from kernelc.emit_wgsl.reduction import WgslReductionEmitter
from kernelc.ir import nodes as ir

__all__ = ["NATIVE_MATH", "WgslEmitter", "WgslReductionEmitter", "emit", "library_roots"]

NATIVE_MATH = frozenset(WgslEmitter.MATH)  # built-ins WGSL computes itself


def emit(kernel: ir.Kernel) -> tuple[str, dict]:
    """The WGSL program for a legalised kernel, and its ABI."""
    if kernel.reduction is not None:
        return WgslReductionEmitter(kernel).emit()
    return WgslEmitter(kernel).emit()
