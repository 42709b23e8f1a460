"""Output groups: a GLSL elementwise kernel with more outputs than WebGL2's 4 draw buffers
is drawn as one fragment shader per group of at most 4 outputs (docs/abi.md, "Output
groups"), listed in its launch's `output_groups`.

Rule: every group's shader is the same kernel printed by `GlslEmitter(kernel, group)`: the
whole body, the same uniform block and textures (names and units), only its render
targets differ. Computing the body once per group is safe because a GLSL body has no
effect but its own element's outputs: scatter and atomics are rejected when lowering
(`lower_array_access`), and outputs are read only from their `previous` copies.
"""

from __future__ import annotations

from dataclasses import replace

from kernelc.abi.contract import Contract, Draw
from kernelc.emit_glsl.emitter import MAX_OUTPUTS, GlslEmitter
from kernelc.errors import InternalCompilerError
from kernelc.ir import nodes as ir


def output_groups(kernel: ir.Kernel) -> list[tuple[str, ...]]:
    """The outputs in parameter order, cut into groups of MAX_OUTPUTS (the last may be
    smaller); one (possibly empty) group when they fit in one shader."""
    outs = [p.name for p in kernel.arrays if p.is_output]
    return [tuple(outs[k : k + MAX_OUTPUTS]) for k in range(0, max(1, len(outs)), MAX_OUTPUTS)]


def emit_elementwise(kernel: ir.Kernel) -> tuple[str, Contract]:
    """One shader when the outputs fit; else the first group's shader and a contract whose
    `textures`/`outputs` are that shader's and whose launch lists every group."""
    groups = output_groups(kernel)
    if len(groups) == 1:
        return GlslEmitter(kernel).emit()
    shaders = []
    for k, group in enumerate(groups):
        code, abi = GlslEmitter(kernel, group).emit()
        head = f"// kernel {kernel.name}:"
        code = code.replace(
            head, f"// kernel {kernel.name} (output group {k + 1} of {len(groups)}):", 1
        )
        shaders.append((code, abi))
    code, abi = shaders[0]
    for _, other in shaders[1:]:
        if _shared(other) != _shared(abi):
            raise InternalCompilerError(
                f"emit_glsl: output groups of '{kernel.name}' "
                "disagree on their uniforms or textures"
            )
    groups = tuple(Draw(code=c, textures=a.textures, outputs=a.outputs) for c, a in shaders)
    return code, replace(abi, launch=replace(abi.launch, output_groups=groups))


def _shared(abi: Contract) -> Contract:
    """What every group's contract must have in common: all but its render targets."""
    return replace(abi, outputs=())
