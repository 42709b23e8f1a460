"""The one-way pipeline: parse -> lower -> validate -> passes -> legalise -> emit.

Rule: this is the only place that sequences stages; each stage takes the previous one's
result. Any exception that is not a `KernelCompileError` is our bug and leaves here as an
`InternalCompilerError`.
"""

from __future__ import annotations

from functools import lru_cache

from kernelc import emit_glsl, emit_wgsl, frontend
from kernelc.abi import Program
from kernelc.api_args import ArgumentTypeError, check_options, check_strings, check_unroll
from kernelc.errors import InternalCompilerError, KernelCompileError, KernelTypeError
from kernelc.ir import dtypes
from kernelc.ir import nodes as ir
from kernelc.ir.lower import Specialisation, bind_types, lower_elementwise
from kernelc.ir.lower_reduction import ReductionSpecialisation, lower_reduction
from kernelc.ir.passes.array_access import lower_array_access, lower_reduction_access
from kernelc.ir.passes.cse import eliminate_common_subexpressions
from kernelc.ir.passes.fold import fold_constants
from kernelc.ir.passes.unroll import unroll_loops
from kernelc.ir.passes.wide64 import widen_64bit
from kernelc.ir.validate import validate
from kernelc.lib.link import link
from kernelc.targets import target_named

EMITTERS = {"wgsl": emit_wgsl, "glsl": emit_glsl}


@lru_cache(maxsize=256)
def _parse(in_params, out_params, operation, name, preamble, loop_prep, after_loop, bases):
    return frontend.parse_elementwise(
        in_params,
        out_params,
        operation,
        name,
        preamble=preamble,
        loop_prep=loop_prep,
        after_loop=after_loop,
        line_bases=dict(bases),
    )


def lower_kernel(
    in_params: str,
    out_params: str,
    operation: str,
    name: str = "kernel",
    preamble: str = "",
    loop_prep: str = "",
    after_loop: str = "",
    *,
    types=None,
    ndim: int = 1,
    scalars=(),
    raw=None,
    line_bases=None,
    exact64: bool = False,
):
    """Parse and lower to validated, folded IR (target independent). `exact64`: C's 64-bit
    types are computed in 64 bits (the exact policy, docs/dtypes.md)."""
    check_strings(
        in_params=in_params,
        out_params=out_params,
        operation=operation,
        name=name,
        preamble=preamble,
        loop_prep=loop_prep,
        after_loop=after_loop,
    )
    check_options(types=types, scalars=scalars, raw=raw, line_bases=line_bases, ndim=ndim)
    bases = tuple(sorted((line_bases or {}).items()))
    src = _parse(in_params, out_params, operation, name, preamble, loop_prep, after_loop, bases)
    _check_axes(name, ndim=ndim)
    spec = Specialisation(ndim, frozenset(scalars), dict(raw or {}))
    with dtypes.exact64(exact64):
        kernel, warnings = lower_elementwise(src, bind_types(types, name), spec)
        validate(kernel)
        return validate(fold_constants(kernel)), warnings


def _check_axes(name: str, **counts) -> None:
    for what, value in counts.items():
        if not isinstance(value, int) or not 0 <= value <= 8:
            raise KernelTypeError(
                f"{what} must be an integer from 0 to 8, not {value!r}", kernel=name
            )


@lru_cache(maxsize=256)
def _parse_reduction(*args):
    *strings, bases = args
    return frontend.parse_reduction(*strings, line_bases=dict(bases))


def lower_reduction_kernel(
    in_params: str,
    out_params: str,
    map_expr: str,
    reduce_expr: str,
    post_map_expr: str,
    identity,
    name: str = "reduce_kernel",
    reduce_type: str | None = None,
    preamble: str = "",
    *,
    types=None,
    ndim: int = 0,
    reduce_ndim: int = 1,
    scalars=(),
    raw=None,
    line_bases=None,
    exact64: bool = False,
):
    """Parse and lower a ReductionKernel to validated, folded IR."""
    check_strings(
        in_params=in_params,
        out_params=out_params,
        map_expr=map_expr,
        reduce_expr=reduce_expr,
        post_map_expr=post_map_expr,
        name=name,
        preamble=preamble,
    )
    if reduce_type is not None:
        check_strings(reduce_type=reduce_type)
    options = {"types": types, "scalars": scalars, "raw": raw, "line_bases": line_bases}
    check_options(**options, ndim=ndim, reduce_ndim=reduce_ndim)
    bases = tuple(sorted((line_bases or {}).items()))
    identity = None if identity is None else str(identity)
    src = _parse_reduction(
        in_params,
        out_params,
        map_expr,
        reduce_expr,
        post_map_expr,
        identity,
        name,
        reduce_type,
        preamble,
        bases,
    )
    _check_axes(name, ndim=ndim, reduce_ndim=reduce_ndim)
    spec = ReductionSpecialisation(ndim, reduce_ndim, frozenset(scalars), dict(raw or {}))
    with dtypes.exact64(exact64):
        kernel, warnings = lower_reduction(src, bind_types(types, name), spec)
        validate(kernel)
        return validate(fold_constants(kernel)), warnings


def compile_kernel(kernel: ir.Kernel, target: str, *, unroll: bool | None = None) -> ir.Kernel:
    """Target passes, legalisation and the shader library linked in; the result is what
    the emitter prints."""
    if unroll if unroll is not None else target_named(target).unroll_by_default:
        kernel = validate(fold_constants(unroll_loops(kernel)))
    legalise = lower_reduction_access if kernel.reduction is not None else lower_array_access
    kernel = fold_constants(legalise(eliminate_common_subexpressions(kernel), target))
    kernel = fold_constants(widen_64bit(kernel, target))  # calls the library: validated linked
    return validate(link_library(kernel, target), legal_for=target)


def link_library(kernel: ir.Kernel, target: str) -> ir.Kernel:
    """`kernel` with the shader library functions it reaches on `target` linked in."""
    emitter = EMITTERS[target]
    return link(kernel, emitter.NATIVE_MATH, emitter.library_roots(kernel))


def translate_elementwise(
    in_params: str,
    out_params: str,
    operation: str,
    name: str = "kernel",
    preamble: str = "",
    loop_prep: str = "",
    after_loop: str = "",
    *,
    target: str,
    types=None,
    ndim: int = 1,
    scalars=(),
    raw=None,
    unroll: bool | None = None,
    line_bases=None,
    exact64: bool = False,
) -> Program:
    """Translate one CuPy ElementwiseKernel for `target` ('wgsl' or 'glsl').

    types: placeholder -> dtype name ({'T': 'float32'}); ndim: the loop's ndim; scalars:
    names of non-raw inputs passed as scalars; raw: raw name -> (ndim, c_contiguous);
    unroll: unroll constant-count loops (default: on for GLSL); exact64: 64-bit C types and
    dtypes are computed and held in 64 bits (default: in 32 bits, docs/dtypes.md).
    """
    return _translate(
        name,
        target,
        unroll,
        lower_kernel,
        in_params,
        out_params,
        operation,
        name,
        preamble,
        loop_prep,
        after_loop,
        types=types,
        ndim=ndim,
        scalars=scalars,
        raw=raw,
        line_bases=line_bases,
        exact64=exact64,
    )


def translate_reduction(
    in_params: str,
    out_params: str,
    map_expr: str,
    reduce_expr: str,
    post_map_expr: str,
    identity,
    name: str = "reduce_kernel",
    reduce_type: str | None = None,
    preamble: str = "",
    *,
    target: str,
    types=None,
    ndim: int = 0,
    reduce_ndim: int = 1,
    scalars=(),
    raw=None,
    unroll: bool | None = None,
    line_bases=None,
    exact64: bool = False,
) -> Program:
    """Translate one CuPy ReductionKernel for `target`.

    ndim: output axes; reduce_ndim: reduced axes. Inputs are viewed over (reduced axes...,
    output axes...) — the executor permutes their strides so (CuPy's `_J`, `_i` order);
    other options as for `translate_elementwise`.
    """
    return _translate(
        name,
        target,
        unroll,
        lower_reduction_kernel,
        in_params,
        out_params,
        map_expr,
        reduce_expr,
        post_map_expr,
        identity,
        name,
        reduce_type,
        preamble,
        types=types,
        ndim=ndim,
        reduce_ndim=reduce_ndim,
        scalars=scalars,
        raw=raw,
        line_bases=line_bases,
        exact64=exact64,
    )


def _translate(name: str, target: str, unroll, lower, *args, **kwargs) -> Program:
    target_named(target)  # ValueError for an unknown name
    check_unroll(unroll)
    try:
        kernel, warnings = lower(*args, **kwargs)
        legal = compile_kernel(kernel, target, unroll=unroll)
        code, abi = EMITTERS[target].emit(legal)
    except KernelCompileError as e:
        raise e.with_kernel(name) from None
    except (InternalCompilerError, ArgumentTypeError):
        raise
    except RecursionError:
        raise KernelTypeError("kernel is nested too deeply to translate", kernel=name) from None
    except Exception as e:  # our bug: say so, with the kernel it happened on
        raise InternalCompilerError(f"{type(e).__name__}: {e}", [f"kernel '{name}'"]) from e
    return Program(name, target, code, abi, list(warnings))
