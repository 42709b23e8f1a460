"""kernelc: CuPy ElementwiseKernel (CUDA C) -> WGSL compute and GLSL ES 3.00 fragment shaders.

program = kernelc.translate_elementwise('T x, T y', 'T z', 'z = (x - y) * (x - y)',
                                        'squared_diff', target='wgsl',
                                        types={'T': 'float32'})
program.code, program.abi, program.warnings
"""

from kernelc.abi import Program
from kernelc.errors import (
    InternalCompilerError,
    KernelCompileError,
    KernelNameError,
    KernelSyntaxError,
    KernelTypeError,
    UnsupportedFeatureError,
    UnsupportedOnTarget,
)
from kernelc.matmul import translate_matmul
from kernelc.pipeline import TARGETS, translate_elementwise, translate_reduction

__all__ = [
    "TARGETS",
    "InternalCompilerError",
    "KernelCompileError",
    "KernelNameError",
    "KernelSyntaxError",
    "KernelTypeError",
    "Program",
    "UnsupportedFeatureError",
    "UnsupportedOnTarget",
    "translate_elementwise",
    "translate_matmul",
    "translate_reduction",
]
