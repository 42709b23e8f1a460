"""GLSL ES 3.00 (WebGL2 fragment shader) back end: `emit(kernel) -> (code, abi)`.

Rule: `kernel` must already be legalised with `lower_array_access(kernel, "glsl")` (a
reduction with `lower_reduction_access`) and linked with the shader library for
`NATIVE_MATH` (`kernelc.lib.link`); the contract (`kernelc.abi.Contract`) follows docs/abi.md exactly, with
`VERTEX_SHADER` as its launch vertex shader.
"""

from __future__ import annotations

from kernelc.emit_glsl.emitter import VERTEX_SHADER, GlslEmitter
from kernelc.emit_glsl.groups import emit_elementwise
from kernelc.emit_glsl.reduction import GlslReductionEmitter, emit_reduction
from kernelc.ir import nodes as ir

__all__ = [
    "NATIVE_MATH",
    "VERTEX_SHADER",
    "GlslEmitter",
    "GlslReductionEmitter",
    "emit",
    "library_roots",
]

NATIVE_MATH = frozenset(GlslEmitter.MATH)  # built-ins GLSL computes itself


def library_roots(kernel: ir.Kernel) -> frozenset[str]:
    """Library functions the GLSL emitter calls itself: none (float16 is an R16F texel)."""
    return frozenset()


def emit(kernel: ir.Kernel) -> tuple[str, dict]:
    """The fragment shader for a legalised kernel, and its ABI (a reduction's ABI carries
    its partial-pass shader too, a kernel with more than 4 outputs its output groups)."""
    if kernel.reduction is not None:
        return emit_reduction(kernel)
    return emit_elementwise(kernel)
