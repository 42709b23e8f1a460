"""The one-way pipeline: parse -> lower -> validate -> passes -> legalise -> emit.

Rule: this is the only place that sequences stages; each stage takes the previous one's
result. Any exception that is not a `KernelCompileError` is our bug and leaves here as an
`InternalCompilerError`.
"""

from __future__ import annotations

from functools import lru_cache

from kernelc import emit_glsl, emit_wgsl, frontend
from kernelc.abi import Program
from kernelc.errors import InternalCompilerError, KernelCompileError, KernelTypeError
from kernelc.ir import nodes as ir
from kernelc.ir.lower import Specialisation, bind_types, lower_elementwise
from kernelc.ir.passes.array_access import lower_array_access
from kernelc.ir.passes.fold import fold_constants
from kernelc.ir.passes.unroll import unroll_loops
from kernelc.ir.validate import validate

TARGETS = ("wgsl", "glsl")
EMITTERS = {"wgsl": emit_wgsl, "glsl": emit_glsl}
# Passes per target, in order. Unrolling is for GLSL, where drivers gain most from it.
UNROLL_BY_DEFAULT = {"wgsl": False, "glsl": True}


@lru_cache(maxsize=256)
def _parse(in_params, out_params, operation, name, preamble, loop_prep, after_loop, bases):
    return frontend.parse_elementwise(in_params, out_params, operation, name,
                                      preamble=preamble, loop_prep=loop_prep,
                                      after_loop=after_loop, line_bases=dict(bases))  # fmt: skip


def lower_kernel(in_params: str, out_params: str, operation: str, name: str = "kernel",
                 preamble: str = "", loop_prep: str = "", after_loop: str = "", *,
                 types=None, ndim: int = 1, scalars=(), raw=None, line_bases=None):  # fmt: skip
    """Parse and lower to validated, folded IR (target independent)."""
    bases = tuple(sorted((line_bases or {}).items()))
    src = _parse(in_params, out_params, operation, name, preamble, loop_prep, after_loop, bases)
    if not isinstance(ndim, int) or not 0 <= ndim <= 8:
        raise KernelTypeError(f"ndim must be an integer from 0 to 8, not {ndim!r}", kernel=name)
    spec = Specialisation(ndim, frozenset(scalars), dict(raw or {}))
    kernel, warnings = lower_elementwise(src, bind_types(types, name), spec)
    validate(kernel)
    return validate(fold_constants(kernel)), warnings


def compile_kernel(kernel: ir.Kernel, target: str, *, unroll: bool | None = None) -> ir.Kernel:
    """Target passes and legalisation; the result is what the emitter prints."""
    if unroll if unroll is not None else UNROLL_BY_DEFAULT[target]:
        kernel = validate(fold_constants(unroll_loops(kernel)))
    return validate(fold_constants(lower_array_access(kernel, target)), legal_for=target)


def translate_elementwise(in_params: str, out_params: str, operation: str,
                          name: str = "kernel", preamble: str = "", loop_prep: str = "",
                          after_loop: str = "", *, target: str, types=None, ndim: int = 1,
                          scalars=(), raw=None, unroll: bool | None = None,
                          line_bases=None) -> Program:  # fmt: skip
    """Translate one CuPy ElementwiseKernel for `target` ('wgsl' or 'glsl').

    types: placeholder -> dtype name ({'T': 'float32'}); ndim: the loop's ndim; scalars:
    names of non-raw inputs passed as scalars; raw: raw name -> (ndim, c_contiguous);
    unroll: unroll constant-count loops (default: on for GLSL).
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
    try:
        kernel, warnings = lower_kernel(in_params, out_params, operation, name, preamble,
                                        loop_prep, after_loop, types=types, ndim=ndim,
                                        scalars=scalars, raw=raw, line_bases=line_bases)
        legal = compile_kernel(kernel, target, unroll=unroll)
        code, abi = EMITTERS[target].emit(legal)
    except KernelCompileError as e:
        raise e.with_kernel(name) from None
    except InternalCompilerError:
        raise
    except RecursionError:
        raise KernelTypeError("kernel is nested too deeply to translate", kernel=name) from None
    except Exception as e:  # our bug: say so, with the kernel it happened on
        raise InternalCompilerError(f"{type(e).__name__}: {e}", [f"kernel '{name}'"]) from e
    return Program(name, target, code, abi, list(warnings))

