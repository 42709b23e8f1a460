"""The launch contract between a translated program and whoever launches it (docs/abi.md).

Rule: an executor (native, browser, runtime) learns everything from `Program.abi`, a
`Contract` (`contract.py`: frozen records with a versioned JSON form); it never looks at
the shader text or the IR. `layout.py` declares the uniform block (the only place that
does), `launch.py` packs it and computes elementwise grids, `reduction.py` and
`matmul.py` hold those programs' launch rules, and `plan.py` composes them into the
dispatches (`wgsl_steps`) and draws (`glsl_steps`) that every executor makes.
"""

from kernelc.abi.contract import (
    ABI_VERSION,
    MAX_WORKGROUPS_PER_DIMENSION,
    WORKGROUP_SIZE,
    AbiVersionError,
    Binding,
    ComputeLaunch,
    Contract,
    Draw,
    FragmentLaunch,
    LaunchRule,
    MatmulLaunch,
    MatmulTiles,
    PackedMatmulLaunch,
    Param,
    PassesLaunch,
    ReductionPlan,
    RenderTarget,
    Texture,
    UniformMember,
    ValueKey,
)
from kernelc.abi.launch import (
    encode_uniforms,
    glsl_grid,
    glsl_output_groups,
    glsl_texture_extent,
    spill,
    uniform_number,
    wgsl_dispatch,
)
from kernelc.abi.layout import GLSL_FORMAT, WGSL_STORAGE, WORD_TYPES
from kernelc.abi.program import Program

__all__ = [
    "ABI_VERSION",
    "GLSL_FORMAT",
    "MAX_WORKGROUPS_PER_DIMENSION",
    "WGSL_STORAGE",
    "WORD_TYPES",
    "WORKGROUP_SIZE",
    "AbiVersionError",
    "Binding",
    "ComputeLaunch",
    "Contract",
    "Draw",
    "FragmentLaunch",
    "LaunchRule",
    "MatmulLaunch",
    "MatmulTiles",
    "PackedMatmulLaunch",
    "Param",
    "PassesLaunch",
    "Program",
    "ReductionPlan",
    "RenderTarget",
    "Texture",
    "UniformMember",
    "ValueKey",
    "encode_uniforms",
    "glsl_grid",
    "glsl_texture_extent",
    "glsl_output_groups",
    "spill",
    "uniform_number",
    "wgsl_dispatch",
]
