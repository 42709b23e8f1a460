"""GLSL ES 3.00 (WebGL2 fragment shader) back end: `emit(kernel) -> (code, abi)`.

Rule: `kernel` must already be legalised with `lower_array_access(kernel, "glsl")`; the
ABI dict follows docs/abi.md exactly, with `VERTEX_SHADER` as its launch vertex shader.
"""

from __future__ import annotations

from kernelc.emit_glsl.emitter import VERTEX_SHADER, GlslEmitter
from kernelc.ir import nodes as ir

__all__ = ["VERTEX_SHADER", "GlslEmitter", "emit"]


def emit(kernel: ir.Kernel) -> tuple[str, dict]:
    """The fragment shader for a legalised kernel, and its ABI."""
    return GlslEmitter(kernel).emit()
