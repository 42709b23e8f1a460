"""The dispatches and draws of any launch rule: what an executor runs for a contract and
a dispatch's values (js_bridge/abi.js's `wgslSteps` and `glslSteps` are the same
functions).

Rule: composed from the launch rules of `launch`, `reduction` and `matmul`; it reads
the contract (and a GLSL program's own code) and the values only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernelc.abi.contract import (
    PASS,
    PASS_CHUNKS,
    PASS_ITEMS,
    REDUCE_GROUPS,
    REDUCE_SIZE,
    SIZE,
    Contract,
    Draw,
    ValueKey,
)
from kernelc.abi.launch import glsl_output_groups, wgsl_dispatch
from kernelc.abi.matmul import glsl_stage_texels, matmul_dims, wgsl_grid
from kernelc.abi.program import Program
from kernelc.abi.reduction import by_columns, glsl_passes, wgsl_stages


@dataclass(frozen=True, slots=True)
class WgslSteps:
    """The dispatches in order as (entry point, workgroup counts), the scratch elements
    they need, and a reduction's workgroups per output (None for other launches: the
    executor sets it as the `reduce_groups` value)."""

    stages: list[tuple[str, tuple[int, int, int]]]
    scratch: int
    groups: int | None


def wgsl_steps(abi: Contract, values: dict) -> WgslSteps:
    """The dispatches of `abi`'s launch rule for `values` (their `size` outputs; a
    reduction's `reduce_groups`, when given, fixes the split)."""
    launch, n = abi.launch, values[SIZE]
    if launch.kind == "compute":
        size = launch.workgroup_size
        if tuple(size[1:]) != (1, 1):
            raise ValueError(f"unsupported workgroup size {size}")
        grid = wgsl_dispatch(n, size[0], launch.max_workgroups_per_dimension)
        return WgslSteps([(abi.entry_point or "main", grid)], 0, None)
    if launch.kind == "matmul":  # one workgroup per tile of C (docs/abi.md)
        batch, m, cols, _ = matmul_dims(abi, values)
        return WgslSteps([(abi.entry_point or "main", wgsl_grid(launch, batch, m, cols))], 0, None)
    if launch.kind != "reduction":
        raise ValueError(f"unknown launch kind {launch.kind!r}")
    red_n = values[REDUCE_SIZE]
    columns = by_columns(launch, n, red_n, values)
    groups, stages = wgsl_stages(launch, n, red_n, values.get(REDUCE_GROUPS), columns)
    return WgslSteps([(s.entry_point, s.dispatch) for s in stages], n * groups, groups)


FINAL = "final"  # a draw into the program's outputs
PARTIALS = "partials"  # a reduction pass into pooled partials (textures of that contents)


@dataclass(frozen=True, slots=True)
class GlslDraw:
    """One draw: `shader` (the program's own code, an output group, the reduction's
    partial shader or a packed-matmul stage) over render targets of `texels` texels, with
    `values` set beside the dispatch's (a reduction pass's number, items and chunks).
    `stage` is FINAL for a draw into the program's outputs, else the name its render
    targets are read by: PARTIALS (by the next pass) or a packed-matmul stage's name;
    those render targets are pooled textures of the shader's output formats."""

    stage: str
    shader: Draw
    texels: int
    values: dict[ValueKey, int] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.stage == FINAL


def glsl_steps(program: Program, values: dict) -> list[GlslDraw]:
    """The draws of a GLSL program's launch rule for `values`, in order, those into the
    outputs (FINAL) last: every texture those read is bound before the first of them
    (docs/abi.md, "Output groups"). A non-final draw of 0 texels is not drawn (its
    render targets are still made: later draws sample them)."""
    abi, n = program.abi, values[SIZE]
    launch = abi.launch
    own = Draw(code=program.code, textures=abi.textures, outputs=abi.outputs)
    if launch.kind == "fragment":
        return [GlslDraw(FINAL, group, n) for group in glsl_output_groups(program)]
    if launch.kind == "packed_matmul":
        dims = matmul_dims(abi, values)
        texels = glsl_stage_texels(*dims, k_per_texel=launch.k_per_texel, block=launch.block)
        stages = [GlslDraw(s.name, s, texels[s.name]) for s in launch.stages]
        return [*stages, GlslDraw(FINAL, own, n)]
    if launch.kind != "reduction":
        raise ValueError(f"unknown launch kind {launch.kind!r}")
    draws = []
    for p in glsl_passes(values[REDUCE_SIZE], launch.fan_in):
        pass_values = {PASS: p.index, PASS_ITEMS: p.items, PASS_CHUNKS: p.chunks}
        if p.final:
            draws.append(GlslDraw(FINAL, own, n, pass_values))
        else:
            draws.append(GlslDraw(PARTIALS, launch.partial_shader, n * p.chunks, pass_values))
    return draws
