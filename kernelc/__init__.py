"""kernelc: CuPy ElementwiseKernel (CUDA C) -> WGSL compute and GLSL ES 3.00 fragment shaders.

program = kernelc.translate_elementwise('T x, T y', 'T z', 'z = (x - y) * (x - y)',
                                        'squared_diff', target='wgsl',
                                        types={'T': 'float32'})
program.code, program.abi, program.warnings

Rule: these names (with the launch contract in `kernelc.abi` and the packages `kernelc.scan`
and `kernelc.cache`) are what other code may use; every other module is the compiler's own.
The runtime translates (`translate_*`), looks up precompiled programs (`default_cache`),
runs a kernel a target rejects on the host (`lower_*` then `run_*`) reads the device
shaders (`device_shader`, `copy_shader`, and `device_program` for one with a contract) and
asks a target what it can do (`target_named`, `for_backend`: a `Target` record).
"""

from kernelc.abi import Program
from kernelc.cache import default_cache
from kernelc.errors import (
    InternalCompilerError,
    KernelCompileError,
    KernelNameError,
    KernelSyntaxError,
    KernelTypeError,
    SourceText,
    Span,
    UnsupportedFeatureError,
    UnsupportedOnTarget,
    render,
)
from kernelc.lib.shaders import copy_shader, device_program, device_shader
from kernelc.matmul import translate_matmul
from kernelc.pipeline import (
    lower_kernel,
    lower_reduction_kernel,
    translate_elementwise,
    translate_reduction,
)
from kernelc.targets import TARGETS, Target, for_backend, target_named


def run_elementwise(kernel, args: dict, loop_shape: tuple) -> None:
    """Run a lowered elementwise kernel (`lower_kernel`) on NumPy arrays in `args`, the
    IR's reference semantics (`kernelc.ir.interp`)."""
    from kernelc.ir import interp  # NumPy: kernelc itself loads without it (Pyodide)

    interp.run_elementwise(kernel, args, loop_shape)


def run_reduction(kernel, args: dict, out_shape: tuple, reduce_shape: tuple) -> None:
    """Run a lowered reduction (`lower_reduction_kernel`) on NumPy arrays in `args`."""
    from kernelc.ir import interp  # NumPy: kernelc itself loads without it (Pyodide)

    interp.run_reduction(kernel, args, out_shape, reduce_shape)


__all__ = [
    "TARGETS",
    "InternalCompilerError",
    "KernelCompileError",
    "KernelNameError",
    "KernelSyntaxError",
    "KernelTypeError",
    "Program",
    "SourceText",
    "Span",
    "Target",
    "UnsupportedFeatureError",
    "UnsupportedOnTarget",
    "copy_shader",
    "default_cache",
    "device_program",
    "device_shader",
    "for_backend",
    "lower_kernel",
    "lower_reduction_kernel",
    "render",
    "run_elementwise",
    "run_reduction",
    "target_named",
    "translate_elementwise",
    "translate_matmul",
    "translate_reduction",
]
